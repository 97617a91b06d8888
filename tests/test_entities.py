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
    # a range is its two ends, each a date: "с 1 по 3 марта" -> "1" (2024-03-01) and "3 марта" (2024-03-03)
    assert norms["1"] == "2024-03-01" and norms["3 марта"] == "2024-03-03"
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
        return EntityRecord("d", "PERSON", text, 0, len(text), text, key, "en")

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
        ("Абдулманап Нурмагомедов", "PERSON", "Абдулманап Нурмагомедов"),  # not a plural of "Нурмагомед"
    ],
)
def test_russian_norms_of_unknown_surnames_and_dictionary_forms(text, label, norm):
    from pipeline.nlp.russian_names import nominative

    assert nominative(text, label) == norm


NOT_NAMES_TEXT = (
    "Warships under the flag will sail. The warships left port. "
    "US Secretary of State Mike Pompeo spoke on COVID-19 with the Treasury. "
    "A man was found outside of Belgorod A woman in the Belgorod Region admitted it. "
    "Khabib Nurmagomedov trained. Abdulmanap Nurmagomedov, his father, coached him."
)


@pytest.fixture(scope="module")
def english_rules():
    return run_entity_stage([{"id": "en", "lang": "en", "text": NOT_NAMES_TEXT}])


def test_common_words_diseases_and_post_titles_are_not_names(english_rules):
    names = {e.text for e in english_rules if e.label in ("PERSON", "ORG")}
    assert "Mike Pompeo" in names
    assert not names & {"Warships", "State", "COVID-19", "COVID"}, names


def test_a_capitalized_article_inside_a_name_starts_a_sentence(english_rules):
    texts = {e.text for e in english_rules}
    assert "Belgorod" in texts and not any(t.endswith(" A") for t in texts), texts


def test_a_name_ending_in_a_surname_of_the_document_is_a_person(english_rules):
    (father,) = _find(english_rules, "en", "Abdulmanap Nurmagomedov")
    (son,) = _find(english_rules, "en", "Khabib Nurmagomedov")
    assert father.label == "PERSON" and son.label == "PERSON"
    # father and son: two people, one surname (the key says which given name)
    assert father.entity_key != son.entity_key
    assert father.entity_key.rsplit(".", 1)[0] == son.entity_key.rsplit(".", 1)[0]


def test_a_one_word_country_or_city_is_a_place_whatever_the_model_said():
    from pipeline.nlp.loaders import load_gazetteer
    from pipeline.records import EntityRecord
    from pipeline.settings import Settings
    from pipeline.stages.entities import harmonize_labels

    gazetteer = load_gazetteer(Settings.from_env().models_dir.resolve())
    found = [
        EntityRecord("d", "ORG", "Russian", 0, 7, "Russian", None, "en"),
        EntityRecord("d", "PERSON", "Tbilisi", 8, 15, "Tbilisi", None, "en"),
        EntityRecord("d", "ORG", "Brightwater", 14, 25, "Brightwater", None, "en"),
    ]
    assert [e.label for e in harmonize_labels(found, gazetteer)] == ["GPE", "GPE", "ORG"]


def test_slovnet_in_length_order_gives_each_document_its_own_entities():
    from pipeline.nlp.loaders import load_language_model
    from pipeline.settings import Settings

    nlp = load_language_model(Settings.from_env().models_dir.resolve(), "ru").nlp
    texts = [
        RU_TEXT,
        "Сергей Лавров прибыл в Минск.",
        "Владимир Путин и Касым-Жомарт Токаев обсудили работу ЕАЭС в Астане. " * 3,
        "ООН.",
        "Мария Захарова выступила в Москве.",
    ]
    slovnet = nlp.get_pipe("slovnet_ner")
    batched = [[(e.start, e.end, e.label_) for e in d.ents] for d in slovnet.pipe(nlp.make_doc(t) for t in texts)]
    single = [[(e.start, e.end, e.label_) for e in slovnet(nlp.make_doc(t)).ents] for t in texts]
    assert batched == single and all(batched[:3])


NEWS_BODIES_TEXT = (
    "Aircraft maintenance will take place, the Yugoslav news agency Tanjug reported on Friday. "
    "Magna International Inc will buy the firm for $31 a share. Magna was up 1/8. "
    "Faik Nerweyi of the Kurdistan Democratic Party (KDP) spoke to reporters. "
    "Wang Donghai won the match. Wang said it was hard. "
    "Former premier John de Gaulle left."
)


@pytest.fixture(scope="module")
def news_bodies():
    return {(e.text, e.start): e.label for e in run_entity_stage([{"id": "b", "lang": "en", "text": NEWS_BODIES_TEXT}])}


def test_a_name_beside_a_noun_that_says_what_body_it_is_is_an_organization(news_bodies):
    assert ("Tanjug", NEWS_BODIES_TEXT.index("Tanjug")) in news_bodies
    assert news_bodies[("Tanjug", NEWS_BODIES_TEXT.index("Tanjug"))] == "ORG"


def test_short_names_and_acronyms_take_the_label_of_the_full_name(news_bodies):
    assert news_bodies.get(("Magna", NEWS_BODIES_TEXT.index("Magna was"))) == "ORG"
    assert news_bodies.get(("KDP", NEWS_BODIES_TEXT.index("KDP"))) == "ORG"
    assert news_bodies.get(("Wang", NEWS_BODIES_TEXT.index("Wang said"))) == "PERSON"


def test_a_persons_name_starts_at_a_capital_and_keeps_its_particles():
    ru = "Об этом рассказала врач-сомнолог София Черкасова. Глава ЕК Урсула фон дер Ляйен приехала."
    people = {e.text for e in run_entity_stage([{"id": "r", "lang": "ru", "text": ru}]) if e.label == "PERSON"}
    assert {"София Черкасова", "Урсула фон дер Ляйен"} <= people, people
    assert not any("врач" in p for p in people)


def test_a_surname_alone_takes_the_full_names_norm_unless_two_people_share_it():
    texts = {
        "one": "Donald Trump spoke in Ohio on Monday. Trump said the economy was strong.",
        "two": "Donald Trump and his daughter Ivanka Trump arrived in Ohio on Monday. Trump said the economy grew.",
        "same initial": "Joe Biden and Jill Biden visited Ohio on Monday. Biden said the economy was strong.",
    }
    norms = {
        i: {e.text: e.norm for e in run_entity_stage([{"id": i, "lang": "en", "text": t}]) if e.label == "PERSON"}
        for i, t in texts.items()
    }
    assert norms["one"].get("Trump") == "Donald Trump", norms
    assert norms["two"].get("Trump") == "Trump", norms  # two Trumps: the surname alone stays itself
    assert norms["same initial"].get("Biden") == "Biden", norms


def test_inflected_russian_mentions_of_one_person_share_one_norm():
    ru = "Рон Десантис выступил в Майами. Позиция Десантиса известна, Десантиса поддержали."
    norms = {e.text: e.norm for e in run_entity_stage([{"id": "r", "lang": "ru", "text": ru}]) if e.label == "PERSON"}
    assert norms.get("Десантиса") == "Рон Десантис", norms
