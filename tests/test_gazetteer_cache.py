"""The built gazetteer kept in the cache folder: the same gazetteer as a fresh build, under a key of
what it is built from (a change to models/ is another key), rebuilt when unreadable."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from pipeline.nlp.keys import entity_key
from pipeline.nlp.loaders import build_gazetteer, gazetteer_cache_key, load_gazetteer
from pipeline.settings import Settings

MODELS = Settings().models_dir.resolve()


def _state(gazetteer) -> dict:
    """Everything a gazetteer holds but its lemmatizer (a function) and its lookup caches."""
    words = dataclasses.asdict(dataclasses.replace(gazetteer.words, lemmatize=None))
    return {
        "aliases": gazetteer.aliases,
        "names": gazetteer.names,
        "entries": gazetteer.entries,
        "given_names": gazetteer.given_names,
        "bags": gazetteer.bags,
        "words": words,
    }


@pytest.fixture
def models(tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(MODELS, copy)
    return copy


def test_the_cached_gazetteer_is_the_built_one(models, tmp_path):
    cache = str(tmp_path / "cache")
    built = build_gazetteer(models)
    first = load_gazetteer.__wrapped__(models, cache)  # builds and keeps it
    kept = tmp_path / "cache" / f"gazetteer-{gazetteer_cache_key(models)}.pickle"
    assert list((tmp_path / "cache").iterdir()) == [kept]
    again = load_gazetteer.__wrapped__(models, cache)  # read from the cache
    assert again is not first
    assert _state(again) == _state(built) == _state(first)
    assert again.lemmatize is not None and again.words.lemmatize is again.lemmatize
    for label, name, lang in [
        ("ORG", "ОДКБ", "ru"),
        ("ORG", "Collective Security Treaty Organization", "en"),
        ("ORG", "Министерства иностранных дел России", "ru"),
        ("PERSON", "Сергей Шойгу", "ru"),
    ]:
        assert entity_key(label, name, lang, again) == entity_key(label, name, lang, built)
    assert entity_key("ORG", "ОДКБ", "ru", again) == entity_key("ORG", "CSTO", "en", again)


def test_a_change_to_models_is_another_key_and_a_new_build(models, tmp_path):
    cache = str(tmp_path / "cache")
    before = gazetteer_cache_key(models)
    assert "org:test-alliance" not in load_gazetteer.__wrapped__(models, cache).names
    with (models / "gazetteer" / "organizations.tsv").open("a", encoding="utf-8") as f:
        f.write("org:test-alliance\ten\tTest Alliance of Nations\n")
    assert gazetteer_cache_key(models) != before
    changed = load_gazetteer.__wrapped__(models, cache)
    assert changed.lookup("Test Alliance of Nations", "en") == "org:test-alliance"
    assert len(list((tmp_path / "cache").glob("gazetteer-*.pickle"))) == 2


def test_an_unreadable_cache_file_is_built_again(models, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache / f"gazetteer-{gazetteer_cache_key(models)}.pickle"
    path.write_bytes(b"\x80\x05not a pickle")
    gazetteer = load_gazetteer.__wrapped__(models, str(cache))
    assert _state(gazetteer) == _state(build_gazetteer(models))
    assert load_gazetteer.__wrapped__(models, str(cache)).entries == gazetteer.entries  # rewritten: readable now
    assert path.read_bytes()[:2] == b"\x80\x05" and b"not a pickle" not in path.read_bytes()


def test_no_cache_folder_keeps_nothing(models, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gazetteer = load_gazetteer.__wrapped__(models, "")
    assert gazetteer.entries and list(tmp_path.iterdir()) == [models.parent / "models"]
