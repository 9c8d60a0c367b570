"""`postmortem-bot`: serve, migrate, sweep, render, export, import, delete, forget-user,
report, demo."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.observability.logs import FORMATS, configure_logging
from bot.settings import ConfigError, Settings
from flows.errors import PostmortemError

if TYPE_CHECKING:
    from bot.deps import Deps

DEFAULT_PORT = 3000
# The interpreter's thread switch interval while serving (seconds): see cmd_serve.
SWITCH_INTERVAL = 0.001


def _logging_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """-v/--log-level/--log-format, accepted before or after the command name.

    On the subcommands the defaults are SUPPRESS, so an option given before the command name
    is not overwritten by the subcommand's default.
    """
    default: Any = argparse.SUPPRESS
    parser.add_argument(
        "-v", "--verbose", action="count", default=0 if top else default,
        help="more log lines from libraries: -v info, -vv debug (default: warnings only)",
    )
    parser.add_argument(
        "--log-level", default=None if top else default,
        help="one level for every logger (DEBUG, INFO, WARNING…); env LOG_LEVEL",
    )
    parser.add_argument(
        "--log-format", choices=FORMATS, default=None if top else default,
        help="text (default) or json, one object per line; env LOG_FORMAT",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="postmortem-bot", description=__doc__)
    _logging_options(parser, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _logging_options(common, top=False)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[common])

    serve = command("serve", "run the HTTP server (or Socket Mode) and the scheduler")
    serve.add_argument("--host", default=os.environ.get("HOST") or "0.0.0.0")
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or DEFAULT_PORT),
        help=f"default: $PORT, else {DEFAULT_PORT}",
    )
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not sweep reminders in this process (use cron + `sweep`)",
    )

    command("migrate", "create or upgrade the database schema")

    sweep = command("sweep", "send what is due once, as of --at")
    sweep.add_argument(
        "--at", type=_iso_time, default=None, help="ISO-8601 time to sweep as of (default: now)"
    )
    sweep.add_argument("--dry-run", action="store_true", help="show what would be sent")

    command("poll-trackers", "close action items whose GitHub/Jira issue is closed")

    render = command("render", "print a post-mortem's Markdown document")
    render.add_argument("id", type=int)
    render.add_argument("--template", default=None)
    render.add_argument("--tz", default="UTC")

    export = command("export", "write the post-mortem tracker as CSV or JSON; with ID, one "
                               "post-mortem's complete JSON (stdout or --out)")
    export.add_argument("id", nargs="?", type=int, default=None,
                        help="one post-mortem, everything about it (for `import`)")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--since", type=_iso_time, default=None,
                        help="only incidents on or after this ISO date")
    export.add_argument("--team", nargs="+", default=[], metavar="T",
                        help="only these Slack workspaces (team ids); default: every one")
    export.add_argument("--out", default=None, metavar="FILE", help="default: stdout")

    imported = command("import", "load a post-mortem written by `export ID`")
    imported.add_argument("file", metavar="FILE")
    imported.add_argument("--team", default=None, metavar="T",
                          help="into this Slack workspace (team id) instead of the file's")

    delete = command("delete", "delete a post-mortem, its parts, its incident and its outbox")
    delete.add_argument("id", type=int)
    delete.add_argument("--yes", action="store_true", help="really delete (no undo)")

    forget = command("forget-user", "replace a person's Slack id and names with a tombstone "
                                    "in every record (audited)")
    forget.add_argument("user_id", metavar="USER_ID", help="the Slack user id, U…")
    forget.add_argument("--name", action="append", default=[], metavar="NAME",
                        help="a name of theirs to erase too (repeatable); the display names "
                             "the bot resolved are erased anyway")

    report = command("report", "render the monthly program report; post it, or --out FILE")
    report.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-11")
    report.add_argument("--team", default=None, metavar="T",
                        help="the Slack workspace (team id); needed when there are several")
    report.add_argument("--out", default=None, metavar="FILE",
                        help="write the chart (PNG) here and print the table, not post it")

    demo = command("demo", "run one complete post-mortem offline; DIR gets the database "
                           "and documents")
    demo.add_argument("--out", default="demo-postmortem", metavar="DIR")

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        setup = configure_logging(
            args.verbose,
            level=args.log_level or settings.log_level,
            fmt=args.log_format or settings.log_format,
            secrets=settings.secret_values(),
        )
    except (ConfigError, ValueError) as err:
        print(f"postmortem-bot: {err}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](settings, args)
    except (ConfigError, PostmortemError) as err:
        print(f"postmortem-bot: {err}", file=sys.stderr)
        return 2
    finally:
        # main() is also called in-process (tests): leave logging as it was found.
        setup.restore()


def _iso_time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 time") from err
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from storage.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    migrate(engine)
    if settings.oauth:
        from bot.slack.installs import Installs

        Installs(settings, engine).create_tables()
    print("database schema is up to date")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    # Startup makes objects that live as long as the process and almost no garbage: the
    # collector is off until they are frozen out of its sight (a tenth of the imports' time).
    gc.disable()
    from bot.deps import build_deps
    from bot.serving import build_serving
    from bot.slack.app import create_app
    from storage.db import migrate

    log = logging.getLogger(__name__)
    settings.require_slack()
    deps = build_deps(settings)
    migrate(deps.engine)
    if deps.installs is not None:
        deps.installs.create_tables()
    app = create_app(deps)
    scheduler = None
    if not args.no_scheduler:  # APScheduler and the sweep are imported for it alone
        from bot.jobs.scheduler import start_scheduler
        scheduler = start_scheduler(deps, None)  # no client: each row has its team's token
    # Out of the collector's sight, a full collection in a burst scans only what requests made.
    gc.freeze()
    gc.enable()
    # A thread an ack waits on (the inbox writer) waits for the interpreter up to this long
    # after each database call: 5 ms by default. Shorter hands it over sooner.
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        serving = build_serving(deps, app, host=args.host, port=args.port)
        _on_stop_signal(serving.http.stop_soon)
        log.info("listening on %s:%s", args.host, serving.http.port)
        serving.serve_forever()
        log.info("stopped")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        # What was acked is finished before the process goes: the outbox keeps the rest.
        deps.background.wait_idle(timeout=20)
        deps.background.shutdown(wait=False)
    return 0


def _on_stop_signal(stop: Any) -> None:
    """SIGTERM (docker stop, Kubernetes) and SIGINT (Ctrl-C) stop serving cleanly: requests in
    flight finish, the process exits 0."""

    def handler(_signum: int, _frame: Any) -> None:
        # Nothing else here: a signal handler may run in the middle of any line, logging too.
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def cmd_sweep(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from bot.jobs.sweep import run_sweep

    deps = build_deps(settings)
    if not args.dry_run:
        settings.require_slack()
    report = run_sweep(deps, None, now=args.at, dry_run=args.dry_run)
    for line in report.lines():
        print(line)
    return 0


def cmd_poll_trackers(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from bot.jobs.trackers import poll_trackers

    deps = build_deps(settings)
    closed = poll_trackers(deps)
    print(f"{closed} action item(s) closed from their tracker issues")
    return 0


def cmd_render(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from flows.document.offline import render_stored
    from storage.db import session_scope
    from storage.queries import postmortems

    deps = build_deps(settings)
    with session_scope(deps.sessions) as session:
        record = postmortems.load_record(session, pm_id=args.id)
        template = args.template or record.postmortem.template or deps.policy.default_template
        text = render_stored(session, record, template=template, tz=args.tz, now=deps.now(),
                             templates_dir=settings.templates_dir)
    sys.stdout.write(text)
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from bot.export import write_export
    from storage.db import session_scope

    deps = build_deps(settings)
    if args.id is not None:
        return _export_one(deps, args.id, args.out)
    with session_scope(deps.sessions) as session:
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as out:
                count = write_export(session, out, fmt=args.format, now=deps.now(),
                                     since=args.since, teams=args.team)
            print(f"{count} post-mortem(s) written to {args.out}", file=sys.stderr)
        else:
            write_export(session, sys.stdout, fmt=args.format, now=deps.now(), since=args.since,
                         teams=args.team)
    return 0


def _export_one(deps: Deps, pm_id: int, out: str | None) -> int:
    import json

    from storage.db import session_scope
    from storage.portable import export_postmortem

    with session_scope(deps.sessions) as session:
        document = export_postmortem(session, pm_id=pm_id)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"post-mortem #{pm_id} written to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from bot.deps import build_deps
    from storage.db import session_scope
    from storage.portable import import_postmortem

    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PostmortemError(f"Cannot read {args.file}: {err}") from err
    if not isinstance(document, dict):
        raise PostmortemError(f"{args.file} is not a post-mortem export.")
    deps = build_deps(settings)
    with session_scope(deps.sessions) as session:
        pm_id = import_postmortem(session, document, team_id=args.team)
    print(f"imported as post-mortem #{pm_id}")
    return 0


def cmd_delete(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from storage.db import session_scope
    from storage.portable import delete_postmortem
    from storage.queries import postmortems

    deps = build_deps(settings)
    if not args.yes:
        with session_scope(deps.sessions) as session:
            pm = postmortems.get_postmortem(session, pm_id=args.id)
            incident = postmortems.get_incident(session, incident_id=pm.incident_id)
        print(f"This deletes post-mortem #{args.id} ({incident.reference}: {incident.title}) "
              "with everything in it, for good. Run again with --yes to do it.",
              file=sys.stderr)
        return 1
    with session_scope(deps.sessions) as session:
        reference = delete_postmortem(session, pm_id=args.id)
    print(f"deleted post-mortem #{args.id} ({reference})")
    return 0


def cmd_forget_user(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from storage.erasure import TOMBSTONE_ID, forget_user

    deps = build_deps(settings)
    with deps.engine.begin() as conn:
        done = forget_user(conn, user_id=args.user_id, names=args.name, now=deps.now())
    print(f"{args.user_id} is now {TOMBSTONE_ID}: {done.rows} record(s) changed, "
          f"{done.deleted} removed; audited on {len(done.postmortems)} post-mortem(s)")
    return 0


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.deps import build_deps
    from bot.slack.delivery import deliver_now
    from bot.slack.report.plan import post_report_now, render_report
    from flows.program_report import month_start
    from storage.db import session_scope
    from storage.queries.tracker import EVERY_WORKSPACE, team_choices

    month_start(args.month)  # refuses a malformed month before anything is read
    deps = build_deps(settings)
    with session_scope(deps.sessions) as session:
        teams = team_choices(session, team_id=EVERY_WORKSPACE)
        team = args.team or (teams[0] if len(teams) == 1 else None)
        if team is None and len(teams) > 1:
            raise PostmortemError(f"Several workspaces ({', '.join(teams)}): pick one with --team.")
        if args.out:
            stored = render_report(session, deps, team_id=team, month=args.month, now=deps.now())
            Path(args.out).write_bytes(stored.chart)
            print(stored.table)
            return 0
        settings.require_slack()
        ids = post_report_now(session, deps, team_id=team, month=args.month, now=deps.now())
    result = deliver_now(deps, ids)
    for line in result.lines():
        print(line)
    return 1 if result.failed else 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(out=args.out)


COMMANDS = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "sweep": cmd_sweep,
    "poll-trackers": cmd_poll_trackers,
    "render": cmd_render,
    "export": cmd_export,
    "import": cmd_import,
    "delete": cmd_delete,
    "forget-user": cmd_forget_user,
    "report": cmd_report,
    "demo": cmd_demo,
}


if __name__ == "__main__":
    raise SystemExit(main())
