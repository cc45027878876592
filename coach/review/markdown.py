"""A review as Markdown: the scorecard, a warning when the seller used crisis language, each
turn with its principles and flags, the next questions and any narrative. The transcript's
words are made inert (coach/inert.py): they are quoted, never rendered as Markdown."""

from __future__ import annotations

from coach.inert import for_markdown
from coach.principles import PrincipleSet
from coach.review.scorecard import Review


def to_markdown(review: Review, principles: PrincipleSet) -> str:
    s = review.scorecard
    trend = s.blame_to_ownership
    title = for_markdown(str(review.session.title or "transcript"))

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    lines = [
        f"# Review: {title}",
        "",
        "## Scorecard",
        "",
        "| measure | value |",
        "| --- | --- |",
        "| Principle fidelity (questions on what the seller raised) | "
        f"{pct(s.principle_fidelity)} |",
        "| Socratic quality (one open, non-leading question, no advice) | "
        f"{pct(s.socratic_quality)} |",
        f"| Blame to ownership | {trend.direction or 'n/a'} ({trend.trend}) |",
        f"| Questions per coach turn | {s.questions_per_coach_turn} |",
        f"| Principles named before the seller raised them | {s.telling} |",
        "",
        "Explored: " + (", ".join(principles.get(p).title for p in s.explored) or "none"),
        "",
        "Never explored: "
        + (", ".join(principles.get(p).title for p in s.never_explored) or "none"),
        "",
    ]
    if s.crisis:
        lines += ["**The seller used crisis language in this session: check on them first.**", ""]
    for seq in s.coached_through_crisis:
        turn = next(t for t in review.turns if t.seq == seq)
        said = for_markdown(turn.text)
        lines += [f"**The coach coached through it at turn {seq}:** \u201c{said}\u201d", ""]
    lines += ["## Turn by turn", ""]
    for t in review.turns:
        who = "Seller" if t.role == "seller" else "Coach"
        lines.append(f"**{t.seq}. {who}:** {for_markdown(t.text)}")
        if t.principles:
            lines.append(f"- principles: {', '.join(t.principles)}")
        for f in t.flags:
            lines.append(f"- {f.name.replace('_', ' ')}: \u201c{for_markdown(f.evidence)}\u201d")
        lines.append("")
    if review.suggestions:
        lines += ["## Suggested next questions", ""]
        lines += [f"- *{q.title}*: {for_markdown(q.question)}" for q in review.suggestions]
        lines.append("")
    if review.narrative:
        lines += [
            "## Narrative (written by a language model; the numbers above are not)",
            "",
            review.narrative,
            "",
        ]
    return "\n".join(lines)
