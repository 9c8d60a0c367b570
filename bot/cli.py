"""`postmortem-bot`: serve, migrate, sweep, render, demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import ConfigError, Settings
from flows.errors import PostmortemError

if TYPE_CHECKING:
    from sqlmodel import Session

    from flows.record import PostmortemRecord


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="postmortem-bot", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server (or Socket Mode) and the scheduler")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not sweep reminders in this process (use cron + `sweep`)",
    )

    sub.add_parser("migrate", help="create or upgrade the database schema")

    sweep = sub.add_parser("sweep", help="send what is due once, as of --at")
    sweep.add_argument(
        "--at", type=_iso_time, default=None, help="ISO-8601 time to sweep as of (default: now)"
    )
    sweep.add_argument("--dry-run", action="store_true", help="show what would be sent")

    sub.add_parser("poll-trackers", help="close action items whose GitHub/Jira issue is closed")

    render = sub.add_parser("render", help="print a post-mortem's Markdown document")
    render.add_argument("id", type=int)
    render.add_argument("--template", default=None)
    render.add_argument("--tz", default="UTC")

    demo = sub.add_parser(
        "demo", help="run one complete post-mortem offline; DIR gets the database and documents"
    )
    demo.add_argument("--out", default="demo-postmortem", metavar="DIR")

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
        return COMMANDS[args.command](settings, args)
    except (ConfigError, PostmortemError) as err:
        print(f"postmortem-bot: {err}", file=sys.stderr)
        return 2


def _iso_time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 time") from err
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import make_engine, migrate

    migrate(make_engine(settings.database_url))
    print("database schema is up to date")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps, make_client
    from bot.http.server import HttpServer
    from bot.http.webhooks import build_webhooks
    from bot.http.wsgi import create_wsgi_app
    from bot.jobs.scheduler import start_scheduler
    from bot.slack.app import create_app
    from storage.db import migrate

    settings.require_slack()
    deps = build_deps(settings)
    migrate(deps.engine)
    client = make_client(settings)
    app = create_app(deps, client)
    scheduler = None if args.no_scheduler else start_scheduler(deps, client)
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            logging.getLogger(__name__).info("Socket Mode (SLACK_APP_TOKEN is set)")
            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            server = HttpServer(
                create_wsgi_app(deps, app, build_webhooks(deps, client)),
                host=args.host,
                port=args.port,
            )
            logging.getLogger(__name__).info("listening on %s:%s", args.host, server.port)
            server.serve_forever()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def cmd_sweep(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps, make_client
    from bot.jobs.sweep import run_sweep

    deps = build_deps(settings)
    if not args.dry_run:
        settings.require_slack()
    report = run_sweep(deps, make_client(settings), now=args.at, dry_run=args.dry_run)
    for line in report.lines():
        print(line)
    return 0


def cmd_poll_trackers(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps, make_client
    from bot.integrations.closure import poll_trackers

    closed = poll_trackers(build_deps(settings), make_client(settings))
    print(f"{closed} action item(s) closed from their tracker issues")
    return 0


def render_record(
    session: Session, record: PostmortemRecord, *, template: str, tz: str, now: datetime,
    templates_dir: Path | None = None,
) -> str:
    """The document offline: names of people and channels as the bot last stored them."""
    from flows.document import render_markdown
    from flows.document.names import slack_ids
    from storage.names import channel_names, person_names

    users, channels = slack_ids(record)
    team = record.postmortem.team_id
    return render_markdown(
        record,
        template=template,
        templates_dir=templates_dir,
        tz=tz,
        now=now,
        people=person_names(session, team_id=team, user_ids=users),
        channels=channel_names(session, team_id=team, channel_ids=channels),
        archive_url=record.postmortem.archive_url,
    )


def cmd_render(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from storage import queries
    from storage.db import session_scope

    deps = build_deps(settings)
    with session_scope(deps.sessions) as session:
        record = queries.load_record(session, pm_id=args.id)
        template = args.template or record.postmortem.template or deps.policy.default_template
        text = render_record(session, record, template=template, tz=args.tz, now=deps.now(),
                             templates_dir=settings.templates_dir)
    sys.stdout.write(text)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(out=args.out)


COMMANDS = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "sweep": cmd_sweep,
    "poll-trackers": cmd_poll_trackers,
    "render": cmd_render,
    "demo": cmd_demo,
}


if __name__ == "__main__":
    raise SystemExit(main())
