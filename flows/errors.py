"""Errors the process raises; each carries a message fit to show a user as it is."""

from __future__ import annotations


class PostmortemError(Exception):
    """A rule of the process was broken; `str(err)` is the message for the user."""


class NotFound(PostmortemError):
    pass


class NotAllowed(PostmortemError):
    pass


class InvalidState(PostmortemError):
    pass


class FieldErrors(PostmortemError):
    """Input that fails validation, keyed by the field it belongs to."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
