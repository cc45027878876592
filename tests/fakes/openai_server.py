"""A scripted OpenAI-compatible chat server on 127.0.0.1, for fault tests over real HTTP.

Each request to /v1/chat/completions takes the next behaviour from a queue:
  ("reply", text)     a normal answer (streamed as SSE when the client asks for a stream)
  ("sleep", seconds)  answer only after sleeping (a timeout on the client side)
  ("status", code)    an HTTP error
  ("drop", text)      start streaming, then close the connection mid-reply
  ("garbage", None)   a 200 whose body is not JSON
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    def __init__(self) -> None:
        self.behaviours: deque[tuple[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(
                    {
                        "path": self.path,
                        "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                kind, arg = fake.behaviours.popleft() if fake.behaviours else ("status", 500)
                if kind == "sleep":
                    time.sleep(arg)
                    kind, arg = "reply", "Too late. What happened?\nPRINCIPLE: ownership"
                if kind == "status":
                    code, wait = arg if isinstance(arg, tuple) else (arg, None)
                    headers = {} if wait is None else {"Retry-After": str(wait)}
                    self._send(code, b'{"error": {"message": "scripted failure"}}', **headers)
                elif kind == "garbage":
                    self._send(200, b"<html>not json</html>", "application/json")
                elif body.get("stream"):
                    self._stream(arg, drop=kind == "drop")
                else:
                    self._send(200, json.dumps(_completion(arg)).encode())

            def _send(
                self, code: int, data: bytes, ctype: str = "application/json", **headers: str
            ) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str, drop: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                words = text.split(" ")
                for n, word in enumerate(words):
                    piece = word if n == 0 else " " + word
                    chunk = _chunk(piece)
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if drop and n == len(words) // 2:
                        self.wfile.write(b'data: {"choi')  # cut off inside a JSON object
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                self.wfile.write(f"data: {json.dumps(_chunk('', finish=True))}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(piece: str, finish: bool = False) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "delta": {} if finish else {"content": piece},
                "finish_reason": "stop" if finish else None,
            }
        ],
    }
