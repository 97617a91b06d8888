"""Building web dumps for the tests: the eval pages as one WARC file (warcio's writer) or as saved pages."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import EVAL, SAMPLE_DUMP

HTML_EVAL = EVAL / "html"


def eval_pages() -> tuple[dict, dict[str, bytes]]:
    """(ground truth by page id, the page's HTML bytes by page id), in id order."""
    truth = json.loads((HTML_EVAL / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {k: gzip.decompress((HTML_EVAL / "pages" / f"{k}.html.gz").read_bytes()) for k in sorted(truth)}
    return truth, pages


def response(writer: WARCWriter, url: str, body: bytes, content_type: str = "text/html", status: str = "200 OK"):
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)


def write_warc(path: Path, records: list[tuple[str, bytes, str]], gzip_records: bool = True) -> list[int]:
    """A WARC file of HTTP responses (url, body, content type), with a request record and a warcinfo
    record as crawlers write them; returns the byte offset of each response record."""
    offsets = []
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gzip_records)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests/web_pages.py"}))
        for url, body, content_type in records:
            req = writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
            writer.write_record(req)
            offsets.append(f.tell())
            writer.write_record(response(writer, url, body, content_type))
    return offsets


def russian_sample() -> tuple[str, list[str]]:
    """A headline and the paragraphs of the sample dump's Russian article."""
    lines = SAMPLE_DUMP.read_text(encoding="utf-8").split("\n")
    paragraphs = [line for line in lines[16:20] if line.strip()]
    return "Генассамблея ООН приняла резолюцию о сотрудничестве с ОДКБ", paragraphs


def russian_page(meta: str | None = '<meta charset="windows-1251">') -> str:
    """A news page around the sample's Russian article: menu, headline, date, body, related links, footer."""
    title, paragraphs = russian_sample()
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang=ru><head>{meta or ''}<title>{title} - Новости ОДКБ</title>"
        '<meta property="article:published_time" content="2024-07-26T10:00:00+03:00">'
        '<link rel="canonical" href="https://odkb-csto.org/news/news_odkb/un-csto-resolution/"></head><body>'
        '<nav><a href="/">Главная</a> <a href="/news/">Новости</a> <a href="/documents/">Документы</a></nav>'
        f"<article><h1>{title}</h1>{body}</article>"
        '<aside><h3>Читайте также</h3><ul><li><a href="/news/1">Совет министров обороны ОДКБ собрался в Минске</a></li>'
        '<li><a href="/news/2">Учения «Взаимодействие» прошли в Беларуси</a></li></ul></aside>'
        "<footer>© 2024 Организация Договора о коллективной безопасности</footer></body></html>"
    )


def listing_page() -> str:
    """A section front: only headlines and teasers that link to articles."""
    heads = [
        "Ministers meet in Minsk to discuss border security",
        "Joint exercise ends in Tajikistan",
        "Secretary General visits Yerevan",
        "New peacekeeping centre opens",
        "Council adopts budget for next year",
        "Talks on air defence continue",
        "Delegation arrives in Bishkek for consultations",
        "Report on drug trafficking presented",
        "Cyber security drills held in Kazakhstan",
        "Parliamentary assembly to convene in autumn",
        "Agreement signed on military transport",
    ]
    items = "".join(
        f'<article><h2><a href="/news/{i}">{h}</a></h2><p><a href="/news/{i}">{h}, the press office said.</a></p>'
        "</article>"
        for i, h in enumerate(heads)
    )
    return (
        "<html><head><title>News | CSTO</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<main><h1>News</h1>{items}<a href='?page=2'>Next page</a></main><footer>© 2024</footer></body></html>"
    )
