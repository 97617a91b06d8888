"""Loading the spaCy pipelines and the gazetteer described in `models/pipelines.toml`."""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

import pipeline.nlp.components  # noqa: F401  (registers the factories)
from pipeline.nlp.casing import truecase
from pipeline.nlp.gazetteer import Gazetteer
from pipeline.nlp.morphology import russian_lemmatizer
from pipeline.nlp.name_words import NameWords


@dataclass(frozen=True)
class LanguageModel:
    nlp: Language
    keep_labels: frozenset[str]
    truecase: bool = False
    acronyms: frozenset[str] = frozenset()

    def prepare(self, text: str) -> str:
        """The text the pipeline reads: all-capital lines truecased when configured (same length)."""
        return truecase(text, self.acronyms) if self.truecase else text


def read_model_config(models_dir: Path) -> dict:
    return tomllib.loads((Path(models_dir) / "pipelines.toml").read_text(encoding="utf-8"))


def _first_installed(packages: list[str]) -> str:
    for name in packages:
        if importlib.util.find_spec(name) is not None:
            return name
    raise RuntimeError(f"none of the spaCy packages {packages} is installed (see README: setup)")


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
    if "blank" in spec:
        nlp = spacy.blank(spec["blank"])
    else:
        nlp = spacy.load(_first_installed(spec["packages"]), exclude=spec.get("exclude", []))
    for component in spec.get("add", []):
        component = dict(component)
        factory = component.pop("factory")
        config = dict(component.pop("config", {}))
        if "names_file" in config:
            config["names_file"] = str(Path(models_dir) / config["names_file"])
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
    acronyms = frozenset(n for _, lg, n in load_gazetteer(models_dir).entries if lg == lang and n.isupper())
    return LanguageModel(
        _build(spec, lang, models_dir), frozenset(spec["keep_labels"]), bool(spec.get("truecase")), acronyms
    )


@lru_cache(maxsize=2)
def load_gazetteer(models_dir: Path) -> Gazetteer:
    config = read_model_config(models_dir)["gazetteer"]
    lemmatize = russian_lemmatizer()
    words = NameWords.load(Path(models_dir) / config["name_words"], lemmatize) if "name_words" in config else None
    given = Path(models_dir) / config["given_names"] if "given_names" in config else None
    return Gazetteer.load(Path(models_dir) / config["organizations"], lemmatize, words, given)


def supported_languages(models_dir: Path) -> list[str]:
    return [k for k in read_model_config(models_dir) if k != "gazetteer"]
