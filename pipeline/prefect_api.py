"""The Prefect server a run reports to, found or started before Prefect is imported.

In order: `PREFECT_API_URL` when it is set; else a Prefect server already running at the local
address (`Settings.local_server_url`, by default where `prefect server start` listens; asked over
loopback only); else, by `Settings.prefect_server`: "background" (the default), a Prefect server
started on the local address with `prefect server start --background` and left running, so that
only the first run waits for a server (its UI is there; `prefect server stop` stops it); or
"temporary", a server for this run alone, started as Prefect starts its own (the same `uvicorn`
command and environment, SQLite under PREFECT_HOME) and stopped at the end.

Why not leave the temporary server to Prefect: its client imports Prefect's whole server
application in the flow's process before it starts the server process, which imports it again
(about 3.5 s of CPU in the flow's process, measured, for nothing), and only when the flow starts.
Started from here by `pipeline run` before the flow's modules are imported, the server boots on
the other core while this process imports Prefect, spaCy and the pipeline. This module imports
nothing of Prefect; `pipeline.flows.reporting_to` hands the chosen URL to Prefect.
"""

from __future__ import annotations

import atexit
import http.client
import importlib.metadata
import importlib.util
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _get(url: str, path: str, timeout_s: float) -> tuple[int, str] | None:
    """Status and body of a GET on a loopback URL; None when nothing answers."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        return None
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout_s)
    try:
        conn.request("GET", parts.path.rstrip("/") + path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def running_server(url: str, timeout_s: float = 5.0) -> bool:
    """Whether a Prefect server of this Prefect's major version answers at `url` (loopback only).

    Nothing listening is known at once (the connection is refused); the timeout only bounds a
    server that listens but is slow, as a fresh one is on its first requests (0.6 s measured for
    the first /admin/version on a loaded machine: a 0.5 s timeout missed it)."""
    health = _get(url, "/health", timeout_s) if url else None
    if health is None or health[0] != 200 or health[1] != "true":
        return False
    version = _get(url, "/admin/version", timeout_s)
    ours = importlib.metadata.version("prefect").split(".")[0]
    return version is not None and version[0] == 200 and version[1].strip('"').split(".")[0] == ours


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PrefectAPI:
    """The chosen API: its URL, how it was found, and the temporary server's process if any."""

    url: str
    kind: str  # "configured", "running", "background" (started here, left running) or "temporary"
    process: subprocess.Popen | None = None

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until a server this run started answers (at once for the other kinds)."""
        if self.process is None:
            return
        timeout_s = timeout_s or float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
        deadline = time.monotonic() + timeout_s
        while _get(self.url, "/health", 2.0) is None:
            if self.kind == "background" and self.process.poll() not in (None, 0):
                why = (self.process.stderr.read() if self.process.stderr else b"").decode("utf-8", "replace")
                raise RuntimeError(f"`prefect server start --background` failed: {why.strip()[-500:]}")
            if self.kind == "temporary" and self.process.poll() is not None:
                raise RuntimeError(f"the temporary Prefect server exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the temporary Prefect server did not answer within {timeout_s:g} s")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop a temporary server (a background one is left running)."""
        if self.process is None or self.kind != "temporary":
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


_TEMPORARY: list[PrefectAPI] = []  # this process's temporary server, started once (as Prefect's own)


def start_temporary_server() -> PrefectAPI:
    """A Prefect server for this process only, started the way Prefect starts its temporary one.

    Stopped at exit, as Prefect's own: after Prefect's log and event workers have sent what they
    hold (they drain at thread shutdown, which comes before `atexit`); stopped earlier, the run's
    last logs would find no server."""
    if _TEMPORARY and _TEMPORARY[0].process is not None and _TEMPORARY[0].process.poll() is None:
        return _TEMPORARY[0]
    port = _free_port()
    app_dir = Path(importlib.util.find_spec("prefect").origin).parent.parent
    env = dict(os.environ, PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory"]
    command += ["prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "error", "--lifespan", "on"]
    api = PrefectAPI(f"http://127.0.0.1:{port}/api", "temporary", subprocess.Popen(command, env=env))
    atexit.register(api.stop)
    _TEMPORARY[:] = [api]
    return api


def start_background_server(url: str) -> PrefectAPI:
    """`prefect server start --background` on the local address (Prefect's own command: its UI,
    its PID file under PREFECT_HOME, `prefect server stop` stops it), in a session of its own so
    that the end of this run (or a Ctrl-C at its terminal) leaves it running for the next runs.
    Started, not awaited (`PrefectAPI.wait`)."""
    parts = urlsplit(url)
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "server", "start", "--background", "--host", parts.hostname, "--port", str(parts.port)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True
    )
    return PrefectAPI(url, "background", process)


def choose_api(local_url: str, configured: str | None, mode: str = "temporary") -> PrefectAPI:
    """The configured API, else a running local server, else (`mode`) a server started in the
    background on the local address and left running, or a temporary one (started, not awaited)."""
    if configured:
        return PrefectAPI(configured, "configured")
    if running_server(local_url):
        return PrefectAPI(local_url, "running")
    if mode == "background" and local_url and urlsplit(local_url).hostname in LOOPBACK:
        return start_background_server(local_url)
    return start_temporary_server()
