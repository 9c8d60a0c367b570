"""Errors whose message is written for the person who caused them.

Defined on the ground floor so that every layer raises the same kind: a missing row here, a
broken process rule in flows/ (flows/errors.py), both shown to the user as they are.
"""

from __future__ import annotations


class PostmortemError(Exception):
    """Something asked of the bot cannot be done; `str(err)` says why, fit to show a user."""


class NotFound(PostmortemError):
    """The row asked for does not exist (any more)."""
