"""One coach turn: triage, retrieve, generate, guard; and the wrap-up.

`Coach` receives everything it uses in a `CoachParts` (principles, retriever, safety triage,
guards, the scripted coach's words, prompts, the chat model and a clock) and how to behave in a
`CoachOptions` (limits, timeouts, the canary). It holds no
per-session state: the session is read from the transcript it is given (`history`), so the same
engine serves the app, `coach chat`, `coach reply` and the evals. What a model tier is sent is
built in `prompting`, its reply taken in `model_reply`, a failed call explained in
`model_errors`; the turn's types are in `results`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from coach.behavior import Behavior
from coach.guards import GuardReport, ReplyContext
from coach.limits import Limits, readable
from coach.llm import Tier, citations_start
from coach.parts import CoachParts
from coach.principles import Stage
from coach.reflect.history import SessionView, curated_owners, read_session
from coach.reflect.model_errors import describe_error, retry_wait
from coach.reflect.model_reply import (
    Progress,
    attempt_record,
    failures,
    parse_reply,
    stream_into,
)
from coach.reflect.prompting import chat_messages, retry_messages, turn_prompt
from coach.reflect.results import EmptyMessage, GuardOutcome, TurnResult
from coach.reflect.scripted import shorten_phrase, stage_for
from coach.retrieval import Hit
from coach.safety import Answer, Triage, Verdict
from coach.text import asks, normalize_question, questions
from coach.turns import Turn
from coach.understanding import CONTINUING, Move, Reading

# Principles a turn ranks among: the top few by retrieval, so the session's thread can stay.
CANDIDATES = 5
CLOSE_SCORES = 0.03  # hits this close to the best count as ties: prefer an unexplored one


@dataclass
class CoachOptions:
    """How one coach behaves, from settings; its parts come in a `CoachParts`."""

    wrap_up_after_turns: int = 8
    model_timeout_s: float = 30.0
    max_reply_chars: int = 1200  # about three times the longest reply the guards accept
    limits: Limits = field(default_factory=Limits)
    model_retries: int = 1  # on a rate limit or server error, within the timeout; never a timeout
    sleep: Callable[[float], None] = time.sleep
    # Planted in the system prompt; a reply that contains it has leaked the prompt.
    canary: str = field(default_factory=lambda: f"PC-{secrets.token_hex(4).upper()}")


class Coach:
    def __init__(self, parts: CoachParts, options: CoachOptions | None = None) -> None:
        self.parts = parts
        self.options = options or CoachOptions()

    @property
    def canary(self) -> str:
        """The string planted in this coach's system prompt: a reply holding it leaked."""
        return self.options.canary

    # -- public ---------------------------------------------------------------------------------

    def respond(self, messages: Sequence[Turn]) -> TurnResult:
        """The coach's next turn for the last user message."""
        result: TurnResult | None = None
        for event in self.stream(messages):
            if isinstance(event, TurnResult):
                result = event
        assert result is not None
        return result

    def stream(self, messages: Sequence[Turn]) -> Iterator[str | TurnResult]:
        """Like `respond`, but yields the model's text as it arrives, then the final result.

        The final reply can differ from the streamed text: when the model's reply fails the
        guards, the result carries the corrected or fallback reply and a notice. When the
        message held hidden characters, the result says they were removed.
        """
        hidden: str | None = None
        messages = _readable(messages)
        for event in self._turn(messages):
            if isinstance(event, Triage):
                hidden = self.parts.safety.rules.hidden_notice(event.notes)
            elif isinstance(event, TurnResult) and hidden and not event.notice:
                yield replace(event, notice=hidden)
            else:
                yield event

    def _turn(self, messages: Sequence[Turn]) -> Iterator[str | TurnResult | Triage]:
        start = self.parts.clock()
        latest = self.options.limits.message(_latest_user(messages))
        view = read_session(self.parts, messages[:-1])
        self.options.limits.turns(view.seller_turns + 1)
        # Triage comes before everything, the wrap-up included: "I'm done. Not with the deal.
        # With everything." asks for care, not a summary.
        triage = self.parts.safety.triage(latest)
        yield triage  # for `stream`, which tells the seller what was removed
        if triage.verdict is Verdict.CRISIS or view.crisis:
            yield self._crisis(triage, view, start)
            return
        if triage.verdict is not Verdict.CONCERN and self.parts.script.asks_to_wrap_up(latest):
            yield self.wrap_up(messages, _start=start)
            return
        cleared = False
        if view.check_in_open:
            answer = self.parts.safety.check_in_answer(latest)
            if answer is Answer.YES:
                # Told, not asked again: thanks, and their safety now.
                rules = self.parts.safety.rules
                yield self._care(Behavior.CRISIS, rules.check_in_disclosed, triage, start)
                return
            if answer is Answer.UNCLEAR:
                yield self._check_in(triage, start, asked=view.check_ins)
                return
            cleared = True  # "no, just a brutal week": back to the reflection, gently
        elif triage.verdict is Verdict.CONCERN:
            yield self._check_in(triage, start)
            return
        said = {m.text for m in messages if m.role == "assistant"}
        if not triage.ok and not cleared:
            text = self.parts.safety.rules.redirect_for(triage.verdict, said, triage.says)
            yield self._redirect(triage, text, start)
            return
        if view.last_focus is not None and self.parts.script.asks_what_was_meant(latest):
            # "What do you mean?" is part of the conversation: the same principle, asked
            # another way, on every tier (it had been turned away as a request).
            turn = self._scripted(
                latest, [], [view.last_focus], stage_for(view.coaching_turns + 1), view, False, []
            )
            ack = self.parts.script.spec.clarify_acknowledgement
            yield self._finish(turn, start, latest, reply=f"{ack} {_question_of(turn.reply)}")
            return

        readings = self._readings(messages)
        reading = _in_thread(readings)
        readings[-1] = reading
        vague = reading.move is Move.VAGUE or self.parts.script.is_vague(latest)
        hits = self.parts.retriever.retrieve(self._query(messages, latest, vague), k=CANDIDATES)
        relevant = self.parts.retriever.is_reflection(hits)
        if (
            not cleared
            # "What should I do?" in the middle of a reflection is part of it: handed back.
            and not (view.in_conversation and reading.move is Move.QUESTION)
            and self.parts.script.is_request(latest)
            and not (
                relevant
                and self.parts.retriever.is_reflection(self.parts.retriever.retrieve(latest, k=1))
            )
        ):
            # A request for something else, judged on its own words (the retrieval query may
            # have borrowed context from the previous message).
            rules = self.parts.safety.rules
            says = rules.name_request(Verdict.OFF_TOPIC, latest)
            yield self._redirect(
                Triage(Verdict.OFF_TOPIC, "a request, below the relevance threshold", "retrieval"),
                rules.redirect_for(Verdict.OFF_TOPIC, said, says),
                start,
            )
            return
        # Mid-conversation, a weakly matching answer usually continues the thread: stay with
        # the current principle when it is still among the candidates.
        top_ids = [h.id for h in hits[:3]]
        # An insight, a commitment, a short answer or a feeling continues the thread the
        # seller is on: the principle stays, so a follow-up does not jump to the next one.
        stay = view.last_focus is not None and (
            vague
            or reading.move in CONTINUING
            or reading.move in (Move.QUESTION, Move.PUSHBACK)
            or (bool(reading.feelings) and reading.move is Move.FEELING)
            or (not relevant and view.last_focus in top_ids)
        )
        ranked = self._rank(hits, view, stay)
        stage = stage_for(view.coaching_turns + 1)
        scripted = self._scripted(latest, hits, ranked, stage, view, vague, readings)
        if cleared:
            # Right after "no, nothing like that": the coach's own gentle words, no model, and
            # the resources stay in reach.
            rules = self.parts.safety.rules
            yield self._finish(
                scripted,
                start,
                latest,
                reply=f"{rules.check_in_cleared} {_question_of(scripted.reply)}",
                resources=rules.resources,
            )
            return

        if self.parts.chat.model is None:
            yield self._finish(scripted, start, latest)
            return
        yield from self._with_model(
            messages, latest, hits, ranked, stage, view, scripted, start, reading
        )

    def wrap_up(self, messages: Sequence[Turn], *, _start: float | None = None) -> TurnResult:
        """A short summary in the seller's words, one commitment, and the mirror question."""
        start = self.parts.clock() if _start is None else _start
        messages = _readable(messages)
        view = read_session(self.parts, messages)
        if view.crisis:
            return self._crisis(Triage(Verdict.OK), view, start)
        seller_texts = [
            m.text for n, m in enumerate(messages) if m.role == "user" and n not in view.private
        ]
        readings = self.parts.reader.read_many(seller_texts)
        # Words that bear on a principle: never an excuse filed under "Take ownership".
        aside = {r.text for r in readings if r.move in _NOT_EVIDENCE}
        explored = []
        for pid in view.explored[:4]:
            explored.append(
                (
                    self.parts.principles.get(pid),
                    self._phrase_for(messages, pid, view.private | _indexes(messages, aside)),
                )
            )
        commitments = _commitments_of(readings)
        says: list[str] = []
        for r in readings:
            for f in r.feelings[:1]:
                if f.say not in says:
                    says.append(f.say)
        reply = self.parts.script.wrap_up(
            explored,
            commitments,
            self.parts.principles.mirror_question,
            feelings=self.parts.listening.feelings_line(says[:3]),
        )
        report = self._check_wrap_up(reply)
        return TurnResult(
            reply=reply,
            behavior=Behavior.WRAP_UP,
            principle_ids=tuple(view.explored),
            focus_principle="mirror" if "mirror" in self.parts.principles else None,
            guard=GuardOutcome(
                model_passed=None, final_passed=report.passed, checks=report.as_dict()
            ),
            tier=self.parts.chat.tier,
            model=self.parts.chat.model_name,
            latency_ms=self._ms(start),
        )

    # -- steps ----------------------------------------------------------------------------------

    def _query(self, messages: Sequence[Turn], latest: str, vague: bool) -> str:
        """The latest message, plus the previous one when the latest is short."""
        if len(latest.split()) >= 12 and not vague:
            return latest
        earlier = [m.text for m in messages[:-1] if m.role == "user"]
        return f"{earlier[-1]} {latest}" if earlier else latest

    def _rank(self, hits: Sequence[Hit], view: SessionView, vague: bool) -> list[str]:
        ids = [h.id for h in hits]
        if vague and view.last_focus:
            return [view.last_focus] + [i for i in ids if i != view.last_focus]
        best = hits[0].score
        close = [h.id for h in hits if h.score >= best - CLOSE_SCORES]
        fresh = [pid for pid in close if pid not in view.explored]
        first = fresh[0] if fresh else ids[0]
        return [first] + [i for i in ids if i != first]

    def _readings(self, messages: Sequence[Turn]) -> list[Reading]:
        """The reader's view of the seller's messages, oldest first (the latest last)."""
        texts = [m.text for m in messages if m.role == "user"][-4:]
        return self.parts.reader.read_many(texts)

    def _scripted(
        self,
        latest: str,
        hits: Sequence[Hit],
        ranked: Sequence[str],
        stage: Stage,
        view: SessionView,
        vague: bool,
        readings: Sequence[Reading],
    ) -> TurnResult:
        focus = ranked[0]
        turn_index = view.coaching_turns
        principle_id = focus
        used_stage: str = stage
        reading = readings[-1] if readings else None
        if reading is not None and vague and reading.move is not Move.VAGUE:
            reading = replace(reading, move=Move.VAGUE)
        if reading is None:  # "what do you mean?": the same principle's next question
            q = self.parts.script.question(ranked, stage, view.asked) or self.parts.script.question(
                ranked, stage, set()
            )
            assert q is not None
            question_text, principle_id, used_stage = q.text, q.principle_id, q.stage
            reply = question_text
            move = None
            evidence = None
        else:
            previous = readings[-2] if len(readings) >= 2 else None
            listened = self.parts.listening.respond(
                reading,
                turn=turn_index,
                asked=view.asked,
                previous=previous,
                lens=self.parts.principles.get(focus).title,
                asked_before=any(r.move is Move.QUESTION for r in readings[:-1]),
                # Late in a session, with no step named yet, the coach turns toward one.
                commit_stage=stage == "commit"
                and not any(r.move is Move.COMMITMENT for r in readings),
            )
            asked_now = listened.question
            if asked_now is None and listened.move is Move.VAGUE:
                asked_now = self.parts.script.vague_question(view.asked)
            if asked_now is None:  # a story: the principle's own question, about it
                q = self.parts.script.question(ranked, stage, view.asked)
                if q is None:  # every curated question has been asked: time to wrap up
                    q = self.parts.script.question(ranked, stage, set())
                    assert q is not None
                principle_id, used_stage = q.principle_id, q.stage
                asked_now = self.parts.listening.bridge(q.text, reading.thing)
            reply = f"{listened.reflection} {asked_now}".strip()
            move = listened.move.value
            evidence = reading.thing
        notice = None
        if view.seller_turns + 1 >= self.options.wrap_up_after_turns:
            notice = self.parts.script.spec.turn_limit_notice
        return TurnResult(
            reply=reply,
            behavior=Behavior.SOCRATIC,
            principle_ids=(principle_id,),
            focus_principle=principle_id,
            guard=GuardOutcome(model_passed=None, final_passed=True),
            tier=Tier.SCRIPTED,
            model="curated questions",
            latency_ms=0,
            notice=notice,
            stage=used_stage,
            evidence=evidence,
            retrieved=tuple(h.id for h in hits),
            move=move,
        )

    def _quotable(self, hit: Hit, latest: str) -> str:
        """Words to quote back: only ever the seller's latest message (the retrieval query can
        include the one before it)."""
        keywords = list(self.parts.retriever.lexicon.vocabulary(hit.id))
        source = hit.evidence if hit.evidence and hit.evidence in latest else latest
        return shorten_phrase(source, keywords)

    def _finish(
        self, scripted: TurnResult, start: float, seller_text: str, **changes: Any
    ) -> TurnResult:
        """Guard the scripted reply too: the data it is made of must keep the rules."""
        reply = changes.pop("reply", scripted.reply)
        report = self.parts.guards.check(
            reply,
            ReplyContext(
                principle_ids=scripted.principle_ids,
                retrieved_ids=scripted.principle_ids,
                canary=self.options.canary,
                seller_text=seller_text,
            ),
        )
        guard = changes.pop("guard", GuardOutcome(model_passed=None, final_passed=report.passed))
        guard = GuardOutcome(
            model_passed=guard.model_passed,
            final_passed=report.passed,
            retried=guard.retried,
            fallback=guard.fallback,
            checks=report.as_dict(),
            model_checks=guard.model_checks,
        )
        base = {
            "tier": self.parts.chat.tier,
            "model": self.parts.chat.model_name,
        }
        fields = {**asdict(scripted), **base, **changes}
        fields.update(
            reply=reply,
            guard=guard,
            behavior=scripted.behavior,
            principle_ids=tuple(fields["principle_ids"]),
            resources=tuple(fields["resources"]),
            retrieved=tuple(fields["retrieved"]),
            latency_ms=self._ms(start),
        )
        return TurnResult(**fields)

    def _with_model(
        self,
        messages: Sequence[Turn],
        latest: str,
        hits: Sequence[Hit],
        ranked: Sequence[str],
        stage: Stage,
        view: SessionView,
        scripted: TurnResult,
        start: float,
        reading: Reading,
    ) -> Iterator[str | TurnResult]:
        model = self.parts.chat.model
        assert model is not None
        retrieved = [h.id for h in hits[:3]]
        if ranked[0] not in retrieved:
            retrieved.insert(0, ranked[0])
        system = self.parts.prompts.render("system", canary=self.options.canary)
        turn = turn_prompt(
            self.parts.prompts,
            self.parts.principles,
            retrieved=retrieved,
            reading=reading,
            latest=latest,
            stage=stage,
            focus_id=ranked[0],
            asked=view.asked,
        )
        chat = chat_messages(system, messages, turn)
        attempts: list[dict[str, Any]] = []

        def ctx(ids: Sequence[str]) -> ReplyContext:
            return ReplyContext(
                principle_ids=ids,
                retrieved_ids=retrieved,
                canary=self.options.canary,
                seller_text=latest,
                system_prompt=system,
                instructions=self.parts.prompts.get("turn").fixed_text,
            )

        try:
            # The seller waits at most the configured timeout for the whole turn, retries and
            # the guard's second attempt included.
            deadline = start + self.options.model_timeout_s
            progress = Progress()
            shown_ctx = ctx(())  # what a prefix is checked against
            tries = 0
            while True:
                try:
                    yield from stream_into(
                        progress,
                        self._stream(model, chat, deadline - self.parts.clock()),
                        max_chars=self.options.max_reply_chars,
                        passes=lambda prefix: (
                            self.parts.guards.prefix_checks(prefix, shown_ctx).passed
                        ),
                        overdue=lambda: self.parts.clock() > deadline,
                    )
                    break
                except Exception as exc:
                    wait = self._retry_wait(exc, tries, deadline, progress)
                    if wait is None:
                        raise
                    tries += 1
                    self.options.sleep(wait)
            raw, shown, blocked = progress.raw, progress.shown, progress.blocked
            reply, ids = parse_reply(raw)
            report = self._check_model(raw, ids, ctx(ids), view)
            attempts.append(attempt_record(raw, report))
            if report.passed and not blocked:
                rest = raw[shown : citations_start(raw)]
                if rest.strip():
                    yield rest
            model_passed = report.passed
            retried = False
            if not report.passed:
                retried = True
                chat += retry_messages(self.parts.prompts, raw, report, retrieved)
                left = deadline - self.parts.clock()
                if left < 1.0:
                    raise TimeoutError("no time left for a second attempt")
                raw = str(self._invoke(model, chat, left).content)
                reply, ids = parse_reply(raw)
                report = self._check_model(raw, ids, ctx(ids), view)
                attempts.append(attempt_record(raw, report))
            if report.passed:
                focus = ids[0]
                yield TurnResult(
                    reply=reply,
                    behavior=Behavior.SOCRATIC,
                    principle_ids=tuple(ids),
                    focus_principle=focus,
                    guard=GuardOutcome(
                        model_passed=model_passed,
                        final_passed=True,
                        retried=retried,
                        checks=report.as_dict(),
                        model_checks=attempts,
                    ),
                    tier=self.parts.chat.tier,
                    model=self.parts.chat.model_name,
                    latency_ms=self._ms(start),
                    stage=stage,
                    notice=scripted.notice,
                    retrieved=tuple(retrieved),
                )
                return
            notice = self.parts.script.spec.model_guard_notice.format(reason=failures(report, ", "))
            yield self._finish(
                scripted,
                start,
                latest,
                notice=notice,
                guard=GuardOutcome(
                    model_passed=model_passed,
                    final_passed=True,
                    retried=True,
                    fallback=True,
                    model_checks=attempts,
                ),
            )
        except Exception as exc:  # a model fault must never leave the seller without a reply
            reason = describe_error(exc)
            yield self._finish(
                scripted,
                start,
                latest,
                notice=self.parts.script.spec.model_error_notice.format(reason=reason),
                guard=GuardOutcome(
                    model_passed=False if attempts else None,
                    final_passed=True,
                    fallback=True,
                    model_checks=attempts or [{"error": reason}],
                ),
            )

    def _stream(self, model: Any, chat: list[Any], left: float) -> Iterator[Any]:
        # The openai tier takes a per-request timeout: what is left of the seller's budget.
        if self.parts.chat.tier is Tier.OPENAI:
            return iter(model.stream(chat, timeout=max(left, 0.1)))
        return iter(model.stream(chat))

    def _invoke(self, model: Any, chat: list[Any], left: float) -> Any:
        if self.parts.chat.tier is Tier.OPENAI:
            return model.invoke(chat, timeout=left)
        return model.invoke(chat)

    def _retry_wait(
        self, exc: BaseException, tries: int, deadline: float, progress: Progress
    ) -> float | None:
        """Seconds to wait before trying the model again, or None to give up now: once at
        most (a timeout never), when nothing has reached the screen and the wait fits the
        budget."""
        if tries >= self.options.model_retries or progress.shown:
            return None
        wait = retry_wait(exc)
        # Room for the wait and a reply after it; otherwise the scripted question, now.
        return wait if wait is not None and self.parts.clock() + wait + 1.0 < deadline else None

    def _check_model(
        self, raw: str, ids: Sequence[str], ctx: ReplyContext, view: SessionView
    ) -> GuardReport:
        """Every check on the reply shown; compliance on the model's own lines, since a list or
        verse is a matter of line breaks, which the reply shown no longer has."""
        reply, _ = parse_reply(raw)
        report = self.parts.guards.check(reply, ctx)
        compliance = self.parts.guards.compliant(raw[: citations_start(raw)], ctx)
        report = GuardReport(
            tuple(compliance if c.name == compliance.name else c for c in report.checks)
        )
        repeated = [q for q in questions(reply) if normalize_question(q) in view.asked]
        if repeated:
            from coach.guards import CheckResult

            report = GuardReport((*report.checks, CheckResult("new_question", False, repeated[0])))
        return report

    def _check_wrap_up(self, reply: str) -> GuardReport:
        from coach.guards import CheckResult

        mirror = self.parts.principles.mirror_question
        checks = (
            CheckResult("ends_with_mirror", reply.rstrip().endswith(mirror), mirror),
            self.parts.guards.no_blame(reply),
            self.parts.guards.no_leak(reply, ReplyContext(canary=self.options.canary)),
        )
        return GuardReport(checks)

    def _crisis(self, triage: Triage, view: SessionView, start: float) -> TurnResult:
        rules = self.parts.safety.rules
        if triage.urgent or view.danger_now:
            # Danger now: getting safe comes before anything else, for the rest of the session
            # ("still here" after a cord at the neck is no time for "reach out today"); the two
            # texts take turns so that a second message does not meet the same words.
            urgent = rules.danger_now_replies
            reply = urgent[view.crisis_replies % len(urgent)]
            return self._care(Behavior.CRISIS, reply, triage, start)
        first = triage.verdict is Verdict.CRISIS and not view.crisis
        if first:
            return self._care(Behavior.CRISIS, rules.crisis_reply, triage, start)
        follow_ups = rules.crisis_follow_ups
        reply = follow_ups[max(view.crisis_replies - 1, 0) % len(follow_ups)]
        return self._care(Behavior.CRISIS, reply, triage, start)

    def _check_in(self, triage: Triage, start: float, *, asked: int = 0) -> TurnResult:
        """Concern: ask plainly about suicide, with the resources, and do not coach. Asked
        twice with no answer either way, the coach stops asking and stays."""
        rules = self.parts.safety.rules
        if asked == 0:
            reply = rules.check_in
        elif asked == 1:
            reply = rules.check_in_again
        else:
            reply = rules.check_in_held[(asked - 2) % len(rules.check_in_held)]
        return self._care(Behavior.CHECK_IN, reply, triage, start)

    def _care(self, behavior: Behavior, reply: str, triage: Triage, start: float) -> TurnResult:
        rules = self.parts.safety.rules
        # The resources are part of what the seller sees: check the reply with them.
        shown = " ".join([reply, *rules.resources])
        ctx = ReplyContext(crisis=True, canary=self.options.canary)
        report = GuardReport(
            (self.parts.guards.crisis_safe(shown, ctx), self.parts.guards.no_leak(shown, ctx))
        )
        return TurnResult(
            reply=reply,
            behavior=behavior,
            principle_ids=(),
            focus_principle=None,
            guard=GuardOutcome(
                model_passed=None, final_passed=report.passed, checks=report.as_dict()
            ),
            tier=self.parts.chat.tier,
            model=self.parts.chat.model_name,
            latency_ms=self._ms(start),
            # Care comes first; a seller writing in another language is told, after it, that
            # the coach works in English.
            notice=None if triage.language.english else rules.language_reply,
            resources=rules.resources,
            triage=triage.verdict if triage.verdict.risk else Verdict.CRISIS,
            triage_evidence=triage.matched,
        )

    def _redirect(self, triage: Triage, text: str, start: float) -> TurnResult:
        return TurnResult(
            reply=text,
            behavior=Behavior.REDIRECT,
            principle_ids=(),
            focus_principle=None,
            guard=GuardOutcome(model_passed=None, final_passed=True),
            tier=self.parts.chat.tier,
            model=self.parts.chat.model_name,
            latency_ms=self._ms(start),
            triage=triage.verdict,
            triage_evidence=triage.matched,
        )

    def _phrase_for(
        self, messages: Sequence[Turn], pid: str, private: Collection[int] = ()
    ) -> str | None:
        """The seller's words that led to the coach's first question on this principle (never
        words that raised a risk, nor the answer to a check-in)."""
        previous_user: str | None = None
        for n, m in enumerate(messages):
            if m.role == "user":
                previous_user = None if n in private else m.text
            elif previous_user and pid in (
                m.principle_ids or curated_owners(self.parts.script, questions(m.text))
            ):
                if self.parts.script.is_vague(previous_user):
                    continue
                every = len(self.parts.principles.ids)
                hits = self.parts.retriever.retrieve(previous_user, k=every)
                hit = next((h for h in hits if h.id == pid), None)
                return self._quotable(hit, previous_user) if hit else None
        return None

    def _ms(self, start: float) -> int:
        return round((self.parts.clock() - start) * 1000)


def _in_thread(readings: list[Reading]) -> Reading:
    """The latest reading, in the conversation's thread: a short answer right after a
    commitment ("probably friday at the team meeting") makes that commitment concrete."""
    latest = readings[-1]
    previous = readings[-2] if len(readings) >= 2 else None
    if (
        previous is not None
        and previous.move is Move.COMMITMENT
        and latest.move in (Move.STORY, Move.VAGUE)
        and len(latest.text.split()) <= 15
        and len(latest.text.split()) > 1
    ):
        return replace(latest, move=Move.COMMITMENT, commitment=previous.commitment)
    return latest


# Messages whose words never stand for a principle in the wrap-up.
_NOT_EVIDENCE = (Move.BLAME, Move.PUSHBACK, Move.QUESTION, Move.VAGUE)


def _indexes(messages: Sequence[Turn], texts: Collection[str]) -> frozenset[int]:
    return frozenset(n for n, m in enumerate(messages) if m.role == "user" and m.text in texts)


def _commitments_of(readings: Sequence[Reading]) -> list[str]:
    """The seller's commitments, whole, oldest first, at most the last two: a seller who
    plans a call on Monday and a change to the forecast has made two, and both are theirs.
    A clause the reader's words found ("I'll...", "thank her publicly") outranks a message
    only the classifier called a commitment ("what if it bombs in front of the CRO")."""
    found: list[str] = []
    guessed: list[str] = []
    for r in readings:
        if not r.commitment or r.move in (Move.QUESTION, Move.PUSHBACK):
            continue
        (found if r.clause else guessed).append(r.commitment)
    if not found and not guessed:
        found = [
            c
            for r in readings[-3:]
            if (c := r.clause) and r.move not in (Move.QUESTION, Move.PUSHBACK)
        ]
    chosen = found or guessed[-1:]
    # A plan's "when", answered after it ("probably tuesday, he's back from PTO monday"), is
    # part of it: the last message read as a commitment always comes along.
    # A worry asked as a question ("what if it bombs in front of the CRO?") is not a plan.
    last = next((r.commitment for r in reversed(readings) if r.commitment), None)
    if last and asks(last):
        last = None
    if last:
        chosen.append(last)
    return list(dict.fromkeys(chosen))[-2:]


def _question_of(reply: str) -> str:
    """The question a scripted reply ends with (its last sentence)."""
    qs = questions(reply)
    return qs[-1] if qs else reply


def _readable(messages: Sequence[Turn]) -> list[Turn]:
    """Every message storable and printable: lone surrogates (from JSON) as U+FFFD."""
    return [replace(m, text=readable(m.text)) for m in messages]


def _latest_user(messages: Sequence[Turn]) -> str:
    if not messages or messages[-1].role != "user":
        raise EmptyMessage("There is no message from you to answer yet.")
    text = messages[-1].text.strip()
    if not text:
        raise EmptyMessage("Your message is empty: write a few words about your week.")
    return text
