"""Files as news monitors and crawlers write them, built from real articles: RSS feeds and WET files."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

from warcio.warcwriter import WARCWriter

from tests.conftest import EVAL

MSK = timezone(timedelta(hours=3), "MSK")


def wmt23_articles() -> list[dict]:
    """The WMT23 articles (both languages; a text WMT gives twice, once), each as title, paragraphs
    and a made-up link and date."""
    records = [json.loads(line) for line in (EVAL / "pairing" / "wmt23_ruen.jsonl").open(encoding="utf-8")]
    seen: set[str] = set()
    records = [r for r in records if not (r["text"] in seen or seen.add(r["text"]))]
    start = datetime(2023, 2, 10, 21, 30, tzinfo=UTC)
    articles = []
    for i, r in enumerate(records):
        title, *paragraphs = [p for p in r["text"].split("\n") if p.strip()]
        articles.append({
            "title": title, "paragraphs": paragraphs, "lang": r["lang"], "id": r["id"],
            "link": f"https://news.example.org/{r['lang']}/{r['id']}", "date": start + timedelta(hours=3 * i),
        })
    return articles


def rss_feed(items: list[dict], full_text: bool = True) -> bytes:
    """An RSS 2.0 feed of `items` (newest first, as feeds list them): the full text as
    `content:encoded` HTML, a one-sentence `description`, `guid`, `pubDate` (Moscow time)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        "<channel><title>News</title><link>https://news.example.org/</link><description>All news</description>",
    ]
    for item in items:
        html = "".join(f"<p>{escape(p)}</p>" for p in item["paragraphs"])
        local = item["date"].astimezone(MSK)
        out += [
            "<item>",
            f"<title>{escape(item['title'])}</title>",
            f"<link>{item['link']}</link>",
            f'<guid isPermaLink="false">{item["id"]}</guid>',
            f"<pubDate>{format_datetime(local)}</pubDate>",
            f"<description>{escape(item['paragraphs'][0])}</description>",
            f"<content:encoded><![CDATA[{html}]]></content:encoded>" if full_text else "",
            "</item>",
        ]
    out.append("</channel></rss>")
    return "\n".join(out).encode("utf-8")


def eval_pages() -> list[dict]:
    """The visible eval pages: url, their HTML `<title>` and the article body of the ground truth."""
    import lxml.html

    truth = json.loads((EVAL / "html" / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        html = gzip.decompress((EVAL / "html" / "pages" / f"{key}.html.gz").read_bytes())
        title = lxml.html.fromstring(html).findtext(".//title") or ""
        body = truth[key]["articleBody"]
        pages.append({"id": key, "url": truth[key]["url"], "title": " ".join(title.split()), "body": body})
    return pages


def write_wet(path: Path, pages: list[dict], gzip_records: bool = True) -> list[str]:
    """A WET file as Common Crawl writes it: a `warcinfo` record, then one `conversion` record per
    page (its title on the first line, then one line per paragraph); returns the record ids."""
    ids = []
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gzip_records, warc_version="WARC/1.0")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests/crawler_files.py"}))
        for page in pages:
            lines = [page["title"], *[p for p in page["body"].split("\n") if p.strip()]]
            payload = "\n".join(lines).encode("utf-8")
            rec = writer.create_warc_record(
                page["url"], "conversion", payload=io.BytesIO(payload),
                warc_content_type="text/plain",
            )
            ids.append(rec.rec_headers.get_header("WARC-Record-ID"))
            writer.write_record(rec)
    return ids
