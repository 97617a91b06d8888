"""Name equivalences learned from translation pairs: sentence alignment, links, the key map."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.stages.align import align_texts
from pipeline.stages.name_links import Link, pair_links, resolve_links
from pipeline.stages.pairing import sentence_encoder
from tests.conftest import EVAL


def _ents(text: str, names: list[tuple[str, str, str, str]]) -> list[dict]:
    """Entity dicts for (surface, label, norm, key), found in `text` in order."""
    out, pos = [], 0
    for surface, label, norm, key in names:
        start = text.index(surface, pos)
        pos = start + len(surface)
        out.append({"start": start, "end": pos, "label": label, "text": surface, "norm": norm, "entity_key": key})
    return out


RU = (
    "Лидер Лейбористской партии Кир Стармер выступил в Лондоне. "
    "Дональд Трамп ответил ему в среду. "
    "По данным Reuters, в акции участвовали 120 человек."
)
EN = (
    "Labour Party leader Keir Starmer spoke in London. "
    "Donald Trump answered him on Wednesday. "
    "According to Reuters, 120 people took part."
)
RU_ENTS = _ents(
    RU,
    [
        ("Лейбористской партии", "ORG", "Лейбористская партия", "name:labor-party"),
        ("Кир Стармер", "PERSON", "Кир Стармер", "name:starmer.k"),
        ("Лондоне", "LOC", "Лондон", "name:london"),
        ("Дональд Трамп", "PERSON", "Дональд Трамп", "name:tramp.d"),
        ("Reuters", "ORG", "Reuters", "org:reuters"),
    ],
)
EN_ENTS = _ents(
    EN,
    [
        ("Labour Party", "ORG", "Labour Party", "name:labor-party"),
        ("Keir Starmer", "PERSON", "Keir Starmer", "name:keir-starmer.k"),
        ("London", "GPE", "London", "name:london"),
        ("Donald Trump", "PERSON", "Donald Trump", "name:trump.d"),
        ("Reuters", "ORG", "Reuters", "org:reuters"),
    ],
)


def test_a_pair_without_bitext_units_is_aligned_by_the_bitext_aligner():
    """pair_links without units aligns the two texts as the bitext table would (the same aligner):
    one unit per translated sentence, and a sentence the translation leaves out stands alone or
    joins a neighbour without shifting the units after it."""
    units = align_texts(sentence_encoder(), RU, EN)
    assert [(RU[r[0] : r[1]][:5], EN[e[0] : e[1]][:5]) for r, e in units] == [
        ("Лидер", "Labou"),
        ("Донал", "Donal"),
        ("По да", "Accor"),
    ]
    extra = RU.replace(" Дональд", " Это предложение не переведено и довольно длинное, очень длинное. Дональд")
    units = align_texts(sentence_encoder(), extra, EN)
    trump = [e for r, e in units if r and "Дональд" in extra[r[0] : r[1]]]
    assert trump and trump[0] and "Donald" in EN[trump[0][0] : trump[0][1]]
    given = align_texts(sentence_encoder(), RU, EN)
    assert pair_links(RU, EN, RU_ENTS, EN_ENTS) == pair_links(RU, EN, RU_ENTS, EN_ENTS, units=given)


def test_names_that_sound_alike_in_aligned_sentences_are_linked():
    links = {(x.ru_key, x.en_key): x.evidence for x in pair_links(RU, EN, RU_ENTS, EN_ENTS)}
    assert links[("name:tramp.d", "name:trump.d")] == "sound"
    assert ("name:starmer.k", "name:keir-starmer.k") in links
    assert all("labor" not in k[0] for k in links)  # shared keys need no link


def test_sounds_in_sentences_that_do_not_align_are_no_evidence():
    ru = "Вилла продала издательство. " + "Погода была хорошей весь день, и никто не жаловался. " * 3
    en = "The weather was fine all day and nobody complained. " * 3 + "Wiley bought the publisher."
    ru_ents = _ents(ru, [("Вилла", "ORG", "Вилла", "name:vila")])
    en_ents = _ents(en, [("Wiley", "ORG", "Wiley", "name:vili")])
    assert pair_links(ru, en, ru_ents, en_ents) == []


def test_translated_names_meet_when_they_are_the_only_unshared_names_of_a_sentence_pair():
    ru = "Члены Лейбористской партии собрались в Манчестере."
    en = "Members of the Labour Party met in Manchester."
    ru_ents = _ents(ru, [("Лейбористской партии", "ORG", "Лейбористская партия", "name:leiboriscki-party")])
    en_ents = _ents(en, [("Labour Party", "ORG", "Labour Party", "name:labor-party")])
    (link,) = pair_links(ru, en, ru_ents, en_ents)
    assert (link.ru_key, link.en_key, link.evidence) == ("name:leiboriscki-party", "name:labor-party", "aligned")
    # without a word or a spelling in common, one pair is not evidence enough
    ru_ents = _ents(ru, [("Лейбористской партии", "ORG", "Лейбористская", "name:leiboriscki")])
    en_ents = _ents(en, [("Labour Party", "ORG", "Labour", "name:labor")])
    assert pair_links(ru, en, ru_ents, en_ents) == []


def test_the_key_map_keeps_mutual_best_links_only():
    links = [
        Link("name:tramp.d", "name:trump.d", "sound", "Трамп", "Trump"),
        Link("name:tramp.d", "name:trump.d", "sound", "Трамп", "Trump"),
        Link("name:tramp.d", "name:trump", "sound", "Трамп", "Trump"),  # weaker: not mapped
        Link("name:rbk", "org:rbc", "spelling", "РБК", "RBC"),
    ]
    rows = {r.entity_key: r for r in resolve_links(links)}
    assert rows["name:tramp.d"].key == "name:trump.d" and rows["name:tramp.d"].n_pairs == 2
    assert rows["name:rbk"].key == "org:rbc"  # the gazetteer's key wins
    assert "name:trump" not in rows and set(rows) == {"name:tramp.d", "name:rbk"}
    assert resolve_links(reversed(links)) == resolve_links(links)  # order does not matter


def _record(records: Path, record_id: str) -> dict:
    for line in records.read_text(encoding="utf-8").splitlines():
        if json.loads(line)["id"] == record_id:
            return json.loads(line)
    raise KeyError(record_id)


def test_a_later_dump_joins_the_keys_of_an_earlier_one_without_rewriting_it(prefect_harness, tmp_path):
    """The Russian article in one dump, its English translation in the next: the second run pairs
    them and learns from the pair that "Крыховяк" is "Krychowiak" (keys of two dumps) in the key
    map; the first dump's partitions are not rewritten; the entities dimension joins the names."""
    from pipeline.flows import process_raw_folder

    records = EVAL / "pairing" / "wmt21_ruen.jsonl"
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "a.jsonl").write_text(json.dumps(_record(records, "d01f4edf85f"), ensure_ascii=False) + "\n")
    process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    first = {p: p.read_bytes() for p in (out / "entities").rglob("*.parquet")}
    assert pq.read_table(out / "key_map").num_rows == 0  # no pair yet: no evidence
    (raw / "b.jsonl").write_text(json.dumps(_record(records, "dc35138288b"), ensure_ascii=False) + "\n")
    process_raw_folder(raw_dir=str(raw), out_dir=str(out))
    assert pq.read_table(out / "pairs").num_rows == 1
    assert all(p.read_bytes() == data for p, data in first.items())  # earlier partitions untouched
    ents = pd.read_parquet(out / "entities")
    key_map = pd.read_parquet(out / "key_map")
    row = key_map[key_map.ru_name.str.contains("Крыховяк")].iloc[0]
    ru_keys = set(ents[ents.lang == "ru"].entity_key)
    en_keys = set(ents[ents.lang == "en"].entity_key)
    assert {row.entity_key, row.key} & ru_keys and {row.entity_key, row.key} & en_keys
    assert "Krychowiak" in row.en_name and row.evidence == "sound"
    dim = pd.read_parquet(out / "entity_keys").set_index("key")
    joined = dim.loc[row.key]
    assert joined.mentions_ru > 0 and joined.mentions_en > 0 and joined.n_keys == 2
    assert "Крыховяк" in joined.name_ru and "Krychowiak" in joined.name_en
    assert row.entity_key not in dim.index  # one row per key after the map


def test_aligned_units_from_the_bitext_decide_which_sentences_meet():
    """Units given (as the bitext table aligns them) replace the length alignment: a name in a
    Russian sentence meets the English names of the sentence its unit pairs it with, only those."""
    ru = "Трамп продал издательство. Погода была хорошей."
    en = "The weather was fine. Trump sold the publisher."
    ru_ents = _ents(ru, [("Трамп", "PERSON", "Трамп", "name:tramp")])
    en_ents = _ents(en, [("Trump", "PERSON", "Trump", "name:trump")])
    first, second = (0, ru.index(" Погода")), (ru.index("Погода"), len(ru))
    en_first, en_second = (0, en.index(" Trump")), (en.index("Trump"), len(en))
    crossed = [(first, en_second), (second, en_first)]  # the units say the first is the second's translation
    assert [x.evidence for x in pair_links(ru, en, ru_ents, en_ents, crossed)] == ["sound"]
    apart = [(first, None), (None, en_first), (second, None), (None, en_second)]  # no counterparts at all
    assert pair_links(ru, en, ru_ents, en_ents, apart) == []


def test_names_whose_numbers_differ_are_not_linked():
    ru = "Проект Сахалин-1 продлён до 2050 года."
    en = "The Sakhalin project was extended to 2050."
    ru_ents = _ents(ru, [("Сахалин-1", "ORG", "Сахалин-1", "name:sahalin-1")])
    en_ents = _ents(en, [("Sakhalin", "ORG", "Sakhalin", "name:sahalin")])
    assert pair_links(ru, en, ru_ents, en_ents) == []
    en = "The Sakhalin-1 project was extended to 2050."
    en_ents = _ents(en, [("Sakhalin-1", "ORG", "Sakhalin-1", "name:sakhalin-1")])
    assert [x.en_key for x in pair_links(ru, en, ru_ents, en_ents)] == ["name:sakhalin-1"]


def test_a_region_is_not_linked_to_its_city():
    """The only unshared places of a sentence pair, alike in spelling: a region and a bare city name
    are not one place ("Харьковская область", "Kharkov"); the region named as one is ("Kharkov region")."""
    ru = "Обстрелы продолжились в Харьковской области."
    en = "Shelling continued in Kharkov."
    ru_ents = _ents(ru, [("Харьковской области", "LOC", "Харьковская область", "name:harkovski-region")])
    unit = [((0, len(ru)), (0, len(en)))]
    assert pair_links(ru, en, ru_ents, _ents(en, [("Kharkov", "GPE", "Kharkov", "name:harkov")]), unit) == []
    en = "Shelling continued in the Kharkov region."
    en_ents = _ents(en, [("Kharkov region", "GPE", "Kharkov region", "name:harkov-region")])
    unit = [((0, len(ru)), (0, len(en)))]
    assert [x.en_key for x in pair_links(ru, en, ru_ents, en_ents, unit)] == ["name:harkov-region"]


def test_two_people_russian_spells_apart_are_never_joined():
    """A translation that writes "Zelensky" for "Зелинский" does not make him the "Зеленский" the
    Russian texts name elsewhere; a surname alone and the full name with it may still join."""
    links = [Link("name:zelinski.v", "name:zelenski.v", "sound", "Владимир Зелинский", "Vladimir Zelensky")]
    people = {"name:zelinski.v", "name:zelenski.v", "name:dziuba.a", "name:dziuba"}
    assert resolve_links(links) and resolve_links(links, russian_people=people) == []
    links = [Link("name:dziuba.a", "name:dziuba", "sound", "Артем Дзюба", "Dzyuba")]
    assert [r.key for r in resolve_links(links, russian_people=people)] == ["name:dziuba"]
