"""The embedded index: idempotent, rebuilt when the principle file changes or the index breaks."""

from __future__ import annotations

import shutil
from pathlib import Path

from coach.principles import load_principles
from coach.retrieval.index import chunk_principles, open_index
from coach.settings import DATA_DIR, Settings


def _small_principles(tmp_path: Path) -> Path:
    """Two principles from the real file: the index logic, at a fraction of the embedding cost."""
    import yaml

    shutil.copy(DATA_DIR / "pivot-to-leadership.md", tmp_path / "pivot-to-leadership.md")
    data = yaml.safe_load((DATA_DIR / "principles.yaml").read_text(encoding="utf-8"))
    data["principles"] = data["principles"][2:4]  # eat-last, ownership
    path = tmp_path / "principles.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_chunks_cover_every_kind_for_every_principle(principles) -> None:
    chunks = chunk_principles(principles)
    for pid in principles.ids:
        kinds = {c.kind for c in chunks if c.principle_id == pid}
        assert kinds == {"quote", "meaning", "signal", "questions"}
    assert len({c.id for c in chunks}) == len(chunks)


def test_ingest_is_idempotent_and_rebuilds_on_change(tmp_path: Path, encoder) -> None:
    path = _small_principles(tmp_path)
    settings = Settings(data_dir=tmp_path / "d", principles_path=path)

    first = open_index(settings, load_principles(path), encoder)
    assert first.rebuilt and "no index yet" in first.message
    count = first.collection.count()

    again = open_index(settings, load_principles(path), encoder)
    assert not again.rebuilt and again.message.startswith("Index up to date")
    assert again.collection.count() == count

    path.write_text(path.read_text().replace("Eat last", "Eat last, always"))
    changed = open_index(settings, load_principles(path), encoder)
    assert changed.rebuilt and "principles.yaml changed" in changed.message
    assert changed.collection.count() == count

    forced = open_index(settings, load_principles(path), encoder, reset=True)
    assert forced.rebuilt and "rebuild requested" in forced.message


def test_unreadable_index_is_rebuilt(tmp_path: Path, encoder) -> None:
    principles = load_principles(_small_principles(tmp_path))
    settings = Settings(data_dir=tmp_path / "d")
    open_index(settings, principles, encoder)
    # Corrupt every file of the embedded index, as a crashed disk or a bad copy would.
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    for f in settings.chroma_dir.rglob("*"):
        if f.is_file():
            f.write_bytes(b"not a database")
    status = open_index(settings, principles, encoder)
    assert status.rebuilt
    assert status.message.startswith("Index was unreadable") or "no index yet" in status.message
    assert status.collection.count() == len(chunk_principles(principles)) + len(principles.ids)


def test_retrieval_returns_one_hit_per_principle_best_first(retrieval_stack) -> None:
    every = len(retrieval_stack.principles.ids)
    text = "marketing gave me bad leads and the SE botched the demo"
    hits = retrieval_stack.retrieve(text, k=every)
    assert len({h.id for h in hits}) == len(hits) == every == 11
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].id == "ownership"
    assert hits[0].matched_kind in {"signal", "meaning", "quote", "questions"}
