"""Who may do what to a post-mortem."""

from __future__ import annotations

from flows.errors import NotAllowed
from storage.tables import Postmortem


def editors(pm: Postmortem) -> set[str]:
    """The people who own the write-up: author, facilitator, incident commander, reviewers."""
    people = {pm.owner_id, pm.facilitator_id, pm.commander_id, *pm.reviewers}
    return {p for p in people if p}


def can_edit(pm: Postmortem, user_id: str) -> bool:
    return user_id in editors(pm)


def require_editor(pm: Postmortem, user_id: str, what: str) -> None:
    if not can_edit(pm, user_id):
        names = ", ".join(f"<@{p}>" for p in sorted(editors(pm)))
        raise NotAllowed(
            f"Only the post-mortem's author, facilitator, incident commander or reviewers "
            f"can {what}. Ask one of them ({names}) — or add a timeline entry or a learning, "
            f"which anyone in the channel can do."
        )


def require_editor_or_creator(
    pm: Postmortem, user_id: str, created_by: str | None, what: str
) -> None:
    """People may always change their own entries; others' entries belong to the editors."""
    if created_by == user_id:
        return
    require_editor(pm, user_id, what)
