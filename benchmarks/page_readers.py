"""Throughput of the page readers against plain `trafilatura.extract` on the same pages, one run.

    python benchmarks/page_readers.py [--eval ../shared/eval] [--rounds 3]

The 91 eval pages (`html/pages`), measured in alternating rounds, median of each:
- baseline: `trafilatura.extract(html)` on every page, already decoded (UTF-8), defaults;
- WARC: the pages written into one `.warc.gz` with warcio, read by `open_dump` to the end (framing,
  charset, extraction with metadata, cleanups, language detection: everything before the NLP);
- saved pages: the same pages as `.html.gz` files, each read by `open_dump`.
Prints pages per second and each reader's ratio to the baseline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.readers import open_dump  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from tests.web_pages import write_warc  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", type=Path, default=REPO.parent / "shared" / "eval")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    truth = json.loads((args.eval / "html" / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {k: gzip.decompress((args.eval / "html" / "pages" / f"{k}.html.gz").read_bytes()) for k in sorted(truth)}
    texts = [body.decode("utf-8", "replace") for body in pages.values()]
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warc = tmp / "pages.warc.gz"
        write_warc(warc, [(truth[k]["url"], body, "text/html; charset=utf-8") for k, body in pages.items()])
        files = []
        for k, body in pages.items():
            files.append(tmp / f"{k}.html.gz")
            files[-1].write_bytes(gzip.compress(body, mtime=0))

        def baseline() -> int:
            return sum(1 for t in texts if trafilatura.extract(t))

        def warc_reader() -> int:
            return sum(1 for _ in open_dump(warc, settings).documents)

        def page_reader() -> int:
            return sum(1 for f in files for _ in open_dump(f, settings).documents)

        runs = {"trafilatura.extract": baseline, "WARC reader": warc_reader, "saved-page reader": page_reader}
        baseline()  # warm-up: trafilatura's and langdetect's first calls load their data
        warc_reader()
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                start = time.perf_counter()
                n = run()
                times[name].append(time.perf_counter() - start)
                assert n == len(pages), (name, n)
    base = statistics.median(times["trafilatura.extract"])
    for name, ts in times.items():
        t = statistics.median(ts)
        print(f"{name:<20} {len(pages) / t:7.1f} pages/s  median {t:6.2f} s  ratio to extract {base / t:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
