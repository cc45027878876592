"""One factory, four tier names: which tier answers, and what it says when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.llm.tiers import ModelUnavailable, Tier, build_chat_model, resolve_tier
from coach.settings import TIER_NAMES, Settings, SettingsError, load_settings


def test_auto_with_nothing_configured_is_scripted() -> None:
    choice = build_chat_model(Settings())
    assert choice.tier is Tier.SCRIPTED and choice.model is None
    assert choice.label == "Scripted coach (no language model)"
    assert not choice.remote


def test_auto_prefers_openai_when_a_key_or_base_url_is_set(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    assert resolve_tier(Settings()) is Tier.OPENAI
    monkeypatch.delenv("OPENAI_API_KEY")
    assert resolve_tier(Settings(openai_base_url="http://127.0.0.1:11434/v1")) is Tier.OPENAI


def test_auto_uses_local_when_only_a_model_path_is_set(tmp_path: Path) -> None:
    assert resolve_tier(Settings(local_model_path=tmp_path / "m.gguf")) is Tier.LOCAL


def test_openai_tier_builds_without_calling_anything_and_hides_the_key() -> None:
    from pydantic import SecretStr

    settings = Settings(
        tier="openai",
        openai_api_key=SecretStr("sk-secret-123"),
        openai_model="gpt-4o-mini",
        openai_timeout_s=7,
        openai_max_retries=0,
    )
    choice = build_chat_model(settings)
    assert choice.tier is Tier.OPENAI and choice.remote
    assert choice.model is not None
    assert choice.model.request_timeout == 7  # type: ignore[attr-defined]
    assert "sk-secret-123" not in repr(choice.model) and "sk-secret-123" not in choice.label
    assert "sk-secret-123" not in repr(settings)


def test_a_loopback_base_url_is_not_remote() -> None:
    choice = build_chat_model(Settings(tier="openai", openai_base_url="http://127.0.0.1:8080/v1"))
    assert not choice.remote
    assert "on this machine" in choice.label


def test_an_unknown_tier_is_refused_when_the_settings_are_read() -> None:
    # A Literal, so a typo never reaches a command; any spelling of a real name is that tier.
    with pytest.raises(SettingsError, match="Unknown tier 'gpt5'"):
        load_settings(tier="gpt5")
    assert Settings(tier=" Scripted ").tier == "scripted"  # type: ignore[arg-type]


def test_the_setting_names_every_tier_and_auto() -> None:
    # Two lists of one set of names (settings cannot import coach.llm): they must not drift.
    assert set(TIER_NAMES) == {"auto", *(t.value for t in Tier)}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(tier="openai"), "needs COACH_OPENAI_API_KEY"),
        (Settings(tier="local"), "needs COACH_LOCAL_MODEL_PATH"),
        (Settings(tier="local", local_model_path=Path("/nope.gguf")), "No GGUF model at"),
    ],
)
def test_unusable_tiers_say_what_to_do(settings: Settings, message: str) -> None:
    with pytest.raises(ModelUnavailable, match=message):
        build_chat_model(settings)
