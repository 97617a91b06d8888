"""`ArrayDetector` gives langdetect's own answers: the same languages and the same probabilities."""

from __future__ import annotations

import json

import langdetect
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
