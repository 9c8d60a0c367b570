"""Related incidents on the control message: a new post-mortem that looks like an earlier one
shows it, scored, linked to where it can be read; linking it puts it in the document's related
incidents and counts this incident as its recurrence."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.slack.ids import Action
from storage.tables import Incident, Postmortem, Recurrence, Reference
from tests.bot.opening import STARTED, TEAM, facts, open_postmortem
from tests.bot.test_action_items import control_message, thread_notes
from tests.bot.test_review_publish import make_postmortem
from tests.harness import Harness


def test_an_alike_earlier_postmortem_is_suggested_then_linked(bot: Harness) -> None:
    first = make_postmortem(bot, team_id=TEAM)  # "Checkout API returned 500s", payment-api
    assert "Possibly related" not in str(control_message(bot, first)["blocks"])
    with bot.session() as session:
        pm = session.get(Postmortem, first)
        assert pm is not None
        first_ref = session.get(Incident, pm.incident_id).reference  # type: ignore[union-attr]
    second, _ = open_postmortem(bot, facts(title="Checkout API returned 500s again",
                                           started=STARTED + timedelta(days=3),
                                           services=("payment-api",)))
    open_postmortem(bot, facts(title="Search index stale", started=STARTED + timedelta(days=4),
                               services=("search",)))
    blocks = control_message(bot, second)["blocks"]
    [related] = [b for b in blocks if "Possibly related" in str(b)]
    text = related["text"]["text"]
    assert text.startswith(":link: *Possibly related:* <https://slack.com/app_redirect?"
                           "channel=C0INCIDENT&team=T0001|*INC-")
    assert "“Checkout API returned 500s” 100 %" in text  # its words are all in the new title
    assert "(similar title, same services)" in text
    assert text.count("·") == 0  # one suggestion: the search incident is not alike

    # Linking it: the document cites it, it counts as a recurrence, both threads say so.
    [option] = related["accessory"]["options"]
    assert option["value"] == f"{second}:{first}"
    bot.slack.block_action("U0ALICE", Action.RELATED_LINK, value=option["value"],
                           message=control_message(bot, second), channel_id="C0INCIDENT")
    bot.settle()
    with bot.session() as session:
        [reference] = session.exec(select(Reference).where(Reference.postmortem_id == second)).all()
        [recurrence] = session.exec(select(Recurrence)).all()
        incident_id = session.get(Postmortem, second).incident_id  # type: ignore[union-attr]
    assert (reference.kind, reference.label) == ("related_incident",
                                                 f"{first_ref}: Checkout API returned 500s")
    assert (recurrence.postmortem_id, recurrence.incident_id) == (first, incident_id)
    assert "as a related incident" in thread_notes(bot, second)[-1]
    assert "was linked as a recurrence of this incident by <@U0ALICE>" in \
        thread_notes(bot, first)[-1]
    [related] = [b for b in control_message(bot, second)["blocks"]
                 if "Possibly related" in str(b)]
    assert related["text"]["text"].endswith("— linked") and "accessory" not in related
