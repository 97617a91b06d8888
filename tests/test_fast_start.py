"""A fast start: `pipeline run` reports to a Prefect server that is already running (found on its
local address, loopback only), and is still a flow run with its task runs there; without one it
starts a temporary server of its own and stops it."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from pipeline.prefect_api import choose_api, running_server
from tests.conftest import REPO, free_port
from tests.runs import assert_same_tables, cli_env, make_raw, read_tables, run_cli


def _flow_runs(api: httpx.Client) -> dict[str, dict]:
    runs = api.post("/flow_runs/filter", json={"limit": 200}).json()
    return {r["id"]: r for r in runs}


def test_a_running_local_server_is_found_and_the_run_shows_there_with_its_tasks(prefect_server, sample_run, tmp_path):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    api = httpx.Client(base_url=prefect_server, timeout=10)
    before = _flow_runs(api)
    env = cli_env(None, PIPELINE_LOCAL_SERVER_URL=prefect_server)  # no PREFECT_API_URL: found, not told
    done = run_cli(["run", "--raw", str(raw), "--out", str(out)], env)
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


def test_without_a_running_server_the_run_starts_a_temporary_one_and_stops_it(sample_run, tmp_path):
    raw, out = make_raw(tmp_path), tmp_path / "out"
    nothing = f"http://127.0.0.1:{free_port()}/api"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--out", str(out)],
        cwd=REPO,
        env=cli_env(None, PIPELINE_LOCAL_SERVER_URL=nothing, PIPELINE_PREFECT_SERVER="temporary"),
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
    assert_same_tables(read_tables(out), read_tables(sample_run))  # with the models loaded while it booted


@pytest.mark.parametrize(
    "case, loads",
    [("booting, small folder", True), ("running server", False), ("large folder", False), ("dask", False)],
)
def test_the_models_load_while_a_started_server_boots_only_for_a_run_analyzed_here(monkeypatch, tmp_path, case, loads):
    import argparse

    import pipeline.dump
    from pipeline.commands import run as run_command
    from pipeline.prefect_api import PrefectAPI

    raw = make_raw(tmp_path)
    if case == "large folder":
        (raw / "big.txt").write_bytes(b"x" * 1_000_000)
    calls = []

    def record(settings, warm_up=False):
        calls.append((settings.raw_dir, warm_up))

    monkeypatch.setattr(pipeline.dump, "load_analysis_models", record)
    process = None if case == "running server" else subprocess.Popen([sys.executable, "-c", "pass"])
    api = PrefectAPI("http://127.0.0.1:1/api", "running" if process is None else "temporary", process)
    args = argparse.Namespace(raw=str(raw), out=str(tmp_path / "out"), workers=2 if case == "dask" else None)
    args.dask_address = None
    run_command.load_models_while_booting(api, args)
    if process is not None:
        process.wait()
    assert calls == ([(raw, True)] if loads else [])


def test_only_a_prefect_server_on_loopback_counts(prefect_server):
    assert running_server(prefect_server)
    assert not running_server(f"http://127.0.0.1:{free_port()}/api")  # nothing listens
    assert not running_server("http://192.0.2.1:4200/api")  # not loopback: never asked
    assert not running_server("")
    assert choose_api(prefect_server, None).kind == "running"
    assert choose_api(prefect_server, "http://127.0.0.1:9/api").kind == "configured"  # PREFECT_API_URL wins


def test_python_m_pipeline_keeps_the_exit_status_and_the_summary_of_a_quick_exit(prefect_server, tmp_path):
    """`python -m pipeline` ends with os._exit after the exit handlers: the status (2: a dump was
    rejected; 1: no raw folder; 2: a usage error) and everything printed are kept."""
    raw = make_raw(tmp_path)
    (raw / "empty.txt").write_bytes(b"")
    env = cli_env(prefect_server)

    def run(*args):
        return run_cli(list(args), env)

    done = run("run", "--raw", str(raw), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1].startswith("dumps: 1 new, 0 unchanged, 1 rejected | documents: 6")
    assert "empty file (0 bytes)" in done.stdout + done.stderr
    missing = run("run", "--raw", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "raw folder not found" in missing.stderr
    usage = run("run", "--no-such-flag")
    assert usage.returncode == 2 and "unrecognized arguments" in usage.stderr


def _stop_background_server(home, env) -> None:
    """`prefect server stop`, then make sure the process is gone (tests leave no server running)."""
    pid_file = home / "server.pid"
    pid = int(pid_file.read_text()) if pid_file.exists() else None
    subprocess.run([str(Path(sys.executable).with_name("prefect")), "server", "stop"], env=env, timeout=120)
    if pid is None:
        return
    with contextlib.suppress(psutil.NoSuchProcess):
        process = psutil.Process(pid)
        try:
            process.wait(timeout=60)
        except psutil.TimeoutExpired:
            process.kill()


def test_without_a_running_server_one_is_started_in_the_background_and_the_next_run_finds_it(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/api"
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = cli_env(None, PIPELINE_LOCAL_SERVER_URL=url, PIPELINE_PREFECT_SERVER="background", PREFECT_HOME=str(home))
    raw, out = make_raw(tmp_path), tmp_path / "out"

    def run():
        return run_cli(["run", "--raw", str(raw), "--out", str(out)], env)

    try:
        first = run()
        assert first.returncode == 0, first.stderr[-3000:]
        assert f"started a Prefect server in the background at {url}" in first.stderr
        lines = first.stdout.strip().splitlines()
        assert "keeps running for the next runs" in lines[-2] and lines[-1].startswith("dumps: 1 new")
        assert running_server(url), "left running"
        second = run()
        assert second.returncode == 0, second.stderr[-3000:]
        assert f"reporting to the Prefect server at {url}" in second.stderr and "started" not in second.stderr
        assert "dumps: 0 new, 1 unchanged" in second.stdout
    finally:
        _stop_background_server(home, env)
    assert not running_server(url)


def test_by_default_a_server_is_left_running_and_the_setting_takes_only_the_two_modes(monkeypatch):
    from pydantic import ValidationError

    from pipeline.settings import Settings

    monkeypatch.delenv("PIPELINE_PREFECT_SERVER", raising=False)
    assert Settings.from_env().prefect_server == "background"
    monkeypatch.setenv("PIPELINE_PREFECT_SERVER", "temporary")
    assert Settings.from_env().prefect_server == "temporary"
    monkeypatch.setenv("PIPELINE_PREFECT_SERVER", "sometimes")
    with pytest.raises(ValidationError):
        Settings.from_env()


def test_the_russian_dictionary_and_the_signatures_import_neither_pkg_resources_nor_datasketch():
    """pymorphy2's dictionary is found without `pkg_resources`, and the MinHash signatures and LSH
    bands are computed without datasketch (nor scipy): in a fresh process, after using them."""
    code = (
        "import sys\n"
        "from pipeline.nlp.morphology import morph_vocab\n"
        "from pipeline.stages import near_duplicates as nd\n"
        "assert morph_vocab().parse('москвы')[0].normal == 'москва'\n"
        "assert nd.signatures([('T', 'one two three four five six')])[0].shape == (1, nd.NUM_PERM)\n"
        "nd.bands_for(0.25)\n"
        "print(sorted(m for m in ('pkg_resources', 'datasketch', 'scipy', 'redis') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_the_russian_dictionary_is_the_one_pymorphy2_finds_itself():
    from natasha import MorphVocab

    from pipeline.nlp.morphology import morph_vocab

    ours, theirs = morph_vocab(), MorphVocab()
    assert type(ours) is MorphVocab and ours.lang == theirs.lang == "ru"
    assert ours.dictionary.path == theirs.dictionary.path
    for word in ("москвы", "путину", "брюинз", "медиахолдинг", "шли"):
        assert [(p.normal, str(p.tag), p.score) for p in ours.parse(word)] == [
            (p.normal, str(p.tag), p.score) for p in theirs.parse(word)
        ]


def test_the_raw_folder_size_counts_its_subfolders(tmp_path):
    """Crawlers write per-site and dated subfolders: their dumps count towards a pool run."""
    from pipeline.commands.run import folder_bytes

    (tmp_path / "tass" / "2024-07-25").mkdir(parents=True)
    (tmp_path / "top.txt").write_bytes(b"x" * 100)
    (tmp_path / "tass" / "2024-07-25" / "a.txt").write_bytes(b"y" * 1000)
    assert folder_bytes(str(tmp_path)) == 1100
