"""One coach turn: triage, retrieve, generate, guard; and the wrap-up.

`Coach` receives everything it uses in a `CoachParts` (principles, retriever, safety triage,
guards, the scripted coach's words, prompts, the chat model and a clock) and how to behave in a
`CoachOptions` (limits, timeouts, the canary). It holds no
per-session state: the session is read from the transcript it is given, so the same engine
serves the app, `coach chat`, `coach reply` and the evals.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from coach.behavior import CARE, Behavior, Recorded
from coach.errors import CoachError
from coach.guards import GuardReport, ReplyContext
from coach.limits import Limits, readable
from coach.llm import Tier, citations_start, split_citations
from coach.parts import CoachParts
from coach.principles import Stage
from coach.reflect.scripted import shorten_phrase, stage_for
from coach.retrieval import Hit
from coach.safety import Answer, Triage, Verdict
from coach.text import asks, normalize_question, one_line, questions, sentence_ends
from coach.understanding import CONTINUING, Move, Reading

Role = Literal["user", "assistant"]
# Principles a turn ranks among: the top few by retrieval, so the session's thread can stay.
CANDIDATES = 5
CLOSE_SCORES = 0.03  # hits this close to the best count as ties: prefer an unexplored one


class EmptyMessage(CoachError, ValueError):
    """The seller's message is empty."""


@dataclass(frozen=True)
class Message:
    role: Role
    content: str
    principle_ids: tuple[str, ...] = ()
    behavior: Recorded | None = None


@dataclass(frozen=True)
class GuardOutcome:
    """What the guards said. The model's own result is kept apart from the final one, so a
    fallback's success is never reported as the model's."""

    model_passed: bool | None  # None when no model wrote the reply (scripted tier, triage)
    final_passed: bool
    retried: bool = False
    fallback: bool = False
    checks: dict[str, Any] = field(default_factory=dict)  # the reply shown
    model_checks: list[dict[str, Any]] = field(default_factory=list)  # each model attempt


@dataclass(frozen=True)
class TurnResult:
    reply: str
    behavior: Behavior
    principle_ids: tuple[str, ...]
    focus_principle: str | None
    guard: GuardOutcome
    tier: Tier
    model: str
    latency_ms: int
    notice: str | None = None
    resources: tuple[str, ...] = ()
    triage: Verdict = Verdict.OK
    triage_evidence: str = ""
    stage: str | None = None
    evidence: str | None = None  # what the reply takes up from the seller's message
    move: str | None = None  # the move of the seller's message the reply answers
    retrieved: tuple[str, ...] = ()  # what retrieval offered this turn, best first

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)  # enums as plain strings, as the JSON has always had them
        out["behavior"] = self.behavior.value
        out["tier"] = self.tier.value
        out["triage"] = self.triage.value
        out["principle_ids"] = list(self.principle_ids)
        out["resources"] = list(self.resources)
        out["retrieved"] = list(self.retrieved)
        return out


@dataclass
class SessionView:
    """What the transcript says about the session so far."""

    crisis: bool  # acute risk at some point: the rest of the session is support, not coaching
    asked: set[str]
    explored: list[str]
    last_focus: str | None
    coaching_turns: int
    seller_turns: int
    check_in_open: bool = False  # the coach asked plainly about suicide and awaits the answer
    # Check-in replies in a row at the end: the question is not asked a third time.
    check_ins: int = 0
    crisis_replies: int = 0  # so that follow-ups take turns rather than repeat
    danger_now: bool = False  # the coach has answered danger happening now in this session
    private: frozenset[int] = frozenset()  # seller turns (by index) never quoted in a summary

    @property
    def in_conversation(self) -> bool:
        return self.coaching_turns > 0


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

    def respond(self, messages: Sequence[Message]) -> TurnResult:
        """The coach's next turn for the last user message."""
        result: TurnResult | None = None
        for event in self.stream(messages):
            if isinstance(event, TurnResult):
                result = event
        assert result is not None
        return result

    def stream(self, messages: Sequence[Message]) -> Iterator[str | TurnResult]:
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

    def _turn(self, messages: Sequence[Message]) -> Iterator[str | TurnResult | Triage]:
        start = self.parts.clock()
        latest = self.options.limits.message(_latest_user(messages))
        view = self.read_session(messages[:-1])
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
        said = {m.content for m in messages if m.role == "assistant"}
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

    def wrap_up(self, messages: Sequence[Message], *, _start: float | None = None) -> TurnResult:
        """A short summary in the seller's words, one commitment, and the mirror question."""
        start = self.parts.clock() if _start is None else _start
        messages = _readable(messages)
        view = self.read_session(messages)
        if view.crisis:
            return self._crisis(Triage(Verdict.OK), view, start)
        seller_texts = [
            m.content for n, m in enumerate(messages) if m.role == "user" and n not in view.private
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

    def read_session(self, messages: Sequence[Message]) -> SessionView:
        asked: set[str] = set()
        explored: list[str] = []
        last_focus = None
        coaching_turns = 0
        crisis = check_in_open = danger_now = False
        check_ins = crisis_replies = 0
        urgent_texts = self.parts.safety.rules.danger_now_replies
        private: set[int] = set()
        for n, m in enumerate(messages):
            if m.role == "assistant":
                behavior = m.behavior or self._care_by_text(m.content)
                if behavior == Behavior.CRISIS:
                    crisis = True
                    crisis_replies += 1
                    danger_now = danger_now or one_line(m.content) in urgent_texts
                check_in_open = behavior == Behavior.CHECK_IN
                check_ins = check_ins + 1 if check_in_open else 0
                for q in questions(m.content):
                    asked.add(normalize_question(q))
                ids = list(m.principle_ids)
                if not ids and behavior in (None, Behavior.SOCRATIC):
                    ids = self._infer_principles(m.content)
                ids = [pid for pid in ids if pid in self.parts.principles]
                if ids and behavior in (None, Behavior.SOCRATIC):
                    coaching_turns += 1
                    last_focus = ids[0]
                    for pid in ids:
                        if pid not in explored:
                            explored.append(pid)
                continue
            if check_in_open:
                private.add(n)  # the answer to "are you thinking about suicide?"
                continue
            if _answered_with_behavior(messages, n):
                if messages[n + 1].behavior in CARE:
                    private.add(n)
                continue
            # A plain transcript does not say how earlier turns were answered: triage them.
            verdict = self.parts.safety.triage(m.content).verdict
            if verdict.risk:
                private.add(n)
                crisis = crisis or verdict is Verdict.CRISIS
        return SessionView(
            crisis=crisis,
            asked=asked,
            explored=explored,
            last_focus=last_focus,
            coaching_turns=coaching_turns,
            seller_turns=sum(1 for m in messages if m.role == "user"),
            check_in_open=check_in_open,
            check_ins=check_ins,
            crisis_replies=crisis_replies,
            danger_now=danger_now,
            private=frozenset(private),
        )

    def _care_by_text(self, text: str) -> Behavior | None:
        """A plain transcript's care replies, recognised by the coach's own words, or a
        check-in by its plain question about suicide."""
        rules = self.parts.safety.rules
        said = one_line(text)
        care = (rules.crisis_reply, rules.check_in_disclosed, *rules.crisis_follow_ups)
        if said in care or said in rules.danger_now_replies:
            return Behavior.CRISIS
        if said in rules.check_in_held or _CHECK_IN_TEXT.search(text):
            return Behavior.CHECK_IN
        return None

    def _infer_principles(self, coach_text: str) -> list[str]:
        """The principle an earlier coach question was about, for transcripts that do not say:
        a curated question is recognised by its text, any other by retrieval."""
        qs = questions(coach_text)
        owners = self._curated_owners(qs)
        if owners or not qs:
            return owners
        return [self.parts.retriever.retrieve(qs[-1], k=1)[0].id]

    def _curated_owners(self, qs: Sequence[str]) -> list[str]:
        """The principles whose curated questions these are (the coach's own earlier turns)."""
        return [
            owner
            for q in qs
            if (owner := self.parts.script.question_owner.get(normalize_question(q)))
        ]

    # -- steps ----------------------------------------------------------------------------------

    def _query(self, messages: Sequence[Message], latest: str, vague: bool) -> str:
        """The latest message, plus the previous one when the latest is short."""
        if len(latest.split()) >= 12 and not vague:
            return latest
        earlier = [m.content for m in messages[:-1] if m.role == "user"]
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

    def _readings(self, messages: Sequence[Message]) -> list[Reading]:
        """The reader's view of the seller's messages, oldest first (the latest last)."""
        texts = [m.content for m in messages if m.role == "user"][-4:]
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
        messages: Sequence[Message],
        latest: str,
        hits: Sequence[Hit],
        ranked: Sequence[str],
        stage: Stage,
        view: SessionView,
        scripted: TurnResult,
        start: float,
        reading: Reading,
    ) -> Iterator[str | TurnResult]:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        model = self.parts.chat.model
        assert model is not None
        retrieved = [h.id for h in hits[:3]]
        if ranked[0] not in retrieved:
            retrieved.insert(0, ranked[0])
        system = self.parts.prompts.render("system", canary=self.options.canary)
        turn = self.parts.prompts.render(
            "turn",
            principles=self._principles_block(retrieved),
            reading=_reading_block(reading),
            substance=", ".join(f'"{t}"' for t in reading.substance[:3]) or "what they described",
            move_hint=_MOVE_HINTS.get(reading.move, ""),
            # A pasted document is data: it cannot close the delimiters that mark it as such.
            message=latest.replace("<<<", "‹‹‹").replace(">>>", "›››"),
            stage=stage,
            stage_hint=_STAGE_HINTS[stage],
            focus_id=ranked[0],
            asked="\n".join(f"- {q}" for q in sorted(view.asked)) or "(none yet)",
        )
        # The conversation as real chat turns, the latest one carrying the principles and
        # the reading; earlier seller turns are data, trimmed so a pasted page stays small.
        earlier: list[Any] = [
            HumanMessage(_trim(m.content)) if m.role == "user" else AIMessage(_trim(m.content))
            for m in messages[:-1][-HISTORY_TURNS:]
        ]
        chat: list[Any] = [SystemMessage(system), *earlier, HumanMessage(turn)]
        attempts: list[dict[str, Any]] = []

        def ctx(ids: Sequence[str]) -> ReplyContext:
            return ReplyContext(
                principle_ids=ids,
                retrieved_ids=retrieved,
                canary=self.options.canary,
                seller_text=latest,
                system_prompt=system,
            )

        try:
            # The seller waits at most the configured timeout for the whole turn, retries and
            # the guard's second attempt included.
            deadline = start + self.options.model_timeout_s
            progress = _Progress()
            tries = 0
            while True:
                try:
                    yield from self._stream_attempt(model, chat, deadline, progress, ctx(()))
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
            attempts.append(_attempt(raw, report))
            if report.passed and not blocked:
                rest = raw[shown : citations_start(raw)]
                if rest.strip():
                    yield rest
            model_passed = report.passed
            retried = False
            if not report.passed:
                retried = True
                chat += [
                    AIMessage(raw),
                    HumanMessage(
                        self.parts.prompts.render(
                            "retry",
                            failures=_failures(report),
                            ids=", ".join(retrieved),
                        )
                    ),
                ]
                left = deadline - self.parts.clock()
                if left < 1.0:
                    raise TimeoutError("no time left for a second attempt")
                raw = str(self._invoke(model, chat, left).content)
                reply, ids = parse_reply(raw)
                report = self._check_model(raw, ids, ctx(ids), view)
                attempts.append(_attempt(raw, report))
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
            notice = self.parts.script.spec.model_guard_notice.format(
                reason=_failures(report, ", ")
            )
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
            reason = _describe_error(exc)
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

    def _stream_attempt(
        self, model: Any, chat: list[Any], deadline: float, progress: _Progress, ctx: ReplyContext
    ) -> Iterator[str]:
        """Stream one reply into `progress`, yielding the whole sentences that pass the checks a
        prefix can fail (a leak, obeying an injection); the rest waits for the full reply."""
        progress.raw, progress.blocked = "", False
        for chunk in self._stream(model, chat, deadline - self.parts.clock()):
            progress.raw += str(chunk.content)
            raw = progress.raw
            if len(raw) > self.options.max_reply_chars:
                # A coach reply is a sentence and a question; a model that rambles on (a server
                # that ignores the token cap) has failed, and its retry must not carry pages.
                progress.raw = raw[: self.options.max_reply_chars]
                break
            if not progress.blocked:
                ready = _shown_until(raw)
                if ready > progress.shown:
                    if self.parts.guards.prefix_checks(raw[:ready], ctx).passed:
                        yield raw[progress.shown : ready]
                        progress.shown = ready
                    else:
                        progress.blocked = True  # read on: the retry needs the whole attempt
            if self.parts.clock() > deadline:
                raise TimeoutError("no complete reply in time")

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
        self, exc: BaseException, tries: int, deadline: float, progress: _Progress
    ) -> float | None:
        """Seconds to wait before trying the model again, or None to give up now. A timeout is
        never tried again (the seller has waited enough); a rate limit or a server error is,
        once, when nothing has reached the screen and the wait fits the budget."""
        if tries >= self.options.model_retries or progress.shown:
            return None
        names = {cls.__name__ for cls in type(exc).__mro__}
        if names & {"APITimeoutError", "TimeoutError", "ReadTimeout", "TimeoutException"}:
            return None
        status = getattr(exc, "status_code", None)
        transient = "APIConnectionError" in names or status in (408, 409, 429, 500, 502, 503)
        if not transient:
            return None
        wait = min(_retry_after(exc), RETRY_AFTER_CAP_S)
        # Room for the wait and a reply after it; otherwise the scripted question, now.
        return wait if self.parts.clock() + wait + 1.0 < deadline else None

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
        self, messages: Sequence[Message], pid: str, private: Collection[int] = ()
    ) -> str | None:
        """The seller's words that led to the coach's first question on this principle (never
        words that raised a risk, nor the answer to a check-in)."""
        previous_user: str | None = None
        for n, m in enumerate(messages):
            if m.role == "user":
                previous_user = None if n in private else m.content
            elif previous_user and pid in (
                m.principle_ids or self._curated_owners(questions(m.content))
            ):
                if self.parts.script.is_vague(previous_user):
                    continue
                every = len(self.parts.principles.ids)
                hits = self.parts.retriever.retrieve(previous_user, k=every)
                hit = next((h for h in hits if h.id == pid), None)
                return self._quotable(hit, previous_user) if hit else None
        return None

    def _principles_block(self, ids: Sequence[str]) -> str:
        lines = []
        for pid in ids:
            p = self.parts.principles.get(pid)
            lines.append(f'- id: {p.id}\n  title: {p.title}\n  source: "{p.source_quote}"')
            lines.append(f"  meaning: {' '.join(p.meaning.split())}")
        return "\n".join(lines)

    def _ms(self, start: float) -> int:
        return round((self.parts.clock() - start) * 1000)


_STAGE_HINTS: dict[str, str] = {
    "explore": "open up what happened and what it meant to them",
    "deepen": "look underneath: what got in the way, what it cost, what it says",
    "commit": "invite one concrete next step for the coming week",
}


def parse_reply(raw: str) -> tuple[str, list[str]]:
    """Split a model reply into the text shown and the principle ids it cites."""
    text, ids = split_citations(raw)
    return one_line(text), ids


_CHECK_IN_TEXT = re.compile(
    r"\b(suicide|ending your life|end your life|kill yourself|hurting yourself)\b[^?]*\?", re.I
)


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


def _indexes(messages: Sequence[Message], texts: Collection[str]) -> frozenset[int]:
    return frozenset(n for n, m in enumerate(messages) if m.role == "user" and m.content in texts)


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


def _answered_with_behavior(messages: Sequence[Message], n: int) -> bool:
    """Whether the user message at n was answered by an assistant turn that records how."""
    nxt = messages[n + 1] if n + 1 < len(messages) else None
    return nxt is not None and nxt.role == "assistant" and nxt.behavior is not None


def _readable(messages: Sequence[Message]) -> list[Message]:
    """Every message storable and printable: lone surrogates (from JSON) as U+FFFD."""
    return [replace(m, content=readable(m.content)) for m in messages]


def _latest_user(messages: Sequence[Message]) -> str:
    if not messages or messages[-1].role != "user":
        raise EmptyMessage("There is no message from you to answer yet.")
    text = messages[-1].content.strip()
    if not text:
        raise EmptyMessage("Your message is empty: write a few words about your week.")
    return text


HISTORY_TURNS = 8
HISTORY_CHARS = 600

_MOVE_HINTS: dict[Move, str] = {
    Move.FEELING: "Acknowledge the feeling first; do not raise leadership before it is met.",
    Move.INSIGHT: "Stay with the insight and deepen it; do not jump to another principle.",
    Move.COMMITMENT: "Make the commitment concrete: when, with whom, what might get in the way.",
    Move.BLAME: "Invite the seller's own part without arguing or blaming anyone.",
    Move.PUSHBACK: "Roll with it: ask what would make this worth their time.",
    Move.QUESTION: "Hand it back with care; if asked again, offer the principle as a lens.",
    Move.VAGUE: "Ask a smaller, concrete question about the same thing.",
    Move.WIN: "Affirm the win, then ask what they did that made it happen.",
}


def _reading_block(reading: Reading) -> str:
    lines = [f"- move: {reading.move.value}"]
    if reading.feelings:
        felt = ", ".join(f'{f.label} ("{f.words}")' for f in reading.feelings)
        lines.append(f"- feelings: {felt}")
    if reading.actors:
        lines.append("- who acts: " + ", ".join(reading.actors))
    if reading.commitment:
        lines.append(f'- commitment: "{reading.commitment}"')
    lines.append(f"- time: {reading.horizon}")
    return "\n".join(lines)


def _trim(text: str) -> str:
    text = one_line(text)
    return text if len(text) <= HISTORY_CHARS else text[: HISTORY_CHARS - 1] + "…"


def _failures(report: GuardReport, sep: str = "\n") -> str:
    return sep.join(f"- {c.name}: {c.evidence}" if sep == "\n" else c.name for c in report.failures)


def _attempt(raw: str, report: GuardReport) -> dict[str, Any]:
    """What is kept of one model attempt: its length and which checks it passed, never its
    text (a failed attempt can hold a leaked prompt or whatever an injection asked for)."""
    return {
        "length": len(raw),
        "passed": report.passed,
        "checks": {c.name: {"passed": c.passed} for c in report.checks},
    }


def _shown_until(raw: str) -> int:
    """The end of the last complete sentence that may be shown before the reply is whole (0
    when there is none). A coach reply is one paragraph: from the first line break on, the text
    may be a list or verse, which only the whole reply can tell, so it waits for the end."""
    end = citations_start(raw)
    line_break = raw.find("\n", 0, end)
    if line_break != -1:
        end = line_break
    shown = 0
    for stop in sentence_ends(raw, end):
        if len(raw[shown:stop].split()) >= 3:  # "1." alone is not a sentence
            shown = stop
    return shown


# A server's Retry-After is honoured up to this; past it the seller gets the scripted question
# rather than a wait ("Retry-After: 50" was once waited out in full).
RETRY_AFTER_CAP_S = 2.0


@dataclass
class _Progress:
    """One streamed attempt so far: the text, how much of it is on screen, and whether a
    prefix failed the checks (then nothing more is shown)."""

    raw: str = ""
    shown: int = 0
    blocked: bool = False


def _retry_after(exc: BaseException) -> float:
    """The server's Retry-After in seconds (0.5 when it gives none or gives a date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return max(0.0, float(headers.get("retry-after", 0.5)))
    except (TypeError, ValueError):
        return 0.5


def _describe_error(exc: BaseException) -> str:
    """A short reason for the seller, from the exception's type (never its message, which can
    echo request details)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "RateLimitError" in names:
        return "the model server is rate-limiting requests"
    if names & {"APITimeoutError", "TimeoutError", "ReadTimeout", "TimeoutException"}:
        return "it timed out"
    if names & {"APIConnectionError", "ConnectionError", "ConnectError"}:
        return "the model server could not be reached"
    if "APIStatusError" in names:
        status = getattr(exc, "status_code", None)
        return f"the model server returned an error (HTTP {status})"
    if names & {"JSONDecodeError", "APIResponseValidationError", "ValidationError", "ValueError"}:
        return "its reply could not be read"
    return f"it failed with {type(exc).__name__}"
