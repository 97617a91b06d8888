"""Language identification with langdetect, seeded, on a bounded sample of the text.

`ArrayDetector` is langdetect's own `Detector` (its profiles, n-grams, random trials and seed) with
its hot loops done faster: the per-character normalization is memoized, the n-grams of a word are
computed once per word (as rows of one array of their language probabilities), and the random walk
updates the 55 probabilities as numpy arrays, five draws at a time. Every operation is the same
floating-point operation in the same order, so the answers are langdetect's exactly (a test
compares them on the eval texts); it is about 2.5 times faster than langdetect.

langdetect's profiles (55 JSON files read into a dict of 87,598 n-grams, 0.31 s of CPU in each
process that detects) are kept in the cache folder (`Settings.cache_dir`) as the same
probabilities in one float64 matrix, under a key of the langdetect version and its profile files
(names in langdetect's reading order, sizes, modification times) and Python's version: 0.03 s to
read. An unreadable file is built again from langdetect's own factory.

Private names of langdetect (`Detector`'s `_extract_ngrams`, `_detect_block` and the like, its
factory's `_factory`), kept: 1.9x faster detection on the samples the pipeline reads and 0.07 s
instead of 0.30 s for the profiles in each process (`benchmarks/private_apis.py`); the answers are
compared with langdetect's (tests/test_language_detector.py) and tests/test_private_apis.py fails
when one of the names changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
from langdetect import DetectorFactory
from langdetect import detector_factory as factory
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram
from langdetect.utils.unicode_block import unicode_block

from pipeline.cache_files import read_pickle, write_pickle
from pipeline.settings import default

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


class _NormalizedChars(dict):
    """`str.translate` table: each character as langdetect's n-gram model reads it (memoized)."""

    def __missing__(self, code: int) -> str:
        ch = self[code] = NGram.normalize(chr(code))
        return ch


_NORMALIZED = _NormalizedChars()
_NON_LATIN: dict[str, bool] = {}
_WORD_NGRAMS: dict[tuple[str, bool], list[int]] = {}
_MAX_CACHED_WORDS = 500_000


class _GramProfiles:
    """langdetect's probabilities of each n-gram met so far in each language, as rows of one
    array (at most its 87,598 known n-grams: 38 MB)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.rows = np.empty((0, 0))
        self._lock = threading.Lock()

    def id_of(self, gram: str, known: dict) -> int:
        found = self.ids.get(gram)
        if found is not None:
            return found
        with self._lock:  # a new n-gram: its row is written before its id is visible
            found = self.ids.get(gram)
            if found is None:
                found = len(self.ids)
                if found >= len(self.rows):
                    grown = np.empty((max(1024, 2 * len(self.rows)), len(known[gram])))
                    if len(self.rows):
                        grown[: len(self.rows)] = self.rows
                    self.rows = grown
                self.rows[found] = known[gram]
                self.ids[gram] = found
        return found


_GRAMS = _GramProfiles()


def _word_ngrams(word: str, spaced: bool, known: dict) -> list[int]:
    """The known n-grams langdetect extracts from one normalized word (and the space after it),
    as rows of `_GRAMS`."""
    found = _WORD_NGRAMS.get((word, spaced))
    if found is None:
        found, grams, capital = [], " ", False
        for ch in word + (" " if spaced else ""):
            last = grams[-1]
            grams = (grams[1:] if len(grams) >= NGram.N_GRAM else grams) + ch
            capital = (ch.isupper() and last.isupper()) or (ch.isupper() and capital)
            if capital:
                continue
            for n in range(1, min(len(grams), NGram.N_GRAM) + 1):
                if grams[-n:] != " " and grams[-n:] in known:
                    found.append(_GRAMS.id_of(grams[-n:], known))
        if len(_WORD_NGRAMS) < _MAX_CACHED_WORDS:
            _WORD_NGRAMS[(word, spaced)] = found
    return found


class ArrayDetector(Detector):
    """langdetect's Detector with the same answers, faster (see the module docstring)."""

    def cleaning_text(self) -> None:
        latin = non_latin = 0
        for ch in self.text:
            if "A" <= ch <= "z":
                latin += 1
            else:
                flag = _NON_LATIN.get(ch)
                if flag is None:
                    flag = _NON_LATIN[ch] = ch >= "\u0300" and unicode_block(ch) != "Latin Extended Additional"
                non_latin += flag
        if latin * 2 < non_latin:
            self.text = "".join(ch for ch in self.text if ch < "A" or "z" < ch)

    def _extract_ngrams(self) -> list[int]:
        words = self.text.translate(_NORMALIZED).split(" ")
        out: list[int] = []
        for i, word in enumerate(words):
            if word:
                out.extend(_word_ngrams(word, i < len(words) - 1, self.word_lang_prob_map))
        return out

    def _init_probability(self) -> np.ndarray:
        if self.prior_map is not None:
            return np.array(self.prior_map, dtype=np.float64)
        return np.full(len(self.langlist), 1.0 / len(self.langlist))

    def _normalize_prob(self, prob: np.ndarray) -> float:
        values = prob.tolist()
        total = sum(values)  # Python's own `sum` over a list, as langdetect's
        prob /= total
        return max(values) / total  # division by a positive number keeps the order

    def _detect_block(self) -> None:
        """langdetect's random walk, five updates at a time: the same random draws (`choice` is
        `seq[_randbelow(len(seq))]`) and the same products in the same order, since a product
        reduced over the rows of an array multiplies them one after the other."""
        self.cleaning_text()
        grams = self._extract_ngrams()
        if not grams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        rows, draw, n = _GRAMS.rows, self.random._randbelow, len(grams)
        langprob = np.zeros(len(self.langlist))
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = self._init_probability()
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            prob *= weight + rows[grams[draw(n)]]  # update 0, then a check
            i = 0
            while self._normalize_prob(prob) <= self.CONV_THRESHOLD and i < self.ITERATION_LIMIT:
                block = rows[[grams[draw(n)] for _ in range(5)]]  # updates i+1 .. i+5
                block += weight
                np.multiply(prob, block[0], out=block[0])
                np.multiply.reduce(block, axis=0, out=prob)
                i += 5
            langprob += prob / self.n_trial
        self.langprob = list(langprob)


TRIALS = 7  # langdetect's own number of random trials, averaged into its probabilities


class GramProbabilities:
    """langdetect's `word_lang_prob_map` as one matrix: `gram in m`, and `m[gram]`, the gram's
    probability in each language (a row, the same float64 values)."""

    def __init__(self, grams: list[str], matrix: np.ndarray):
        self.index = {g: i for i, g in enumerate(grams)}
        self.grams, self.matrix = grams, matrix

    def __contains__(self, gram: object) -> bool:
        return gram in self.index

    def __getitem__(self, gram: str) -> np.ndarray:
        return self.matrix[self.index[gram]]

    def __len__(self) -> int:
        return len(self.grams)


@dataclass
class Profiles:
    """What langdetect's `Detector` takes from its factory: the languages in the factory's order,
    the n-grams' probabilities and the seed (langdetect's class-wide `DetectorFactory.seed`)."""

    langlist: list[str]
    word_lang_prob_map: GramProbabilities

    @property
    def seed(self):
        return DetectorFactory.seed


def profiles_cache_key() -> str:
    """16 hex digits of sha256 over the langdetect version, its profile files in the order its
    factory reads them (with their sizes and modification times) and Python's version."""
    digest = hashlib.sha256(f"langdetect={importlib.metadata.version('langdetect')}\0{sys.version}\0".encode())
    for name in os.listdir(factory.PROFILES_DIRECTORY):
        st = os.stat(os.path.join(factory.PROFILES_DIRECTORY, name))
        digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


def build_profiles() -> Profiles:
    """langdetect's own factory (its profiles as it loads them), as `Profiles`."""
    factory.init_factory()
    built = factory._factory
    grams = list(built.word_lang_prob_map)
    matrix = np.array([built.word_lang_prob_map[g] for g in grams], dtype=np.float64)
    return Profiles(list(built.langlist), GramProbabilities(grams, matrix))


_PROFILES_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _profiles(cache_dir: str) -> Profiles:
    path = Path(cache_dir) / f"langdetect-{profiles_cache_key()}.pickle" if cache_dir else None
    if path is not None:
        kept = read_pickle(path)
        with contextlib.suppress(TypeError, ValueError):  # not the three parts: built again
            langlist, grams, matrix = kept
            if isinstance(matrix, np.ndarray) and matrix.shape == (len(grams), len(langlist)):
                return Profiles(langlist, GramProbabilities(grams, matrix))
    built = build_profiles()
    if path is not None:
        write_pickle(path, (built.langlist, built.word_lang_prob_map.grams, built.word_lang_prob_map.matrix))
    return built


_DEFAULT_PROFILES: list[Profiles] = []  # the settings' folder's, once loaded (every detection asks)


def profiles(cache_dir: str | None = None) -> Profiles:
    """langdetect's profiles, loaded once per process (from the cache folder when kept there);
    `cache_dir` None: the settings' folder; "": none."""
    if cache_dir is None and _DEFAULT_PROFILES:
        return _DEFAULT_PROFILES[0]
    with _PROFILES_LOCK:  # the reader's threads detect at once: one load
        if cache_dir is not None:
            return _profiles(cache_dir)
        if not _DEFAULT_PROFILES:
            from pipeline.settings import Settings

            _DEFAULT_PROFILES.append(_profiles(Settings.from_env().cache_dir))
        return _DEFAULT_PROFILES[0]


def detect_langs(text: str, trials: int = TRIALS) -> list:
    """langdetect's `detect_langs`, on `ArrayDetector`; `trials` below 7 runs only the first ones."""
    detector = ArrayDetector(profiles())
    detector.n_trial = trials
    detector.append(text)
    return detector.get_probabilities()


def _sample_probabilities(text: str, max_chars: int, trials: int = TRIALS) -> list:
    """langdetect's languages and probabilities on the bounded sample of a text, best first;
    none when the sample has too few letters or no n-gram langdetect knows."""
    sample = bounded_sample(text, max_chars)
    if _letters(sample) < MIN_LETTERS:
        return []
    DetectorFactory.seed = 0
    try:
        return detect_langs(sample, trials)
    except LangDetectException:
        return []


def rules_out_other_language(
    text: str, lang: str, min_prob: float, max_chars: int = default("lang_sample_chars")
) -> bool:
    """Whether langdetect's full run on this text's sample cannot give any language but `lang` a
    probability of `min_prob` or more, judged from its first trial alone.

    The full run averages 7 trials, the first of which is exactly this one (same seed, same
    random sequence). Another language gets at most (1 - p + 6) / 7 when the first trial gives
    `lang` the probability p; below `min_prob`, no answer of the full run can be another language
    that sure. One trial costs 1/7 of the run's random walk."""
    first = _sample_probabilities(text, max_chars, trials=1)
    if not first:
        return True  # the full run answers `und`
    p = sum(x.prob for x in first if x.lang.split("-")[0] == lang)
    return (1 - p + TRIALS - 1) / TRIALS < min_prob - 1e-9


def detect_language(
    text: str, max_chars: int = default("lang_sample_chars"), min_prob: float = default("lang_min_prob")
) -> LanguageGuess:
    """ISO 639-1 code and probability; `und` when the text is too short or langdetect unsure."""
    found = _sample_probabilities(text, max_chars)
    if not found:
        return LanguageGuess(UNDETERMINED, 0.0)
    best = found[0]
    lang = best.lang.split("-")[0]
    if best.prob < min_prob:
        return LanguageGuess(UNDETERMINED, round(float(best.prob), 4))
    return LanguageGuess(lang, round(float(best.prob), 4))


class LanguageDetector:
    """langdetect with these settings, remembering its last answers by the sample it read: a
    document's body starts with its first paragraph, so when that paragraph fills the sample the
    body is not detected again."""

    def __init__(
        self, lang_sample_chars: int = default("lang_sample_chars"), lang_min_prob: float = default("lang_min_prob")
    ) -> None:
        self.sample_chars = lang_sample_chars
        self.detect = partial(detect_language, max_chars=lang_sample_chars, min_prob=lang_min_prob)
        self.recent: dict[str, LanguageGuess] = {}

    def __call__(self, text: str) -> LanguageGuess:
        sample = bounded_sample(text, self.sample_chars)
        guess = self.recent.get(sample)
        if guess is None:
            guess = self.recent[sample] = self.detect(sample)
            if len(self.recent) > 8:
                del self.recent[next(iter(self.recent))]
        return guess

    def rules_out_other_language(self, text: str, lang: str, min_prob: float) -> bool:
        """Whether detecting this text could not name another language than `lang` with
        `min_prob` (see `language.rules_out_other_language`)."""
        return rules_out_other_language(text, lang, min_prob, self.sample_chars)


def language_detector(
    lang_sample_chars: int = default("lang_sample_chars"), lang_min_prob: float = default("lang_min_prob")
) -> LanguageDetector:
    return LanguageDetector(lang_sample_chars, lang_min_prob)
