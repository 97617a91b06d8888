"""Helpers for tests that run the pipeline: the CLI in a subprocess, the flow in-process, tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import REPO, SAMPLE_DUMP, SHARED

TABLES = ("documents", "entities", "embeddings", "pairs")
_SORT = {
    "documents": ["dump_id", "ordinal"],
    "entities": ["dump_id", "doc_id", "start", "end", "label"],
    "embeddings": ["dump_id", "doc_id"],
    "pairs": ["ru_doc_id", "en_doc_id"],
}


def cli_env(api_url: str | None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def cli(args: list[str], api_url: str | None, **extra: str) -> subprocess.Popen:
    """Start `python -m pipeline ARGS` from the repository root."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=REPO,
        env=cli_env(api_url, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m pipeline ARGS` from the repository root to its end, output captured."""
    cmd = [sys.executable, "-m", "pipeline", *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def start_killed_run(event: str, n: int, raw: Path, out: Path, env: dict[str, str]) -> subprocess.Popen:
    """`pipeline run` under tests.crash_run, killed at the n-th `event`; output in ../run.log."""
    args = [sys.executable, "-m", "tests.crash_run", event, str(n), "run", "--raw", str(raw), "--out", str(out)]
    log = open(out.parent / "run.log", "w")
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the child holds its own copy
    return proc


def wait_killed_runs(procs: dict) -> dict:
    """{moment: (raw, out, proc)} -> {moment: (raw, out, returncode, the log's tail)} once all ended."""
    done = {}
    for moment, (raw, out, proc) in procs.items():
        proc.wait(timeout=900)
        done[moment] = (raw, out, proc.returncode, (out.parent / "run.log").read_text()[-3000:])
    return done


def run_flow(raw: Path, out: Path) -> dict:
    """The real flow in this process (under the session's Prefect harness)."""
    from pipeline.flows import process_raw_folder

    return process_raw_folder(raw_dir=str(raw), out_dir=str(out))


def small_wmt_dump(n_docs: int = 6) -> str:
    """The first documents of the shared WMT21 dump: a second, small bilingual dump."""
    text = (SHARED / "eval" / "pairing" / "wmt21_ruen.dump.txt").read_text(encoding="utf-8")
    return "\n\n\n".join(text.split("\n\n\n")[:n_docs]).strip() + "\n"


def make_raw(base: Path, *, sample: bool = True, wmt: bool = False) -> Path:
    raw = base / "raw"
    raw.mkdir(parents=True)
    if sample:
        (raw / SAMPLE_DUMP.name).write_bytes(SAMPLE_DUMP.read_bytes())
    if wmt:
        (raw / "wmt21_head.txt").write_text(small_wmt_dump(), encoding="utf-8")
    return raw


def read_tables(out: Path) -> dict[str, pd.DataFrame]:
    """Every table of a dataset as plain frames in a canonical row order (dump_id as a string)."""
    frames = {}
    for name in TABLES:
        path = out / name
        df = pd.read_parquet(path) if path.exists() else pd.DataFrame()
        if "dump_id" in df.columns:
            df["dump_id"] = df["dump_id"].astype(str)
        for col in ("lang", "label"):
            if col in df.columns:
                df[col] = df[col].astype(str)
        if name == "embeddings" and len(df):
            df["vector"] = df["vector"].map(lambda v: v.tobytes())
            df["sentence_vectors"] = df["sentence_vectors"].map(lambda vs: np.stack(list(vs)).tobytes())
        if len(df):
            df = df.sort_values(_SORT[name]).reset_index(drop=True)
        frames[name] = df
    manifest = pd.read_parquet(out / "dumps.parquet")
    manifest["status"] = manifest["status"].astype(str)
    frames["dumps"] = manifest.drop(columns=["processed_at", "path"]).sort_values("dump_id").reset_index(drop=True)
    return frames


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], vector_atol: float = 0.0) -> None:
    """Equal tables; with `vector_atol`, embedding vectors may differ by float rounding only."""
    assert set(a) == set(b)
    for name in a:
        left, right = a[name], b[name]
        if name == "embeddings" and vector_atol:
            for column in ("vector", "sentence_vectors"):
                va, vb = (np.concatenate([np.frombuffer(v, np.float32) for v in t[column]]) for t in (left, right))
                np.testing.assert_allclose(va, vb, rtol=0, atol=vector_atol)
            left, right = (
                left.drop(columns=["vector", "sentence_vectors"]),
                right.drop(columns=["vector", "sentence_vectors"]),
            )
        pd.testing.assert_frame_equal(left, right, obj=name)
