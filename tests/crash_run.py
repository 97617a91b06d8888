"""Run the pipeline CLI and SIGKILL this very process at a chosen moment (for crash tests).

    python -m tests.crash_run EVENT N run --raw R --out O

EVENT is `part` (after the N-th part file is staged), `commit` (after the N-th dump's partitions
are switched in, before its manifest row), `pairs` (when pairing starts, after every row),
`retire` (a replacement recorded in the manifest, before the N-th retirement of superseded
partitions starts) or `unretired` (after the N-th table partition of a superseded version is removed).
Nothing in the pipeline is replaced: the real code runs until the process is killed outright.
"""

from __future__ import annotations

import functools
import os
import signal
import sys


def kill_after(owner, name: str, n: int, before: bool = False) -> None:
    original = getattr(owner, name)
    calls = [0]

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if before and calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)


def main(argv: list[str]) -> int:
    event, n, rest = argv[0], int(argv[1]), argv[2:]
    import pipeline.corpus.pairs
    import pipeline.ledger
    import pipeline.store
    from pipeline.cli import main as cli_main

    if event == "part":
        kill_after(pipeline.store.Staging, "write_part", n)
    elif event == "commit":
        kill_after(pipeline.store.Store, "commit", n)
    elif event == "pairs":
        kill_after(pipeline.corpus.pairs, "link", n, before=True)
    elif event == "retire":
        kill_after(pipeline.ledger, "retire", n, before=True)
    elif event == "unretired":
        kill_after(pipeline.store.Store, "_remove_partition", n)
    else:
        raise SystemExit(f"unknown event {event}")
    return cli_main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
