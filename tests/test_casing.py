"""Truecasing of all-capital lines: the casing the document uses, else capitals, except for the
words news writes in lower case (a list made from training text)."""

from __future__ import annotations

from pathlib import Path

from pipeline.nlp.casing import truecase
from pipeline.nlp.components.shared import word_list
from pipeline.training.lower_words import lower_words

MODELS = Path(__file__).resolve().parents[1] / "models"


def test_an_unseen_word_of_a_capital_line_is_capitalized_unless_news_writes_it_in_lower_case():
    text = "BEAUTY BUMP AT NORDVIK .\nSales of the skincare maker rose ."
    assert truecase(text) == "Beauty Bump at Nordvik .\nSales of the skincare maker rose ."
    assert truecase(text, lower_words=frozenset({"beauty", "bump"})) == (
        "Beauty bump at Nordvik .\nSales of the skincare maker rose ."
    )


def test_the_document_s_own_casing_comes_before_the_list():
    text = "NO PLACE LIKE HOME DEPOT\nShares of Home Depot and of Place rose ."
    assert truecase(text, lower_words=frozenset({"no", "place", "home", "like"})) == (
        "No Place like Home Depot\nShares of Home Depot and of Place rose ."
    )


def test_the_shipped_list_lowers_kicker_lines_of_common_words():
    words = frozenset(word_list(str(MODELS / "gazetteer/lower_words.txt")))
    assert {"place", "go", "needed", "dressed", "recycling"} <= words
    assert not {"us", "london", "bank", "union", "commission"} & words  # written capitalized as often
    text = "ALL DRESSED UP , NO PLACE TO GO .\nIt was a quiet year ."
    assert truecase(text, lower_words=words).split("\n")[0] == "All dressed up , no place to go ."


def test_the_list_counts_words_inside_sentences_of_mixed_case_lines():
    texts = [
        "RATES RISE .\nThe bank said rates rose .\nRates fell , the Bank said .\nAnalysts said rates may rise .",
    ]
    # "rates" is lower case twice inside a sentence (its sentence starts and the capital line do not
    # count); "bank" once in lower case and once capitalized
    assert lower_words(texts, min_count=2, ratio=5) == ["rates", "said"]
    assert "bank" not in lower_words(texts, min_count=1, ratio=2)
    assert lower_words(texts, min_count=1, ratio=1) == ["bank", "fell", "may", "rates", "rise", "rose", "said", "the"]
