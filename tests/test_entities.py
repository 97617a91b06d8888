"""The entity stage with the real models: spans, labels, norms and keys in both languages."""

from __future__ import annotations

import pytest

from pipeline.evaluation.ner import run_entity_stage

RU_TEXT = (
    "МОСКВА, 26 июля 2024 года. Председатель Генеральной Ассамблеи ООН встретился с Имангали Тасмагамбетовым. "
    "Генеральный секретарь ОДКБ Имангали Тасмагамбетов заявил, что с 1 по 3 марта пройдут учения, а 01.07.2024 "
    "и в июле - встречи. В 2020 году Организации Договора о коллективной безопасности исполнилось 28 лет. "
    "Позже Тасмагамбетова приняли в правительстве Китая."
)
EN_TEXT = (
    "The CSTO Secretary General Imangali Tasmagambetov addressed the UN Security Council on 19 July 2024. "
    "Later, Tasmagambetov met the staff of the Collective Security Treaty Organization (CSTO). "
    "The Organization of Turkic States (OTS) and the OTS secretariat met on July 26."
)


@pytest.fixture(scope="module")
def entities():
    records = [{"id": "ru", "lang": "ru", "text": RU_TEXT}, {"id": "en", "lang": "en", "text": EN_TEXT}]
    return run_entity_stage(records)


def _find(entities, doc_id, text):
    return [e for e in entities if e.doc_id == doc_id and e.text == text]


def test_offsets_slice_the_text(entities):
    texts = {"ru": RU_TEXT, "en": EN_TEXT}
    assert entities
    for e in entities:
        assert texts[e.doc_id][e.start : e.end] == e.text


def test_english_spans_without_determiners(entities):
    (unsc,) = _find(entities, "en", "UN Security Council")
    assert unsc.label == "ORG" and unsc.entity_key == "org:unsc"
    assert not any(e.text.lower().startswith("the ") for e in entities)


def test_russian_norms_in_the_nominative(entities):
    (unga,) = _find(entities, "ru", "Генеральной Ассамблеи ООН")
    assert unga.norm == "Генеральная Ассамблея ООН" and unga.entity_key == "org:unga"
    (person,) = _find(entities, "ru", "Имангали Тасмагамбетовым")
    assert person.label == "PERSON" and person.norm == "Имангали Тасмагамбетов"
    (csto,) = _find(entities, "ru", "Организации Договора о коллективной безопасности")
    assert csto.norm == "Организация Договора о коллективной безопасности"


def test_one_label_for_one_name_and_the_surname(entities):
    for doc_id, surname in (("en", "Tasmagambetov"), ("ru", "Тасмагамбетова")):
        (mention,) = _find(entities, doc_id, surname)
        assert mention.label == "PERSON"


def test_same_keys_across_languages(entities):
    def keys(doc_id, label):
        return {e.entity_key for e in entities if e.doc_id == doc_id and e.label == label}

    assert "org:csto" in keys("ru", "ORG") & keys("en", "ORG")
    person_keys = keys("ru", "PERSON") & keys("en", "PERSON")
    assert len(person_keys) == 1 and next(iter(person_keys)).startswith("name:")


def test_acronym_tied_to_its_expansion(entities):
    (expansion,) = _find(entities, "en", "Organization of Turkic States")
    acronyms = _find(entities, "en", "OTS")
    assert len(acronyms) == 2
    assert {a.label for a in acronyms} == {expansion.label}
    assert {a.entity_key for a in acronyms} == {expansion.entity_key}


def test_russian_dates_with_context_year(entities):
    norms = {e.text: e.norm for e in entities if e.doc_id == "ru" and e.label == "DATE"}
    assert norms["26 июля 2024 года"] == "2024-07-26"
    assert norms["с 1 по 3 марта"] == "2024-03-01/2024-03-03"
    assert norms["01.07.2024"] == "2024-07-01"
    assert norms["июле"] == "2024-07"
    assert norms["2020 году"] == "2020"


def test_english_dates(entities):
    norms = {e.text: e.norm for e in entities if e.doc_id == "en" and e.label == "DATE"}
    assert norms["19 July 2024"] == "2024-07-19"
    assert norms["July 26"] == "2024-07-26"


def test_a_government_of_a_country_is_an_organization(entities):
    (gov,) = [e for e in entities if e.doc_id == "ru" and e.text.startswith("правительстве")]
    assert gov.text == "правительстве Китая" and gov.label == "ORG"


def test_a_given_name_alone_takes_the_key_of_its_full_name():
    from pipeline.records import EntityRecord
    from pipeline.stages.entities import tie_given_names

    def person(text, key):
        return EntityRecord("d", "x", "PERSON", text, 0, len(text), text, key, "en")

    tied = tie_given_names(
        [person("Michael Jordan", "name:jardan"), person("Michael", "name:magal"), person("Kobe", "name:kab")]
    )
    assert [e.entity_key for e in tied] == ["name:jardan", "name:jardan", "name:kab"]
    two = [person("Michael Jordan", "name:jardan"), person("Michael Bryant", "name:brant"), person("Michael", "k")]
    assert tie_given_names(two)[-1].entity_key == "k"  # two full names: which one is not known


@pytest.mark.parametrize(
    ("text", "label", "norm"),
    [
        ("Сергеем Фургалом", "PERSON", "Сергей Фургал"),  # a surname the dictionary does not know
        ("Сергея Фургала", "PERSON", "Сергей Фургал"),
        ("Маргуса Гросса", "PERSON", "Маргус Гросс"),
        ("Михаилом Лазаревым", "PERSON", "Михаил Лазарев"),
        ("Юта Джаз", "ORG", "Юта Джаз"),  # a dictionary form stays, not read as the genitive of "ют"
        ("Юты", "LOC", "Юта"),
    ],
)
def test_russian_norms_of_unknown_surnames_and_dictionary_forms(text, label, norm):
    from pipeline.nlp.russian_names import nominative

    assert nominative(text, label) == norm
