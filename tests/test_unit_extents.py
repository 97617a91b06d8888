"""Administrative units in English ("the Kharkiv region" is the region, one span) and Russian
organization extents (a unit of a governed body, no pronoun in a name), with the real models."""

from __future__ import annotations

import pytest

from pipeline.evaluation.ner import run_entity_stage

EN = (
    "Shelling was reported in the Kharkiv region on Monday. Officials in Kharkiv said the city was calm. "
    "Three villages of the Mikhailovsky district lost power, and the Tver Region sent help."
)
RU = (
    "Верхняя палата парламента Японии одобрила закон. "
    "Журналист, которому правоохранительные органы России подбросили наркотики, вышел на свободу."
)


@pytest.fixture(scope="module")
def entities():
    return run_entity_stage([{"id": "en", "lang": "en", "text": EN}, {"id": "ru", "lang": "ru", "text": RU}])


def test_a_place_before_its_unit_word_is_the_unit(entities):
    spans = {e.text: e for e in entities if e.doc_id == "en"}
    assert "Kharkiv region" in spans and spans["Kharkiv region"].label == "GPE", spans
    assert "Mikhailovsky district" in spans and "Tver Region" in spans, spans
    assert "Kharkiv" in spans  # the city itself stays the city, with a key of its own
    assert spans["Kharkiv region"].entity_key != spans["Kharkiv"].entity_key


def test_a_unit_of_a_governed_body_and_no_pronoun_in_an_organization(entities):
    orgs = {e.text for e in entities if e.doc_id == "ru" and e.label == "ORG"}
    assert "Верхняя палата парламента Японии" in orgs, orgs
    assert "правоохранительные органы России" in orgs, orgs
    assert not any(o.startswith("которому") for o in orgs), orgs
