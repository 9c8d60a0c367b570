"""The floor the acks are measured against: a bare Bolt app whose listeners only ack, on the
same WSGI server as the bot (waitress, bot/http/server.py's settings), answering /healthz.

    SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=… SLACK_API_URL=… .venv/bin/python bench/floor.py

It imports nothing of the bot, so its startup is the floor for bench/startup.py too. With
`--storage` it is the floor of the bot's stack instead: SQLModel (so SQLAlchemy's ORM and
pydantic) imported as the bot imports it, with the collector off meanwhile, and /healthz
answered from a `SELECT 1` on DATABASE_URL as the bot's is; no table, nothing of the bot.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

# The stack's floor has the collector off from its first import, as `serve` nearly does: the
# least those imports cost, so that what the bot adds to them is not understated.
if "--storage" in sys.argv:
    gc.disable()

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

# bot/http/server.py's HttpServer settings, and the switch interval `serve` sets (bot/cli.py).
THREADS = 8
CHANNEL_TIMEOUT = 30
SWITCH_INTERVAL = 0.001


def build(secret: str) -> Callable[..., Iterable[bytes]]:
    # Bolt checks the token once (auth.test) and caches it, as for the bot: against the same
    # Slack (SLACK_API_URL), so the floor never waits on an unreachable slack.com.
    client = WebClient(token=os.environ.get("SLACK_BOT_TOKEN") or "xoxb-floor",
                       base_url=os.environ.get("SLACK_API_URL") or WebClient.BASE_URL)
    app = App(signing_secret=secret, client=client, token_verification_enabled=False,
              process_before_response=True)

    def noop(ack: Ack) -> None:
        ack()

    app.command(re.compile(".*"))(noop)
    app.action(re.compile(".*"))(noop)
    app.view(re.compile(".*"))(noop)
    app.shortcut(re.compile(".*"))(noop)
    slack = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            body = json.dumps({"ok": True}).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return wsgi


def with_storage(app: Callable[..., Iterable[bytes]],
                 database_url: str) -> Callable[..., Iterable[bytes]]:
    """`app` with /healthz answered from the database, through the ORM the bot is built on."""
    from sqlalchemy import text
    from sqlmodel import create_engine

    engine = create_engine(database_url)
    gc.freeze()
    gc.enable()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        return app(environ, start_response)

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument("--storage", action="store_true",
                        help="load SQLModel and ping DATABASE_URL: the floor of the bot's stack")
    args = parser.parse_args()
    sys.setswitchinterval(SWITCH_INTERVAL)
    app = build(os.environ["SLACK_SIGNING_SECRET"])
    if args.storage:
        app = with_storage(app, os.environ["DATABASE_URL"])
    server = create_server(app, host=args.host,
                           port=args.port, threads=THREADS, channel_timeout=CHANNEL_TIMEOUT,
                           ident="bolt-floor")
    server.run()


if __name__ == "__main__":
    main()
