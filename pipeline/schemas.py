"""Explicit Arrow schemas: the table contract with analysts.

Partitioned tables (documents, entities, embeddings) do not store `dump_id` in their files:
readers get it from the hive partition directory `dump_id=<id>` (pandas, DuckDB, Polars and
pyarrow all do), which avoids a type clash between the file column and the partition key.
"""

from __future__ import annotations

import pyarrow as pa

from pipeline import PIPELINE_VERSION

SCHEMA_VERSION = "1"
EMBEDDING_DIM = 512
# DATE norms that name no time of their own: the present, past and future of each document ("now",
# "the future"); two articles that both say "now" share no date, so pairing and key agreement skip them.
TIME_REFERENCES = ("PRESENT_REF", "PAST_REF", "FUTURE_REF")
_dict = pa.dictionary(pa.int32(), pa.string())
DESCRIPTION = b"description"


def _col(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    """A column with its meaning for analysts as field metadata (the data dictionary's source)."""
    return pa.field(name, type_, nullable=nullable, metadata={DESCRIPTION: description.encode()})


def description_of(field: pa.Field) -> str:
    return (field.metadata or {}).get(DESCRIPTION, b"").decode()


def _schema(fields: list[pa.Field], doc: str) -> pa.Schema:
    return pa.schema(fields).with_metadata(
        {"schema_version": SCHEMA_VERSION, "pipeline_version": PIPELINE_VERSION, "doc": doc}
    )


DOCUMENTS = _schema(
    [
        _col("doc_id", pa.string(), "content hash of the white-space-normalized title and text", nullable=False),
        _col("ordinal", pa.int32(), "position of the document in its dump, from 0", nullable=False),
        _col("title", pa.string(), "the headline that heads the document, whatever its language"),
        _col(
            "text",
            pa.string(),
            "the body, paragraphs separated by a blank line, exactly as in the dump; web pages: the article"
            " text extracted from the page (trafilatura, then news cleanups)",
            nullable=False,
        ),
        _col("lang", _dict, "ISO 639-1 language code (`en`, `ru`, ...), or `und` when unsure", nullable=False),
        _col(
            "lang_prob",
            pa.float32(),
            ("langdetect's probability for `lang` (1.0 when a JSON Lines record gives its `lang`)"),
            nullable=False,
        ),
        _col(
            "n_paragraphs",
            pa.int32(),
            (
                "number of paragraphs in the body (JSON Lines: blank-line separated runs, else lines;"
                " web pages: the article's blocks)"
            ),
            nullable=False,
        ),
        _col(
            "start",
            pa.int64(),
            (
                "start of title and body in the decoded dump text (character offset; line"
                " ends `\\n`, NFC); JSON Lines: start of the record's line; web pages (WARC, WET, saved"
                " page): byte offset of the page's record in the file as stored (for `.warc.gz` its gzip"
                " member, as a CDX index gives it), 0 for a saved page; feeds: byte offset of the item's"
                " element in the (decompressed) feed file"
            ),
            nullable=False,
        ),
        _col(
            "end",
            pa.int64(),
            "end (exclusive) of title and body in the decoded dump text; web pages: byte offset where the"
            " page's record ends (a saved page: the file's size); feeds: where the item's element ends",
            nullable=False,
        ),
        _col(
            "published",
            pa.date32(),
            (
                "publication date: a JSON Lines record's ISO `date`, a web page's own date (its markup or URL,"
                " never the crawl date), a feed item's date (its own day, in the feed's time zone), else the"
                " document's dateline, when it has one"
            ),
        ),
        _col(
            "source_id",
            pa.string(),
            "the record's id: a JSON Lines `id`, a WARC or WET record's `WARC-Record-ID`, a feed item's"
            " `guid` (Atom `id`; else its link)",
        ),
        _col(
            "url",
            pa.string(),
            "the page's URL: a JSON Lines `url`, a WARC or WET record's `WARC-Target-URI`, a saved page's"
            " canonical link, a feed item's `link`",
        ),
    ],
    "One row per document of a dump, in dump order.",
)

ENTITIES = _schema(
    [
        _col("doc_id", pa.string(), "the document (`documents.doc_id`)", nullable=False),
        _col("label", _dict, "`PERSON`, `ORG`, `GPE`, `LOC` or `DATE`", nullable=False),
        _col("text", pa.string(), 'the mention as written (no leading "the")', nullable=False),
        _col("start", pa.int32(), "start of the mention in the document's `text` (character offset)", nullable=False),
        _col("end", pa.int32(), "end (exclusive) of the mention in the document's `text`", nullable=False),
        _col(
            "norm",
            pa.string(),
            "nominative form for Russian names, canonical name for others. For DATE, by kind (TimeML's values):"
            " a calendar date is ISO 8601 (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`: `pd.to_datetime` reads them; a range"
            " of days or years is two mentions, its ends; a decade or months as `start/end`; a time of day its"
            " day); a quarter or half `YYYY-Q3`, `YYYY-H1`; a week `YYYY-Www` (ISO week), its weekend"
            " `YYYY-Www-WE`; a season `YYYY-SP`, `-SU`, `-FA`, `-WI`; a fiscal year `FY1989`; the present, past"
            " and future `PRESENT_REF`,"
            " `PAST_REF`, `FUTURE_REF` (both languages, where they say the same). A missing year: in English, by"
            " the clause's tense against the document's `published` date (\"October\" in a report of January on"
            " what happened is last year's), else from the document's dates, births and foundings aside, then"
            " the dump's, never the clock's; a relative date (`вчера`, `last Tuesday`, `will meet Friday`) from"
            " the document's `published` date or the one its text states (`вчера, 9 мая`), null when it has none",
        ),
        _col(
            "entity_key",
            pa.string(),
            "the same key for the same person, organization or place in either language"
            " (`org:csto` from the gazetteer; otherwise a spelling key, transliterated by ICU with the"
            " vowels kept: the surname and the given name's initial for people, `name:tasmagambetov.i`,"
            " every word for other names, where the general words of names are read as concepts in either"
            " language, `name:federal-fund-road`); names the other language writes by sound (`Trump`,"
            " `Трамп`) are joined by the pairs' evidence in `key_map`: read `coalesce(key_map.key,"
            " entity_key)`; null for dates",
        ),
        _col("lang", _dict, "the document's language", nullable=False),
    ],
    "One row per entity mention; offsets into the document's text.",
)

EMBEDDINGS = _schema(
    [
        _col("doc_id", pa.string(), "the document (`documents.doc_id`)", nullable=False),
        _col("lang", _dict, "the document's language", nullable=False),
        _col("n_chars", pa.int32(), "length of the embedded text in characters", nullable=False),
        _col(
            "vector",
            pa.list_(pa.float32(), EMBEDDING_DIM),
            "multilingual Universal Sentence Encoder embedding of the document: the normalized mean of its sentences",
            nullable=False,
        ),
        _col(
            "sentence_vectors",
            pa.list_(pa.list_(pa.float32(), EMBEDDING_DIM)),
            "embeddings of the document's sentence chunks (used to align translations sentence by sentence)",
            nullable=False,
        ),
        _col("numbers", pa.list_(pa.string()), "the numbers written in the text (pairing evidence)", nullable=False),
    ],
    "Per-document pairing features: multilingual embedding (mean of sentences), sentence embeddings, numbers.",
)

MINHASH_PERM = 128
SIGNATURES = _schema(
    [
        _col("doc_id", pa.string(), "the document (`documents.doc_id`)", nullable=False),
        _col("ordinal", pa.int32(), "the document's position in its dump (`documents.ordinal`)", nullable=False),
        _col("n_shingles", pa.int32(), "distinct 5-word shingles of the lower-cased title and text", nullable=False),
        _col(
            "minhash",
            pa.list_(pa.uint32(), MINHASH_PERM),
            "MinHash of the shingles (datasketch, 128 permutations, `affine32`, seed 1): near-duplicate detection",
            nullable=False,
        ),
    ],
    "Per-document MinHash signatures, kept so that a new dump is compared with every earlier document.",
)

DUPLICATES = _schema(
    [
        _col("doc_id", pa.string(), "the repeated document (`documents.doc_id`)", nullable=False),
        _col("dump_id", pa.string(), "the dump in which it repeats an earlier document", nullable=False),
        _col(
            "duplicate_of",
            pa.string(),
            "the `doc_id` of the earliest copy of the article (the one that counts)",
            nullable=False,
        ),
        _col("duplicate_of_dump_id", pa.string(), "the dump that holds that earliest copy", nullable=False),
        _col(
            "similarity",
            pa.float32(),
            "estimated Jaccard similarity (MinHash) of the two documents' 5-word shingles; 1.0 for exact repeats",
            nullable=False,
        ),
        _col(
            "kind",
            _dict,
            "`exact` (the same `doc_id` in an earlier dump) or `near` (an edited copy: headline, paragraphs, numbers)",
            nullable=False,
        ),
    ],
    "Documents that repeat an earlier one (the same article scraped again); the earliest copy is not listed."
    " Earliest: first in the manifest's processing order (`processed_at`, then `dump_id`), then by `ordinal`.",
)

PAIRS = _schema(
    [
        _col("ru_doc_id", pa.string(), "the Russian document (`documents.doc_id`)", nullable=False),
        _col("en_doc_id", pa.string(), "the English document it translates or is translated from", nullable=False),
        _col(
            "score",
            pa.float32(),
            "ratio margin of the sentence alignment over both documents' nearest candidates (higher is surer)",
            nullable=False,
        ),
        _col(
            "similarity",
            pa.float32(),
            "cosine similarity of the two documents' multilingual embeddings",
            nullable=False,
        ),
        _col(
            "alignment",
            pa.float32(),
            "mean best-matching sentence cosine, averaged over both directions",
            nullable=False,
        ),
        _col(
            "length_ratio",
            pa.float32(),
            "length agreement (0-1) after the usual RU/EN length ratio; near 1.0 for translations",
            nullable=False,
        ),
        _col(
            "shared_keys",
            pa.list_(pa.string()),
            "entity keys (people, organizations) both documents name",
            nullable=False,
        ),
        _col("shared_numbers", pa.list_(pa.string()), "numbers both documents contain", nullable=False),
        _col("shared_dates", pa.list_(pa.string()), "ISO dates both documents mention", nullable=False),
        _col("ru_dump_id", pa.string(), "the dump the Russian document came from", nullable=False),
        _col("en_dump_id", pa.string(), "the dump the English document came from", nullable=False),
    ],
    "Russian documents paired with their English translations, with the evidence.",
)

BITEXT = _schema(
    [
        _col("ru_doc_id", pa.string(), "the Russian document of the pair (`pairs.ru_doc_id`)", nullable=False),
        _col("en_doc_id", pa.string(), "the English document of the pair (`pairs.en_doc_id`)", nullable=False),
        _col("unit", pa.int32(), "position of the unit in the pair, from 0 (both documents' order)", nullable=False),
        _col(
            "kind",
            _dict,
            "Russian and English sentences in the unit: `1-1`, `1-2`, `2-1`, `2-2`, ... up to 3 a side;"
            " `1-0` a Russian sentence with no English counterpart, `0-1` the reverse",
            nullable=False,
        ),
        _col("ru_text", pa.string(), "the Russian sentences of the unit, as in the document; null for `0-1`"),
        _col("en_text", pa.string(), "the English sentences of the unit, as in the document; null for `1-0`"),
        _col(
            "ru_start",
            pa.int32(),
            "start of `ru_text` in the Russian document read as one string: its title, a blank line"
            " (`\\n\\n`) and its text, or its text alone when it has no title; null for `0-1`",
        ),
        _col("ru_end", pa.int32(), "end (exclusive) of `ru_text` in the same string; null for `0-1`"),
        _col("en_start", pa.int32(), "start of `en_text` in the English document, read as `ru_start`; null for `1-0`"),
        _col("en_end", pa.int32(), "end (exclusive) of `en_text`; null for `1-0`"),
        _col(
            "ru_paragraph",
            pa.int32(),
            "paragraph of the unit's first Russian sentence (0 is the title when there is one); null for `0-1`",
        ),
        _col("en_paragraph", pa.int32(), "paragraph of the unit's first English sentence; null for `1-0`"),
        _col(
            "score",
            pa.float32(),
            "cosine of the multilingual embeddings of both sides (about 0.3 loose, 0.8 close); null for `1-0`/`0-1`",
        ),
    ],
    "Aligned sentences of every RU/EN pair: monotone units in the documents' order, partitioned by"
    " the Russian document's dump.",
)

KEY_MAP = _schema(
    [
        _col("entity_key", pa.string(), "a key as the entities table writes it", nullable=False),
        _col(
            "key",
            pa.string(),
            "the key it names the same entity as (read `coalesce(key_map.key, entities.entity_key)`)",
            nullable=False,
        ),
        _col(
            "evidence",
            _dict,
            "why: `sound` (the names sound alike in aligned sentences of a translation pair), `spelling`"
            " (their transliterations are close there) or `aligned` (the only unshared names of one aligned"
            " sentence pair, with a word or the spelling in common)",
            nullable=False,
        ),
        _col("n_pairs", pa.int32(), "how many translation pairs gave this link", nullable=False),
        _col("ru_name", pa.string(), "the Russian name of one such pair", nullable=False),
        _col("en_name", pa.string(), "the English name of one such pair", nullable=False),
    ],
    "Keys joined by the evidence of the RU/EN pairs over the whole corpus; earlier partitions are"
    " never rewritten, readers join this table.",
)

ENTITY_KEYS = _schema(
    [
        _col("key", pa.string(), "the entity key after the key map (`key_map`)", nullable=False),
        _col("label", _dict, "the label most of its mentions carry (`PERSON`, `ORG`, `GPE`, `LOC`)", nullable=False),
        _col("name_ru", pa.string(), "its most frequent Russian name (`norm`; ties: alphabetical)"),
        _col("name_en", pa.string(), "its most frequent English name"),
        _col("mentions", pa.int64(), "mentions in all languages", nullable=False),
        _col("mentions_ru", pa.int64(), "Russian mentions", nullable=False),
        _col("mentions_en", pa.int64(), "English mentions", nullable=False),
        _col("documents", pa.int64(), "distinct documents that name it", nullable=False),
        _col("n_keys", pa.int32(), "how many `entities.entity_key` values the key map joined into it", nullable=False),
    ],
    "The entities dimension: one row per person, organization or place key, sorted by mentions.",
)

DUMPS = _schema(
    [
        _col(
            "dump_id",
            pa.string(),
            (
                "sha256 of the dump file's bytes (16 hex digits; the compressed"
                " bytes for `.gz`); `path:<name>` when unreadable"
            ),
            nullable=False,
        ),
        _col(
            "path",
            pa.string(),
            "the dump's name: its path inside the raw folder, `/`-separated (`tass/2024-07-25/news.txt`)",
            nullable=False,
        ),
        _col("size_bytes", pa.int64(), "size of the dump file in bytes", nullable=False),
        _col(
            "encoding",
            pa.string(),
            (
                "the text encoding found (`utf-8`, `utf-8-sig`, `utf-16`, `cp1251`,"
                " `koi8-r`, ..., or `utf-8 (invalid bytes replaced)`); web dumps: the charsets their pages"
                " were read in, most used first"
            ),
        ),
        _col("n_documents", pa.int32(), "documents found in the dump (0 when rejected)", nullable=False),
        _col(
            "status",
            _dict,
            (
                "`ok` (its rows are in the tables), `rejected` when the dump could not be read, or"
                " `superseded` when a newer version of the same file replaced it (its rows are retired; a feed"
                " file downloaded again supersedes nothing: its earlier versions stay `ok`)"
            ),
            nullable=False,
        ),
        _col(
            "error",
            pa.string(),
            (
                "why the dump was rejected; for an `ok` dump, problems met while"
                " reading it (`line 7: malformed JSON ..., skipped`)"
            ),
        ),
        _col(
            "superseded_by",
            pa.string(),
            "for a `superseded` row, the `dump_id` of the version that replaced it under the same path; else null",
        ),
        _col(
            "pipeline_version",
            pa.string(),
            "the pipeline version that processed it (an older one is reprocessed)",
            nullable=False,
        ),
        _col("processed_at", pa.timestamp("us", tz="UTC"), "when the dump was processed (UTC)", nullable=False),
        _col(
            "n_without_article",
            pa.int32(),
            "pages of a WARC or saved-page dump that gave no document (a listing, no article text), records"
            " of a WET file without text, items of a feed without text; null for text dumps",
        ),
    ],
    "The manifest: one row per dump seen, ok, rejected or superseded (kept as history).",
)

PARTITIONED = {"documents": DOCUMENTS, "entities": ENTITIES, "embeddings": EMBEDDINGS, "signatures": SIGNATURES}

# The hive partition key of the partitioned tables: not in their files, added by every reader.
PARTITION_KEY = _col(
    "dump_id", pa.string(), "the dump (`dumps.dump_id`); from the partition folder `dump_id=<id>`", nullable=False
)

# Tables computed over the whole corpus but partitioned by dump (the Russian document's, for bitext).
CORPUS_PARTITIONED = {"bitext": BITEXT}
BITEXT_KEY = _col(
    "dump_id",
    pa.string(),
    "the Russian document's dump (`pairs.ru_dump_id`); from the folder `dump_id=<id>`",
    nullable=False,
)
PARTITION_KEYS = {**dict.fromkeys(PARTITIONED, PARTITION_KEY), "bitext": BITEXT_KEY}

# Every table of the dataset: name -> (schema, path pattern under the output folder).
TABLES = {
    "documents": (DOCUMENTS, "documents/dump_id=<id>/part-*.parquet"),
    "entities": (ENTITIES, "entities/dump_id=<id>/part-*.parquet"),
    "embeddings": (EMBEDDINGS, "embeddings/dump_id=<id>/part-*.parquet"),
    "signatures": (SIGNATURES, "signatures/dump_id=<id>/part-*.parquet"),
    "duplicates": (DUPLICATES, "duplicates/part-0.parquet"),
    "pairs": (PAIRS, "pairs/part-0.parquet"),
    "bitext": (BITEXT, "bitext/dump_id=<id>/part-*.parquet"),
    "key_map": (KEY_MAP, "key_map/part-0.parquet"),
    "entity_keys": (ENTITY_KEYS, "entity_keys/part-0.parquet"),
    "dumps": (DUMPS, "dumps.parquet"),
}


def to_table(rows: list, schema: pa.Schema) -> pa.Table:
    """Build a table from dataclass records (or dicts) in bulk, column by column."""
    names = schema.names
    if rows and not isinstance(rows[0], dict):
        columns = {n: [getattr(r, n) for r in rows] for n in names}
    else:
        columns = {n: [r.get(n) for r in rows] for n in names}
    arrays = []
    for f in schema:
        if pa.types.is_dictionary(f.type):
            arrays.append(pa.array(columns[f.name], pa.string()).dictionary_encode())
        else:
            arrays.append(pa.array(columns[f.name], f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
