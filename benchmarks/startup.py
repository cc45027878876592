"""Fresh-process latency of the short-lived commands, against their budgets.

A timing depends on the machine and on what else it is doing, so it lives here, not in a test:
`make bench` prints each figure beside its budget and exits 1 only with `--strict` when one is
over. Run it on an idle machine after `make index` (the figures in the README came from here).

Besides the wall-clock budgets it prints:
- the import floor: a bare Python importing the libraries a scripted reply runs on (numpy,
  onnxruntime for the encoder, tokenizers, yaml, and pydantic with pydantic-settings for the
  data files and the settings), and `coach reply` as a multiple of it (budget 2x). The floor
  the issue first named (numpy, tokenizers, safetensors, yaml, `import pydantic`) is printed
  too: `import pydantic` alone loads almost nothing (its names load on first use), and the
  encoder no longer reads safetensors at run time;
- how long an openai-tier `coach reply` takes from process start to its first request,
  against a fake OpenAI-compatible server on 127.0.0.1;
- the app's first page: from `streamlit run` to the Reflect page's message box in Chromium
  (skipped when Playwright or Chromium is missing), for a second visitor, and for a bare
  Streamlit page with the same message box and config (the floor the app stands on).

    .venv/bin/python benchmarks/startup.py [--runs 7] [--strict] [--no-browser]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coach.settings import Settings

REFLECTION = "I told my VP the deal slipped because the product team shipped late."
BUDGETS_S = {
    "coach reply": 1.0,
    "coach retrieve": 3.0,
    "openai reply, to first request": 1.5,
    "app, first page": 3.0,
}
FLOOR_RATIO = 2.0  # coach reply within twice the import floor
FLOOR = "import numpy, onnxruntime, tokenizers, yaml, pydantic_settings"
FIRST_FLOOR = "import numpy, tokenizers, safetensors.numpy, yaml, pydantic"
ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "What happened this week?"
# Streamlit alone: a title and the same message box, served with the app's own config.
BARE_PAGE = f"import streamlit as st\nst.title('Reflect')\nst.chat_input({PLACEHOLDER!r})\n"


def _median_seconds(args: list[str], stdin: str, env: dict[str, str], runs: int) -> float:
    """Median wall time of `coach ARGS` in fresh processes."""
    return _median_of([sys.executable, "-m", "coach.cli", *args], stdin, env, runs)


def _median_of(command: list[str], stdin: str, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            command, input=stdin, capture_output=True, text=True, env=env, timeout=120
        )
        times.append(time.perf_counter() - start)
        if out.returncode != 0:
            raise SystemExit(f"`{' '.join(command[1:])}` failed: {out.stderr.strip()}")
    return statistics.median(times)


def _to_first_request(payload: str, env: dict[str, str], runs: int) -> float:
    """From process start to the fake server's first request, for the openai tier."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.openai_server import FakeOpenAI

    times = []
    with FakeOpenAI() as fake:
        tier_env = {**env, "COACH_TIER": "openai", "COACH_OPENAI_BASE_URL": fake.base_url}
        for _ in range(runs):
            fake.requests.clear()
            fake.behaviours.append(("reply", "What was your part in it?\nPRINCIPLE: ownership"))
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "coach.cli", "reply"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=tier_env,
            )
            assert proc.stdin is not None
            proc.stdin.write(payload)
            proc.stdin.close()
            while not fake.requests and proc.poll() is None:
                time.sleep(0.002)
            if not fake.requests:
                raise SystemExit(
                    f"the openai tier never asked: {proc.stderr.read() if proc.stderr else ''}"
                )
            times.append(time.perf_counter() - start)
            proc.wait(timeout=60)
    return statistics.median(times)


def _first_page(
    env: dict[str, str], runs: int, script: Path = ROOT / "app.py"
) -> tuple[float, float] | None:
    """Median seconds from `streamlit run` to the Reflect page's message box in Chromium, and
    for a second visitor of the same server; None without Playwright or Chromium."""
    import shutil
    import urllib.request

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    sys.path.insert(0, str(ROOT))
    from tests.servers import free_port

    first, second = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(runs):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            start = time.perf_counter()
            server = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(script)]
                + ["--server.headless", "true", "--server.address", "127.0.0.1"]
                + ["--server.port", str(port)],
                env={**env, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"},
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while True:
                    try:
                        urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)  # noqa: S310
                        break
                    except OSError:
                        if server.poll() is not None or time.perf_counter() - start > 120:
                            raise SystemExit("streamlit did not start") from None
                        time.sleep(0.02)
                for times in (first, second):
                    page = browser.new_page(viewport={"width": 390, "height": 844})
                    begun = time.perf_counter()
                    page.goto(url)
                    page.get_by_placeholder(PLACEHOLDER).wait_for(timeout=120_000)
                    times.append(time.perf_counter() - (start if times is first else begun))
                    page.close()
            finally:
                server.terminate()
                server.wait(timeout=30)
        browser.close()
    return statistics.median(first), statistics.median(second)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--no-browser", action="store_true", help="skip the app's first page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The trained weights are keyed by their inputs: the project's cache spares a fresh fit.
        env = {
            **os.environ,
            "COACH_DATA_DIR": str(Path(tmp) / "data"),
            "COACH_CACHE_DIR": str(Settings().cache_dir),
            "COACH_TIER": "scripted",
        }
        payload = json.dumps({"turns": [{"role": "user", "content": REFLECTION}]})
        subprocess.run([sys.executable, "-m", "coach.cli", "ingest"], env=env, check=True)
        _median_seconds(["reply"], payload, env, runs=1)  # warm the caches once, as a user would
        figures = {
            "coach reply": _median_seconds(["reply", "--json"], payload, env, args.runs),
            "coach retrieve": _median_seconds(
                ["retrieve", REFLECTION, "--json"], "", env, args.runs
            ),
            "openai reply, to first request": _to_first_request(payload, env, args.runs),
        }
        servers = max(1, args.runs // 2)
        pages = None if args.no_browser else _first_page(env, servers)
        bare = None
        if pages is not None:
            figures["app, first page"] = pages[0]
            script = Path(tmp) / "bare_page.py"
            script.write_text(BARE_PAGE, encoding="utf-8")
            bare = _first_page(env, servers, script)
        floor = _median_of([sys.executable, "-c", FLOOR], "", env, args.runs)
        first_floor = _median_of([sys.executable, "-c", FIRST_FLOOR], "", env, args.runs)
    over = []
    for name, seconds in figures.items():
        budget = BUDGETS_S[name]
        verdict = "ok" if seconds <= budget else "OVER"
        print(f"{name:<32} median {seconds:5.2f} s (budget {budget:.1f} s) {verdict}")
        if seconds > budget:
            over.append(name)
    if pages is None:
        print("app, first page: skipped (no Playwright or Chromium, or --no-browser)")
    else:
        print(f"app, a second visitor            median {pages[1]:5.2f} s")
        if bare is not None:
            print(f"a bare Streamlit page (floor)    median {bare[0]:5.2f} s")
    ratio = figures["coach reply"] / floor
    verdict = "ok" if ratio <= FLOOR_RATIO else "OVER"
    print(
        f"import floor                     median {floor:5.2f} s ({FLOOR}); coach reply is "
        f"{ratio:.1f}x it (budget {FLOOR_RATIO:.0f}x) {verdict}"
    )
    print(
        f"the first floor named            median {first_floor:5.2f} s ({FIRST_FLOOR}); "
        f"coach reply is {figures['coach reply'] / first_floor:.1f}x it"
    )
    print(f"(medians over {args.runs} fresh processes; the app over {servers})")
    if ratio > FLOOR_RATIO:
        over.append("ratio to the import floor")
    return 1 if over and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
