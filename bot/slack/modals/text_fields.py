"""Text inputs that say their limit: every free-text field has a `max_length`, and its hint
states it, so nobody types a page to be told it does not fit."""

from __future__ import annotations

from bot.slack import blocks as bk
from flows.inputs import TextField


def limit_hint(max_length: int, hint: str | None = None) -> str:
    limit = f"Up to {max_length:,} characters."
    return f"{hint} {limit}" if hint else limit


def text_field(
    block_id: str, label: str, *, max_length: int, initial: str | None = None,
    hint: str | None = None, multiline: bool = False, optional: bool = True,
    placeholder: str | None = None,
) -> bk.Block:
    return bk.text_input(
        block_id, label, initial=(initial or "")[:max_length] or None, multiline=multiline,
        optional=optional, placeholder=placeholder, max_length=max_length,
        hint=limit_hint(max_length, hint),
    )


def spec_field(block_id: str, spec: TextField, initial: str | None) -> bk.Block:
    """An optional input for one of flows' described fields (label, hint, limit)."""
    return text_field(block_id, spec.label, max_length=spec.max_length, initial=initial,
                      hint=spec.hint, multiline=spec.multiline)
