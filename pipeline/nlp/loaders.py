"""Loading the spaCy pipelines and the gazetteer described in `models/pipelines.toml`.

spaCy is imported when a pipeline is built, not with this module: a process that only needs the
gazetteer (the run's main process, when its batches are analyzed in another one) does not pay for it.

The built gazetteer is derived data, kept in the cache folder (`Settings.cache_dir`) under a key
of everything it is built from (`gazetteer_cache_key`): the files of `models/`, the code that
builds it and the versions of the libraries that lemmatize and transliterate its names. A change
to any of them is another key, so a cached gazetteer is never stale; an unreadable one is built
again. Loading it is the same object as building it (a test compares them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import sys
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cache_files import read_pickle, write_pickle
from pipeline.nlp.casing import truecase
from pipeline.nlp.gazetteer import Gazetteer
from pipeline.nlp.morphology import russian_lemmatizer
from pipeline.nlp.name_words import NameWords

if TYPE_CHECKING:
    from spacy.language import Language


@dataclass(frozen=True)
class LanguageModel:
    nlp: Language
    keep_labels: frozenset[str]
    truecase: bool = False
    acronyms: frozenset[str] = frozenset()
    lower_words: frozenset[str] = frozenset()

    def prepare(self, text: str) -> str:
        """The text the pipeline reads: all-capital lines truecased when configured (same length)."""
        return truecase(text, self.acronyms, self.lower_words) if self.truecase else text


def read_model_config(models_dir: Path) -> dict:
    return tomllib.loads((Path(models_dir) / "pipelines.toml").read_text(encoding="utf-8"))


def _first_installed(packages: list[str]) -> str:
    for name in packages:
        if importlib.util.find_spec(name) is not None:
            return name
    raise RuntimeError(f"none of the spaCy packages {packages} is installed (see README: setup)")


def trained_pipeline(spec: dict, models_dir: Path) -> str | Path:
    """What `spacy.load` reads for a language's trained pipeline: a folder of `models/` (`path`, a
    model trained here) or the first installed package of `packages`."""
    if "path" in spec:
        return Path(models_dir) / spec["path"]
    return _first_installed(spec["packages"])


def bare_model(models_dir: Path, lang: str = "en") -> Language:
    """A language's trained spaCy pipeline as shipped, without the components `models/pipelines.toml`
    adds (the baseline of the speed benchmarks)."""
    import spacy

    spec = read_model_config(models_dir)[lang]
    return spacy.load(trained_pipeline(spec, models_dir), exclude=spec.get("exclude", []))


def is_case_sensitive_name(name: str, n_words: int) -> bool:
    """Acronyms ("OSCE", "ЕврАзЭС"): all capitals, or one word with several capitals."""
    return name.isupper() or (n_words == 1 and sum(c.isupper() for c in name) > 1)


def gazetteer_patterns(nlp: Language, gazetteer: Gazetteer, lang: str, kind: str = "all") -> list[dict]:
    """EntityRuler phrase patterns for the gazetteer names of one language.

    `kind`: "acronyms" (for a ruler matching on ORTH: case-sensitive), "names" (the others, for a
    ruler matching on LOWER) or "all". Phrase patterns go to spaCy's PhraseMatcher, whose cost does
    not grow with the number of patterns (token patterns' does).
    """
    patterns = []
    for key, name_lang, name in gazetteer.entries:
        if name_lang != lang:
            continue
        acronym = is_case_sensitive_name(name, len(nlp.make_doc(name)))
        if kind == "all" or (kind == "acronyms") == acronym:
            patterns.append({"label": "ORG", "pattern": name, "id": key})
    return patterns


def _build(spec: dict, lang: str, models_dir: Path) -> Language:
    import spacy

    import pipeline.nlp.components  # noqa: F401  (registers the factories)

    if "blank" in spec:
        nlp = spacy.blank(spec["blank"])
    else:
        nlp = spacy.load(trained_pipeline(spec, models_dir), exclude=spec.get("exclude", []))
    for component in spec.get("add", []):
        component = dict(component)
        factory = component.pop("factory")
        config = dict(component.pop("config", {}))
        for key in [k for k in config if k.endswith("_file")]:  # list files of models/
            config[key] = str(Path(models_dir) / config[key])
        patterns = component.pop("patterns", None)
        pipe = nlp.add_pipe(factory, config=config, **component)
        if patterns is not None and patterns.startswith("gazetteer"):
            kind = patterns.partition(":")[2] or "all"
            pipe.add_patterns(gazetteer_patterns(nlp, load_gazetteer(models_dir), lang, kind))
    return nlp


@lru_cache(maxsize=4)
def load_language_model(models_dir: Path, lang: str) -> LanguageModel | None:
    """The pipeline for one language, loaded once per process; None for a language without one."""
    spec = read_model_config(models_dir).get(lang)
    if spec is None or lang == "gazetteer":
        return None
    from pipeline.nlp.components.shared import word_list  # with the components: spaCy is loaded here

    acronyms = frozenset(n for _, lg, n in load_gazetteer(models_dir).entries if lg == lang and n.isupper())
    return LanguageModel(
        _build(spec, lang, models_dir),
        frozenset(spec["keep_labels"]),
        bool(spec.get("truecase")),
        acronyms,
        frozenset(word_list(str(Path(models_dir) / spec["lower_words"]))) if "lower_words" in spec else frozenset(),
    )


@lru_cache(maxsize=2)
def load_gazetteer(models_dir: Path, cache_dir: str | None = None) -> Gazetteer:
    """The gazetteer of `models_dir`, from the cache folder when it was built before (see the
    module docstring); `cache_dir` None: the settings' folder; "": none."""
    if cache_dir is None:
        from pipeline.settings import Settings

        cache_dir = Settings.from_env().cache_dir
    path = Path(cache_dir) / f"gazetteer-{gazetteer_cache_key(models_dir)}.pickle" if cache_dir else None
    cached = _read_cached(path) if path is not None else None
    if cached is None:
        gazetteer = build_gazetteer(models_dir)
        if path is not None:
            _write_cached(path, gazetteer)
        return gazetteer
    cached.lemmatize = russian_lemmatizer()
    if cached.words is not None:
        cached.words.lemmatize = cached.lemmatize
    return cached


def build_gazetteer(models_dir: Path) -> Gazetteer:
    """The gazetteer built from the files of `models/` (see `models/pipelines.toml`)."""
    config = read_model_config(models_dir)["gazetteer"]
    lemmatize = russian_lemmatizer()
    words = NameWords.load(Path(models_dir) / config["name_words"], lemmatize) if "name_words" in config else None
    given = Path(models_dir) / config["given_names"] if "given_names" in config else None
    return Gazetteer.load(Path(models_dir) / config["organizations"], lemmatize, words, given)


# What the gazetteer is built with besides `models/`: the modules of this folder (all of them: the
# ones that build it and whatever they use) and these libraries (lemmas, transliteration).
GAZETTEER_LIBRARIES = ("natasha", "pymorphy2", "pymorphy2-dicts-ru", "pyicu-wheels")


def gazetteer_cache_key(models_dir: Path) -> str:
    """16 hex digits of sha256 over what the built gazetteer depends on: the digest of `models/`,
    the source of `pipeline/nlp/`, the library versions, Python's version (the pickle)."""
    from pipeline.ids import models_digest

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(models_digest(Path(models_dir)).encode() + b"\0")
    for path in sorted(p for p in here.rglob("*.py") if "__pycache__" not in p.parts):
        digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in GAZETTEER_LIBRARIES:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{dist}={version}\0".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def _read_cached(path: Path) -> Gazetteer | None:
    gazetteer = read_pickle(path)  # None: none yet, or a truncated or foreign file (built again)
    return gazetteer if isinstance(gazetteer, Gazetteer) else None


def _write_cached(path: Path, gazetteer: Gazetteer) -> None:
    """Keep a built gazetteer, without its lemmatizer (a function of this process, attached again
    on reading); atomically: a temporary name, then a rename. A folder that cannot be written is
    no cache (the run goes on)."""
    words = gazetteer.words and dataclasses.replace(gazetteer.words, lemmatize=None)
    write_pickle(path, dataclasses.replace(gazetteer, lemmatize=None, words=words, keys={}))


def supported_languages(models_dir: Path) -> list[str]:
    return [k for k in read_model_config(models_dir) if k != "gazetteer"]
