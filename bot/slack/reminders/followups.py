"""The day-30 question: did the actions prevent recurrence? The answer is stored and shown."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack import blocks as bk
from bot.slack.ids import Action
from bot.slack.messages import note_in_thread
from bot.slack.reminders.views import parse_follow_up_value
from flows.reminders.followup import RecurrenceAnswer, record_follow_up_answer
from storage.db import session_scope


def register(app: App, deps: Deps) -> None:
    def answer(ack: Ack, body: dict[str, Any], client: WebClient, recurred: bool) -> None:
        ack()
        user_id = body["user"]["id"]
        pm_id, reminder_id = parse_follow_up_value(body["actions"][0]["value"])
        with session_scope(deps.sessions) as session:
            record_follow_up_answer(
                session,
                reminder_id=reminder_id,
                answer=RecurrenceAnswer(recurred, user_id, deps.now()),
            )
        said = (
            ":rotating_light: the incident *recurred* — the actions did not prevent it"
            if recurred
            else ":white_check_mark: no recurrence — the actions held"
        )
        text = f"<@{user_id}> answered the day-30 check-in: {said}."
        channel = (body.get("channel") or {}).get("id")
        ts = (body.get("message") or {}).get("ts")
        if channel and ts:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=[bk.section(text)])
        note_in_thread(deps, client, pm_id, text)

    @app.action(Action.FOLLOWUP_RECURRED)
    def handle_recurred(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        answer(ack, body, client, recurred=True)

    @app.action(Action.FOLLOWUP_NO_RECURRENCE)
    def handle_no_recurrence(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        answer(ack, body, client, recurred=False)
