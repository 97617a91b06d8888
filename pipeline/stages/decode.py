"""Decoding a dump's bytes to text as a stream, never guessing silently.

The encoding is decided on the whole stream, not on a prefix: a byte order mark wins; otherwise
strict UTF-8 over every byte; otherwise cp1251 or koi8-r, told apart by the frequency of common
Russian letters (case-independent, so headlines in capitals do not fool it); otherwise
charset-normalizer, checked by decoding the whole stream strictly. NUL bytes without a BOM or
many control characters reject the dump as binary.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

CHUNK_BYTES = 1 << 20
UTF8_REPLACED = "utf-8 (invalid bytes replaced)"
MAX_INVALID_UTF8_SHARE = 0.01  # invalid sequences per valid non-ASCII character for UTF8_REPLACED
SAMPLE_BYTES = 1 << 20


class DumpRejected(ValueError):
    """A dump that cannot be read; the message is the manifest's `error`.

    `dump_id` and `size_bytes` are set once the file's bytes were hashed, so the manifest row
    names the dump even when it is rejected.
    """

    def __init__(self, reason: str, dump_id: str | None = None, size_bytes: int = 0) -> None:
        super().__init__(reason)
        self.dump_id = dump_id
        self.size_bytes = size_bytes


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


ByteChunks = Callable[[], Iterable[bytes]]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CYRILLIC_8BIT = ("cp1251", "koi8-r")
_RU_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_RU_ALL = _RU_LETTERS + _RU_LETTERS.upper()
_RU_COMMON = "оеаинтсрвл" + "оеаинтсрвл".upper()  # the ten most frequent letters of Russian text
MIN_CYRILLIC_LETTERS = 20
MIN_COMMON_SHARE = 0.45  # real Russian ~0.65; cp1251 read as koi8-r (or back) ~0.35
MAX_MIXED_SHARE = 0.2
_MIXED_SCRIPT = re.compile(r"[A-Za-z][а-яёА-ЯЁ]|[а-яёА-ЯЁ](?=[A-Za-z])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HEAD_CHARS = 100_000


def dump_id_of(data: bytes) -> str:
    """The dump's identity: the sha256 of its bytes (first 16 hex digits)."""
    return hashlib.sha256(data).hexdigest()[:16]


def iter_file_bytes(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The raw bytes of a file, in chunks."""
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            yield chunk


def dump_id_of_file(path: Path) -> tuple[str, int]:
    """(dump id, size in bytes) of a file, hashed in chunks: memory does not grow with the file."""
    h, size = hashlib.sha256(), 0
    for chunk in iter_file_bytes(path):
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest()[:16], size


def normalize_text(text: str) -> str:
    """Unify line ends to `\\n` and compose Unicode (NFC)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _decoded(chunks: Iterable[bytes], encoding: str) -> Iterator[str]:
    """Incremental decoding, strict (raises UnicodeDecodeError) except for UTF8_REPLACED."""
    if encoding == UTF8_REPLACED:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
    else:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
    for chunk in chunks:
        if text := decoder.decode(chunk):
            yield text
    if text := decoder.decode(b"", final=True):
        yield text


def iter_lines(chunks: Iterable[bytes], encoding: str) -> Iterator[str]:
    """The decoded text as lines without their `\\n`: `"\\n".join(lines)` is the normalized text.

    `\\r\\n` and `\\r` end lines too (a `\\r` at a chunk's end waits for the next chunk); each line
    is NFC-composed (a line end never takes part in a composition, so this equals NFC of the whole).
    """
    pending: list[str] = []
    carry_cr = False
    for text in _decoded(chunks, encoding):
        if carry_cr:
            text, carry_cr = "\r" + text, False
        if text.endswith("\r"):
            text, carry_cr = text[:-1], True
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        pending.append(parts[0])
        if len(parts) > 1:
            yield unicodedata.normalize("NFC", "".join(pending))
            for part in parts[1:-1]:
                yield unicodedata.normalize("NFC", part)
            pending = [parts[-1]]
    if carry_cr:
        yield unicodedata.normalize("NFC", "".join(pending))
        pending = []
    yield unicodedata.normalize("NFC", "".join(pending))


def _check_controls(chunks: Iterable[bytes], encoding: str) -> None:
    """Decode the whole stream strictly; reject text with many control characters (binary data)."""
    head_chars = head_controls = chars = controls = 0
    for text in _decoded(chunks, encoding):
        if head_chars < _HEAD_CHARS:
            head = text[: _HEAD_CHARS - head_chars]
            head_chars += len(head)
            head_controls += len(_CONTROL.findall(head))
        chars += len(text)
        controls += len(_CONTROL.findall(text))
    if head_controls > max(8, head_chars // 1000) or controls > max(8, chars // 1000):
        raise DumpRejected(f"binary content: control characters in text decoded as {encoding}")


def _cyrillic_scores(chunks: Iterable[bytes]) -> dict[str, tuple[float, int]]:
    """For cp1251 and koi8-r: (plausibility, Cyrillic letters) over the whole stream.

    Plausibility is the share of the ten most common Russian letters among the Cyrillic ones
    (case-independent), or 0 when Cyrillic letters mostly sit inside Latin words, as Latin-1
    accents read as cp1251 do (`Genиve`).
    """
    decoders = {name: codecs.getincrementaldecoder(name)("strict") for name in _CYRILLIC_8BIT}
    counts = {name: [0, 0, 0] for name in _CYRILLIC_8BIT}
    for chunk in chunks:
        for name in list(decoders):
            try:
                text = decoders[name].decode(chunk)
            except UnicodeDecodeError:
                del decoders[name]
                continue
            c = counts[name]
            c[0] += sum(text.count(ch) for ch in _RU_COMMON)
            c[1] += sum(text.count(ch) for ch in _RU_ALL)
            c[2] += len(_MIXED_SCRIPT.findall(text))
    scores = {}
    for name in decoders:
        common, letters, mixed = counts[name]
        plausible = letters and mixed <= MAX_MIXED_SHARE * letters
        scores[name] = (common / letters if plausible else 0.0, letters)
    return scores


def _utf8_or_binary(chunks: Iterable[bytes]) -> bool:
    """True when the stream is valid UTF-8; rejects NUL bytes (binary, or UTF-16/32 without a BOM)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    ok = True
    for chunk in chunks:
        if b"\x00" in chunk:
            raise DumpRejected("binary content: NUL bytes and no UTF-16/32 byte order mark")
        if ok:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                ok = False
    if ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            ok = False
    return ok


def _mostly_utf8(chunks: Iterable[bytes]) -> bool:
    """UTF-8 with a few damaged bytes (a cut or a bad copy), not text in another encoding.

    Read as UTF-8, cp1251 or koi8-r text breaks at nearly every Cyrillic letter; a damaged UTF-8
    file has many valid non-ASCII characters for each invalid sequence.
    """
    valid = invalid = 0
    for text in _decoded(chunks, UTF8_REPLACED):
        bad = text.count("\ufffd")
        invalid += bad
        valid += len(text) - len(text.encode("ascii", "ignore")) - bad
    return invalid <= MAX_INVALID_UTF8_SHARE * valid


def _sample(chunks: Iterable[bytes]) -> bytes:
    out = bytearray()
    for chunk in chunks:
        out += chunk[: SAMPLE_BYTES - len(out)]
        if len(out) >= SAMPLE_BYTES:
            break
    return bytes(out)


def detect_encoding(open_chunks: ByteChunks) -> str:
    """The encoding of a byte stream (`open_chunks()` gives a fresh pass); DumpRejected when none fits."""
    head = _sample(open_chunks())[:4]
    for bom, name in _BOMS:
        if head.startswith(bom):
            try:
                _check_controls(open_chunks(), name)
            except UnicodeDecodeError as exc:
                raise DumpRejected(
                    f"invalid {name} after its byte order mark: {exc.reason} at byte {exc.start}"
                ) from None
            return name
    if _utf8_or_binary(open_chunks()):
        _check_controls(open_chunks(), "utf-8")
        return "utf-8"
    if _mostly_utf8(open_chunks()):
        _check_controls(open_chunks(), UTF8_REPLACED)
        return UTF8_REPLACED
    scores = _cyrillic_scores(open_chunks())
    plausible = [(s, name) for name, (s, n) in scores.items() if n >= MIN_CYRILLIC_LETTERS and s >= MIN_COMMON_SHARE]
    if plausible:
        name = max(plausible)[1]
        _check_controls(open_chunks(), name)
        return name
    best = from_bytes(_sample(open_chunks())).best()
    if best is None or best.encoding is None:
        raise DumpRejected(
            "undecodable text: not UTF-8, UTF-16/32 with a BOM, cp1251, koi8-r or another known encoding"
        )
    name = codecs.lookup(best.encoding).name
    try:
        _check_controls(open_chunks(), name)
    except UnicodeDecodeError as exc:
        raise DumpRejected(f"undecodable text: looks like {name} but byte {exc.start} is not ({exc.reason})") from None
    return name


def _byte_chunks(data: bytes) -> ByteChunks:
    return lambda: (data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES))


def decode_bytes(data: bytes) -> DecodedText:
    """Decode a whole dump held in memory (the streaming readers use `detect_encoding` + `iter_lines`)."""
    chunks = _byte_chunks(data)
    encoding = detect_encoding(chunks)
    return DecodedText("\n".join(iter_lines(chunks(), encoding)), encoding)
