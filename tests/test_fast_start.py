"""A fast start: `pipeline run` reports to a Prefect server that is already running (found on its
local address, loopback only), and is still a flow run with its task runs there; without one it
starts a temporary server of its own and stops it."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import psutil

from pipeline.prefect_api import choose_api, running_server
from tests.conftest import REPO, free_port
from tests.runs import assert_same_tables, cli_env, make_raw, read_tables


def _flow_runs(api: httpx.Client) -> dict[str, dict]:
    runs = api.post("/flow_runs/filter", json={"limit": 200}).json()
    return {r["id"]: r for r in runs}


def test_a_running_local_server_is_found_and_the_run_shows_there_with_its_tasks(prefect_server, sample_run, tmp_path):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    api = httpx.Client(base_url=prefect_server, timeout=10)
    before = _flow_runs(api)
    env = cli_env(None, PIPELINE_LOCAL_SERVER_URL=prefect_server)  # no PREFECT_API_URL: found, not told
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"reporting to the Prefect server at {prefect_server}" in done.stderr
    assert "temporary" not in done.stderr
    new = [r for i, r in _flow_runs(api).items() if i not in before]
    assert len(new) == 1 and new[0]["state_type"] == "COMPLETED"
    flow = api.get(f"/flows/{new[0]['flow_id']}").json()
    assert flow["name"] == "process-raw-folder"
    tasks = api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [new[0]["id"]]}}}).json()
    names = sorted(t["name"].rsplit("-", 1)[0] for t in tasks)
    assert "analyze-batch" in names and "pair-corpus" in names
    assert {t["state_type"] for t in tasks} == {"COMPLETED"}
    assert_same_tables(read_tables(out), read_tables(sample_run))
    api.close()


def test_without_a_running_server_the_run_starts_a_temporary_one_and_stops_it(tmp_path):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    nothing = f"http://127.0.0.1:{free_port()}/api"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO,
        env=cli_env(None, PIPELINE_LOCAL_SERVER_URL=nothing),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    servers = set()
    while proc.poll() is None:  # the run's own server: a child process, gone when the run ends
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                if "prefect.server.api.server:create_app" in " ".join(child.cmdline()):
                    servers.add(child.pid)
            except psutil.Error:
                pass
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    assert "started a temporary Prefect server" in stderr
    assert stdout.strip().splitlines()[-1].startswith("dumps: 1 new, 0 unchanged, 0 rejected | documents: 6")
    assert len(servers) == 1 and not psutil.pid_exists(servers.pop())


def test_only_a_prefect_server_on_loopback_counts(prefect_server):
    assert running_server(prefect_server)
    assert not running_server(f"http://127.0.0.1:{free_port()}/api")  # nothing listens
    assert not running_server("http://192.0.2.1:4200/api")  # not loopback: never asked
    assert not running_server("")
    assert choose_api(prefect_server, None).kind == "running"
    assert choose_api(prefect_server, "http://127.0.0.1:9/api").kind == "configured"  # PREFECT_API_URL wins
