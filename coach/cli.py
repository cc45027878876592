"""`coach`: the command line. As thin as the UI: parse, call coach/, print."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.challenge import CHANNELS, TONES, Channel
from coach.errors import CoachError
from coach.inert import for_terminal
from coach.limits import readable
from coach.settings import PROJECT_ROOT, TIER_NAMES, Settings, unknown_tier
from coach.turns import Turn

DEFAULT_DATASETS = PROJECT_ROOT / "evals" / "datasets"
DEFAULT_THRESHOLDS = PROJECT_ROOT / "evals" / "thresholds.yaml"

if TYPE_CHECKING:
    from coach.parts import CoachParts
    from coach.reflect import ReflectionSession
    from coach.transcripts import TranscriptStore


class CliError(CoachError):
    """A problem with the command line itself; printed as one line, exit code 2."""


def _settings(args: argparse.Namespace) -> Settings:
    from coach.settings import load_settings

    overrides: dict[str, object] = {}
    if getattr(args, "principles", None):
        overrides["principles_path"] = Path(args.principles)
    if getattr(args, "tier", None):
        overrides["tier"] = args.tier
    return load_settings(**overrides)


def _stdin_text() -> str:
    """stdin as text, or one sentence saying where it is not UTF-8."""
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(
            f"stdin is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}): "
            "save it as UTF-8 and send it again."
        ) from None


def _text_arg(parts: Sequence[str], what: str) -> str:
    """Words given on the command line, or stdin for '-'."""
    text = " ".join(parts).strip()
    if text == "-":
        return _stdin_text().strip()
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # undecodable bytes in argv
        raise CliError(f"The {what} holds bytes that are not UTF-8: retype it or pipe it as UTF-8.")
    return text


def cmd_ingest(args: argparse.Namespace) -> int:
    from coach.wiring import build_retrieval, build_safety

    settings = _settings(args)
    stack = build_retrieval(settings, reset=args.reset)
    # The safety layer's vectors and classifier are derived data too: build them now, so the
    # first reflection (and the first `coach reply`) does not pay for it.
    build_safety(settings, stack)
    print(stack.index_message)
    return 0


def cmd_retrieve(args: argparse.Namespace) -> int:
    from coach.wiring import build_retrieval

    text = _text_arg(args.text, "text")
    if not text:
        raise CliError("Nothing to look up: give the reflection text as an argument.")
    settings = _settings(args)
    text = settings.limits.message(text, "The text")
    stack = build_retrieval(settings, fast=True)
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


def _read_turns(raw: str) -> list[Turn]:
    """Parse `{"turns": [{"role", "content"}, ...]}`; one clear sentence when it is wrong."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"stdin is not valid JSON (line {exc.lineno}, column {exc.colno}): "
            'send {"turns": [{"role": "user", "content": "..."}]}.'
        ) from None
    except (ValueError, RecursionError):  # a 5,000-digit number, nesting thousands deep
        raise CliError(
            "stdin JSON holds a number too long or nesting too deep to read: "
            'send {"turns": [{"role": "user", "content": "..."}]}.'
        ) from None
    turns = data.get("turns") if isinstance(data, dict) else None
    if not isinstance(turns, list) or not turns:
        raise CliError('stdin JSON needs a non-empty "turns" list of {"role", "content"} objects.')
    out = []
    for n, turn in enumerate(turns, 1):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise CliError(f'turn {n} must be {{"role": "user"|"assistant", "content": "..."}}.')
        ids = turn.get("principle_ids") or ()
        out.append(
            Turn(
                turn["role"],
                turn["content"],
                tuple(str(i) for i in ids) if isinstance(ids, list) else (),
                turn.get("behavior") if isinstance(turn.get("behavior"), str) else None,
            )
        )
    if out[-1].role != "user":
        raise CliError("The last turn must be from the user: that is the one answered.")
    return out


def cmd_reply(args: argparse.Namespace) -> int:
    from coach.wiring import build_coach, build_parts

    turns = _read_turns(_stdin_text())
    settings = _settings(args)
    coach = build_coach(settings, build_parts(settings, fast=True))
    result = coach.wrap_up(turns) if args.wrap_up else coach.respond(turns)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.reply)
        if result.resources:
            print("\n".join(f"- {r}" for r in result.resources))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from coach.behavior import Behavior
    from coach.reflect import EmptyMessage, ReflectionSession, result_of
    from coach.wiring import build_coach, build_parts

    settings = _settings(args)
    parts = build_parts(settings)
    coach = build_coach(settings, parts)
    print(f"Pivot Coach: {parts.chat.label}.")
    session = ReflectionSession(coach, _chat_store(settings))
    print("Write about your week. /done (or Ctrl-D) wraps up; Ctrl-C leaves.\n")
    ended = False  # stdin is closed: after this answer there is nothing more to read
    while True:
        try:
            line = readable(input("you> ").strip())
        except EOFError:
            line, ended = "/done", True
            print()
        except UnicodeDecodeError:
            print("coach> That line was not UTF-8 text; type it again.")
            continue
        if line in ("/done", "/wrap"):
            if not session.can_wrap_up:
                print("coach> Nothing to wrap up yet. Come back whenever you like.")
                return 0
            result = session.wrap_up()
        else:
            try:
                session.say(line)  # saved before the model is asked
            except EmptyMessage:
                continue  # Enter on its own says nothing
            except CoachError as exc:
                print(f"coach> {exc}")
                continue
            _saved(session)
            try:
                result = result_of(session.answer())
            except CoachError as exc:
                print(f"coach> {exc}")
                session.withdraw()
                continue
        _saved(session)
        print(f"coach> {for_terminal(result.reply)}")
        for resource in result.resources:
            print(f"       - {resource}")
        if result.focus_principle and result.behavior is Behavior.SOCRATIC:
            p = parts.principles.get(result.focus_principle)
            print(f"       [{p.title}: \u201c{p.source_quote}\u201d]")
        if result.notice:
            print(f"       ({result.notice})")
        # A session at risk answers a wrap-up with care, not a summary, and stays open for the
        # seller's next words; when no more can come (Ctrl-D, a closed pipe) it ends here
        # rather than asking again forever.
        if result.behavior is Behavior.WRAP_UP or ended:
            _end(session)
            return 0


def _chat_store(settings: Settings) -> TranscriptStore | None:
    """The store `coach chat` records into, as the app does; None (and a line) when it cannot."""
    from coach.transcripts import StoreError, open_store

    try:
        store = open_store(settings)
    except (StoreError, OSError) as exc:
        print(f"(Not saving this conversation: {exc})")
        return None
    print(f"(Saved as you go in {settings.data_dir}; `coach transcripts list` shows it.)")
    return store


def _saved(session: ReflectionSession) -> None:
    """On a failure to save, say so once and go on unsaved (the chat still works)."""
    if session.unsaved:
        print(f"(Stopped saving this conversation: {session.unsaved})")
        session.stop_saving()


def _end(session: ReflectionSession) -> None:
    from coach.transcripts import StoreError

    try:
        session.end()
    except StoreError as exc:
        print(f"(Stopped saving this conversation: {exc})")


def _resolve_session(store: Any, ref: str) -> str:
    """A full session id from an id or a unique prefix of one."""
    ids: list[str] = [s.id for s in store.list_sessions(limit=100_000)]
    matches = [i for i in ids if i.startswith(ref.strip())] if ref.strip() else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CliError(f"No session {ref!r}: `coach transcripts list` shows the ids.")
    raise CliError(f"{ref!r} matches {len(matches)} sessions; give more of the id.")


def cmd_transcripts(args: argparse.Namespace) -> int:
    from coach.principles import load_principles
    from coach.transcripts import open_store, to_json, to_markdown

    settings = _settings(args)
    store = open_store(settings)
    if args.action == "list":
        sessions = store.list_sessions(limit=args.limit)
        if args.json:
            print(json.dumps([s.__dict__ for s in sessions], indent=2))
        elif not sessions:
            print("No sessions yet.")
        for s in [] if args.json else sessions:
            title = for_terminal(s.title or "")
            print(f"{s.id}  {s.started_label}  {s.mode:<9} {s.turn_count:>3} turns  {title}")
        return 0
    if not args.id:
        raise CliError(f"`coach transcripts {args.action}` needs a session id.")
    session_id = _resolve_session(store, args.id)
    if args.action == "export":
        transcript = store.get(session_id)
        if args.format == "json":
            print(json.dumps(to_json(transcript), ensure_ascii=False, indent=2))
        else:
            print(for_terminal(to_markdown(transcript, load_principles(settings.principles_path))))
        return 0
    transcript = store.get(session_id)
    store.delete_session(session_id)
    print(f"Deleted session {session_id} and its {len(transcript.turns)} turns.")
    return 0


def _parts(args: argparse.Namespace) -> tuple[CoachParts, Settings]:
    from coach.wiring import build_parts

    settings = _settings(args)
    return build_parts(settings, fast=True), settings


def cmd_challenge(args: argparse.Namespace) -> int:
    from coach.challenge import ChallengeRequest
    from coach.wiring import build_challenge

    situation = _text_arg(args.situation, "situation")
    parts, settings = _parts(args)
    situation = settings.limits.message(situation, "The situation")
    engine = build_challenge(settings, parts)
    result = engine.draft(
        ChallengeRequest(
            situation=situation,
            channel=args.channel,
            tone=args.tone,
            words=args.words,
            commitment=args.commitment,
        )
    )
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return 0
    print(result.draft)
    print()
    for pid in result.principle_ids:
        p = parts.principles.get(pid)
        print(f"[{p.id}] \u201c{p.source_quote}\u201d")
    for f in result.report.findings:
        print(f"{'ok ' if f.passed else 'FIX'} {f.name}: {f.detail}")
    if result.notice:
        print(f"({result.notice})")
    return 0


def _read_file(path: str, what: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(f"No {what} at {path}.") from None
    except IsADirectoryError:
        raise CliError(f"{path} is a folder; give the {what} file.") from None
    except OSError as exc:
        raise CliError(f"Cannot read {path}: {exc.strerror}.") from None


def cmd_check_draft(args: argparse.Namespace) -> int:
    from coach.wiring import build_challenge

    raw = _read_file(args.file, "draft")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{args.file} is not UTF-8 text; save it as UTF-8.") from None
    channel: Channel = args.channel or (
        "email" if text.lstrip().lower().startswith("subject:") else "slack"
    )
    parts, settings = _parts(args)
    report = build_challenge(settings, parts).check_draft(text, channel)
    if args.json:
        print(json.dumps({"channel": channel, **report.as_dict()}, ensure_ascii=False, indent=2))
        return 0
    for f in report.findings:
        line = f"{'ok ' if f.passed else 'FIX'} {f.name}: {f.detail}"
        print(line + (f' \u2014 "{f.sentence}"' if f.sentence and not f.passed else ""))
    for m in report.touched:
        print(f"touches {m.id}: \u201c{m.sentence}\u201d")
    print("misses: " + ", ".join(report.missed))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from coach.review import read_transcript, to_markdown
    from coach.transcripts import open_store
    from coach.wiring import build_reviewer

    parts, settings = _parts(args)
    reviewer = build_reviewer(settings, parts)
    if args.session:
        store = open_store(settings)
        transcript = store.get(_resolve_session(store, args.session))
    elif args.file:
        transcript = read_transcript(
            _read_file(args.file, "transcript"), Path(args.file).name, reviewer.max_bytes
        )
    else:
        raise CliError("Give a transcript file (or - for stdin), or --session ID.")
    review = reviewer.review(transcript)
    if args.json:
        print(json.dumps(review.as_json(), ensure_ascii=False, indent=2))
    else:
        print(for_terminal(to_markdown(review, parts.principles)))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from coach.evaluation import (
        build_evaluator,
        dataset_lists,
        markdown,
        run_suite,
        write_json,
        write_jsonl,
        write_junit,
    )

    settings = _settings(args)
    gate_sets, _ = dataset_lists(Path(args.thresholds))
    datasets = [Path(p) for p in args.dataset] or [DEFAULT_DATASETS / name for name in gate_sets]
    for path in datasets:
        if path.is_dir():
            raise CliError(f"{path} is a folder; give each dataset's .jsonl file with --dataset.")
    # Found before the run, not after it: every report path must be writable.
    for out in (args.md, args.json, args.cases, args.junit):
        if out and not _writable(Path(out)):
            raise CliError(f"Cannot write {out}: its folder does not exist or is read-only.")
    tiers = [t.strip() for t in (args.tiers or "scripted").split(",") if t.strip()]
    for tier in tiers:  # the settings check one tier; these reach the suite unchecked
        if tier.lower() not in TIER_NAMES:
            raise CliError(f"{unknown_tier(tier)}.")
    tiers = [t.lower() for t in tiers]
    runs = run_suite(
        build_evaluator,
        settings,
        datasets=datasets,
        tiers=tiers,
        samples=args.samples,
        replies=Path(args.replies) if args.replies else None,
        thresholds=Path(args.thresholds),
        limit=args.limit,
        progress=not args.quiet,
    )
    summary = markdown(runs)
    print(summary)
    if args.md:
        Path(args.md).write_text(summary, encoding="utf-8")
    if args.json:
        write_json(runs, Path(args.json))
    if args.cases:
        write_jsonl(runs, Path(args.cases))
    if args.junit:
        write_junit(runs, Path(args.junit))
    failed = [m.name for run in runs for m in run.failed_gates]
    if failed and not args.report_only:
        print(f"coach: {len(failed)} gate(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_listen(args: argparse.Namespace) -> int:
    from coach.evaluation import load_sessions, run_listening, write_cases
    from coach.wiring import build_coach, build_parts

    settings = _settings(args)
    for out in (args.md, args.cases):
        if out and not _writable(Path(out)):
            raise CliError(f"Cannot write {out}: its folder does not exist or is read-only.")
    coach = build_coach(settings, build_parts(settings, fast=True))
    summary = ""
    for path in args.sessions:
        report = run_listening(coach, load_sessions(Path(path)))
        summary += report.markdown(Path(path).name) + "\n"
        if args.cases:
            write_cases(report, Path(args.cases))
    print(summary, end="")
    if args.md:
        Path(args.md).write_text(summary, encoding="utf-8")
    return 0


def _writable(path: Path) -> bool:
    import os

    folder = path.parent if str(path.parent) else Path(".")
    return folder.is_dir() and os.access(folder, os.W_OK) and not path.is_dir()


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

    p = sub.add_parser("chat", help="an interactive reflection in the terminal")
    p.add_argument("--tier", choices=TIER_NAMES, help="chat tier")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("reply", help='answer the last user turn of {"turns": [...]} read on stdin')
    p.add_argument("--json", action="store_true", help="print the full result object as JSON")
    p.add_argument("--wrap-up", action="store_true", help="give the wrap-up instead of a turn")
    p.add_argument("--tier", choices=TIER_NAMES, help="chat tier")
    p.set_defaults(func=cmd_reply)

    p = sub.add_parser("transcripts", help="list, export or delete saved sessions")
    p.add_argument("action", choices=["list", "export", "delete"])
    p.add_argument("id", nargs="?", help="session id (or a unique prefix)")
    p.add_argument("--format", choices=["md", "json"], default="md", help="export format")
    p.add_argument("--json", action="store_true", help="list as JSON")
    p.add_argument("--limit", type=int, default=50, help="how many sessions to list")
    p.set_defaults(func=cmd_transcripts)

    p = sub.add_parser("challenge", help="draft a manager's Pivot to Leadership challenge")
    p.add_argument("situation", nargs="+", help="the team's situation in your words ('-': stdin)")
    p.add_argument("--channel", choices=CHANNELS, default="slack")
    p.add_argument("--words", type=int, help="target length in words")
    p.add_argument("--tone", choices=TONES, default="warm")
    p.add_argument("--commitment", help="what you will do first yourself")
    p.add_argument("--json", action="store_true", help='print {"draft", "principle_ids", "checks"}')
    p.add_argument("--tier", choices=TIER_NAMES, help="chat tier")
    p.set_defaults(func=cmd_challenge)

    p = sub.add_parser("check-draft", help="check a challenge message against the principles")
    p.add_argument("file", help="the draft ('-': stdin)")
    p.add_argument("--channel", choices=CHANNELS, help="default: email if it has a Subject: line")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=cmd_check_draft)

    p = sub.add_parser("review", help="review a transcript: per turn, scorecard, next questions")
    p.add_argument("file", nargs="?", help="JSON export or Seller:/Coach: text ('-': stdin)")
    p.add_argument("--session", help="review a saved session instead (id or unique prefix)")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--json", action="store_true", help='print {"turns", "scorecard", "suggestions"}'
    )
    group.add_argument("--md", action="store_true", help="print Markdown (the default)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("eval", help="run the evals suite and check the gates")
    p.add_argument(
        "--dataset",
        action="append",
        default=[],
        metavar="PATH",
        help="a JSONL dataset (repeatable; default: evals/datasets/*.jsonl)",
    )
    p.add_argument(
        "--tier", dest="tiers", help="tier(s) to run, comma-separated (default: scripted)"
    )
    p.add_argument("--samples", type=int, default=1, help="runs per case (critical: pass^k)")
    p.add_argument(
        "--replies",
        metavar="FILE",
        help='score recorded replies (JSONL of {"id", "reply", "principle_ids"})',
    )
    p.add_argument("--thresholds", default=str(DEFAULT_THRESHOLDS), help="gates file")
    p.add_argument("--limit", type=int, help="at most N cases per category (quick runs)")
    p.add_argument("--json", metavar="OUT", help="metrics and cases as JSON")
    p.add_argument("--md", metavar="OUT", help="the Markdown summary")
    p.add_argument("--cases", metavar="OUT", help="per-case JSONL with reasons and evidence")
    p.add_argument("--junit", metavar="OUT", help="JUnit XML for CI")
    p.add_argument("--report-only", action="store_true", help="never fail on a gate")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("listen", help="listening evals: play scripted sessions through the coach")
    p.add_argument("sessions", nargs="+", metavar="PATH", help="JSONL of multi-turn sessions")
    p.add_argument("--tier", help="tier to run (default: scripted)")
    p.add_argument("--md", metavar="OUT", help="the Markdown summary")
    p.add_argument("--cases", metavar="OUT", help="per-turn JSONL (last file's turns)")
    p.set_defaults(func=cmd_listen)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CoachError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except RecursionError:  # JSON nested thousands deep, say
        print("coach: the input is nested too deeply to read; flatten it.", file=sys.stderr)
        return 2
    except Exception as exc:  # the one boundary: a sentence here, the traceback in the log
        from coach.incidents import record, sentence

        print(f"coach: {sentence(record(exc), 'The command failed')}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
