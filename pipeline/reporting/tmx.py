"""TMX 1.4 export of the bitext table: one translation unit per aligned unit, `ru` and `en` variants.

Written by the standard library's streaming XML writer (`xml.sax.saxutils.XMLGenerator`), so the
memory stays one unit whatever the corpus; characters XML 1.0 forbids (control characters a dump
may carry) are dropped from the text, so the file always parses.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import XMLGenerator

import pyarrow.compute as pc

from pipeline import PIPELINE_VERSION
from pipeline.store import Store

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
COLUMNS = ["ru_doc_id", "en_doc_id", "unit", "kind", "ru_text", "en_text", "score"]


def xml_text(text: str) -> str:
    """The text without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


def write_tmx(store: Store, target: Path, min_score: float | None = None) -> int:
    """Write every unit with both sides (and `score >= min_score` when given) to `target`; the count."""
    table = store.read_bitext(COLUMNS)
    keep = pc.and_(pc.is_valid(table["ru_text"]), pc.is_valid(table["en_text"]))
    if min_score is not None:
        keep = pc.and_(keep, pc.greater_equal(table["score"], min_score))
    table = table.filter(keep).sort_by([("ru_doc_id", "ascending"), ("en_doc_id", "ascending"), ("unit", "ascending")])
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        xml = XMLGenerator(fh, encoding="utf-8", short_empty_elements=True)
        xml.startDocument()
        xml.startElement("tmx", {"version": "1.4"})
        xml.ignorableWhitespace("\n")
        xml.startElement(
            "header",
            {
                "creationtool": "pipeline",
                "creationtoolversion": PIPELINE_VERSION,
                "segtype": "sentence",
                "o-tmf": "parquet-bitext",
                "adminlang": "en",
                "srclang": "*all*",
                "datatype": "plaintext",
            },
        )
        xml.endElement("header")
        xml.ignorableWhitespace("\n")
        xml.startElement("body", {})
        xml.ignorableWhitespace("\n")
        n = 0
        for batch in table.to_batches(max_chunksize=4096):
            for r, e, unit, kind, ru, en, score in zip(*(batch.column(c).to_pylist() for c in COLUMNS)):
                xml.startElement("tu", {"tuid": f"{r}:{e}:{unit}"})
                for prop, value in (
                    ("x-ru-doc-id", r),
                    ("x-en-doc-id", e),
                    ("x-kind", str(kind)),
                    ("x-score", f"{score:.4f}"),
                ):
                    xml.startElement("prop", {"type": prop})
                    xml.characters(value)
                    xml.endElement("prop")
                for lang, text in (("ru", ru), ("en", en)):
                    xml.startElement("tuv", {"xml:lang": lang})
                    xml.startElement("seg", {})
                    xml.characters(xml_text(text))
                    xml.endElement("seg")
                    xml.endElement("tuv")
                xml.endElement("tu")
                xml.ignorableWhitespace("\n")
                n += 1
        xml.endElement("body")
        xml.endElement("tmx")
        xml.endDocument()
        xml.ignorableWhitespace("\n")
    tmp.replace(target)
    return n
