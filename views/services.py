"""Shared, thread-safe objects, built once per server process (st.cache_resource)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import streamlit as st

from coach.parts import CoachParts
from coach.reflect import Coach
from coach.settings import Settings, load_settings
from coach.transcripts import SqlTranscriptStore, StoreError, UnavailableStore, open_store
from coach.wiring import build_challenge, build_coach, build_parts, build_reviewer

if TYPE_CHECKING:  # built, and so imported, when their page first opens
    from coach.challenge import ChallengeEngine
    from coach.review import Reviewer


@dataclass(frozen=True)
class Services:
    settings: Settings
    parts: CoachParts
    coach: Coach
    store: SqlTranscriptStore | UnavailableStore

    # The managers' and coaches' engines are built when their page is first opened: a seller's
    # first page does not wait for them (their data files take about 0.2 s to read).
    @cached_property
    def challenge(self) -> ChallengeEngine:
        return build_challenge(self.settings, self.parts)

    @cached_property
    def reviewer(self) -> Reviewer:
        return build_reviewer(self.settings, self.parts)


@st.cache_resource(show_spinner="Loading the coach (first start takes a few seconds)…")
def services() -> Services:
    # One encoder, index, model and store for every browser session: all are read-only or
    # safe to share (the store opens a connection per call; the local model holds a lock).
    settings = load_settings()
    parts = build_parts(settings, defer=True)  # Chroma opens after the first page (warm_up)
    return Services(settings, parts, build_coach(settings, parts), _store(settings))


def _store(settings: Settings) -> SqlTranscriptStore | UnavailableStore:
    """The transcript store, or one that says why it cannot be used: a damaged database must
    not stop a seller from reflecting (nothing is saved, and every page says so)."""
    try:
        return open_store(settings)
    except StoreError as exc:
        return UnavailableStore(f"{exc} Until then, nothing is saved.")


def load() -> Services:
    """The services, or one sentence on screen and a stop."""
    try:
        return services()
    except Exception as exc:  # the one place a start-up failure becomes a sentence
        st.error(f"The coach could not start: {exc}")
        st.stop()
        raise  # unreachable: st.stop() ends the run


def warm_up() -> None:
    """Once a page is drawn: begin opening what the seller's first message needs (Chroma),
    in the background, so the first page never waits for it."""
    services().parts.retriever.warm()
