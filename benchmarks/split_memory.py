"""Peak memory of reading and splitting a dump: 10 MB against 200 MB, each in a fresh process.

    .venv/bin/python benchmarks/split_memory.py [--sizes 10 200] [--detector script|langdetect]
        [--layout blocks|one-blank]

Dumps are built in a temporary folder (never committed) from the real records of
`../shared/eval/pairing/*.jsonl` (Russian and English news), laid out as a site dump (documents
separated by two blank lines, some with a headline, some of two paragraphs), each document varied
(sentences rotated, a running number) so that none repeats exactly. Each dump is read with
`open_dump` and its documents consumed one by one, in a subprocess that reports its peak RSS.

`--layout one-blank` writes the documents with one blank line between them, as between their
paragraphs (each record's own paragraphs): the layout then gives no answer and the splitter
finds the boundaries by topic (TextTiling with the sentence encoder, a look-ahead of a few
paragraphs), so this measures that path too; it embeds every paragraph (use small sizes). The
encoder is loaded before the baseline RSS is taken.

`--detector script` (default) replaces langdetect by a cheap majority-script detector inside the
splitter: langdetect costs about 3 ms a paragraph (minutes for 200 MB) and its memory does not
depend on the dump. `--detector langdetect` runs the real one (use small sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVAL_PAIRING = Path(os.environ.get("PIPELINE_SHARED_DIR", REPO.parent / "shared")) / "eval" / "pairing"

_MEASURE = r"""
import json, re, resource, sys, time
from pathlib import Path
from pipeline.settings import Settings
from pipeline.readers import text as documents_stage
from pipeline.stages.language import UNDETERMINED, LanguageGuess, detect_language
from pipeline.readers import open_dump

path, detector, layout = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if layout == "one-blank":
    from pipeline.stages.split import default_embed
    default_embed(["load the sentence encoder before the baseline"])
if detector == "script":
    cyr, lat = re.compile(r"[а-яёА-ЯЁ]"), re.compile(r"[a-zA-Z]")

    def script_detect(text):
        sample = text[:500]
        c, l = len(cyr.findall(sample)), len(lat.findall(sample))
        return LanguageGuess(UNDETERMINED, 0.0) if c + l < 12 else LanguageGuess("ru" if c > l else "en", 1.0)

    documents_stage.language_detector = lambda *args, **kwargs: script_detect
else:
    detect_language("warm up the language profiles")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
source = open_dump(path, Settings())
n_docs = n_chars = 0
langs = {}
for doc in source.documents:
    n_docs += 1
    n_chars += len(doc.text)
    langs[doc.lang] = langs.get(doc.lang, 0) + 1
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"docs": n_docs, "chars": n_chars, "langs": langs, "seconds": seconds,
                  "base_rss_kb": base, "peak_rss_kb": peak}))
"""


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?…])\s+", text) if s]


def _headline(text: str, rng: random.Random) -> str:
    words = re.sub(r"[^\w\s-]", "", text).split()[: rng.randint(4, 9)]
    return " ".join(words)


def build_dump(path: Path, size_bytes: int, seed: int = 0, layout: str = "blocks") -> int:
    """Write a dump of about `size_bytes` from the real records; returns the number of documents."""
    records = []
    for jsonl in sorted(EVAL_PAIRING.glob("*.jsonl")):
        rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
        records += [row["text"] for row in rows if "text" in row]  # not the gold alignments (segments.jsonl)
    rng = random.Random(seed)
    written = n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        while written < size_bytes:
            text = records[n % len(records)]
            if layout == "one-blank":  # the record's own paragraphs, one blank line everywhere
                chunk = "\n\n".join(text.split("\n")) + f" ({n + 1})\n\n"
            else:
                sentences = _sentences(text)
                k = (n // len(records)) % max(1, len(sentences))
                sentences = sentences[k:] + sentences[:k]
                body = " ".join(sentences) + f" ({n + 1})"
                if len(sentences) > 3 and rng.random() < 0.3:  # two paragraphs
                    cut = len(sentences) // 2
                    body = " ".join(sentences[:cut]) + "\n\n" + " ".join(sentences[cut:]) + f" ({n + 1})"
                if rng.random() < 0.25:
                    body = _headline(text, rng) + "\n\n" + body
                chunk = body + "\n\n\n"
            f.write(chunk)
            written += len(chunk.encode("utf-8"))
            n += 1
    return n


def measure(path: Path, detector: str, layout: str = "blocks") -> dict:
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), detector, layout],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode:
        raise SystemExit(run.stderr[-3000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200], help="dump sizes in MB")
    parser.add_argument("--detector", choices=["script", "langdetect"], default="script")
    parser.add_argument("--layout", choices=["blocks", "one-blank"], default="blocks")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="split_memory_") as tmp:
        for mb in args.sizes:
            path = Path(tmp) / f"dump_{mb}mb.txt"
            t0 = time.perf_counter()
            n_written = build_dump(path, mb * 1_000_000, layout=args.layout)
            built = time.perf_counter() - t0
            r = measure(path, args.detector, args.layout)
            r["size_mb"] = path.stat().st_size / 1e6
            results[mb] = r
            print(
                f"{mb:>5} MB dump ({r['size_mb']:.1f} MB, {n_written} documents written, built in {built:.1f} s): "
                f"{r['docs']} documents {r['langs']}, split in {r['seconds']:.1f} s "
                f"({r['size_mb'] / r['seconds']:.2f} MB/s), "
                f"peak RSS {r['peak_rss_kb'] / 1024:.0f} MiB (after imports {r['base_rss_kb'] / 1024:.0f} MiB)",
                flush=True,
            )
            path.unlink()
    sizes = sorted(results)
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        growth = lambda r: r["peak_rss_kb"] - r["base_rss_kb"]  # noqa: E731
        print(
            f"ratio {sizes[-1]} MB / {sizes[0]} MB: dump size x{large['size_mb'] / small['size_mb']:.1f}, "
            f"peak RSS x{large['peak_rss_kb'] / small['peak_rss_kb']:.2f}, "
            f"RSS growth while splitting x{growth(large) / max(1, growth(small)):.2f} "
            f"({growth(small) / 1024:.0f} -> {growth(large) / 1024:.0f} MiB), "
            f"time x{large['seconds'] / small['seconds']:.1f}"
        )


if __name__ == "__main__":
    main()
