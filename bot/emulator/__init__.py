"""A local Slack emulator: fake Web API for tests and the offline demo, plus a client that
sends signed Slack requests (commands, events, interactions) to the bot."""

from bot.emulator.server import SlackEmulator
from bot.emulator.signing import Response, SignedSlackClient, sign
from bot.emulator.state import Call

__all__ = ["Call", "Response", "SignedSlackClient", "SlackEmulator", "sign"]
