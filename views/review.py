"""Review: coaches review reflection transcripts against the principles."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from coach.review import Review, ReviewInputError, read_transcript, to_markdown
from coach.transcripts import SessionNotFound, SessionRecord, Transcript
from views import sidebar
from views.services import Services, load
from views.text import label, plain

SOURCES = ["A saved session", "Upload a file", "Paste text"]


PASTED = "review_pasted_reviewed"  # the pasted text last sent to review


def render() -> None:
    svc = load()
    sidebar.render(svc)
    st.title("Review")
    st.caption(
        "For coaches: turn by turn, which principles came up, blame and ownership, time horizon, "
        "and the quality of the coach's questions; a scorecard and next questions."
    )
    one, many = st.tabs(["One session", "A seller over time"])
    with one:
        transcript = _pick(svc)
        if transcript is not None:
            _show(svc, svc.reviewer.review(transcript))
    with many:
        _over_time(svc)


def _pick(svc: Services) -> Transcript | None:
    source = st.radio("Transcript", SOURCES, horizontal=True, key="review_source")
    limit = svc.reviewer.max_bytes
    try:
        if source == SOURCES[0]:
            sessions = svc.store.list_sessions(limit=200, mode="reflect")
            if not sessions:
                st.info("No saved reflections yet; upload or paste a transcript instead.")
                return None
            by_id = {s.id: s for s in sessions}
            choice = st.selectbox(
                "Session",
                list(by_id),
                format_func=lambda sid: _session_label(by_id[sid]),
                key="review_session",
            )
            return svc.store.get(choice) if choice else None
        if source == SOURCES[1]:
            upload = st.file_uploader(
                "A JSON export from this app, or text with Seller:/Coach: prefixes",
                type=["json", "txt", "md"],
                key="review_upload",
            )
            return read_transcript(upload.getvalue(), upload.name, limit) if upload else None
        pasted = st.text_area(
            "Paste a transcript (Seller:/Coach: or User:/Assistant: at the start of each turn)",
            key="review_paste",
            height=200,
            max_chars=limit,
        )
        # The transcript stays reviewed until the text changes: the reruns a download or a
        # tab switch cause must not take it away.
        if st.button("Review it", key="review_paste_run"):
            st.session_state[PASTED] = pasted
        if not pasted or st.session_state.get(PASTED) != pasted:
            return None
        return read_transcript(pasted.encode("utf-8"), "The pasted text", limit)
    except (ReviewInputError, SessionNotFound) as exc:
        st.error(str(exc))
        return None


def _show(svc: Services, review: Review) -> None:
    s = review.scorecard
    if s.crisis:
        st.error("The seller used crisis language in this session: check on them first.")
    a, b, c = st.columns(3)
    a.metric(
        "Principle fidelity",
        _pct(s.principle_fidelity),
        help="Coach questions that take up what the seller raised.",
    )
    b.metric(
        "Socratic quality",
        _pct(s.socratic_quality),
        help="Coach turns with one open, non-leading question and no advice.",
    )
    trend = s.blame_to_ownership
    c.metric(
        "Blame to ownership",
        "n/a" if trend.trend is None else f"{trend.trend:+.1f}",
        help="Ownership minus blame language per seller turn, second half against first.",
    )
    if trend.direction:
        c.caption(trend.direction)
    if trend.per_seller_turn:
        st.caption("Ownership minus blame, seller turn by turn")
        st.bar_chart(
            pd.DataFrame(
                {
                    "seller turn": range(1, len(trend.per_seller_turn) + 1),
                    "ownership - blame": list(trend.per_seller_turn),
                }
            ),
            x="seller turn",
            y="ownership - blame",
            height=160,
        )
    titles = svc.parts.principles
    st.markdown(
        "**Explored:** " + plain(", ".join(titles.get(p).title for p in s.explored) or "none")
    )
    st.markdown(
        "**Never explored:** "
        + plain(", ".join(titles.get(p).title for p in s.never_explored) or "none")
    )
    if review.suggestions:
        st.markdown("**Suggested next questions**")
        for q in review.suggestions:
            st.markdown(f"- {plain(q.question)} *({plain(q.title)})*")
    st.markdown("**Turn by turn**")
    for t in review.turns:
        who = "Seller" if t.role == "seller" else "Coach"
        head = f"{t.seq}. {who}: {label(t.text)}"
        with st.expander(head, expanded=False):
            st.markdown(plain(t.text))
            if t.principles:
                st.caption("Principles: " + ", ".join(titles.get(p).title for p in t.principles))
            for f in t.flags:
                st.markdown(f"- **{f.name.replace('_', ' ')}**: \u201c{plain(f.evidence)}\u201d")
    st.download_button(
        "Export review (Markdown)",
        to_markdown(review, titles),
        file_name="review.md",
        mime="text/markdown",
        key="review_export",
        on_click="ignore",
    )


def _over_time(svc: Services) -> None:
    """Which principles one seller has explored across sessions, and which they keep avoiding."""
    sessions = sorted(
        svc.store.list_sessions(limit=200, mode="reflect"), key=lambda s: s.started_at
    )
    if len(sessions) < 2:
        st.info("This needs at least two saved reflections.")
        return
    by_id = {s.id: s for s in sessions}
    chosen = st.multiselect(
        "Sessions of one seller",
        list(by_id),
        default=list(by_id)[-6:],
        format_func=lambda sid: _session_label(by_id[sid]),
        key="review_many",
    )
    if not chosen:
        return
    rows = []
    for sid in chosen:
        review = svc.reviewer.review(svc.store.get(sid))
        when = by_id[sid].started_minute.strftime("%d %b %H:%M")
        for pid in svc.parts.principles.ids:
            rows.append(
                {
                    "session": when,
                    "principle": svc.parts.principles.get(pid).title,
                    "explored": pid in review.scorecard.explored,
                }
            )
    frame = pd.DataFrame(rows)
    chart = (
        alt.Chart(frame)
        .mark_rect(stroke="white")
        .encode(
            x=alt.X("session:N", sort=None, title="Session"),
            y=alt.Y("principle:N", title=None),
            color=alt.Color(
                "explored:N",
                scale=alt.Scale(domain=[True, False], range=["#2e7d32", "#eceff1"]),
                title="Explored",
            ),
            tooltip=["session", "principle", "explored"],
        )
        .properties(height=360)
    )
    st.altair_chart(chart, width="stretch")
    counts = frame.groupby("principle")["explored"].sum()
    avoided = sorted(p for p, n in counts.items() if n == 0)
    st.markdown(
        "**Keeps avoiding:** "
        + plain(", ".join(avoided) or "nothing: every principle came up at least once")
    )


def _session_label(s: SessionRecord) -> str:
    return f"{s.started_label} · {s.title or '(empty)'}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
