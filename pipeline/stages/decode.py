"""Reading a dump's bytes and decoding them to text, never guessing silently."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from charset_normalizer import from_bytes


class DumpRejected(ValueError):
    """A dump that cannot be read; the message is the manifest's `error`."""


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CYRILLIC_8BIT = ("cp1251", "koi8_r")
_LOWER_RU = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_UPPER_RU = {c.upper() for c in _LOWER_RU}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def dump_id_of(data: bytes) -> str:
    """The dump's identity: the sha256 of its bytes (first 16 hex digits)."""
    return hashlib.sha256(data).hexdigest()[:16]


def normalize_text(text: str) -> str:
    """Unify line ends to `\\n` and compose Unicode (NFC)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _cyrillic_plausibility(text: str) -> float:
    """Share of Cyrillic letters that are lower case: high for real Russian text.

    cp1251 bytes read as koi8-r (and the reverse) turn most lower-case letters into upper case.
    """
    lower = sum(1 for c in text if c in _LOWER_RU)
    upper = sum(1 for c in text if c in _UPPER_RU)
    return lower / (lower + upper) if lower + upper else 0.0


def _check_text(text: str, encoding: str) -> DecodedText:
    if text and len(_CONTROL.findall(text[:100_000])) > max(8, len(text[:100_000]) // 1000):
        raise DumpRejected(f"binary content: control characters in text decoded as {encoding}")
    return DecodedText(normalize_text(text), encoding)


def decode_bytes(data: bytes) -> DecodedText:
    """Decode a dump: BOMs first, then strict UTF-8, then Cyrillic 8-bit code pages, then others."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(name), name)
            except UnicodeDecodeError as exc:
                raise DumpRejected(f"invalid {name} after its byte order mark: {exc}") from None
    if b"\x00" in data[:65536]:
        raise DumpRejected("binary content: NUL bytes and no UTF-16/32 byte order mark")
    try:
        return _check_text(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for name in _CYRILLIC_8BIT:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        letters = sum(1 for c in text[:200_000] if c in _LOWER_RU or c in _UPPER_RU)
        if letters >= 20:
            candidates.append((_cyrillic_plausibility(text[:200_000]), name, text))
    if candidates:
        score, name, text = max(candidates)
        if score >= 0.6:
            return _check_text(text, name.replace("_", "-"))
    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise DumpRejected("undecodable text: not UTF-8, UTF-16, cp1251, koi8-r or another known encoding")
    try:
        return _check_text(data.decode(best.encoding), best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DumpRejected(f"undecodable text: {exc}") from None
