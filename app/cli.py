"""Command-line tools: `flask --app app <group> <command>`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client as TwilioClient

from app import context, users
from app.adapters import migrate, twilio_setup
from app.api import tokens
from app.calls import timing
from app.calls.script import Flow, FlowError
from app.calls.script_files import load_flows
from app.clock import local
from app.config import PROJECT_ROOT
from app.db import get_db
from app.incidents import catalog
from app.models import Responder, User, UserRole
from app.paging import calendar_feed, oncall, roster, verification
from app.phones import mask
from app.tickets.backend import TicketError

DEMO_DIR = PROJECT_ROOT / "demo"
# The demo account `make run` creates; a real deployment makes its own with `users create`.
DEMO_USER, DEMO_PASSWORD, DEMO_PIN = "lead", "after-hours-demo", "4321"


def register_cli(app: Flask) -> None:
    from app.adapters.console_cli import call_cli, sms_cli

    for group in (
        db_cli,
        catalog_cli,
        demo_cli,
        flows_cli,
        call_cli,
        sms_cli,
        roster_cli,
        responders_cli,
        oncall_cli,
        users_cli,
        tokens_cli,
        twilio_cli,
        tickets_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(worker_command)


_settings = context.settings


@click.group("db", cls=AppGroup, help="Database schema.")
def db_cli() -> None:
    pass


@db_cli.command("upgrade", help="Apply every migration (safe to run again).")
def db_upgrade() -> None:
    migrate.upgrade(_settings().DATABASE_URL)
    click.echo("database is up to date")


@click.group("catalog", cls=AppGroup, help="The service catalog.")
def catalog_cli() -> None:
    pass


@catalog_cli.command("load", help="Load or update services from a YAML file.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def catalog_load(path: Path) -> None:
    click.echo(f"{_load_catalog(path)} services loaded from {path}")


def _load_catalog(path: Path) -> int:
    try:
        parsed = catalog.parse_catalog(path)
    except catalog.CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with get_db().begin() as session:
            return catalog.load_catalog(session, parsed)
    except catalog.CatalogError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("demo", cls=AppGroup, help="Demo data for a local run.")
def demo_cli() -> None:
    pass


@demo_cli.command("load", help="Load the demo service catalog and on-call roster.")
def demo_load() -> None:
    # The roster first: the catalog names its administrators.
    loaded = _load_roster(DEMO_DIR / "roster.yaml")
    count = _load_catalog(DEMO_DIR / "catalog.yaml")
    click.echo(
        f"demo data loaded: {count} services, {loaded.counts['responders']} responders, "
        f"{loaded.counts['rotations']} rotations, {loaded.counts['policies']} escalation policies"
    )
    with get_db().begin() as session:
        if session.scalar(select(User).where(User.username == DEMO_USER)) is None:
            users.create_user(
                session,
                context.clock().now(),
                DEMO_USER,
                "Jordan Reyes",
                UserRole.TEAM_LEAD,
                DEMO_PASSWORD,
                "Jordan Reyes",
                pin=DEMO_PIN,
            )
    click.echo(
        f"demo sign-in: {_settings().PUBLIC_BASE_URL}/login as {DEMO_USER} / {DEMO_PASSWORD} "
        f"(team lead; staff phone PIN {DEMO_PIN})"
    )


@click.group("twilio", cls=AppGroup, help="The Twilio account's numbers.")
def twilio_cli() -> None:
    pass


@twilio_cli.command("configure")
@click.option("--number", help="The line's number (default: TWILIO_FROM_NUMBER).")
@click.option("--staff", is_flag=True, help="Configure the help-desk staff entry number.")
def twilio_configure(number: str | None, staff: bool) -> None:
    """Point a number's voice, status, fallback and SMS URLs at PUBLIC_BASE_URL."""
    config = _settings()
    if not (config.TWILIO_ACCOUNT_SID and config.TWILIO_AUTH_TOKEN):
        raise click.ClickException("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN first")
    number = number or config.TWILIO_FROM_NUMBER
    if not number:
        raise click.ClickException("give --number or set TWILIO_FROM_NUMBER")
    client = TwilioClient(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN)
    try:
        sid = twilio_setup.configure_number(client, number, config.PUBLIC_BASE_URL, staff)
    except (twilio_setup.SetupError, TwilioRestException) as exc:
        raise click.ClickException(str(exc)) from None
    for name, url in twilio_setup.number_urls(config.PUBLIC_BASE_URL, staff).items():
        if name.endswith("url") or name == "status_callback":
            click.echo(f"{name:20} {url}")
    click.echo(f"{mask(number)} ({sid}) now points at {config.PUBLIC_BASE_URL}")


@click.group("users", cls=AppGroup, help="Dashboard accounts.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.argument("username")
@click.option("--name", default="", help="Full name (default: the username).")
@click.option(
    "--role",
    type=click.Choice(list(UserRole), case_sensitive=False),
    default=UserRole.HELPDESK,
    show_default=True,
)
@click.option("--responder", help="The responder an admin or team lead acts as.")
@click.option("--pin", help="A 4-8 digit PIN for the help-desk staff phone entry.")
@click.password_option(help="At least 10 characters; asked for when not given.")
def users_create(
    username: str, name: str, role: str, responder: str | None, pin: str | None, password: str
) -> None:
    """Create a dashboard account."""
    try:
        with get_db().begin() as session:
            users.create_user(
                session, context.clock().now(), username, name, role, password, responder, pin
            )
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username.lower()} created ({role})")


@users_cli.command("password")
@click.argument("username")
@click.password_option(help="At least 10 characters; asked for when not given.")
def users_password(username: str, password: str) -> None:
    """Set a new password; the account's sessions everywhere end."""
    try:
        with get_db().begin() as session:
            users.set_password(session, username, password)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password for {username.lower()} changed; every session signed out")


@click.group("tokens", cls=AppGroup, help="Named API tokens.")
def tokens_cli() -> None:
    pass


@tokens_cli.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(list(UserRole), case_sensitive=False),
    default=UserRole.HELPDESK,
    show_default=True,
)
@click.option("--responder", help="The responder this token acknowledges and resolves as.")
def tokens_create(name: str, role: str, responder: str | None) -> None:
    """Create a token and print it, once: only its hash is kept."""
    try:
        with get_db().begin() as session:
            token = tokens.create_token(session, context.clock().now(), name, role, responder)
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)


@tokens_cli.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    try:
        with get_db().begin() as session:
            tokens.revoke_token(session, context.clock().now(), name)
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {name} revoked")


@click.group("roster", cls=AppGroup, help="Responders, rotations, overrides and policies.")
def roster_cli() -> None:
    pass


@roster_cli.command("load", help="Make the database match a roster YAML file.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def roster_load(path: Path) -> None:
    loaded = _load_roster(path)
    click.echo(
        ", ".join(f"{count} {what}" for what, count in loaded.counts.items()) + f" from {path}"
    )
    if loaded.deactivated:
        click.echo("deactivated (not in the file): " + ", ".join(loaded.deactivated))
    if loaded.removed_rotations:
        click.echo("removed rotations (not in the file): " + ", ".join(loaded.removed_rotations))


def _load_roster(path: Path) -> roster.Loaded:
    try:
        parsed = roster.parse_roster(path)
        with get_db().begin() as session:
            loaded = roster.load_roster(
                session, context.clock().now(), parsed, _settings().TIMEZONE
            )
            for gap in roster.summary_gaps(session):
                click.echo(f"warning: {gap}", err=True)
            return loaded
    except roster.RosterError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("responders", cls=AppGroup, help="People who can be paged.")
def responders_cli() -> None:
    pass


@responders_cli.command("list")
def responders_list() -> None:
    with get_db().begin() as session:
        for person in session.scalars(select(Responder).order_by(Responder.name)):
            state = "verified" if person.verified else "NOT verified"
            if not person.active:
                state = "inactive (not in the roster)"
            optout = ", texted STOP" if person.sms_opted_out else ""
            click.echo(f"{person.name:24} {person.role:10} {mask(person.phone):14} {state}{optout}")


@responders_cli.command("verify", help="Text NAME a code; their reply with it verifies the number.")
@click.argument("name")
def responders_verify(name: str) -> None:
    with get_db().begin() as session:
        person = session.scalar(select(Responder).where(Responder.name == name))
        if person is None:
            raise click.ClickException(f"no responder named {name!r}")
        verification.send_code(session, context.clock().now(), person, _settings().SECRET_KEY)
    click.echo(f"code queued for {name}; the worker sends it. It is valid for 15 minutes.")


@responders_cli.command("calendar", help="A new on-call calendar address for NAME.")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Stop their feeds, with no new address.")
def responders_calendar(name: str, revoke: bool) -> None:
    with get_db().begin() as session:
        person = session.scalar(select(Responder).where(Responder.name == name))
        if person is None:
            raise click.ClickException(f"no responder named {name!r}")
        if revoke:
            calendar_feed.revoke(person)
            click.echo(f"{name}'s calendar addresses no longer work")
            return
        secret = calendar_feed.new_key(person)
    base = _settings().PUBLIC_BASE_URL
    click.echo(f"{name}'s shifts:    {base}/oncall/{secret}.ics")
    click.echo(f"every rotation:  {base}/oncall/{secret}/team.ics")
    click.echo("(any earlier address for them stops working)")


SHOWN = "%a %d %b %H:%M"


@click.group("oncall", cls=AppGroup, help="Who is on call.")
def oncall_cli() -> None:
    pass


@oncall_cli.command("show", help="Who is on call now and for the next two weeks.")
@click.option("--days", default=14, show_default=True)
def oncall_show(days: int) -> None:
    """The same answer paging and the dashboard get: `oncall.upcoming` asks `oncall.on_call`."""
    zone = _settings().zone
    now = context.clock().now()
    with get_db().begin() as session:
        for rotation in oncall.rotations(session):
            click.echo(f"{rotation.name} ({rotation.position}):")
            for start, end, person in oncall.upcoming(rotation, now, now + dt.timedelta(days=days)):
                who = person.name if person else "nobody"
                span = f"{local(start, zone, SHOWN)} - {local(end, zone, SHOWN)}"
                click.echo(f"  {span}  {who}")


@click.command("worker", help="Fire due escalation steps, send due pages, pass tickets on.")
@click.option("--once", is_flag=True, help="Process what is due now, then exit.")
@click.option("--batch", default=100, show_default=True, help="Rows claimed at a time.")
@with_appcontext
def worker_command(once: bool, batch: int) -> None:
    runner = context.runtime().worker(get_db().sessionmaker, batch=batch)
    if once:
        result = runner.run_once()
        tickets = runner.send_tickets()
        click.echo(
            f"{result.steps_fired} steps and follow-ups due, {result.sent} messages sent, "
            f"{tickets} ticket updates tried"
        )
        return
    runner.run_forever(_settings().WORKER_POLL_SECONDS)


@click.group("tickets", cls=AppGroup, help="The ticketing system (TICKETS_BACKEND).")
def tickets_cli() -> None:
    pass


@tickets_cli.command("check", help="Try the settings against the live ticketing system.")
def tickets_check() -> None:
    backend = context.runtime().tickets
    if backend is None:
        raise click.ClickException("TICKETS_BACKEND is none: incidents stay on the line")
    try:
        click.echo(f"ok  {backend.check()}")
    except TicketError as exc:
        raise click.ClickException(f"{backend.name}: {exc}") from None


@click.group("flows", cls=AppGroup, help="Call scripts in voice_flows/.")
def flows_cli() -> None:
    pass


@flows_cli.command("check", help="Validate every call script; names the file and step at fault.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path))
def flows_check(directory: Path | None) -> None:
    directory = directory or Path(_settings().VOICE_FLOWS_DIR)
    try:
        flows = load_flows(directory)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from None
    too_long = []
    for flow in flows.values():
        if not isinstance(flow, Flow):
            click.echo(f"ok  {flow.name} ({flow.language}): what a paged responder hears")
            continue
        speech = timing.estimate(flow)
        click.echo(
            f"ok  {flow.name} ({flow.language}): {', '.join(step.id for step in flow.steps)}; "
            f"a full call answered at once: {speech.seconds:.0f} s of speech "
            f"({speech.words} words at {flow.words_per_minute}/min; limit "
            f"{timing.LIMIT_SECONDS:.0f} s)"
        )
        if not speech.within_limit:
            too_long.append(flow.name)
    if too_long:
        raise click.ClickException(
            f"{', '.join(too_long)}: too long for a caller at night; shorten the prompts"
        )
