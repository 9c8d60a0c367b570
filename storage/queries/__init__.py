"""Queries by domain. Keyword-only; they raise, never log-and-return-None."""
