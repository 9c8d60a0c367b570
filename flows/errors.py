"""Errors the process raises; each carries a message fit to show a user as it is."""

from __future__ import annotations

from storage.errors import NotFound, PostmortemError

__all__ = ["FieldErrors", "InvalidState", "NotAllowed", "NotFound", "PostmortemError"]


class NotAllowed(PostmortemError):
    """The person may not do this to this post-mortem (wrong role or workspace)."""


class InvalidState(PostmortemError):
    """The post-mortem's status does not allow this step (e.g. editing once published)."""


class FieldErrors(PostmortemError):
    """Input that fails validation, keyed by the field it belongs to."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
