"""`pipeline serve`: a real Prefect server on loopback, the served deployment with its cron schedule,
and a triggered run of it that produces the tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from tests.conftest import REPO
from tests.runs import assert_same_tables, cli_env, make_raw, read_tables

CRON = "0 3 * * *"


def wait_for(fn, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def api_json(api: httpx.Client, method: str, path: str, **kwargs) -> dict:
    """One API call, retried while the server answers 5xx (its SQLite store can be busy under a
    loaded suite); any other failure is an assertion that shows the server's answer."""
    for attempt in range(10):
        r = api.request(method, path, **kwargs)
        if r.status_code < 500:
            break
        time.sleep(1 + attempt)
    assert r.is_success, f"{method} {path}: {r.status_code} {r.text[:2000]}"
    return r.json()


def test_served_deployment_runs_the_flow(prefect_server, sample_run, tmp_path):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    args = ["serve", "--raw", str(raw), "--out", str(out), "--cron", CRON, "--name", "test-serve"]
    env = cli_env(prefect_server, PREFECT_RUNNER_POLL_FREQUENCY="2")
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = httpx.Client(base_url=prefect_server, timeout=10)
    try:

        def deployment():
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            r = api.get("/deployments/name/process-raw-folder/test-serve")
            return r.json() if r.status_code == 200 else None

        dep = wait_for(deployment, 300, "the deployment")
        assert [s["schedule"]["cron"] for s in dep["schedules"]] == [CRON]
        assert dep["parameters"]["out_dir"] == str(out)

        run = api_json(api, "POST", f"/deployments/{dep['id']}/create_flow_run", json={})

        def finished():
            state = api_json(api, "GET", f"/flow_runs/{run['id']}")["state"]
            return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

        state = wait_for(finished, 600, "the triggered flow run")
        assert state["type"] == "COMPLETED", (tmp_path / "serve.log").read_text()[-3000:]
        assert_same_tables(read_tables(out), read_tables(sample_run))
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        api.close()


def test_serve_needs_a_server(tmp_path):
    env = cli_env(None)
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "serve", "--cron", CRON], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "prefect server start" in proc.stderr and "PREFECT_API_URL" in proc.stderr
