"""Time and memory of the bitext step (sentence alignment of every pair) as a share of the whole run.

    python -m benchmarks.bitext_cost [--mb 3]

On one generated dump (benchmarks/corpus.py), in the same run:
  1. the whole pipeline (`python -m pipeline run`, a fresh process, default settings): wall time
     and the peak RSS of the run's main process and of its worker processes;
  2. the bitext step alone (`pipeline.corpus.bitext.sync_bitext`, a fresh process, the bitext table
     removed first so that every pair is aligned again, the encoder loaded inside): wall time and
     peak RSS of that process.
Prints both and the ratios: the step's time over the run's, its peak over the run's main process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import KINDS, write_dump

REPO = Path(__file__).resolve().parent.parent

STEP = """
import json, resource, sys, time
start = time.perf_counter()
from pipeline.corpus.bitext import sync_bitext
from pipeline.stages.pairing import sentence_encoder
from pipeline.store import Store
sentence_encoder()
loaded = time.perf_counter()
summary = sync_bitext(Store(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - start, "load_seconds": loaded - start,
                  "pairs": summary.pairs_aligned, "units": summary.units,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=3.0, help="size of the generated dump")
    ap.add_argument("--kind", choices=KINDS, default="items", help="benchmarks/corpus.py's kind of documents")
    a = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(REPO), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "out"
        raw.mkdir()
        n_docs = write_dump(raw / "bench.txt", a.mb, kind=a.kind)
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(out)]
        run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
        run_s = time.perf_counter() - start
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest process so far
        shutil.rmtree(out / "bitext")
        step = subprocess.run(
            [sys.executable, "-c", STEP, str(out)], cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        bitext = json.loads(step.stdout.strip().splitlines()[-1])
    print(f"dump: {a.mb:g} MB of {a.kind}, {n_docs} documents; {run.stdout.strip().splitlines()[-1]}")
    print(
        f"  whole run (python -m pipeline run)   {run_s:7.1f} s   peak RSS of its largest process {children:6.0f} MiB"
    )
    print(
        f"  bitext step alone ({bitext['pairs']} pairs, {bitext['units']} units) {bitext['seconds']:7.1f} s"
        f"   peak RSS {bitext['peak_mib']:6.0f} MiB (of the time: {bitext['load_seconds']:.1f} s imports and encoder)"
    )
    print(
        f"  bitext / whole run: time {bitext['seconds'] / run_s:.3f}, peak memory {bitext['peak_mib'] / children:.2f}"
    )


if __name__ == "__main__":
    main()
