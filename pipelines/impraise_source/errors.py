"""Every error the source and its command line raise, each with the exit code of its cause.

Messages are one line, fit for a terminal, and never contain the API token; a setting is
named by its environment variable (`setting_name`), whichever way it was set. The
command line exits with the `exit_code` of the error it caught, so the README's table of
exit codes is this module.
"""

from __future__ import annotations

# The environment twin of each setting of [sources.impraise], as dlt reads it.
_SETTING_PREFIX = "SOURCES__IMPRAISE__"


def setting_name(key: str) -> str:
    """The environment variable of a [sources.impraise] setting: what errors name."""
    return _SETTING_PREFIX + key.upper()


class ImpraiseError(Exception):
    """Base class; an unexpected failure while normalizing or loading."""

    exit_code = 1


class ConfigurationError(ImpraiseError):
    """A setting is missing or impossible; nothing was requested or written."""

    exit_code = 2


class TokenRefusedError(ImpraiseError):
    """The API answered 401: the token is wrong, revoked, or not the one meant."""

    exit_code = 3


class UpstreamError(ImpraiseError):
    """The API could not be read: a bucket after its retries, or the root listing."""

    exit_code = 4


class BucketFailedError(UpstreamError):
    """A bucket (or the root listing) could not be read completely, after every retry."""

    def __init__(self, bucket: str, offset: int, status: str) -> None:
        self.bucket = bucket
        self.offset = offset
        self.status = status
        super().__init__(f"bucket '{bucket}' failed at offset {offset}: {status}")


class ProtocolError(UpstreamError):
    """The API answered in a shape the contract does not allow (a root listing that names
    no bucket, say): retrying cannot help."""


class RunInProgressError(ImpraiseError):
    """Another run of the same pipeline holds its lock."""

    exit_code = 5


class IncompatibleApiError(ImpraiseError):
    """`--check` found that the API does not serve something the marts need."""

    exit_code = 6
