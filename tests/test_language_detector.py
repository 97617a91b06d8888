"""`ArrayDetector` gives langdetect's own answers: the same languages and the same probabilities."""

from __future__ import annotations

import json

import langdetect
import pytest
from langdetect import DetectorFactory

from pipeline.stages.language import bounded_sample, detect_langs
from tests.conftest import EVAL, SHARED

EDGE_CASES = [
    "Hello world",
    "ООН и ОДКБ: заседание 26 июля 2024 года в Москве.",
    "NATO NATO NATO USA OSCE",  # capital words are skipped
    "Tiếng Việt có dấu, phở và bánh mì.",  # Latin Extended Additional
    "Mixed текст with both алфавиты and 123 numbers!",
    "Ünïcödé àccents çà et là, dès l'été.",
    "日本語のテキストと漢字",
    "Ș și ț în română",
]


def _texts() -> list[str]:
    texts = list(EDGE_CASES)
    for name, n in (("pairing/wmt21_ruen.jsonl", 130), ("ner/factru_dev.jsonl", 60), ("ner/conll2003_dev.jsonl", 60)):
        with open(EVAL / name, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line, _ in zip(f, range(n))]
    sample = (SHARED / "samples" / "csto_news_2024-07.txt").read_text(encoding="utf-8")
    texts += [p for p in sample.split("\n") if p.strip()]
    return [bounded_sample(t, 500) for t in texts]


def test_same_answers_as_langdetect():
    texts = _texts()
    assert len(texts) > 250
    for text in texts:
        DetectorFactory.seed = 0
        expected = [(x.lang, x.prob) for x in langdetect.detect_langs(text)]
        assert [(x.lang, x.prob) for x in detect_langs(text)] == expected, text
    # a second pass reads the memoized words and characters
    for text in texts[:40]:
        expected = [(x.lang, x.prob) for x in langdetect.detect_langs(text)]
        assert [(x.lang, x.prob) for x in detect_langs(text)] == expected, text


def test_the_first_trial_rules_out_a_switch_only_when_the_full_run_cannot_make_one():
    from pipeline.stages.language import detect_language, rules_out_other_language

    texts = _texts()[:200]
    ruled_out = 0
    for text in texts:
        for lang in ("en", "ru"):
            if rules_out_other_language(text, lang, 0.95):
                ruled_out += 1
                full = detect_language(text)
                assert full.lang in (lang, "und") or full.prob < 0.95, (text, lang, full)
    assert ruled_out >= len(texts) * 0.8  # most paragraphs are ruled out for their own language
    german = "Die Bundesregierung hat am Dienstag in Berlin neue Maßnahmen zur Energieversorgung beschlossen."
    assert not rules_out_other_language(german * 3, "en", 0.95)


def test_threads_detecting_at_once_get_the_answers_of_one_thread(monkeypatch):
    """The n-gram rows are shared by the threads of a process: a new n-gram gets its row once."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.stages import language

    texts = _texts()[:160]
    expected = [[(x.lang, x.prob) for x in detect_langs(text)] for text in texts]
    monkeypatch.setattr(language, "_GRAMS", language._GramProfiles())
    monkeypatch.setattr(language, "_WORD_NGRAMS", {})
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: [(x.lang, x.prob) for x in detect_langs(t)], texts))
    assert got == expected
    assert len(language._GRAMS.ids) == len(set(language._GRAMS.ids.values()))


def test_the_cached_profiles_are_langdetects_and_an_unreadable_file_is_built_again(tmp_path, monkeypatch):
    """langdetect's profiles kept in the cache folder: the same languages in the same order and the
    same probability of every n-gram as langdetect's own factory; a truncated file is rebuilt; no
    cache folder keeps nothing."""
    from langdetect import detector_factory

    from pipeline.stages import language

    cache = tmp_path / "cache"
    first = language._profiles(str(cache))
    files = list(cache.iterdir())
    assert [f.name for f in files] == [f"langdetect-{language.profiles_cache_key()}.pickle"]
    language._profiles.cache_clear()
    read = language._profiles(str(cache))
    assert read is not first  # read from the file, not built
    detector_factory.init_factory()
    theirs = detector_factory._factory
    assert read.langlist == theirs.langlist and len(read.word_lang_prob_map) == len(theirs.word_lang_prob_map)
    for gram, probabilities in theirs.word_lang_prob_map.items():
        assert read.word_lang_prob_map[gram].tolist() == probabilities
    files[0].write_bytes(files[0].read_bytes()[:1000])
    language._profiles.cache_clear()
    again = language._profiles(str(cache))
    assert again.langlist == theirs.langlist and files[0].stat().st_size > 1000  # rebuilt and rewritten
    language._profiles.cache_clear()
    monkeypatch.setattr(language, "write_pickle", lambda path, value: pytest.fail(f"kept {path}"))
    assert language._profiles("").langlist == theirs.langlist  # no cache folder: built, kept nowhere
    language._profiles.cache_clear()
