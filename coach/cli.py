"""`coach`: the command line. As thin as the UI: parse, call coach/, print."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from coach.settings import Settings

EXIT_USAGE = 2


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "principles", None):
        overrides["principles_path"] = Path(args.principles)
    return Settings(**overrides)  # type: ignore[arg-type]


def cmd_ingest(args: argparse.Namespace) -> int:
    from coach.wiring import build_retrieval

    stack = build_retrieval(_settings(args), reset=args.reset)
    print(stack.index_message)
    return 0


def cmd_retrieve(args: argparse.Namespace) -> int:
    from coach.wiring import build_retrieval

    text = " ".join(args.text).strip()
    if text == "-":
        text = sys.stdin.read().strip()
    if not text:
        raise CliError("Nothing to look up: give the reflection text as an argument.")
    settings = _settings(args)
    stack = build_retrieval(settings)
    n = len(stack.principles.principles)
    if not 1 <= args.k <= n:
        raise CliError(f"--k must be between 1 and {n}, the number of principles.")
    if stack.index_rebuilt:
        print(stack.index_message, file=sys.stderr)
    hits = stack.retriever.retrieve(text, k=args.k)
    if args.json:
        print(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return 0
    if not stack.retriever.is_reflection(hits):
        print("(This does not read like a reflection; the closest principles are weak matches.)")
    for rank, h in enumerate(hits, 1):
        print(f"{rank}. {h.title} [{h.id}]  score {h.score:.3f}")
        print(f"   \u201c{h.quote}\u201d")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach", description="Pivot Coach: a Socratic reflection coach for sellers."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or refresh the principle index")
    p.add_argument("--principles", metavar="PATH", help="principle file (default from settings)")
    p.add_argument("--reset", action="store_true", help="rebuild even if the index is current")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("retrieve", help="the principles a text touches, best first")
    p.add_argument("text", nargs="+", help="the reflection text ('-' reads stdin)")
    p.add_argument("--k", type=int, default=3, help="how many principles (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--principles", metavar="PATH", help="principle file (default from settings)")
    p.set_defaults(func=cmd_retrieve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from coach.embeddings import EmbeddingModelMissing
    from coach.principles import PrincipleFileError
    from coach.retrieval import EmptyQuery
    from coach.vectorstore import IndexUnavailable

    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (CliError, PrincipleFileError, EmptyQuery, EmbeddingModelMissing) as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexUnavailable as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
