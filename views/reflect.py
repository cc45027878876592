"""Reflect: a seller's reflection, from first line to saved session.

The reflection itself is a `ReflectionSession` (coach/reflect/session.py), the same one
`coach chat` runs: it answers, records and holds the rules; this page draws it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import streamlit as st

from coach.behavior import CARE, Behavior
from coach.errors import CoachError
from coach.reflect import EmptyMessage, ReflectionSession, TurnResult, result_of
from coach.transcripts import SessionNotFound, StoreError, to_json, to_markdown
from coach.turns import Turn
from views import sidebar
from views.services import Services, load
from views.text import label, plain

# Per-session state, under named keys set once.
REFLECTION = "reflect_session"  # the ReflectionSession on screen
VIEWING = "reflect_viewing"  # a past session opened read-only, or None
ERROR = "reflect_error"  # one sentence to show after a rerun, or None


def _init() -> None:
    st.session_state.setdefault(VIEWING, None)
    st.session_state.setdefault(ERROR, None)


def render() -> None:
    _init()
    svc = load()
    _resume(svc)
    sidebar.render(svc)
    _past_sessions(svc)

    st.title("Reflect")
    if st.session_state[VIEWING]:
        _read_only(svc, st.session_state[VIEWING])
        return
    st.caption(
        "Write about your week: what happened, what you did, how it felt. The coach asks one "
        "question at a time, each tied to a principle of *The Pivot to Leadership*."
    )
    if st.session_state[ERROR]:
        st.error(st.session_state[ERROR])
        st.session_state[ERROR] = None

    session = _reflection(svc)
    for n in range(len(session.messages)):
        _show(svc, session, n)
    if session.awaiting_answer and not session.ended:
        _reply(session)  # the page was reloaded while the coach was answering: answer now

    left, right = st.columns(2)
    if left.button("Wrap up", disabled=not session.can_wrap_up, key="wrap_up"):
        _wrap_up(session)
        st.rerun()
    if right.button("New reflection", key="new_reflection"):
        _new_reflection(svc)
        st.rerun()

    if session.ended:
        st.success("This reflection is saved. Start a new one whenever you like.")
        return
    text = st.chat_input(
        "What happened this week?", key="reflect_input", max_chars=svc.settings.max_message_chars
    )
    if text is not None:
        _turn(session, text)


def _reflection(svc: Services) -> ReflectionSession:
    """This browser session's reflection: the one on screen, or a new one."""
    if REFLECTION not in st.session_state:
        st.session_state[REFLECTION] = ReflectionSession(svc.coach, svc.store)
    session: ReflectionSession = st.session_state[REFLECTION]
    return session


# The open reflection's id rides in the address, so a reload (or a phone that dropped the tab)
# picks it up again from the store instead of starting from nothing.
RESUME = "reflection"


def _resume(svc: Services) -> None:
    wanted = st.query_params.get(RESUME)
    current = _reflection(svc)
    if not wanted or current.session_id == wanted or current.messages:
        return
    resumed = ReflectionSession.resume(svc.coach, svc.store, wanted)
    if resumed is None:
        del st.query_params[RESUME]  # gone, or finished: a finished one opens from "Past"
        return
    st.session_state[REFLECTION] = resumed


def _show(svc: Services, session: ReflectionSession, n: int) -> None:
    message = session.messages[n]
    with st.chat_message(message.role):
        if message.behavior in CARE:
            _crisis(message.text, session.resources(n))
            return
        st.markdown(plain(message.text))
        if message.role == "assistant":
            _about(svc, message, session.notice(n))
            if session.rateable(n):
                _feedback(session, n)


def _crisis(text: str, resources: tuple[str, ...]) -> None:
    st.markdown(plain(text))
    with st.container(border=True):
        st.markdown("**Please reach out now:**")
        for resource in resources:
            st.markdown(f"- {plain(resource)}")


def _about(svc: Services, message: Turn, notice: str | None) -> None:
    """The principle under a coach question, and why it was asked (the exact source words)."""
    if notice:
        st.caption(notice)
    if message.behavior != Behavior.SOCRATIC.value:
        return
    for pid in message.principle_ids[:1]:
        p = svc.parts.principles.get(pid)
        st.caption(f"Principle: **{plain(p.title)}**")
        with st.expander("Why I'm asking this"):
            st.markdown(f"> {plain(p.source_quote)}")
            st.caption(f"From *The Pivot to Leadership* · `{p.id}`")


def _feedback(session: ReflectionSession, n: int) -> None:
    helpful = session.helpful(n)
    # Streamlit's thumbs: 1 is up, 0 is down.
    default = None if helpful is None else int(helpful)
    value = st.feedback("thumbs", key=f"feedback_{session.turn_id(n)}", default=default)
    chosen = None if value is None else value == 1
    if chosen != helpful:
        try:
            session.rate(n, chosen)
        except StoreError as exc:
            st.warning(str(exc))


def _turn(session: ReflectionSession, text: str) -> None:
    try:
        session.say(text)  # kept, and saved before the model
    except EmptyMessage as exc:
        st.warning(str(exc))
        return
    with st.chat_message("user"):
        st.markdown(plain(text))
    if session.unsaved:
        st.warning(session.unsaved)  # not saved, but the seller is still answered
    else:
        st.query_params[RESUME] = str(session.session_id)
    _reply(session)


def _reply(session: ReflectionSession) -> None:
    """Answer the seller's last message (the session saves the answer); draw the page again."""
    with st.chat_message("assistant"):
        try:
            _answer(session)
        except EmptyMessage as exc:
            st.warning(str(exc))
            return
        except CoachError as exc:  # over a limit, say: its own sentence
            st.session_state[ERROR] = str(exc)
            st.rerun()
            return
        except Exception as exc:  # never a traceback; the seller's words are already saved
            st.session_state[ERROR] = (
                f"The coach could not answer ({type(exc).__name__}). Your message is saved; "
                "send it again or try a new reflection."
            )
            st.rerun()
            return
    if session.unsaved:
        st.session_state[ERROR] = session.unsaved
    st.rerun()


def _answer(session: ReflectionSession) -> TurnResult:
    """Stream the model's text when the tier streams; the guarded result replaces it if needed."""
    answer = session.answer()
    if not session.streams:
        return result_of(answer)
    final: list[TurnResult] = []
    # Until the first words arrive (or the guards hold a sentence back), the seller sees that
    # the coach is working, not an empty bubble.
    waiting = st.empty()
    waiting.caption(":material/hourglass_top: Thinking…")

    def pieces() -> Iterator[str]:
        for event in answer:
            if isinstance(event, TurnResult):
                final.append(event)
            else:
                waiting.empty()
                yield plain(event)
        waiting.empty()

    st.write_stream(pieces())
    return final[0]


def _wrap_up(session: ReflectionSession) -> None:
    try:
        session.wrap_up()
    except Exception as exc:
        st.session_state[ERROR] = f"The wrap-up failed ({type(exc).__name__}); try again."
        return
    if session.unsaved:
        st.session_state[ERROR] = session.unsaved
    session.end()
    st.query_params.pop(RESUME, None)


def _new_reflection(svc: Services) -> None:
    _reflection(svc).end()  # a wrapped-up one is ended already
    st.session_state[REFLECTION] = ReflectionSession(svc.coach, svc.store)
    st.session_state[VIEWING] = None
    st.query_params.pop(RESUME, None)


# -- past sessions --------------------------------------------------------------------------------


def _past_sessions(svc: Services) -> None:
    with st.sidebar:
        st.subheader("Past reflections")
        try:
            sessions = svc.store.list_sessions(limit=30, mode="reflect")
        except StoreError as exc:
            st.warning(str(exc))
            return
        current = _reflection(svc).session_id
        past = [s for s in sessions if s.id != current]  # the one on screen is not "past"
        if not past:
            st.caption("None yet. Each reflection is saved here as you write it.")
            return
        for s in past:
            text = f"{s.started_label} · {label(s.title or '(empty)', 60)}"
            if st.button(text, key=f"open_{s.id}", width="stretch"):
                st.session_state[VIEWING] = s.id
                st.rerun()


def _read_only(svc: Services, session_id: str) -> None:
    try:
        transcript = svc.store.get(session_id)
    except SessionNotFound:
        st.session_state[VIEWING] = None
        st.warning("That session no longer exists.")
        return
    s = transcript.session
    st.info(f"Read-only: a past reflection from {s.started_label} ({s.tier}).")
    past = ReflectionSession.of(svc.coach, transcript)  # no store: shown, never changed
    for n in range(len(past.messages)):
        _show(svc, past, n)
    md = to_markdown(transcript, svc.parts.principles)
    js = json.dumps(to_json(transcript), ensure_ascii=False, indent=2)
    a, b, c, d = st.columns(4)
    a.download_button(
        "Export Markdown",
        md,
        file_name=f"reflection-{s.id[:8]}.md",
        mime="text/markdown",
        key="export_md",
    )
    b.download_button(
        "Export JSON",
        js,
        file_name=f"reflection-{s.id[:8]}.json",
        mime="application/json",
        key="export_json",
    )
    if c.button("Delete", key="delete_session"):
        st.session_state["confirm_delete"] = s.id
    if d.button("Back", key="back_to_reflection"):
        st.session_state[VIEWING] = None
        st.rerun()
    if st.session_state.get("confirm_delete") == s.id:
        st.warning("Delete this reflection and all of its turns? This cannot be undone.")
        if st.button("Yes, delete it", key="confirm_delete_yes", type="primary"):
            svc.store.delete_session(s.id)
            st.session_state["confirm_delete"] = None
            st.session_state[VIEWING] = None
            if _reflection(svc).session_id == s.id:
                _new_reflection(svc)
            st.toast("Deleted.")
            st.rerun()
