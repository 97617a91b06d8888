"""Cross-lingual entity keys: transliteration for names, the gazetteer for organizations."""

from __future__ import annotations

import pytest

from pipeline.nlp.keys import entity_key, is_acronym_of
from pipeline.nlp.loaders import load_gazetteer
from pipeline.nlp.spelling import sound_key, transliterate
from pipeline.settings import Settings


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(Settings().models_dir.resolve())


@pytest.mark.parametrize(
    ("ru", "en"),
    [
        ("Имангали Тасмагамбетов", "Imangali Tasmagambetov"),
        ("Тасмагамбетов", "Tasmagambetov"),
        ("Владимир Зеленский", "Volodymyr Zelenskyy"),
        ("Сергей Шойгу", "Sergei Shoigu"),
        ("Александр Лукашенко", "Alexander Lukashenko"),
        ("Майкл Джордан", "Michael Jordan"),
    ],
)
def test_people_get_one_key_in_both_languages(gazetteer, ru, en):
    """Names whose transliteration agrees (ICU's Russian-Latin, spelling variants folded)."""
    assert entity_key("PERSON", ru, "ru", gazetteer) == entity_key("PERSON", en, "en", gazetteer)


@pytest.mark.parametrize(
    ("ru", "en"),
    [
        ("Коби Брайант", "Kobe Bryant"),
        ("Ким Чен Ын", "Kim Jong-un"),
        ("Гжегож Крыховяк", "Grzegorz Krychowiak"),
        ("Дональд Трамп", "Donald Trump"),
    ],
)
def test_names_written_by_sound_share_a_sound_but_not_a_key(gazetteer, ru, en):
    """A sound key alone joins nothing: the pairs' evidence does (tests/test_name_links.py)."""
    assert entity_key("PERSON", ru, "ru", gazetteer) != entity_key("PERSON", en, "en", gazetteer)
    assert sound_key(ru.split()[-1]) == sound_key(en.split()[-1].split("-")[-1]) or ru.startswith("Ким")


@pytest.mark.parametrize(
    ("a", "b", "label"),
    [
        (("Wiley", "en"), ("Вилла", "ru"), "ORG"),
        (("SAS", "en"), ("Сисо", "ru"), "ORG"),
        (("Быков", "ru"), ("Бокова", "ru"), "PERSON"),
        (("Дмитрий Быков", "ru"), ("Людмила Бокова", "ru"), "PERSON"),
        (("Donald Trump", "en"), ("Ivanka Trump", "en"), "PERSON"),
        (("Майкл Джексон", "ru"), ("Кэтрин Джексон", "ru"), "PERSON"),
        (("Роберт Шуман", "ru"), ("Виктор Шейман", "ru"), "PERSON"),
    ],
)
def test_names_that_only_sound_alike_keep_apart(gazetteer, a, b, label):
    assert entity_key(label, *a, gazetteer) != entity_key(label, *b, gazetteer)


def test_a_title_is_no_given_name_and_a_regnal_number_makes_the_name(gazetteer):
    def key(name: str) -> str:
        return entity_key("PERSON", name, "ru", gazetteer)

    assert key("Император Акихито") == key("Акихито")
    assert key("Елизавета II") != key("Иоанн Павел II") and key("Елизавета II") != key("Павел II")


def test_different_people_keep_different_keys(gazetteer):
    keys = {entity_key("PERSON", n, "en", gazetteer) for n in ("Lavrov", "Shoigu", "Putin", "Tokayev", "Lukashenko")}
    assert len(keys) == 5


def test_russian_case_endings_do_not_split_a_surname():
    assert sound_key("Дзюба") == sound_key("Дзюбы") == sound_key("Дзюбе") == sound_key("Dziuba")


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        ("ОДКБ", "ru"),
        ("CSTO", "en"),
        ("Collective Security Treaty Organization", "en"),
        ("the Collective Security Treaty Organisation", "en"),
        ("Организация Договора о коллективной безопасности", "ru"),
        ("Организации Договора о коллективной безопасности", "ru"),
    ],
)
def test_organizations_get_the_gazetteer_key(gazetteer, name, lang):
    assert entity_key("ORG", name, lang, gazetteer) == "org:csto"


@pytest.mark.parametrize(
    ("ru", "en", "key"),
    [
        ("Генеральной Ассамблеи ООН", "UN General Assembly", "org:unga"),
        ("Совбез ООН", "U.N. Security Council", "org:unsc"),
        ("Минобороны России", "Russian Defense Ministry", "org:mod-ru"),
        ("МВД", "Ministry of Internal Affairs", "org:mvd-ru"),
        ("Голос Америки", "Voice of America", "org:voa"),
        ("ФИФА", "FIFA", "org:fifa"),
        ("Продовольственная и сельскохозяйственная организация ООН", "FAO", "org:fao"),
    ],
)
def test_gazetteer_covers_bodies_agencies_and_inflected_forms(gazetteer, ru, en, key):
    assert entity_key("ORG", ru, "ru", gazetteer) == key
    assert entity_key("ORG", en, "en", gazetteer) == key


def test_unknown_organizations_join_by_transliteration(gazetteer):
    assert entity_key("ORG", "Локомотива", "ru", gazetteer) == entity_key("ORG", "Lokomotiv", "en", gazetteer)
    assert entity_key("ORG", "Газпромнефть", "ru", gazetteer) != entity_key("ORG", "Lokomotiv", "en", gazetteer)


def test_dates_and_other_labels_get_no_key(gazetteer):
    assert entity_key("DATE", "2024-07-26", "en", gazetteer) is None
    assert entity_key("ORG", "", "en", gazetteer) is None


def test_acronyms_and_expansions():
    assert is_acronym_of("CSTO", "Collective Security Treaty Organization")
    assert is_acronym_of("ОДКБ", "Организация Договора о коллективной безопасности")
    assert is_acronym_of("SCO", "Shanghai Cooperation Organisation")
    assert not is_acronym_of("NATO", "Collective Security Treaty Organization")
    assert not is_acronym_of("Csto", "Collective Security Treaty Organization")


def test_transliteration():
    assert transliterate("Щукин Жора") == "shchukin zhora"


@pytest.mark.parametrize(
    ("ru", "en"),
    [
        ("Федерального дорожного фонда", "Federal Road Fund"),  # translated words, one key
        ("Партия труда", "Labour Party"),  # in either word order
        ("Социал-демократическая партия", "Social Democratic Party"),
        ("Русское географическое общество", "Russian Geographic Society"),
        ("Полиция безопасности", "Security Police"),
        ("Министерства водных ресурсов", "Ministry of Water Resources"),
        ("Манчестер Сити", "Manchester City"),  # an English word Russian transliterates
        ("Fox News", "Fox News"),  # Latin words in a Russian text are read as English
        ("Республика Казахстан", "Republic of Kazakhstan"),
    ],
)
def test_organizations_outside_the_gazetteer_join_by_their_words(gazetteer, ru, en):
    key = entity_key("ORG", ru, "ru", gazetteer)
    assert key == entity_key("ORG", en, "en", gazetteer)
    assert key.startswith("name:")


def test_no_invented_lemma_for_an_unknown_word(gazetteer):
    assert entity_key("ORG", "Бостон Брюинз", "ru", gazetteer) == "name:boston-briuinz"  # not "брюинза"


def test_different_organizations_keep_different_word_keys(gazetteer):
    names = ("Federal Road Fund", "Federal Pension Fund", "Road Fund", "Labour Party", "Security Council of Armenia")
    assert len({entity_key("ORG", n, "en", gazetteer) for n in names}) == len(names)


@pytest.mark.parametrize(
    ("name", "lang", "key"),
    [
        ("Тихоокеанский флот России", "ru", "org:pacific-fleet"),  # qualified by the gazetteer's country
        ("Russian Ministry of Emergency Situations", "en", "org:mchs-ru"),
        ("Министерство по чрезвычайным ситуациям России", "ru", "org:mchs-ru"),
    ],
)
def test_the_gazetteer_is_found_by_the_words_of_a_name(gazetteer, name, lang, key):
    assert entity_key("ORG", name, lang, gazetteer) == key


def test_another_countrys_body_is_not_the_gazetteers(gazetteer):
    assert entity_key("ORG", "Министерство обороны Армении", "ru", gazetteer) != "org:mod-ru"
    assert entity_key("ORG", "Ministry of Defence of Armenia", "en", gazetteer) == entity_key(
        "ORG", "Министерство обороны Армении", "ru", gazetteer
    )


@pytest.mark.parametrize(
    ("ru", "en"),
    [
        ("Элизабет", "Elizabeth"),
        ("Гитлер", "Hitler"),
        ("Юта", "Utah"),
        ("Джонс", "Jones"),
        ("Тимбервулвз", "Timberwolves"),
        ("Джонсон", "Johnson"),
    ],
)
def test_english_spellings_russian_writes_by_sound(ru, en):
    assert sound_key(ru) == sound_key(en)


def test_a_pronounced_final_es_stays():
    assert sound_key("Mercedes") == sound_key("Мерседес") and sound_key("Torres") == sound_key("Торрес")


def test_an_initial_and_a_surname_name_a_person(gazetteer):
    assert entity_key("ORG", "M. Pompeo", "en", gazetteer) == entity_key("PERSON", "Майк Помпео", "ru", gazetteer)
    assert entity_key("PERSON", "Ваник А.", "ru", gazetteer) == entity_key("PERSON", "A. Vanik", "en", gazetteer)


def test_a_span_that_ran_over_a_persons_name_is_that_person(gazetteer):
    person = entity_key("PERSON", "Кирилл Панченко", "ru", gazetteer)
    assert entity_key("ORG", "Panchenko Forward Kirill Panchenko", "en", gazetteer) == person
    nixon = entity_key("PERSON", "Richard Nixon", "en", gazetteer)
    assert entity_key("ORG", "Presidential Library of Richard Nixon", "en", gazetteer) != nixon  # named after him


def test_a_channel_is_a_mention_of_its_platform(gazetteer):
    assert entity_key("ORG", "Telegram-канал", "ru", gazetteer) == entity_key("ORG", "Telegram", "en", gazetteer)
    assert entity_key("ORG", "Youtube-канал", "ru", gazetteer) == "org:youtube"


def test_a_kind_of_organization_is_left_out_of_a_name_with_its_own_word(gazetteer):
    assert entity_key("ORG", "Otkritie Bank", "en", gazetteer) == entity_key("ORG", "Открытие", "ru", gazetteer)
    assert entity_key("ORG", "World Bank", "en", gazetteer) == "org:worldbank"
    assert entity_key("ORG", "Central Bank", "en", gazetteer) != entity_key("ORG", "Central", "en", gazetteer)


@pytest.mark.parametrize(
    ("ru", "en"),
    [
        ("МИД Казахстана", "Ministry of Foreign Affairs of Kazakhstan"),  # an abbreviation of two concepts
        ("Минфин США", "US Finance Ministry"),
        ("Минобороны Армении", "Armenian Defence Ministry"),
    ],
)
def test_ministry_abbreviations_name_their_words(gazetteer, ru, en):
    key = entity_key("ORG", ru, "ru", gazetteer)
    assert key == entity_key("ORG", en, "en", gazetteer) and key.startswith("name:")


def test_an_unqualified_ministry_is_the_gazetteers(gazetteer):
    assert entity_key("ORG", "МИДа", "ru", gazetteer) == entity_key("ORG", "Foreign Ministry", "en", gazetteer)
    assert entity_key("ORG", "Foreign Ministry", "en", gazetteer) == "org:mfa-ru"
