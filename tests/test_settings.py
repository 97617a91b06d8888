"""The settings object: defaults, then PIPELINE_* variables, then explicit values."""

from __future__ import annotations

import os
from pathlib import Path

import pydantic
import pytest

from pipeline.settings import Settings


def test_defaults_environment_and_overrides_in_that_order(monkeypatch):
    assert Settings().batch_size == 256 and Settings().out_dir == Path("processed")
    monkeypatch.setenv("PIPELINE_BATCH_SIZE", "7")
    monkeypatch.setenv("PIPELINE_OUT_DIR", "elsewhere")
    env = Settings.from_env()
    assert (env.batch_size, env.out_dir) == (7, Path("elsewhere"))
    flags = Settings.from_env(out_dir="flag", batch_size=None)
    assert (flags.batch_size, flags.out_dir) == (7, Path("flag"))
    assert flags.with_(batch_size=3, lock_timeout_s=None).batch_size == 3
    assert flags.with_(batch_size=3).lock_timeout_s == flags.lock_timeout_s


def test_a_bad_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PIPELINE_BATCH_SIZE", "many")
    with pytest.raises(pydantic.ValidationError, match="batch_size"):
        Settings.from_env()


def test_settings_are_frozen():
    with pytest.raises(pydantic.ValidationError):
        Settings().batch_size = 1


def test_the_command_line_names_a_bad_variable(monkeypatch, capsys):
    from pipeline.cli import main

    monkeypatch.setenv("PIPELINE_LOCK_TIMEOUT_S", "soon")
    assert main(["status", "--out", "nowhere"]) == 1
    assert "bad setting: PIPELINE_LOCK_TIMEOUT_S" in capsys.readouterr().err


def test_parameter_defaults_are_the_settings_defaults(monkeypatch):
    """The stage functions that take a setting as a parameter default to the Settings default,
    written once in pipeline/settings.py."""
    import inspect

    from pipeline.readers import text
    from pipeline.settings import Settings
    from pipeline.stages import language, pairing, split
    from pipeline.store import Store

    for name in list(os.environ):
        if name.startswith("PIPELINE_"):
            monkeypatch.delenv(name)
    defaults = Settings()
    checks = [
        (text.documents_from_lines, "lang_sample_chars", "lang_sample_chars"),
        (text.documents_from_lines, "lang_min_prob", "lang_min_prob"),
        (text.documents_from_text, "headline_max_chars", "headline_max_chars"),
        (language.language_detector, "lang_min_prob", "lang_min_prob"),
        (split.split_lines, "headline_max_chars", "headline_max_chars"),
        (split.is_headline, "max_chars", "headline_max_chars"),
        (language.detect_language, "max_chars", "lang_sample_chars"),
        (language.detect_language, "min_prob", "lang_min_prob"),
        (Store.lock, "timeout_s", "lock_timeout_s"),
    ]
    for func, param, setting in checks:
        assert inspect.signature(func).parameters[param].default == getattr(defaults, setting), (func, param)
    assert pairing.PairingConfig().min_score == defaults.pair_min_score
