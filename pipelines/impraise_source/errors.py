"""Errors the source raises, each carrying a one-line message fit for a terminal."""

from __future__ import annotations


class ImpraiseError(Exception):
    """Base class: the message is one line and never contains the API token."""


class TokenRefusedError(ImpraiseError):
    """The API answered 401: the token is missing, wrong or revoked."""


class ProtocolError(ImpraiseError):
    """The API answered in a way the contract does not allow (e.g. a `next` that does not
    move forward). Retrying cannot help, so the bucket fails at once."""


class BucketFailedError(ImpraiseError):
    """A bucket could not be read completely, after every retry."""

    def __init__(self, bucket: str, offset: int, status: str) -> None:
        self.bucket = bucket
        self.offset = offset
        self.status = status
        super().__init__(f"bucket '{bucket}' failed at offset {offset}: {status}")
