"""The default run's worker pool: one per run, however many batch tasks ask for it at once."""

from __future__ import annotations

import sys
import threading

from pipeline.workers import local_pool, shutdown_local_pools


def test_batch_threads_asking_at_once_share_one_pool():
    pools, start = [], threading.Barrier(8)

    def ask() -> None:
        start.wait()
        pools.append(local_pool(2))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(pools) == 8 and len({id(p) for p in pools}) == 1
        assert pools[0].submit(sum, [1, 2, 3]).result(timeout=120) == 6
    finally:
        shutdown_local_pools()
    assert local_pool(2) is not pools[0]  # a new run starts a new pool
    shutdown_local_pools()


def _prefect_loaded() -> bool:
    return "prefect" in sys.modules


def test_a_worker_does_not_import_prefect():
    """The pool's initializer lives outside `pipeline.flows`: a worker pays for analysis imports only."""
    try:
        assert local_pool(2).submit(_prefect_loaded).result(timeout=120) is False
    finally:
        shutdown_local_pools()


def test_only_a_flow_on_local_threads_warms_the_local_pool(prefect_harness):
    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    from pipeline.flows import runs_on_threads

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def on_threads() -> bool:
        return runs_on_threads()

    assert on_threads() is True
    assert runs_on_threads() is False  # outside a flow run


def test_warming_loads_the_analysis_models():
    from pipeline.dump import load_analysis_models
    from pipeline.nlp.loaders import load_language_model
    from pipeline.run import warm_local_pool
    from pipeline.settings import Settings
    from pipeline.stages.pairing import sentence_encoder

    settings = Settings().with_(local_workers=2)
    load_analysis_models(settings)
    assert load_language_model.cache_info().currsize >= 2 and sentence_encoder.cache_info().currsize == 1
    try:
        futures = warm_local_pool(settings)
        assert len(futures) == 2 and all(f.result(timeout=300) is None for f in futures)
    finally:
        shutdown_local_pools()
