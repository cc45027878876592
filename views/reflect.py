"""Reflect: a seller's reflection, from first line to saved session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import streamlit as st

from coach.errors import CoachError
from coach.reflect.dialogue import CARE, Behavior, EmptyMessage, Message, TurnResult
from coach.reflect.sessions import ReflectionLog
from coach.transcripts import SessionNotFound, StoreError
from coach.transcripts.export import to_json, to_markdown
from views import sidebar
from views.services import Services, load
from views.text import label, plain

# Per-session state, under named keys set once.
MESSAGES = "reflect_messages"  # list[dict]: what is on screen, with ids for feedback
SESSION = "reflect_session_id"  # the open session in the store, or None
DONE = "reflect_done"  # wrapped up: the input closes until "New reflection"
VIEWING = "reflect_viewing"  # a past session opened read-only, or None
ERROR = "reflect_error"  # one sentence to show after a rerun, or None


def _init() -> None:
    for key, value in ((MESSAGES, []), (SESSION, None), (DONE, False), (VIEWING, None)):
        st.session_state.setdefault(key, value)
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

    for n, item in enumerate(st.session_state[MESSAGES]):
        _show(svc, item, n)
    if st.session_state.pop(UNANSWERED, False) and not st.session_state[DONE]:
        _reply(svc)  # the page was reloaded while the coach was answering: answer now

    left, right = st.columns(2)
    has_turns = any(m["role"] == "user" for m in st.session_state[MESSAGES])
    if left.button("Wrap up", disabled=not has_turns or st.session_state[DONE], key="wrap_up"):
        _wrap_up(svc)
        st.rerun()
    if right.button("New reflection", key="new_reflection"):
        _new_reflection(svc)
        st.rerun()

    if st.session_state[DONE]:
        st.success("This reflection is saved. Start a new one whenever you like.")
        return
    text = st.chat_input(
        "What happened this week?", key="reflect_input", max_chars=svc.settings.max_message_chars
    )
    if text is not None:
        _turn(svc, text)


# The open reflection's id rides in the address, so a reload (or a phone that dropped the tab)
# picks it up again from the store instead of starting from nothing.
RESUME = "reflection"
UNANSWERED = "reflect_unanswered"  # resumed with the seller's last message not yet answered


def _resume(svc: Services) -> None:
    wanted = st.query_params.get(RESUME)
    if not wanted or st.session_state[SESSION] == wanted or st.session_state[MESSAGES]:
        return
    try:
        transcript = svc.store.get(wanted)
    except (SessionNotFound, StoreError):
        del st.query_params[RESUME]
        return
    if transcript.session.ended_at or transcript.session.mode != "reflect":
        del st.query_params[RESUME]  # a finished one opens from "Past reflections"
        return
    resources = list(svc.parts.safety.rules.resources)
    st.session_state[SESSION] = wanted
    st.session_state[MESSAGES] = [
        {
            "role": t.role,
            "content": t.text,
            "turn_id": t.id,
            "principle_ids": list(t.principle_ids),
            "behavior": t.behavior,
            "resources": resources if t.behavior in CARE else [],
            "notice": t.notice,
            "feedback": t.feedback,
        }
        for t in transcript.turns
    ]
    st.session_state[UNANSWERED] = bool(transcript.turns) and transcript.turns[-1].role == "user"


def _show(svc: Services, item: dict[str, Any], n: int) -> None:
    with st.chat_message(item["role"]):
        if item.get("behavior") in CARE:
            _crisis(item)
            return
        st.markdown(plain(item["content"]))
        if item["role"] == "assistant":
            _about(svc, item)
            if item.get("turn_id") and item.get("behavior") == Behavior.SOCRATIC.value:
                _feedback(svc, item, n)


def _crisis(item: dict[str, Any]) -> None:
    st.markdown(plain(item["content"]))
    with st.container(border=True):
        st.markdown("**Please reach out now:**")
        for resource in item.get("resources", []):
            st.markdown(f"- {plain(resource)}")


def _about(svc: Services, item: dict[str, Any]) -> None:
    """The principle under a coach question, and why it was asked (the exact source words)."""
    if item.get("notice"):
        st.caption(item["notice"])
    if item.get("behavior") != Behavior.SOCRATIC.value:
        return
    for pid in item.get("principle_ids", [])[:1]:
        p = svc.parts.principles.get(pid)
        st.caption(f"Principle: **{plain(p.title)}**")
        with st.expander("Why I'm asking this"):
            st.markdown(f"> {plain(p.source_quote)}")
            st.caption(f"From *The Pivot to Leadership* · `{p.id}`")


def _feedback(svc: Services, item: dict[str, Any], n: int) -> None:
    default = {1: 1, -1: 0}.get(item.get("feedback"))  # type: ignore[arg-type]
    value = st.feedback("thumbs", key=f"feedback_{item['turn_id']}", default=default)
    stored = {1: 1, 0: -1}.get(value) if value is not None else None
    if stored != item.get("feedback"):
        item["feedback"] = stored
        try:
            svc.store.set_feedback(item["turn_id"], stored)
        except StoreError as exc:
            st.warning(str(exc))


def _turn(svc: Services, text: str) -> None:
    if not text.strip():
        st.warning("Write a few words about your week first.")
        return
    user = {"role": "user", "content": text}
    st.session_state[MESSAGES].append(user)  # on screen and in state before anything can fail
    with st.chat_message("user"):
        st.markdown(plain(text))
    log = _log(svc)
    try:
        user["turn_id"] = log.seller(text)  # saved before the model
        st.session_state[SESSION] = log.session_id
        st.query_params[RESUME] = str(log.session_id)
    except StoreError as exc:
        st.warning(str(exc))  # not saved, but the seller is still answered
    _reply(svc)


def _reply(svc: Services) -> None:
    """Answer the seller's last message, save the answer, and draw the page again."""
    with st.chat_message("assistant"):
        try:
            result = _answer(svc)
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
    _record(svc, result)
    st.rerun()


def _answer(svc: Services) -> TurnResult:
    """Stream the model's text when the tier streams; the guarded result replaces it if needed."""
    messages = _messages()
    if svc.parts.chat.model is None:
        return svc.coach.respond(messages)
    final: list[TurnResult] = []
    # Until the first words arrive (or the guards hold a sentence back), the seller sees that
    # the coach is working, not an empty bubble.
    waiting = st.empty()
    waiting.caption(":material/hourglass_top: Thinking…")

    def pieces() -> Iterator[str]:
        for event in svc.coach.stream(messages):
            if isinstance(event, TurnResult):
                final.append(event)
            else:
                waiting.empty()
                yield plain(event)
        waiting.empty()

    st.write_stream(pieces())
    return final[0]


def _record(svc: Services, result: TurnResult) -> None:
    item = {
        "role": "assistant",
        "content": result.reply,
        "principle_ids": list(result.principle_ids),
        "behavior": result.behavior.value,
        "resources": list(result.resources),
        "notice": result.notice,
        "feedback": None,
    }
    try:
        item["turn_id"] = _log(svc).coach(result)
    except StoreError as exc:
        st.session_state[ERROR] = str(exc)
    st.session_state[MESSAGES].append(item)


def _wrap_up(svc: Services) -> None:
    try:
        result = svc.coach.wrap_up(_messages())
    except Exception as exc:
        st.session_state[ERROR] = f"The wrap-up failed ({type(exc).__name__}); try again."
        return
    _record(svc, result)
    st.session_state[DONE] = True
    _log(svc).end()
    st.query_params.pop(RESUME, None)


def _new_reflection(svc: Services) -> None:
    if not st.session_state[DONE]:
        _log(svc).end()
    st.session_state[MESSAGES] = []
    st.session_state[SESSION] = None
    st.session_state[DONE] = False
    st.session_state[VIEWING] = None
    st.query_params.pop(RESUME, None)


def _log(svc: Services) -> ReflectionLog:
    """This browser session's reflection in the store (the same service `coach chat` uses)."""
    chat = svc.parts.chat
    return ReflectionLog(svc.store, chat.tier.value, chat.model_name, st.session_state[SESSION])


def _messages() -> list[Message]:
    return [
        Message(
            m["role"],
            m["content"],
            tuple(m.get("principle_ids", ())),
            m.get("behavior"),
        )
        for m in st.session_state[MESSAGES]
    ]


# -- past sessions --------------------------------------------------------------------------------


def _past_sessions(svc: Services) -> None:
    with st.sidebar:
        st.subheader("Past reflections")
        try:
            sessions = svc.store.list_sessions(limit=30, mode="reflect")
        except StoreError as exc:
            st.warning(str(exc))
            return
        current = st.session_state[SESSION]
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
    for t in transcript.turns:
        item = {
            "role": t.role,
            "content": t.text,
            "principle_ids": list(t.principle_ids),
            "behavior": t.behavior,
            "notice": t.notice,
        }
        with st.chat_message(t.role):
            if t.behavior in CARE:
                _crisis({**item, "resources": svc.parts.safety.rules.resources})
            else:
                st.markdown(plain(t.text))
                if t.role == "assistant":
                    _about(svc, item)
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
            if st.session_state[SESSION] == s.id:
                _new_reflection(svc)
            st.toast("Deleted.")
            st.rerun()
