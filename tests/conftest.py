"""Shared fixtures: the Prefect test harness (once per session), paths to the shared data."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# runs look twice at each new raw file, this far apart (the default of 3 s would slow every test
# run); subprocess runs inherit it. tests/test_changing_dumps.py sets its own where it matters.
os.environ.setdefault("PIPELINE_SETTLE_S", "0.2")
# A Prefect server a developer keeps running on the default address does not receive the tests' runs
# (tests that want a running server name the session's own: PIPELINE_LOCAL_SERVER_URL).
os.environ.setdefault("PIPELINE_LOCAL_SERVER_URL", "")
os.environ.setdefault("PIPELINE_PREFECT_SERVER", "temporary")  # and none is left running after the tests

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PIPELINE_SHARED_DIR", REPO.parent / "shared"))
SAMPLE_DUMP = REPO / "raw" / "csto_news_2024-07.txt"
SAMPLE_GOLD = SHARED / "samples" / "csto_news_2024-07.gold.json"
EVAL = SHARED / "eval"


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sample_gold() -> dict:
    return json.loads(SAMPLE_GOLD.read_text(encoding="utf-8"))


@pytest.fixture
def raw_with_sample(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE_DUMP, raw / SAMPLE_DUMP.name)
    return raw


@pytest.fixture(scope="session")
def sample_run(prefect_harness, tmp_path_factory) -> Path:
    """The real flow, run once on the sample dump; returns the output folder."""
    from pipeline.flows import process_raw_folder

    base = tmp_path_factory.mktemp("sample")
    raw = base / "raw"
    raw.mkdir()
    shutil.copy(SAMPLE_DUMP, raw / SAMPLE_DUMP.name)
    out = base / "processed"
    state = process_raw_folder(raw_dir=str(raw), out_dir=str(out), return_state=True)
    (base / "flow_run_id").write_text(str(state.state_details.flow_run_id))  # for the artifact test
    return out


@pytest.fixture(scope="session")
def nerel_run(prefect_harness, tmp_path_factory) -> tuple[list[str], Path]:
    """`pipeline evaluate nerel` on NEREL dev once per session (the real flow): the lines it printed
    (the reference scorer's numbers last) and the processed folder; the NEREL tests share it."""
    import contextlib
    import io
    from argparse import Namespace

    from pipeline.evaluation.nerel import main

    work = tmp_path_factory.mktemp("nerel")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(Namespace(gold=str(EVAL / "ner" / "nerel_dev.jsonl"), processed=None, out=str(work))) == 0
    return buf.getvalue().strip().splitlines(), work / "processed"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> str:
    """A real `prefect server start` on a loopback port, once per session; yields its API URL.

    Subprocess runs point PREFECT_API_URL at it instead of each starting a temporary server.
    """
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    home = tmp_path_factory.mktemp("prefect-home")
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "w")
    prefect = Path(sys.executable).with_name("prefect")
    proc = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 240
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
