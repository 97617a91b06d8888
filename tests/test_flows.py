"""The flow's own tasks: the open of a dump is retried on I/O errors only."""

from __future__ import annotations

import pytest

from pipeline import dump as dump_mod
from pipeline.settings import Settings
from pipeline.stages.decode import DumpRejected
from tests.conftest import SAMPLE_DUMP


def _flaky(monkeypatch, error: Exception, failures: int) -> list[int]:
    calls: list[int] = []
    real = dump_mod.open_dump

    def open_dump(path, settings, *known):
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return real(path, settings, *known)

    monkeypatch.setattr(dump_mod, "open_dump", open_dump)
    return calls


def test_an_io_error_on_open_is_retried(prefect_harness, monkeypatch):
    from pipeline.flows import open_dump_task

    calls = _flaky(monkeypatch, OSError("share went away"), failures=1)
    source = open_dump_task(SAMPLE_DUMP, Settings())
    assert len(calls) == 2 and len(list(source.documents)) == 6


def test_a_rejected_dump_is_not_retried(prefect_harness, monkeypatch):
    from pipeline.flows import open_dump_task

    calls = _flaky(monkeypatch, DumpRejected("binary content"), failures=5)
    with pytest.raises(DumpRejected):
        open_dump_task(SAMPLE_DUMP, Settings())
    assert len(calls) == 1
