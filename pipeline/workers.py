"""The default run's pool of worker processes (one per core), which analyze the batches; the
executors a run hands its batches to (the pool, or this process for a small run); a Dask client
for the commands that spread a full pairing recompute (`forget --workers`).

Kept apart from `pipeline.flows` so that a spawned worker imports only what analysis needs: the
pool's initializer is pickled by reference, and importing the flows module would import Prefect
in every worker (about 2 s of CPU each, for nothing).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

_POOL: dict[int, ProcessPoolExecutor] = {}
_POOL_LOCK = threading.Lock()


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of worker processes for the default run, started once; each loads the models once.

    Locked: the first batch tasks ask for it at the same time from their threads, and each would
    otherwise start a pool of its own (6 model-loading processes on 2 cores were measured)."""
    with _POOL_LOCK:
        if workers not in _POOL:
            _POOL[workers] = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )
        return _POOL[workers]


def exit_with_parent(parent_pid: int, poll_s: float = 1.0) -> None:
    """In a pool worker: end this process when the run that started it is gone (killed outright)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def shutdown_local_pools() -> None:
    with _POOL_LOCK:
        pools = list(_POOL.values())
        _POOL.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


class InlineExecutor(Executor):
    """Runs each call here, at once: its future is already done (an error is kept in it)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to whoever takes the result
            future.set_exception(exc)
        return future


class LocalExecutor(Executor):
    """The plain run's executor of batch steps: the local pool of `workers` processes, or this
    process when `workers` is 1."""

    def __init__(self, workers: int):
        self.workers = workers
        self.here = InlineExecutor()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self.workers > 1:
            return local_pool(self.workers).submit(fn, *args, **kwargs)
        return self.here.submit(fn, *args, **kwargs)


@contextlib.contextmanager
def dask_client(workers: int | None, address: str | None) -> Iterator[Any]:
    """A Dask client (its `submit` is an executor's) of a local cluster of `workers` processes (one
    thread each) or of the cluster at `address`, for work that spreads over blocks (a full pairing
    recompute); None when neither is given (the work runs here)."""
    if not workers and not address:
        yield None
        return
    from distributed import Client, LocalCluster

    cluster = None
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
