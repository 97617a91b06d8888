"""Language identification with langdetect, seeded, on a bounded sample of the text."""

from __future__ import annotations

from dataclasses import dataclass

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0

UNDETERMINED = "und"
MIN_LETTERS = 12


@dataclass(frozen=True)
class LanguageGuess:
    lang: str
    prob: float


def _letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


def bounded_sample(text: str, max_chars: int) -> str:
    """A bounded sample: the start of the text, cut at a word boundary."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


def detect_language(text: str, max_chars: int = 500, min_prob: float = 0.70) -> LanguageGuess:
    """ISO 639-1 code and probability; `und` when the text is too short or langdetect unsure."""
    sample = bounded_sample(text, max_chars)
    if _letters(sample) < MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0)
    DetectorFactory.seed = 0
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return LanguageGuess(UNDETERMINED, 0.0)
    lang = best.lang.split("-")[0]
    if best.prob < min_prob:
        return LanguageGuess(UNDETERMINED, round(float(best.prob), 4))
    return LanguageGuess(lang, round(float(best.prob), 4))
