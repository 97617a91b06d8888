"""`pipeline evaluate ner|pairs|split|keys|nerel|dates`: accuracy against gold data in the format of ../shared/eval."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score the pipeline against annotated gold data")
    kinds = p.add_subparsers(dest="kind", required=True)
    ner = kinds.add_parser("ner", help="NER: precision, recall, F1 per label and overall (JSON, last line)")
    ner.add_argument(
        "gold",
        nargs="+",
        help="gold JSON Lines: {id, text, entities: [{start, end, label}]}; with several sets (CoNLL++ beside"
        " CoNLL-2003), one result each and, last, all of them by file name",
    )
    ner.add_argument("--lang", choices=["en", "ru"], required=True)
    ner.add_argument(
        "--predictions", help="write the predictions as JSON Lines here (with several sets: a folder, NAME.jsonl each)"
    )
    ner.add_argument(
        "--halves", action="store_true", help="also score the first and the second half of each set's documents"
    )
    ner.set_defaults(func=_ner)
    pairs = kinds.add_parser("pairs", help="RU/EN pairing through the real flow: precision, recall, F1 (JSON)")
    pairs.add_argument(
        "dump", help="plain-text dump, or a pairing set: NAME for NAME.dump.txt, NAME.jsonl, NAME.gold.tsv"
    )
    pairs.add_argument("records", nargs="?", help="JSON Lines records, the k-th is the k-th document of the dump")
    pairs.add_argument("gold", nargs="?", help="TSV ru_id<TAB>en_id of the true pairs")
    pairs.set_defaults(func=_pairs)
    split = kinds.add_parser(
        "split", help="document boundaries of a plain-text dump: precision, recall, F1, exact documents (JSON)"
    )
    split.add_argument("dump", help="plain-text dump")
    split.add_argument("gold", help="JSON Lines records {text, lang?}, the documents of the dump in order")
    split.set_defaults(func=_split)
    keys = kinds.add_parser(
        "keys",
        help="cross-lingual keys through the real flow (the key map learned from its pairs): share of PERSON/ORG"
        " keys and DATE values both sides of true pairs name, and keys with several names per language (JSON)",
    )
    keys.add_argument("records", help="JSON Lines records {id, lang, text}")
    keys.add_argument("gold", help="TSV ru_id<TAB>en_id of the true translation pairs")
    keys.add_argument("--misses", help="write, per pair, the keys and dates one side names and the other not")
    keys.set_defaults(func=_keys)
    nerel = kinds.add_parser(
        "nerel", help="NEREL articles through the real flow: the numbers of ../shared/eval/score_nerel.py (JSON)"
    )
    nerel.add_argument("gold", help="NEREL gold JSON Lines: {id, text, entities: [{start, end, label, wikidata?}]}")
    nerel.add_argument("--processed", help="score this processed folder instead of running the flow")
    nerel.add_argument("--out", help="process into this folder (kept) instead of a temporary one")
    nerel.set_defaults(func=_nerel)
    dates = kinds.add_parser(
        "dates",
        help="English TimeML articles through the real flow: the numbers of ../shared/eval/score_dates_en.py (JSON)",
    )
    dates.add_argument("gold", help="TimeML gold JSON Lines: {id, dct, text, entities: [{start, end, value}], ignored}")
    dates.add_argument("--processed", help="score this processed folder instead of running the flow")
    dates.add_argument("--out", help="process into this folder (kept) instead of a temporary one")
    dates.add_argument("--predictions", help="write the predictions here, in the reference scorer's format")
    dates.add_argument("--halves", action="store_true", help="also score the first and the second half of the articles")
    dates.set_defaults(func=_dates)


def _ner(args: argparse.Namespace) -> int:
    from pipeline.evaluation.ner import main

    return main(args)


def _pairs(args: argparse.Namespace) -> int:
    from pipeline.evaluation.pairs import main

    return main(args)


def _split(args: argparse.Namespace) -> int:
    from pipeline.evaluation.split import main

    return main(args)


def _keys(args: argparse.Namespace) -> int:
    from pipeline.evaluation.ner import keys_main

    return keys_main(args)


def _nerel(args: argparse.Namespace) -> int:
    from pipeline.evaluation.nerel import main

    return main(args)


def _dates(args: argparse.Namespace) -> int:
    from pipeline.evaluation.timeml import main

    return main(args)
