"""A local Slack emulator: fake Web API for tests and the offline demo, plus a client that
sends signed Slack requests (commands, events, interactions) to the bot."""

from slack_emulator.api.oauth import AuthorizePageError
from slack_emulator.faults import HeldResponses
from slack_emulator.server import SlackEmulator
from slack_emulator.signing import Response, SignedSlackClient, sign
from slack_emulator.socket_mode import SocketModeHub
from slack_emulator.state import Call
from slack_emulator.workspace import TeamInfo

__all__ = [
    "AuthorizePageError",
    "Call",
    "HeldResponses",
    "Response",
    "SignedSlackClient",
    "SlackEmulator",
    "SocketModeHub",
    "TeamInfo",
    "sign",
]
