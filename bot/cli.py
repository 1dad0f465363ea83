"""`panelbot run | serve | worker | demo | db | policy | audit | export | report | teams`.

Every command reads and validates the settings first; a bad or missing setting ends the command
with one line on stderr naming it (exit status 2), never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.errors import ConfigError
from bot.logs import configure_logging
from bot.settings import Settings, load_settings

logger = logging.getLogger("panelbot.cli")

NO_SLACK_HELP = """\
panelbot cannot connect to Slack yet: {missing}.

To connect a workspace:
  1. Create the Slack app at https://api.slack.com/apps → "Create New App" → "From a manifest",
     and paste manifest.yml from the panelbot folder.
  2. Install it to your workspace, then put these in the environment or a .env file:
       SLACK_BOT_TOKEN       Bot User OAuth Token (xoxb-…), OAuth & Permissions page
       SLACK_SIGNING_SECRET  Signing Secret, Basic Information page
       SLACK_APP_TOKEN       App-Level Token (xapp-…) with connections:write, Basic Information page
  3. Run `panelbot run` again.

To see panelbot work without Slack, run `panelbot demo`."""


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    """Socket Mode: no public URL needed. Runs the worker's ticker in the same process."""
    settings = _settings()
    missing = [name for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
               if getattr(settings, name.lower()) is None]
    if missing:
        print(NO_SLACK_HELP.format(missing=", ".join(missing) + " not set"), file=sys.stderr)
        return 2
    from handlers.slack.runtime import run_socket_mode

    run_socket_mode(settings, with_worker=not args.no_worker)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """HTTP mode behind waitress: POST /slack/events (Slack), POST /api/messages (Teams), GET /healthz."""
    settings = _settings()
    if not settings.teams_enabled:
        settings.require("slack_bot_token", "slack_signing_secret")
    from bot.groups import list_at_start
    from bot.runtime import build_services, teams_connection
    from bot.web import Web, WsgiApp, serve

    services = build_services(settings)
    routes: dict[str, WsgiApp] = {}
    if settings.slack_enabled:
        settings.require("slack_signing_secret")
        from handlers.slack.app import create_app
        from handlers.slack.web import EVENTS_PATH, SlackWsgi

        app = create_app(settings, services, deliver_here=not settings.worker_delivers)
        routes[EVENTS_PATH] = SlackWsgi(app, services, settings.secret("slack_signing_secret"))
    if settings.teams_enabled:
        from handlers.teams.auth import InboundAuth
        from handlers.teams.bot import TeamsBot
        from handlers.teams.wsgi import MESSAGES_PATH, TeamsWsgi

        teams = teams_connection(settings, services)
        routes[MESSAGES_PATH] = TeamsWsgi(TeamsBot(services, teams.connector, teams.addresses,
                                                   tenant=settings.teams_tenant_id,
                                                   deliver_here=not settings.worker_delivers),
                                          InboundAuth(settings.teams_app_id or "",
                                                      metadata_url=settings.teams_metadata_url))
    list_at_start(services.directory, services.policy.user_groups())
    logger.info("what changes queue is sent by %s", "the worker (PANELBOT_DELIVERY=worker)"
                if settings.worker_delivers else "this process (PANELBOT_DELIVERY=web)")
    serve(Web(services, routes), args.port or settings.port, host=args.host, threads=args.threads)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    from bot.deliveries import DeliveryLoop
    from bot.runtime import build_services
    from bot.worker import run_worker, tick

    services = build_services(settings)
    if args.claim_timeout is not None:
        services.claim_timeout = timedelta(seconds=args.claim_timeout)
    if args.once:
        tick(services)
        return 0
    sender = DeliveryLoop(services).start() if settings.worker_delivers else None
    try:
        run_worker(services, args.interval)
    finally:
        if sender is not None:
            sender.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    configure_logging("WARNING")
    if args.teams:
        from handlers.teams.demo import run_teams_demo

        run_teams_demo(sys.stdout)
        return 0
    from handlers.slack.demo import run_demo

    run_demo(sys.stdout)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings()
    from sqlalchemy.engine import make_url

    from store import migrate
    from store.audit import AuditKeyMissing
    from store.db import make_engine
    from store.grants import grant_app_role

    # The owner role migrates (DATABASE_MIGRATION_URL); the app role (DATABASE_URL) is then granted
    # only what it needs, so it can never alter, truncate or rewrite the audit.
    engine = make_engine(settings.database_migration_url or settings.database_url,
                         statement_timeout_ms=None)  # migrations may take long
    if args.action == "upgrade":
        try:
            migrate.upgrade(engine, audit_key=settings.secret("panelbot_audit_key") or None)
        except AuditKeyMissing as exc:
            raise ConfigError(str(exc)) from None
        app_role = make_url(settings.database_url).username
        owner = make_url(settings.database_migration_url).username if settings.database_migration_url else None
        if engine.dialect.name == "postgresql" and app_role and owner and app_role != owner:
            with engine.begin() as connection:
                grant_app_role(connection, app_role)
            print(f"granted {app_role} read and write on panelbot's tables, only INSERT and SELECT on the audit")
    current = migrate.current_revision(engine)
    state = "up to date" if current == migrate.head_revision() else f"needs upgrade to {migrate.head_revision()}"
    print(f"database schema: {current or 'empty'} ({state})")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Walk the audit chain; exit 1 naming the first row that does not match."""
    settings = _settings()
    settings.require("panelbot_audit_key")
    from bot.runtime import open_database
    from store.audit import verify_chain

    engine = open_database(settings)  # one line, not a traceback, for a database that is down or out of date
    try:
        with engine.connect() as connection:
            check = verify_chain(connection, settings.secret("panelbot_audit_key").encode())
    finally:
        engine.dispose()
    if not check.ok:
        print(f"audit chain broken: {check.problem} ({check.rows} rows verified before it)", file=sys.stderr)
        return 1
    print(f"audit chain verified: {check.rows} rows")
    print(f"last hash: {check.last_hash} (keep a copy outside the database: a later verify must reach it)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Subject access: write everything held about a case reference as JSON and as readable text."""
    import getpass
    import os
    import re
    from pathlib import Path

    settings = _settings()
    settings.require("panelbot_audit_key")
    from bot.runtime import council_policy, open_database
    from bot.services import Services
    from bot.services.export import export_reference

    by = (args.by or f"cli:{getpass.getuser()}")[:255]  # the width of an actor column
    services = Services(engine=open_database(settings), policy=council_policy(settings),
                        audit_key=settings.secret("panelbot_audit_key"))
    try:
        export = export_reference(services, args.reference, by)
    finally:
        services.engine.dispose()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", export.reference)[:64]
    stem = f"subject-access-{safe}-{export.exported_at:%Y%m%dT%H%M%SZ}"
    written = []
    for suffix, content in ((".json", export.as_json()), (".txt", export.as_text())):
        path = out / (stem + suffix)
        # Special-category data: readable by the person who ran the export only.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as file:
            file.write(content)
        written.append(str(path))
    rows = sum(len(found) for found in export.tables.values())
    print(f"exported {rows} rows about {export.reference}: {', '.join(written)}")
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    """Validate a policy file and show, in plain words, how it routes example cases."""
    from bot.domain.calendar import WorkingCalendar
    from bot.domain.routing import describe_examples
    from bot.domain.schedules import describe_bodies
    from bot.policy import default_policy_path, load_policy

    path = args.file or default_policy_path()
    policy = load_policy(path)
    print(f"{path}: valid policy for {policy.council.name}")
    from bot.domain.privacy import reference_pattern_warnings

    for warning in reference_pattern_warnings(policy.case_reference.pattern, policy.case_reference.example):
        print(f"warning: {warning}")
    calendar = WorkingCalendar(tz=policy.council.tz, closures=frozenset(policy.working_days.closures))
    print("Its deciding bodies, and their next sittings:")
    for line in describe_bodies(calendar, policy, calendar.local_date(datetime.now(UTC))):
        print(f"  {line}")
    print("How it routes example cases:")
    for line in describe_examples(policy):
        print(f"  • {line}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The report's figures as CSV for analysts (issue 14), with a progress bar on stderr."""
    settings = _settings()
    from datetime import date
    from pathlib import Path

    from tqdm import tqdm

    from bot.domain.report import PeriodError, parse_period
    from bot.refusals import Refusal
    from bot.runtime import council_policy, open_database
    from bot.services import Services
    from bot.services.report import QUERIES, export_csv

    policy = council_policy(settings)
    today = datetime.now(UTC).astimezone(policy.council.tz).date()
    try:
        end = date.fromisoformat(args.end) if args.end else today
        start = date.fromisoformat(args.start) if args.start else parse_period("", end)[0]
        start, end = parse_period(f"{start.isoformat()}..{end.isoformat()}", today)
    except (PeriodError, ValueError) as exc:
        # The command line is a surface of its own: it words the period's refusal in its own flags.
        code = exc.code if isinstance(exc, PeriodError) else None
        print("panelbot: --from is after --to (or after today)" if code is Refusal.PERIOD_BACKWARDS else
              "panelbot: ask for three years at most" if code is Refusal.PERIOD_TOO_LONG else
              "panelbot: give --from and --to as YYYY-MM-DD", file=sys.stderr)
        return 2
    services = Services(engine=open_database(settings), policy=policy)
    try:
        with tqdm(total=QUERIES, desc="report", unit="step", file=sys.stderr, disable=args.quiet) as bar:
            report = export_csv(services, Path(args.csv), start, end, progress=bar)
    finally:
        services.engine.dispose()
    print(f"{args.csv}: {len(report.figures)} figures, {start.isoformat()} to {end.isoformat()}", file=sys.stderr)
    return 0


def cmd_teams(args: argparse.Namespace) -> int:
    """`panelbot teams package`: the Teams app package (manifest and icons, zipped) to upload to Teams."""
    from pathlib import Path

    from handlers.teams.app_package.package import build_package

    try:
        path = build_package(Path(args.out), app_id=args.app_id, bot_id=args.bot_id or args.app_id,
                             host=args.host, version=args.version)
    except ValueError as exc:
        print(f"panelbot: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: upload it in Teams (Apps → Manage your apps → Upload an app), or give it to your Teams admin")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="panelbot",
                                     description="Funding decisions for social-care panels, in Slack and Teams.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="connect to Slack over Socket Mode (no public URL), with the worker")
    run.add_argument("--no-worker", action="store_true", help="do not run the reminder ticker in this process")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="HTTP mode: POST /slack/events and GET /healthz on $PORT")
    serve.add_argument("--port", type=int, help="overrides PORT")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default all)")  # noqa: S104
    serve.add_argument("--threads", type=int, help="request threads (default: bot.web.SERVER_SETTINGS, 16)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="the scheduler process (run exactly one)")
    worker.add_argument("--once", action="store_true", help="one tick, then exit")
    worker.add_argument("--interval", type=int, default=60, help="seconds between ticks")
    worker.add_argument("--claim-timeout", type=float, metavar="SECONDS",
                        help="the lease on a claimed message or reminder: a worker renews it while it works; one "
                             "not renewed for this long was abandoned by a process that died, and is reconciled "
                             "with Slack before it is sent again (overrides PANELBOT_CLAIM_TIMEOUT, default 120)")
    worker.set_defaults(func=cmd_worker)

    demo = sub.add_parser("demo", help="a scripted conversation through the real app; no Slack needed")
    demo.add_argument("--teams", action="store_true",
                      help="the same story in Teams: the bot over HTTP against a local Bot Connector stand-in")
    demo.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="database schema: upgrade | current")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=cmd_db)

    policy = sub.add_parser("policy", help="check FILE: validate a policy file and show how it routes examples")
    policy.add_argument("action", choices=["check"])
    policy.add_argument("file", nargs="?", help="the policy file (default: the shipped one)")
    policy.set_defaults(func=cmd_policy)
    audit = sub.add_parser("audit", help="verify: walk the tamper-evident audit chain")
    audit.add_argument("action", choices=["verify"])
    audit.set_defaults(func=cmd_audit)

    export = sub.add_parser("export", help="REFERENCE: everything held about a case reference (subject access)")
    export.add_argument("reference", help="the case reference (the council's case system ID)")
    export.add_argument("--out", default=".", metavar="DIR", help="where to write the files (default: here)")
    export.add_argument("--by", metavar="WHO", help="who is exporting, for the audit (default: cli:<login name>)")
    export.set_defaults(func=cmd_export)

    report = sub.add_parser("report", help="--csv PATH [--from DATE --to DATE]: the report's figures as CSV")
    report.add_argument("--csv", required=True, metavar="PATH", help="the CSV file to write")
    report.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD (default: 12 months ago)")
    report.add_argument("--to", dest="end", metavar="DATE", help="last day, YYYY-MM-DD (default: today)")
    report.add_argument("--quiet", action="store_true", help="no progress bar")
    report.set_defaults(func=cmd_report)

    teams = sub.add_parser("teams", help="package: the Teams app package (manifest and icons) as a zip to upload")
    teams.add_argument("action", choices=["package"])
    teams.add_argument("--app-id", required=True, help="the Teams app's id (a GUID; often the bot's app id)")
    teams.add_argument("--bot-id", help="the bot's Microsoft app id from Azure (default: --app-id)")
    teams.add_argument("--host", required=True, help="the public host name that serves /api/messages")
    teams.add_argument("--version", default="1.0.0", help="the app's version, raised for every upload (1.0.0)")
    teams.add_argument("--out", default=".", metavar="DIR", help="where to write the zip (default: here)")
    teams.set_defaults(func=cmd_teams)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"panelbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `panelbot policy check | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
