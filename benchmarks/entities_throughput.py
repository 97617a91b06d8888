"""Throughput of the entity stage against the bare models, in words per second, on the same text.

python benchmarks/entities_throughput.py [RECORDS.jsonl] [--repeat N]

RECORDS: JSON Lines `{id, lang, text}` (default: ../shared/eval/pairing/wmt21_ruen.jsonl).
Baselines, measured in the same run on the same documents:
  en: the spaCy English package with only its `ner` component, `nlp.pipe`;
  ru: Natasha's Slovnet NER alone (`NewsNERTagger.map`).
The stage: the whole entity stage (pipeline + label harmonization + normalization + keys).
Prints one line per language and, last, JSON with words/s and stage/bare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.nlp.components.russian import natasha_models  # noqa: E402
from pipeline.nlp.loaders import bare_model, load_gazetteer, load_language_model  # noqa: E402
from pipeline.records import DocumentRecord  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.stages.entities import entities_of_documents  # noqa: E402

SHARED = Path(os.environ.get("PIPELINE_SHARED_DIR", REPO.parent / "shared"))
DEFAULT_RECORDS = SHARED / "eval" / "pairing" / "wmt21_ruen.jsonl"


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_english(models_dir: Path):

    only_ner = bare_model(models_dir, "en")
    return lambda texts: list(only_ner.pipe(texts, batch_size=64))


def bare_russian():
    tagger = natasha_models()["ner"]
    return lambda texts: list(tagger.map(texts))


def measure(lang: str, texts: list[str], bare, model, gazetteer, settings: Settings, repeat: int) -> dict:
    """Words per second of the bare model and of the entity stage on the same texts."""
    docs = [DocumentRecord(f"{lang}{i}", i, None, t, lang, 1.0, 1, 0, len(t)) for i, t in enumerate(texts)]
    words = sum(len(t.split()) for t in texts)

    def stage(batch):
        return entities_of_documents(batch, lambda lg: model, gazetteer, settings.batch_size)

    bare(texts[:4])  # warm up both (lazy weights, caches)
    stage(docs[:4])
    t_bare = _best(lambda: bare(texts), repeat)
    t_stage = _best(lambda: stage(docs), repeat)
    print(f"{lang}: {len(texts)} docs, {words} words: bare {words / t_bare:.0f} w/s, stage {words / t_stage:.0f} w/s")
    return {
        "documents": len(texts),
        "words": words,
        "bare_words_per_s": round(words / t_bare),
        "stage_words_per_s": round(words / t_stage),
        "stage_over_bare": round(t_bare / t_stage, 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", nargs="?", default=str(DEFAULT_RECORDS))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    records = [json.loads(line) for line in Path(args.records).read_text(encoding="utf-8").splitlines() if line]
    settings = Settings.from_env()
    models_dir = settings.models_dir.resolve()
    gazetteer = load_gazetteer(models_dir)
    result = {}
    for lang, bare in (("en", bare_english(models_dir)), ("ru", bare_russian())):
        texts = [r["text"] for r in records if r["lang"] == lang]
        result[lang] = measure(
            lang, texts, bare, load_language_model(models_dir, lang), gazetteer, settings, args.repeat
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
