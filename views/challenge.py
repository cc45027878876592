"""Challenge: managers draft the Pivot to Leadership challenge for their team, or check theirs."""

from __future__ import annotations

import streamlit as st

from coach.challenge import (
    CHANNELS,
    TONES,
    ChallengeRequest,
    DraftReport,
    DraftResult,
    record_draft,
)
from coach.errors import CoachError
from coach.transcripts import StoreError
from views import sidebar
from views.services import Services, load
from views.text import plain

RESULT = "challenge_result"  # the latest DraftResult, or None
FOLLOW = "challenge_follow"  # a revised draft's request, for the controls to follow
CHECKED = "challenge_checked"  # (text, channel) of the draft last checked


def render() -> None:
    st.session_state.setdefault(RESULT, None)
    svc = load()
    sidebar.render(svc)
    st.title("Challenge")
    st.caption(
        "For managers: a message that issues the Pivot to Leadership challenge to your team, "
        "grounded in the principles that fit your team's situation, and a check of your own draft."
    )
    draft_tab, check_tab = st.tabs(["Draft a challenge", "Check my draft"])
    with draft_tab:
        _draft(svc)
    with check_tab:
        _check(svc)


def _follow_the_draft() -> None:
    """After a revision ("as an email", "shorter"), the controls say what the draft now is.
    Set before the widgets exist: Streamlit refuses changes to a widget already drawn."""
    request: ChallengeRequest | None = st.session_state.pop(FOLLOW, None)
    if request is None:
        return
    st.session_state["challenge_channel"] = request.channel
    st.session_state["challenge_tone"] = request.tone
    if request.words is not None:
        st.session_state[f"challenge_words_{request.channel}"] = request.words


def _draft(svc: Services) -> None:
    engine = svc.challenge
    channels = engine.channels
    _follow_the_draft()
    situation = st.text_area(
        "Your team's situation, in your words",
        key="challenge_situation",
        max_chars=svc.settings.max_message_chars,
        placeholder="e.g. We missed Q3 by 20%, there's a lot of finger-pointing and morale is low.",
    )
    c1, c2 = st.columns(2)
    channel = c1.radio("Channel", CHANNELS, horizontal=True, key="challenge_channel")
    tone = c2.radio("Tone", TONES, horizontal=True, key="challenge_tone")
    spec = channels[channel]
    words = st.slider(
        "Length (words)",
        spec.min_words,
        spec.max_words,
        spec.default_words,
        step=10,
        key=f"challenge_words_{channel}",
    )
    st.markdown("**Before the draft** (optional; a challenge lands when its author goes first)")
    answers = {}
    for qid, text in engine.questions():
        answers[qid] = st.text_input(text, key=f"challenge_q_{qid}")
    if st.button("Draft it", type="primary", key="challenge_draft"):
        request = ChallengeRequest(
            situation=situation,
            channel=channel,
            tone=tone,
            words=words,
            commitment=answers.get("go-first") or None,
            sacrifice=answers.get("eat-last") or None,
        )
        try:
            st.session_state[RESULT] = engine.draft(request)
            _save(svc, st.session_state[RESULT])
        except CoachError as exc:
            st.warning(str(exc))
    result: DraftResult | None = st.session_state[RESULT]
    if result is None:
        return
    _show(svc, result)
    st.markdown("**Revise**")
    r1, r2, r3 = st.columns(3)
    revision = None
    if r1.button("Shorter", key="rev_shorter"):
        revision = "shorter"
    if r2.button("Warmer", key="rev_warmer"):
        revision = "warmer"
    if r3.button("More direct", key="rev_direct"):
        revision = "more direct"
    free = st.text_input("Or say how", key="rev_free", placeholder="e.g. as an email")
    if st.button("Revise", key="rev_apply") and free.strip():
        revision = free
    if revision:
        try:
            st.session_state[RESULT] = engine.revise(result, revision)
            _save(svc, st.session_state[RESULT], revision)
            st.session_state[FOLLOW] = st.session_state[RESULT].request
        except CoachError as exc:
            st.warning(str(exc))
            return
        st.rerun()


def _show(svc: Services, result: DraftResult) -> None:
    if result.notice:
        st.info(result.notice)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Draft**")
        st.code(result.draft, language=None, wrap_lines=True)
    with right:
        st.markdown("**Grounded in**")
        for pid in result.principle_ids:
            p = svc.parts.principles.get(pid)
            st.markdown(f"**{plain(p.title)}**")
            st.caption(f"\u201c{plain(p.source_quote)}\u201d")
    _findings(result.report)


def _findings(report: DraftReport) -> None:
    for f in report.findings:
        icon = ":material/check_circle:" if f.passed else ":material/error:"
        line = f"{icon} **{f.name.replace('_', ' ')}**: {plain(f.detail)}"
        if f.sentence and not f.passed:
            line += f" \u2014 \u201c{plain(f.sentence)}\u201d"
        st.markdown(line)


def _save(svc: Services, result: DraftResult, revision: str | None = None) -> None:
    try:
        record_draft(svc.store, result, revision)
    except StoreError as exc:
        st.warning(str(exc))


def _check(svc: Services) -> None:
    text = st.text_area(
        "Paste your draft", key="check_text", height=220, max_chars=svc.settings.max_message_chars
    )
    channel = st.radio("Channel", CHANNELS, horizontal=True, key="check_channel")
    checked = st.session_state.get(CHECKED)  # (text, channel) last checked
    if st.button("Check it", key="check_run"):
        checked = (text, channel)
    elif checked and checked[0] == text and checked[1] != channel:
        checked = (text, channel)  # the same draft, the other channel: check it again
    if not checked or checked[0] != text:
        return  # results stay until the draft itself changes
    st.session_state[CHECKED] = checked
    try:
        report = svc.challenge.check_draft(text, channel)
    except CoachError as exc:
        st.warning(str(exc))
        return
    _findings(report)
    st.markdown("**Principles it touches**")
    if not report.touched:
        st.caption("None clearly.")
    for m in report.touched:
        st.markdown(f"- **{plain(m.title)}**: \u201c{plain(m.sentence)}\u201d")
    titles = [svc.parts.principles.get(pid).title for pid in report.missed]
    st.markdown("**Principles it misses**: " + plain(", ".join(titles) or "none"))
