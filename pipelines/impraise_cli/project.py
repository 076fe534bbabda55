"""The project's own settings, found wherever the run starts.

dlt reads `.dlt/config.toml` and `.dlt/secrets.toml` from its project directory, which is
the current directory unless `DLT_PROJECT_DIR` says otherwise. A scheduler (cron,
Airflow) that starts `pipelines/impraise.py` from another directory would skip the
project's field policy and its `[load]` settings without a word, and land names in
clear. So the command line points dlt at the checkout it is part of, through dlt's own
`DLT_PROJECT_DIR`, unless the caller already set it to another project directory.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

import tomlkit
from dlt.common import known_env
from dlt.common.configuration.container import Container
from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.common.configuration.providers.toml import TomlProviderReadException
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from impraise_source.errors import ConfigurationError

from .runtime import not_coerced

# The checkout pipelines/impraise.py belongs to: its .dlt/, dbt_project/ and profiles/.
PROJECT_DIR = Path(__file__).resolve().parents[2]


def use_project_settings(env: MutableMapping[str, str] = os.environ) -> Path:
    """Make dlt read the project's `.dlt/` (DLT_PROJECT_DIR, default: this checkout).

    Raises ConfigurationError when that directory is missing or one of its TOML files
    (or dlt's global ones) cannot be parsed, naming the file and the place.
    """
    directory = Path(env.get(known_env.DLT_PROJECT_DIR) or PROJECT_DIR).expanduser().resolve()
    if not directory.is_dir():
        raise ConfigurationError(f"{known_env.DLT_PROJECT_DIR} {directory} is not a directory")
    env[known_env.DLT_PROJECT_DIR] = str(directory)
    try:
        # The providers read the TOML files once, when created: create them anew from
        # the project's directory, in case anything asked dlt for a setting before.
        Container()[PluggableRunContext].reload_providers()
    except TomlProviderReadException as error:
        raise ConfigurationError(_malformed(error)) from None
    except ConfigValueCannotBeCoercedException as error:
        # Reloading resolves dlt's [runtime] settings, and nothing else.
        raise not_coerced(error) from None
    return directory


def _malformed(error: TomlProviderReadException) -> str:
    """Which of the files dlt tried is malformed, and where, in one line."""
    for path in map(Path, error.full_paths):
        if path.is_file():
            try:
                tomlkit.parse(path.read_text(encoding="utf-8"))
            except (tomlkit.exceptions.ParseError, UnicodeDecodeError) as parse_error:
                return f"{path} is not valid TOML: {parse_error}"
    return f"{error.file_name} is not valid TOML"
