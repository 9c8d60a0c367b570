"""Who may do what to a post-mortem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flows.errors import NotAllowed
from storage.tables import Postmortem


@dataclass(frozen=True)
class Actor:
    """Who is asking: a Slack user, and the workspace they belong to (a guest from another
    organisation in a shared channel belongs to theirs, not ours)."""

    user_id: str
    team_id: str | None = None


def editors(pm: Postmortem) -> set[str]:
    """The people who own the write-up: author, facilitator, incident commander, reviewers."""
    people = {pm.owner_id, pm.facilitator_id, pm.commander_id, *pm.reviewers}
    return {p for p in people if p}


def can_edit(pm: Postmortem, user_id: str) -> bool:
    return user_id in editors(pm)


OTHER_WORKSPACE = "This post-mortem belongs to another workspace: only its own members can " \
    "change it."


def in_workspace(pm: Postmortem, team_id: str | None) -> bool:
    """Whether a request from `team_id` may see the post-mortem at all. Rows and requests of
    no known workspace (single-workspace installs, the CLI) are not told apart."""
    return not (pm.team_id and team_id and team_id != pm.team_id)


def require_workspace(pm: Postmortem, team_id: str | None) -> None:
    """Nobody outside the post-mortem's workspace changes it, whatever channel they share."""
    if not in_workspace(pm, team_id):
        raise NotAllowed(OTHER_WORKSPACE)


def require_member(workspace: str | None, actor: Actor) -> None:
    """Opening a post-mortem in a workspace is for its own members, not guests from another
    organisation in a shared channel (who could then never edit it)."""
    if workspace and actor.team_id and actor.team_id != workspace:
        raise NotAllowed("Only members of this workspace can start a post-mortem here.")


def require_participant(pm: Postmortem, actor: Actor, *, in_channel: Callable[[], bool]) -> None:
    """Timeline entries and learnings are open to everyone in the incident channel; the
    editors may always add. `in_channel` asks Slack, so it is only asked for non-editors."""
    require_workspace(pm, actor.team_id)
    if can_edit(pm, actor.user_id) or in_channel():
        return
    raise NotAllowed("Only people in the incident channel can add to this post-mortem.")


def require_editor(
    pm: Postmortem, user_id: str, what: str, *, team_id: str | None = None
) -> None:
    require_workspace(pm, team_id)
    if not can_edit(pm, user_id):
        names = ", ".join(f"<@{p}>" for p in sorted(editors(pm)))
        raise NotAllowed(
            f"Only the post-mortem's author, facilitator, incident commander or reviewers "
            f"can {what}. Ask one of them ({names}) — or add a timeline entry or a learning, "
            f"which anyone in the channel can do."
        )


def require_editor_or_creator(
    pm: Postmortem, user_id: str, created_by: str | None, what: str, *,
    team_id: str | None = None,
) -> None:
    """People may always change their own entries; others' entries belong to the editors."""
    require_workspace(pm, team_id)
    if created_by == user_id:
        return
    require_editor(pm, user_id, what, team_id=team_id)
