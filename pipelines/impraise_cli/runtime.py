"""dlt's runtime settings that the source's client uses, checked before the first request.

The client reads its retries and timeout from dlt's `[runtime]` section
(`RUNTIME__REQUEST_MAX_ATTEMPTS` and friends, see client.py). A value dlt cannot coerce,
or one `requests` would refuse at the first request (a timeout of 0), is named here as
the setting it is, in one line.
"""

from __future__ import annotations

import math

from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException
from dlt.common.configuration.providers import EnvironProvider
from dlt.common.configuration.resolve import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from impraise_source.errors import ConfigurationError

# Each retry setting the client reads, and the least value it can work with.
_LEAST = {
    "request_max_attempts": 1,
    "request_backoff_factor": 0,
    "request_max_retry_delay": 0,
    "request_timeout": 0,  # exclusive: requests refuses a timeout of 0
}
_WHOLE = {"request_max_attempts"}
_SECTION = "runtime"


def check_runtime_settings() -> None:
    """Resolve dlt's runtime settings; ConfigurationError names the first bad one."""
    try:
        config = resolve_configuration(RuntimeConfiguration())
    except ConfigValueCannotBeCoercedException as error:
        raise not_coerced(error) from None
    for key, least in _LEAST.items():
        value = getattr(config, key)
        strict = key == "request_timeout"
        bad = not math.isfinite(value) or value < least or (strict and value == least)
        if bad or (key in _WHOLE and value != int(value)):
            kind = "a whole number" if key in _WHOLE else "a number"
            bound = f"greater than {least}" if strict else f"{least} or more"
            raise ConfigurationError(
                f"{runtime_setting_name(key)} is {value:g}, but must be {kind} {bound}"
            )


def not_coerced(error: ConfigValueCannotBeCoercedException) -> ConfigurationError:
    """The one-line error for a runtime setting dlt could not read as its type."""
    return ConfigurationError(
        f"{runtime_setting_name(error.field_name)} '{error.field_value}' is not valid"
    )


def runtime_setting_name(key: str) -> str:
    """The environment variable of a dlt `[runtime]` setting."""
    return EnvironProvider.get_key_name(key, _SECTION)
