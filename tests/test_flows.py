"""The open of a dump is retried on I/O errors only; the flow run's heartbeats."""

from __future__ import annotations

import threading
from types import SimpleNamespace

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


def test_an_io_error_on_open_is_retried(monkeypatch):
    calls = _flaky(monkeypatch, OSError("share went away"), failures=1)
    source = dump_mod.open_with_retries(SAMPLE_DUMP, Settings(), delay_s=0)
    assert len(calls) == 2 and len(list(source.documents)) == 6


def test_an_io_error_that_lasts_is_raised_after_the_retries(monkeypatch):
    calls = _flaky(monkeypatch, OSError("share went away"), failures=5)
    with pytest.raises(OSError):
        dump_mod.open_with_retries(SAMPLE_DUMP, Settings(), retries=2, delay_s=0)
    assert len(calls) == 3


def test_a_rejected_dump_is_not_retried(monkeypatch):
    calls = _flaky(monkeypatch, DumpRejected("binary content"), failures=5)
    with pytest.raises(DumpRejected):
        dump_mod.open_with_retries(SAMPLE_DUMP, Settings(), delay_s=0)
    assert len(calls) == 1


def test_a_flow_run_still_sends_heartbeats_and_does_not_wait_for_their_thread_at_its_end(monkeypatch):
    """The flow engine's heartbeat context (as `FlowRunEngine.run_context` enters it): a heartbeat
    is sent from its thread, and leaving it joins no thread (Prefect's own joined the heartbeat
    thread, which sleeps in steps of one second)."""
    import prefect.flow_engine

    import pipeline.flows  # noqa: F401  (wraps Prefect's heartbeats)

    sent, release = threading.Event(), threading.Event()

    def emit(resource, related) -> None:
        sent.set()
        release.wait(10)

    engine = SimpleNamespace(
        heartbeat_seconds=30, flow_run=None, logger=SimpleNamespace(debug=lambda *a, **k: None),
        _build_heartbeat_event_template=lambda: ({}, []), _emit_flow_run_heartbeat=emit,
    )
    joined: list[threading.Thread] = []
    real_join = threading.Thread.join

    def join(self, timeout=None):
        joined.append(self)
        return real_join(self, timeout)

    before = set(threading.enumerate())
    with prefect.flow_engine._send_heartbeats(engine):
        assert sent.wait(10), "no heartbeat sent"
        monkeypatch.setattr(threading.Thread, "join", join)
    monkeypatch.undo()
    heartbeat = [t for t in threading.enumerate() if t not in before]
    release.set()
    assert joined == [] and len(heartbeat) == 1 and heartbeat[0].daemon
    real_join(heartbeat[0], 5)
    assert not heartbeat[0].is_alive()  # it stopped on its own


def _where() -> tuple[int, int]:
    import os

    return os.getpid(), threading.get_ident()


def test_corpus_steps_run_as_tasks_in_the_flows_own_thread_and_batches_on_the_runner(prefect_harness):
    """On a Dask runner the batches go to the workers, but the corpus steps, which write the output
    folder, stay in the flow's process: the step executor runs its tasks where the flow runs."""
    import os

    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    from pipeline.flows import TaskExecutor

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def both() -> tuple:
        here = (os.getpid(), threading.get_ident())
        step = TaskExecutor().submit(_where).result()
        batch = TaskExecutor(batches=True).submit(_where).result()
        return here, step, batch

    here, step, batch = both()
    assert step == here
    assert batch[0] == here[0] and batch[1] != here[1]  # a thread of the runner
