"""Related incidents on the control message: a new post-mortem that looks like an earlier one
shows it, scored, linked to where it can be read."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.opening import STARTED, TEAM, facts, open_postmortem
from tests.bot.test_action_items import control_message
from tests.bot.test_review_publish import make_postmortem
from tests.harness import Harness


def test_an_alike_earlier_postmortem_is_suggested_on_the_control_message(bot: Harness) -> None:
    first = make_postmortem(bot, team_id=TEAM)  # "Checkout API returned 500s", payment-api
    assert "Possibly related" not in str(control_message(bot, first)["blocks"])
    second, _ = open_postmortem(bot, facts(title="Checkout API returned 500s again",
                                           started=STARTED + timedelta(days=3),
                                           services=("payment-api",)))
    open_postmortem(bot, facts(title="Search index stale", started=STARTED + timedelta(days=4),
                               services=("search",)))
    blocks = control_message(bot, second)["blocks"]
    [related] = [b for b in blocks if "Possibly related" in str(b)]
    text = related["elements"][0]["text"]
    assert text.startswith(":link: Possibly related: <https://slack.com/app_redirect?"
                           "channel=C0INCIDENT&team=T0001|*INC-")
    assert "“Checkout API returned 500s” 100 %" in text  # its words are all in the new title
    assert "(similar title, same services)" in text
    assert text.count("·") == 0  # one suggestion: the search incident is not alike
