"""A local Slack emulator: fake Web API for tests and the offline demo, plus a client that
sends signed Slack requests (commands, events, interactions) to the bot."""

from slack_emulator.server import SlackEmulator
from slack_emulator.signing import Response, SignedSlackClient, sign
from slack_emulator.state import Call

__all__ = ["Call", "Response", "SignedSlackClient", "SlackEmulator", "sign"]
