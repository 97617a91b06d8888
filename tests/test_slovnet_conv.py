"""The faster Slovnet convolution gives Slovnet's own outputs, bit for bit, and the same entities."""

from __future__ import annotations

import json

import numpy as np
from natasha import NewsEmbedding, NewsNERTagger
from slovnet.exec.model import Conv1d

from pipeline.nlp.slovnet_conv import FastConv1d, use_fast_convolutions
from tests.conftest import EVAL


def test_every_convolution_of_the_tagger_is_switched_and_computes_the_same_numbers():
    fast = NewsNERTagger(NewsEmbedding())
    assert use_fast_convolutions(fast.infer.model) == 3
    assert use_fast_convolutions(fast.infer.model) == 0  # already switched
    rng = np.random.default_rng(0)
    convs = []

    def collect(item) -> None:
        if isinstance(item, Conv1d):
            convs.append(item)
        for child in vars(item).values() if hasattr(item, "__attributes__") else item:
            if hasattr(child, "__attributes__") or isinstance(child, list | tuple):
                collect(child)

    collect(fast.infer.model)
    assert len(convs) == 3 and all(type(c) is FastConv1d for c in convs)
    for conv in convs:
        for batch, length in ((1, 1), (3, 7), (8, 41)):
            x = rng.standard_normal((batch, conv.weight.shape[1], length)).astype(np.float32)
            assert np.array_equal(conv(x), Conv1d.__call__(conv, x))


def test_the_tagger_finds_the_same_spans():
    reference, fast = NewsNERTagger(NewsEmbedding()), NewsNERTagger(NewsEmbedding())
    use_fast_convolutions(fast.infer.model)
    with open(EVAL / "ner" / "factru_dev.jsonl", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line, _ in zip(f, range(120))]
    pairing = (EVAL / "pairing" / "wmt21_ruen.jsonl").read_text("utf-8").splitlines()
    texts += [json.loads(line)["text"] for line in pairing[:80]]
    spans = [[(s.start, s.stop, s.type) for s in m.spans] for m in fast.map(texts)]
    assert spans == [[(s.start, s.stop, s.type) for s in m.spans] for m in reference.map(texts)]
    assert sum(map(len, spans)) > 500


def test_the_pipeline_tagger_uses_the_fast_convolutions():
    from pipeline.nlp.components.russian import natasha_models

    assert use_fast_convolutions(natasha_models()["ner"].infer.model) == 0  # switched when it was loaded
