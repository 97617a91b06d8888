"""Decoding a dump's bytes to text as a stream, never guessing silently.

The encoding is decided on the whole stream, not on a prefix: a byte order mark wins; otherwise
strict UTF-8 over every byte; otherwise cp1251 or koi8-r, told apart by the frequency of common
Russian letters (case-independent, so headlines in capitals do not fool it); otherwise
charset-normalizer, checked by decoding the whole stream strictly. NUL bytes without a BOM or
many control characters reject the dump as binary.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from charset_normalizer import from_bytes

from pipeline.ids import CHUNK_BYTES

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


class _Controls:
    """Control characters of one candidate decoding: in its first `_HEAD_CHARS` characters and in all."""

    def __init__(self) -> None:
        self.head_chars = self.head_controls = self.chars = self.controls = 0

    def add_text(self, text: str) -> None:
        if self.head_chars < _HEAD_CHARS:
            head = text[: _HEAD_CHARS - self.head_chars]
            self.head_chars += len(head)
            self.head_controls += len(_CONTROL.findall(head))
        self.chars += len(text)
        self.controls += len(_CONTROL.findall(text))

    def add_single_bytes(self, chunk: bytes, hist) -> None:
        """The same for an 8-bit encoding (one character per byte, controls at their ASCII bytes)."""
        if self.head_chars < _HEAD_CHARS:
            head = chunk[: _HEAD_CHARS - self.head_chars]
            self.head_chars += len(head)
            self.head_controls += len(head) - len(head.translate(None, _CONTROL_BYTES))
        self.chars += len(chunk)
        self.controls += int(hist[_CONTROL_INDEX].sum())

    def head_is_binary(self) -> bool:
        """Whether the first `_HEAD_CHARS` are all in and already hold too many control characters."""
        return self.head_chars >= _HEAD_CHARS and self.head_controls > max(8, self.head_chars // 1000)

    def check(self, encoding: str) -> None:
        if self.head_controls > max(8, self.head_chars // 1000) or self.controls > max(8, self.chars // 1000):
            raise DumpRejected(f"binary content: control characters in text decoded as {encoding}")


def _byte_classes(encoding: str) -> tuple[list[int], list[int], np.ndarray]:
    """For an 8-bit encoding: the bytes of the ten common Russian letters, of all Russian letters,
    and a byte -> class table (1 Latin letter, 2 Russian letter, 0 other) for `_mixed_count`."""
    chars = {b: bytes([b]).decode(encoding, "ignore") for b in range(256)}
    common = [b for b, c in chars.items() if c and c in _RU_COMMON]
    letters = [b for b, c in chars.items() if c and c in _RU_ALL]
    classes = np.zeros(256, np.uint8)
    classes[[b for b in range(256) if chr(b).isascii() and chr(b).isalpha()]] = 1
    classes[letters] = 2
    return common, letters, classes


def _mixed_count(codes: np.ndarray) -> int:
    """`len(_MIXED_SCRIPT.findall(text))` for one chunk of 8-bit text given as its byte classes.

    The pattern is `[Latin][Russian]|[Russian](?=[Latin])`, matched left to right without overlap:
    every Latin-Russian pair matches (its Latin letter is never taken by an earlier match), and a
    Russian letter before a Latin one matches unless a Latin letter before it took it."""
    latin, russian = codes == 1, codes == 2
    pairs = latin[:-1] & russian[1:]
    before = russian[:-1] & latin[1:]
    before[1:] &= ~latin[:-2]
    return int(pairs.sum() + before.sum())


_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_CONTROL_INDEX = list(_CONTROL_BYTES)
_UNDEFINED = {name: [b for b in range(256) if not bytes([b]).decode(name, "ignore")] for name in _CYRILLIC_8BIT}


class EncodingDetector:
    """Every check of `detect_encoding`, accumulated over one pass of the bytes (`feed`, `finish`),
    then decided by `verdict` with the same rules and messages.

    The 8-bit candidates are scored from their bytes with numpy, not decoded: one character per
    byte, so the letter counts, the mixed-script matches and the control characters are the same
    (the regular expressions over decoded text took 7 times as long as the rest of the pass).
    """

    def __init__(self) -> None:
        self.sample = bytearray()
        self.bom: str | None = None  # decided once the first 4 bytes are in; "" for none
        self._held: list[bytes] = []
        self.nul = False
        self.utf8_ok = True
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._replaced = codecs.getincrementaldecoder("utf-8")("replace")
        self.valid = self.invalid = 0
        self.controls = {name: _Controls() for name in ("utf-8", UTF8_REPLACED, *_CYRILLIC_8BIT)}
        self.cyrillic = {name: [0, 0, 0] for name in _CYRILLIC_8BIT}
        self._bom_decoder = None
        self.bom_error: UnicodeDecodeError | None = None

    def feed(self, chunk: bytes) -> None:
        if len(self.sample) < SAMPLE_BYTES:
            self.sample += chunk[: SAMPLE_BYTES - len(self.sample)]
        if self.bom is None:
            self._held.append(chunk)
            if len(self.sample) >= 4:
                self._start()
            return
        self._take(chunk)

    def _start(self) -> None:
        head = bytes(self.sample[:4])
        self.bom = next((name for bom, name in _BOMS if head.startswith(bom)), "")
        if self.bom:
            self.controls[self.bom] = _Controls()
            self._bom_decoder = codecs.getincrementaldecoder(self.bom)("strict")
        held, self._held = self._held, []
        for chunk in held:
            self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        if self.bom:
            self._decode_bom(chunk, False)
            return
        if b"\x00" in chunk:
            self.nul = True
        if self.utf8_ok:
            try:
                self.controls["utf-8"].add_text(self._utf8.decode(chunk))
            except UnicodeDecodeError:
                self.utf8_ok = False
        self._add_replaced(self._replaced.decode(chunk))
        if not chunk:
            return
        codes = np.frombuffer(chunk, np.uint8)
        hist = np.bincount(codes, minlength=256)
        for name in list(self.cyrillic):
            if hist[_UNDEFINED[name]].any():
                del self.cyrillic[name]  # not this encoding (as a strict decoder would fail here)
                continue
            common, letters, classes = _BYTE_CLASSES[name]
            counts = self.cyrillic[name]
            counts[0] += int(hist[common].sum())
            n_letters = int(hist[letters].sum())
            counts[1] += n_letters
            counts[2] += _mixed_count(classes[codes]) if n_letters else 0
            self.controls[name].add_single_bytes(chunk, hist)

    def _decode_bom(self, chunk: bytes, final: bool) -> None:
        if self.bom_error is not None:
            return
        try:
            self.controls[self.bom].add_text(self._bom_decoder.decode(chunk, final))
        except UnicodeDecodeError as exc:
            self.bom_error = exc

    def _add_replaced(self, text: str) -> None:
        bad = text.count("\ufffd")
        self.invalid += bad
        self.valid += len(text) - len(text.encode("ascii", "ignore")) - bad
        self.controls[UTF8_REPLACED].add_text(text)

    def finish(self) -> None:
        """The end of the stream: flush the decoders."""
        if self.bom is None:
            self._start()
        if self.bom:
            self._decode_bom(b"", True)
            return
        if self.utf8_ok:
            try:
                self.controls["utf-8"].add_text(self._utf8.decode(b"", final=True))
            except UnicodeDecodeError:
                self.utf8_ok = False
        self._add_replaced(self._replaced.decode(b"", final=True))

    def looks_binary(self, encoding: str) -> bool:
        """Whether the stream, read as `encoding`, is already sure to be rejected or read otherwise."""
        if self.bom is None:
            return False
        if self.nul and not self.bom:
            return True
        counts = self.controls.get(encoding)
        return counts is not None and counts.head_is_binary()

    def verdict(self, open_chunks: ByteChunks) -> str:
        """The encoding `detect_encoding` gives this stream (after `finish`); DumpRejected when none fits.
        `open_chunks` is read again only for an encoding that charset-normalizer proposes."""
        if self.bom:
            if self.bom_error is not None:
                exc = self.bom_error
                raise DumpRejected(f"invalid {self.bom} after its byte order mark: {exc.reason} at byte {exc.start}")
            self.controls[self.bom].check(self.bom)
            return self.bom
        if self.nul:
            raise DumpRejected("binary content: NUL bytes and no UTF-16/32 byte order mark")
        if self.utf8_ok:
            self.controls["utf-8"].check("utf-8")
            return "utf-8"
        if self.invalid <= MAX_INVALID_UTF8_SHARE * self.valid:
            self.controls[UTF8_REPLACED].check(UTF8_REPLACED)
            return UTF8_REPLACED
        plausible = []
        for name, (common, letters, mixed) in self.cyrillic.items():
            score = common / letters if letters and mixed <= MAX_MIXED_SHARE * letters else 0.0
            if letters >= MIN_CYRILLIC_LETTERS and score >= MIN_COMMON_SHARE:
                plausible.append((score, name))
        if plausible:
            name = max(plausible)[1]
            self.controls[name].check(name)
            return name
        return _charset_normalizer_verdict(bytes(self.sample), open_chunks)


_BYTE_CLASSES = {name: _byte_classes(name) for name in _CYRILLIC_8BIT}


def _charset_normalizer_verdict(sample: bytes, open_chunks: ByteChunks) -> str:
    best = from_bytes(sample).best()
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


def detect_encoding(open_chunks: ByteChunks) -> str:
    """The encoding of a byte stream (`open_chunks()` gives a fresh pass); DumpRejected when none fits.

    One pass decides (a second only when charset-normalizer has to propose the encoding)."""
    detector = EncodingDetector()
    for chunk in open_chunks():
        detector.feed(chunk)
    detector.finish()
    return detector.verdict(open_chunks)


def guess_encoding(prefix: bytes) -> str:
    """A first guess from the stream's first bytes, for decoding while `EncodingDetector` reads the
    whole stream (the guess is checked against its verdict at the end)."""
    for bom, name in _BOMS:
        if prefix.startswith(bom):
            return name
    if b"\x00" not in prefix:
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(prefix)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        return detect_encoding(lambda: [prefix])
    except DumpRejected:
        return "utf-8"


def _byte_chunks(data: bytes) -> ByteChunks:
    return lambda: (data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES))


def decode_bytes(data: bytes) -> DecodedText:
    """Decode a whole dump held in memory (the streaming readers use `detect_encoding` + `iter_lines`)."""
    chunks = _byte_chunks(data)
    encoding = detect_encoding(chunks)
    return DecodedText("\n".join(iter_lines(chunks(), encoding)), encoding)
