"""Each error the command line can end with, and the exit code the README gives its cause."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigValueCannotBeCoercedException,
)
from dlt.pipeline.exceptions import PipelineStepFailed
from impraise_cli.cli import HANDLED, failure
from impraise_source import errors
from impraise_source.config import resolve, validate

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def documented_codes() -> dict[int, str]:
    """The README's exit codes: `N` followed by what it means."""
    section = README[README.index("Exit codes:") :].split("\n\n")[0]
    return {int(code): text for code, text in re.findall(r"`(\d)` ([^;]+)", section)}


@pytest.mark.parametrize(
    "error, code",
    [
        (errors.ConfigurationError("bad"), 2),
        (errors.TokenRefusedError("refused"), 3),
        (errors.BucketFailedError("users", 0, "HTTP 503"), 4),
        (errors.ProtocolError("the root listing names no buckets"), 4),
        (errors.RunInProgressError("locked"), 5),
        (errors.IncompatibleApiError("missing"), 6),
        (errors.ImpraiseError("unexpected"), 1),
    ],
)
def test_every_error_has_the_documented_code_of_its_cause(error, code):
    assert failure(error) == (code, str(error))
    assert code in documented_codes()


def test_every_documented_code_is_used():
    codes = {cls.exit_code for cls in vars(errors).values() if isinstance(cls, type)}
    assert set(documented_codes()) == codes | {0}


def settings_error(monkeypatch, **env: str) -> BaseException:
    """What resolving and checking the source's settings from this environment raises, as
    `impraise()` and `probe()` do before their first request."""
    for name in list(os.environ):
        if name.startswith("SOURCES__"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(HANDLED) as raised:
        validate(resolve())
    return raised.value


def test_dlt_configuration_errors_name_the_setting_as_an_environment_variable(monkeypatch):
    missing = settings_error(monkeypatch)
    assert isinstance(missing, ConfigFieldMissingException)
    code, message = failure(missing)
    assert code == 2 and "SOURCES__IMPRAISE__API_TOKEN (api_token)" in message
    coerced = settings_error(
        monkeypatch, SOURCES__IMPRAISE__API_TOKEN="t", SOURCES__IMPRAISE__MAX_ITEMS="lots"
    )
    assert isinstance(coerced, ConfigValueCannotBeCoercedException)
    assert failure(coerced) == (2, "SOURCES__IMPRAISE__MAX_ITEMS 'lots' is not valid")
    ours = settings_error(
        monkeypatch, SOURCES__IMPRAISE__API_TOKEN="t", SOURCES__IMPRAISE__MAX_ITEMS="0"
    )
    assert failure(ours) == (
        2,
        "SOURCES__IMPRAISE__MAX_ITEMS is 0, but must be a whole number 1-1000",
    )


def test_a_failed_pipeline_step_is_an_unexpected_error_in_one_line():
    cause = RuntimeError("disk full\nsecond line")
    pipeline = SimpleNamespace(has_pending_data=False, pipeline_name="impraise")
    step_failed = PipelineStepFailed(pipeline, "load", "1", cause, None)
    step_failed.__cause__ = cause
    assert failure(step_failed) == (1, "the load step failed: disk full")
    assert PipelineStepFailed in HANDLED


def test_anything_else_is_not_swallowed():
    with pytest.raises(TypeError):
        failure(KeyError("x"))
