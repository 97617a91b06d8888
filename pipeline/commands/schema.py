"""`pipeline schema`: the Arrow schemas of every table, or the data dictionary as Markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the table schemas (--markdown: the data dictionary)")
    p.add_argument("--markdown", action="store_true", help="the data dictionary (docs/data_dictionary.md)")
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p.set_defaults(func=schema)


def schema(args: argparse.Namespace) -> int:
    from pipeline import schemas
    from pipeline.reporting.dictionary import data_dictionary_markdown

    if args.markdown:
        text = data_dictionary_markdown()
    else:
        blocks = [
            f"{name}:\n{s.remove_metadata().to_string(show_field_metadata=False)}"
            for name, (s, _) in schemas.TABLES.items()
        ]
        text = "\n\n".join(blocks) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
