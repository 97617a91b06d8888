"""English names that news copy sets by position and context: datelines, credits, hyphen compounds,
people named by the surname alone without their full name, organizations by their context.

Written texts in the style of 2020s wire copy (not taken from any evaluation set); the real English
pipeline of `models/pipelines.toml` reads them."""

from __future__ import annotations

import pytest

from pipeline.evaluation.ner import run_entity_stage

WIRE_TEXT = (
    "Slideshow ( 4 images )\n"
    "CAPE TOWN, Dec 5 (Reuters) - Officials of the Karoo Water Board met on Saturday.\n"
    "A worker at the plant, August 2, 2021. REUTERS/Sumaya Hisham\n"
    "A gas pipeline near Rome. REUTERS/Guglielmo Mangiapane MILAN (Reuters) - The grid operator said so.\n"
    "LONDON/BRUSSELS (Reuters) - Talks on the Oslo-based fund and the EU-UK deal went on.\n"
    "Nordvik said on Monday it would sell the unit. Skincare maker Nordvik has 40 shops.\n"
    "Shares of Nordvik rose. The London-listed firm did not comment.\n"
    "(Reporting by Conor Humphries and Padraic Halpin; Editing by Jan Harvey)"
)


@pytest.fixture(scope="module")
def wire():
    return [e for e in run_entity_stage([{"id": "w", "lang": "en", "text": WIRE_TEXT}]) if e.label != "DATE"]


def _labels(entities, text: str) -> set[str]:
    return {e.label for e in entities if e.text == text}


def test_the_place_of_a_dateline_is_a_place(wire):
    assert _labels(wire, "CAPE TOWN") == {"GPE"}
    assert _labels(wire, "LONDON") == {"GPE"} and _labels(wire, "BRUSSELS") == {"GPE"}
    assert _labels(wire, "MILAN") == {"GPE"}  # after a credit on the same line
    assert "ORG" in _labels(wire, "Reuters")


def test_credited_photographers_reporters_and_editors_are_people(wire):
    for name in ("Sumaya Hisham", "Guglielmo Mangiapane", "Conor Humphries", "Padraic Halpin", "Jan Harvey"):
        assert _labels(wire, name) == {"PERSON"}, (name, [e.text for e in wire])
    assert not _labels(wire, "Reporting") and not _labels(wire, "Editing")
    assert not _labels(wire, "Slideshow")  # a widget of the scraped page


def test_a_name_written_into_a_hyphenated_word_is_no_mention(wire):
    assert not {e.text for e in wire} & {"Oslo", "EU", "UK", "London"}, [e.text for e in wire]


def test_a_name_its_context_shows_to_be_an_organization_is_one_throughout(wire):
    # "Skincare maker Nordvik": every mention of Nordvik is the company
    assert _labels(wire, "Nordvik") == {"ORG"}


def test_a_surname_alone_needs_its_full_name_or_a_title():
    """A lone one-word PERSON in a sentence is an organization; one that opens a sentence is no
    entity; a given name alone stays a person."""
    text = (
        "Shares rose after Fitch downgraded Malaysia's credit rating. President Joe Biden spoke later. "
        "Biden said he was glad. Mr Okafor, a trader, said prices fell. "
        "Midfielder Enzo Fernandez transferred to Chelsea for 121 mln euros."
    )
    found = {(e.text, e.label) for e in run_entity_stage([{"id": "p", "lang": "en", "text": text}])}
    assert ("Fitch", "PERSON") not in found and ("Fitch", "ORG") in found
    assert ("Chelsea", "ORG") in found and ("Enzo Fernandez", "PERSON") in found
    assert ("Biden", "PERSON") in found and ("Joe Biden", "PERSON") in found
    assert any(text.endswith("Okafor") and label == "PERSON" for text, label in found), found


def test_a_gazetteer_name_ending_a_longer_name_is_the_longer_name():
    text = "The U.S. National Security Council met on Monday. The UN Security Council met on Tuesday."
    found = {(e.text, e.label, e.entity_key) for e in run_entity_stage([{"id": "g", "lang": "en", "text": text}])}
    names = {(t, label) for t, label, _ in found}
    assert ("U.S. National Security Council", "ORG") in names and ("Security Council", "ORG") not in names
    keys = {t: key for t, _, key in found}
    assert keys["UN Security Council"] == "org:unsc" and keys["U.S. National Security Council"] != "org:unsc"


def test_a_country_s_people_are_neither_an_organization_nor_a_person():
    text = (
        "Kuwaiti opposition figures have proposed reforms, said a Kuwaiti politician. Kuwaitis voted on Saturday. "
        "Algerian officials met in Algiers. England all-rounder Ronnie Irani scored 40; Irani was out lbw."
    )
    found = {(e.text, e.label) for e in run_entity_stage([{"id": "d", "lang": "en", "text": text}])}
    assert not {t for t, label in found if label in ("ORG", "PERSON")} & {"Kuwaiti", "Kuwaitis", "Algerian"}, found
    assert ("Irani", "PERSON") in found  # a demonym the document writes in a person's name is that person


def test_demonyms_are_made_from_country_names_and_are_not_the_countries():
    from pipeline.nlp.components.english import country_demonyms

    forms = country_demonyms()
    assert {"Kuwaiti", "Kuwaitis", "Algerian", "Chinese", "Italians", "Pakistani"} <= forms
    assert not {"Kuwait", "Mali", "China", "Oman"} & forms


def test_a_nickname_in_quotes_is_inside_the_person_s_name():
    text = (
        "Vanta beat Orbis 2-0 on Sunday .\n"
        "Estonia ’s Ivar “ zoot ” Tamm had 30 kills and Lars “ Hawk ” Nyberg of Denmark led Vanta .\n"
        "An ‘ overwhelmed ’ Tamm said the team had played \" Rocky \" and \" Rambo \" on the bus ."
    )
    found = [e for e in run_entity_stage([{"id": "n", "lang": "en", "text": text}]) if e.label != "DATE"]
    assert _labels(found, "Ivar “ zoot ” Tamm") == {"PERSON"}, [(e.text, e.label) for e in found]
    assert _labels(found, "Lars “ Hawk ” Nyberg") == {"PERSON"}
    assert not {e.text for e in found if e.label == "ORG"} & {"Tamm", "Nyberg", "Lars “ Hawk ”"}
    assert not [e for e in found if "overwhelmed" in e.text or " and " in e.text]


def test_a_table_header_run_into_the_text_holds_no_names():
    text = (
        "Regional bourses were mixed on Tuesday , with Seoul up 0.4 % .\n"
        "Stock indexes and currencies at 0630 GMT COUNTRY FX RIC FX DAILY % FX YTD % INDEX STOCKS DAILY % "
        "STOCKS YTD % Japan +0.21 +3.10 - 0.45 10.02 South Korea - 0.02 +2.11 0.40 8.15\n"
        "Traders at NATO headquarters and the IMF watched the won ."
    )
    found = [e for e in run_entity_stage([{"id": "t", "lang": "en", "text": text}]) if e.label != "DATE"]
    header = text.index("GMT"), text.index("Japan")
    assert not [e.text for e in found if header[0] <= e.start < header[1]], [(e.text, e.label) for e in found]
    assert {"NATO", "IMF"} <= {e.text for e in found}  # capitals outside a header stay


def test_people_of_a_country_ranks_and_a_sentence_s_first_common_word_are_no_names():
    """Issue 28: a noun for a country's people ("the Pole"), an adjective of a country before a person's
    name, a rank before a person and a common word that opens a sentence are not names."""
    text = (
        "Midfielder Tomasz Wrobel joined Lokomotiv in 2019. In 30 matches the Pole scored 8 goals.\n"
        "The stake is held by Japanese Sodeco, the company said.\n"
        "The navy thanked Rear Admiral Pyotr Sokolov for the tests.\n"
        "Emphasis will be placed on training, Sokolov said."
    )
    found = {(e.text, e.label) for e in run_entity_stage([{"id": "p", "lang": "en", "text": text}])}
    names = {t for t, label in found if label in ("ORG", "PERSON")}
    assert not names & {"Pole", "Rear Admiral", "Emphasis", "Japanese Sodeco"}, found
    assert "Sodeco" in names and "Tomasz Wrobel" in names, found
    assert any(t.endswith("Pyotr Sokolov") for t in names), found


def test_places_sharing_a_unit_word_river_towns_and_portfolios():
    """Issue 28: the first of two places sharing a plural unit word is a place too; a town named
    after its river with hyphens is one place; a common word before a post's title is no name."""
    text = (
        "The new road links the Kostroma and Vyatka regions with the republic.\n"
        "Flights from Samara to Komsomolsk-on-Amur resumed on Monday.\n"
        "Earlier, Health Secretary Jane Holloway said the rules would stay."
    )
    found = {(e.text, e.label) for e in run_entity_stage([{"id": "r", "lang": "en", "text": text}])}
    assert ("Kostroma", "GPE") in found, found
    assert ("Komsomolsk-on-Amur", "GPE") in found, found
    assert not {t for t, label in found if label in ("ORG", "PERSON")} & {"Health", "Amur", "Kostroma"}, found


def test_a_river_is_a_place_and_a_town_in_the_possessive_before_a_club_is_a_place():
    """Issue 28: a name ending in "River" is a geographic name; "Parnu's Vaprus" names the club of a town."""
    text = (
        "The dam on the White Volta River was damaged by the storm.\n"
        "Kalju Tamm signed with Narva's Trans on Monday. His last club was Parnu's Vaprus."
    )
    found = {(e.text, e.label) for e in run_entity_stage([{"id": "v", "lang": "en", "text": text}])}
    assert ("White Volta River", "LOC") in found, found
    assert ("Parnu", "GPE") in found and ("Vaprus", "ORG") in found, found
