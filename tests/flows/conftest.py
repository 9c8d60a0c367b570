"""Fixtures for the flow tests: `history`, a session on tests/flows/history.py's program."""

from tests.flows.history import history

__all__ = ["history"]
