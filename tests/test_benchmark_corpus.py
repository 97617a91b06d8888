"""The benchmark corpora (benchmarks/corpus.py): built from records in their labeled language only,
so that each generated article is one document of that language."""

from __future__ import annotations

import json
from collections import Counter

from benchmarks.corpus import ARTICLES, _records, in_labeled_language, write_dump
from pipeline.readers import open_dump
from pipeline.settings import Settings


def test_records_not_in_their_labeled_language_are_left_out():
    lines = [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = list(_records(ARTICLES))
    assert all(in_labeled_language(r) for r in kept)
    dropped = [r for r in lines if r["id"] not in {k["id"] for k in kept}]
    assert len(dropped) >= 1 and all(r["lang"] == "en" and "Сомнолог" in r["text"] for r in dropped)
    assert not in_labeled_language({"lang": "en", "text": "Врач назвала продукты, которые мешают уснуть ночью."})


def test_generated_articles_are_split_into_as_many_documents_of_their_languages(tmp_path):
    path = tmp_path / "articles.txt"
    n = write_dump(path, 0.3, seed=0, kind="articles")
    documents = list(open_dump(path, Settings()).documents)
    assert len(documents) == n
    assert set(Counter(d.lang for d in documents)) == {"en", "ru"}
