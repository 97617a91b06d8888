"""Where the pipeline's time goes: each stage in one process, against the bare models, in one run.

    python -m benchmarks.stage_costs [--mb 1] [--kind items|articles]

On one generated dump (benchmarks/corpus.py), single process, models loaded beforehand:
  - read: decoding, splitting and language detection (langdetect) of the whole dump;
  - entities: the spaCy pipelines of both languages (gazetteer rulers, NER, Slovnet, rules);
  - embeddings: the multilingual USE vectors of each document's lead (pairing features);
  - normalize: the rest of the entity stage, as a batch's second step in a worker runs it (the
    dump context added, labels, dates, keys, `published`, the one sort);
  - write: the Parquet part files (all the run's own process does for a batch);
  - bare models: spaCy English NER alone and Slovnet NER alone on the same documents.
Each stage is printed in seconds and as a share of the bare models' time. Seconds from one process
add up to the CPU time the pipeline needs; `benchmarks/speed.py` measures the wall time on two cores.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

from benchmarks.corpus import write_dump


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.0, help="size of the generated dump")
    ap.add_argument("--kind", choices=("items", "articles"), default="items", help="the corpus (benchmarks/corpus.py)")
    a = ap.parse_args()

    from natasha import NewsEmbedding, NewsNERTagger
    from threadpoolctl import threadpool_limits

    from pipeline.dump import BatchSummary, DumpContext, DumpWriter, finish_batch
    from pipeline.nlp.loaders import bare_model, load_language_model
    from pipeline.readers import open_dump
    from pipeline.settings import Settings
    from pipeline.stages.entities import extract_entities
    from pipeline.stages.pairing import embed_documents, sentence_encoder
    from pipeline.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "bench.txt"
        write_dump(dump, a.mb, kind=a.kind)
        settings = Settings().with_(out_dir=Path(tmp) / "out")
        models_dir = settings.models_dir.resolve()
        for lang in ("en", "ru"):
            load_language_model(models_dir, lang)
        sentence_encoder()
        nlp = bare_model(models_dir, "en")
        tagger = NewsNERTagger(NewsEmbedding())
        seconds: dict[str, float] = {}

        def timed(name: str, fn, *args):
            start = time.perf_counter()
            result = fn(*args)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
            return result

        with threadpool_limits(limits=1, user_api="blas"):
            source = timed("read (decode, split, langdetect)", lambda: open_dump(dump, settings))
            documents = timed("read (decode, split, langdetect)", lambda: list(source.documents))
            writer, dump_context = DumpWriter(source, settings, Store(settings.out_dir), dump.name), DumpContext()
            for i in range(0, len(documents), settings.batch_size):
                batch = documents[i : i + settings.batch_size]
                model_for = partial(load_language_model, models_dir)
                entities = timed(
                    "entities (both spaCy pipelines)", extract_entities, batch, model_for, settings.batch_size
                )
                vectors = timed("embeddings (USE, lead)", embed_documents, batch)
                context = timed("normalize (labels, dates, keys)", dump_context.add, BatchSummary.of(entities, batch))
                done = timed("normalize (labels, dates, keys)", finish_batch, batch, entities, context, settings)
                timed("write (Parquet)", writer.write_batch, done, vectors)
            timed("write (Parquet)", writer.finish)
            english = [d.text for d in documents if d.lang == "en"]
            russian = [d.text for d in documents if d.lang == "ru"]
            timed("bare: spaCy English NER", lambda: sum(len(d.ents) for d in nlp.pipe(english, batch_size=64)))
            timed("bare: Slovnet NER", lambda: sum(len(m.spans) for m in tagger.map(russian)))

        words = sum(len(d.text.split()) for d in documents)
        bare = seconds["bare: spaCy English NER"] + seconds["bare: Slovnet NER"]
        pipeline = sum(v for k, v in seconds.items() if not k.startswith("bare"))
        print(f"dump: {a.mb:g} MB, {len(documents)} documents ({len(english)} en, {len(russian)} ru), {words} words")
        for name, secs in seconds.items():
            print(f"  {name:38s} {secs:7.1f} s  {secs / bare:5.2f} x bare")
        print(f"  {'pipeline stages together':38s} {pipeline:7.1f} s  {pipeline / bare:5.2f} x bare")
        print(f"  bare models throughput / pipeline stages throughput = {pipeline / bare:.2f}")


if __name__ == "__main__":
    main()
