"""Decoding: every encoding and line end of the sample gives the same documents; bad bytes are rejected."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.readers import open_dump
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected, decode_bytes, detect_encoding, iter_lines, normalize_text
from tests.conftest import SAMPLE_DUMP

SAMPLE = SAMPLE_DUMP.read_text(encoding="utf-8")
KOI8_SAFE = SAMPLE.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'}))  # koi8-r has no curly quotes


def _documents(path):
    source = open_dump(path, Settings())
    docs = [(d.title, d.text, d.lang, d.n_paragraphs) for d in source.documents]
    return source.encoding, docs


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The documents of the UTF-8 sample, and of its koi8-r-safe variant, with real langdetect."""
    base = tmp_path_factory.mktemp("ref")
    out = {}
    for name, text in (("sample", SAMPLE), ("koi8_safe", KOI8_SAFE)):
        path = base / f"{name}.txt"
        path.write_bytes(text.encode("utf-8"))
        encoding, docs = _documents(path)
        assert encoding == "utf-8"
        out[name] = docs
    assert len(out["sample"]) == 6 and out["sample"][4][0]
    return out


@pytest.mark.parametrize(
    ("variant", "encode", "expected_encoding", "reference_name"),
    [
        ("cp1251", lambda t: t.encode("cp1251"), "cp1251", "sample"),
        ("koi8-r", lambda t: t.encode("koi8-r"), "koi8-r", "koi8_safe"),
        ("utf-16-le-bom", lambda t: t.encode("utf-16"), "utf-16", "sample"),
        ("utf-16-be-bom", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16", "sample"),
        ("utf-32-bom", lambda t: t.encode("utf-32"), "utf-32", "sample"),
        ("utf-8-bom", lambda t: t.encode("utf-8-sig"), "utf-8-sig", "sample"),
        ("crlf", lambda t: t.replace("\n", "\r\n").encode("utf-8"), "utf-8", "sample"),
        ("cr", lambda t: t.replace("\n", "\r").encode("utf-8"), "utf-8", "sample"),
        ("cp1251-crlf", lambda t: t.replace("\n", "\r\n").encode("cp1251"), "cp1251", "sample"),
        ("koi8-r-capitals", lambda t: t.encode("koi8-r"), "koi8-r", "koi8_safe"),
    ],
)
def test_reencoded_sample_gives_the_same_documents(
    reference, tmp_path, variant, encode, expected_encoding, reference_name
):
    text = KOI8_SAFE if reference_name == "koi8_safe" else SAMPLE
    if variant == "koi8-r-capitals":  # capitals must not fool the cp1251/koi8-r check
        path = tmp_path / "caps.txt"
        path.write_bytes(text.upper().encode("koi8-r"))
        encoding, docs = _documents(path)
        assert encoding == "koi8-r"
        assert "ГЕНЕРАЛЬНАЯ АССАМБЛЕЯ" in " ".join(d[1] for d in docs)
        return
    path = tmp_path / f"{variant}.txt"
    path.write_bytes(encode(text))
    encoding, docs = _documents(path)
    assert encoding == expected_encoding
    assert docs == reference[reference_name]


def test_decoded_text_is_nfc_with_unix_line_ends():
    decomposed = "Сергеи\u0306 Лавров\r\nМИД\rРоссии\n".encode()
    assert decode_bytes(decomposed).text == "Сергей Лавров\nМИД\nРоссии\n"


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.sampled_from(list("ab й\u0306ё\r\n€ДЖ\t")), max_size=60),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig", "cp1251"]),
    chunk=st.integers(1, 7),
)
def test_streamed_lines_equal_the_whole_decoded_text(text, encoding, chunk):
    """Chunk boundaries inside a character, a \\r\\n or a combining sequence change nothing."""
    data = text.encode(encoding, errors="replace")
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    expected = normalize_text(data.decode(encoding))
    assert "\n".join(iter_lines(pieces, encoding)) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary content"),
        (random.Random(7).randbytes(5000), "binary content"),
        (bytes(b for b in random.Random(3).randbytes(20000) if b not in (0, 9, 10, 13)), "binary content|undecodable"),
        (codecs.BOM_UTF16_LE + "Москва".encode("utf-16-le") + b"\x00\xd8", "invalid utf-16"),
        ("Москва, 26 июля".encode("utf-16-le"), "NUL bytes"),
    ],
    ids=["png", "random", "random-no-nul", "bad-utf16", "utf16-no-bom"],
)
def test_unreadable_bytes_are_rejected_with_a_reason(data, reason):
    with pytest.raises(DumpRejected, match=reason):
        detect_encoding(lambda: [data])


def test_other_encodings_found_by_charset_normalizer():
    """Latin-1 accents read as cp1251 would be Cyrillic letters inside Latin words: left to charset-normalizer."""
    text = (
        "Die Außenminister der Mitgliedstaaten trafen sich am Donnerstag in Genf. Über die Lage in Mittelasien "
        "wurde ausführlich gesprochen; die Gespräche seien offen und nützlich gewesen, hieß es.\n"
    ) * 5
    encoding = detect_encoding(lambda: [text.encode("cp1252")])
    assert encoding.startswith("cp125") and encoding != "cp1251"
    assert decode_bytes(text.encode("cp1252")).text == text


def test_utf8_is_checked_on_the_whole_stream_not_a_prefix():
    """Valid UTF-8 for megabytes, then cp1251: decided on every byte, so read as cp1251, not mangled."""
    ascii_head = ("Plain English line.\n" * 60_000).encode()
    tail = "Москва, 26 июля - РИА Новости. Генеральная Ассамблея ООН приняла резолюцию.\n".encode("cp1251")
    data = ascii_head + tail
    assert detect_encoding(lambda: [data[i : i + 65536] for i in range(0, len(data), 65536)]) == "cp1251"
    assert decode_bytes(data).text.endswith("Генеральная Ассамблея ООН приняла резолюцию.\n")


def test_damaged_utf8_is_read_with_replacements_not_as_cp1251(tmp_path):
    """A few bad bytes in a UTF-8 dump: read as UTF-8, replaced and reported; never mojibake."""
    good = SAMPLE.encode("utf-8")
    cut = good.index("Генеральная".encode())
    path = tmp_path / "damaged.txt"
    path.write_bytes(good[:cut] + b"\xff" + good[cut + 1 :])
    source = open_dump(path, Settings())
    texts = " ".join(d.text for d in source.documents)
    assert source.encoding == "utf-8 (invalid bytes replaced)"
    assert source.problems == ["bytes that are not valid UTF-8 were replaced by U+FFFD"]
    assert "\ufffd" in texts and "Ассамблея" in texts


def test_one_pass_scoring_of_8bit_text_counts_as_the_regular_expression():
    """The mixed-script count from byte classes equals `_MIXED_SCRIPT.findall` over the decoded text."""
    import random

    import numpy as np

    from pipeline.stages import decode

    rng = random.Random(1)
    alphabet = [*b"abcXYZ .", 0xC0, 0xE0, 0xF0, 0xA8, 0xB8, 0xC1, 0xE3, 0x98, 0x80]
    for name in ("cp1251", "koi8-r"):
        classes = decode._BYTE_CLASSES[name][2]
        for _ in range(3000):
            data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 12)))
            want = len(decode._MIXED_SCRIPT.findall(data.decode(name, "replace")))
            assert decode._mixed_count(classes[np.frombuffer(data, np.uint8)]) == want, (name, data)
