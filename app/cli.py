"""Command-line tools: `flask --app app <group> <command>`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup

from . import catalog, migrate
from .config import PROJECT_ROOT
from .db import get_db
from .flows import FlowError, load_flows
from .simulator import Answer, Ask, CallSimulator, ScriptError, scripted

DEMO_DIR = PROJECT_ROOT / "demo"


def register_cli(app: Flask) -> None:
    for group in (db_cli, catalog_cli, demo_cli, flows_cli, call_cli):
        app.cli.add_command(group)


def _settings():  # type: ignore[no-untyped-def]
    return current_app.extensions["settings"]


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
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("services")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and {"slug", "name"} <= e.keys() for e in entries
    ):
        raise click.ClickException(f"{path}: expected `services:` with a slug and name for each")
    with get_db().begin() as session:
        return catalog.upsert_services(session, entries)


@click.group("demo", cls=AppGroup, help="Demo data for a local run.")
def demo_cli() -> None:
    pass


@demo_cli.command("load", help="Load the demo service catalog.")
def demo_load() -> None:
    count = _load_catalog(DEMO_DIR / "catalog.yaml")
    click.echo(f"demo data loaded: {count} services")


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
    for flow in flows.values():
        steps = ", ".join(step.id for step in flow.steps)
        click.echo(f"ok  {flow.name} ({flow.language}): {steps}")


@click.group("call", cls=AppGroup, help="Play calls against the line without Twilio.")
def call_cli() -> None:
    pass


@call_cli.command("play")
@click.option(
    "--from", "caller", default="+13195550100", show_default=True, help="Caller ID the line sees."
)
@click.option("--script", type=click.File("r"), help="Answers, one a line ('press 1', 'say vpn').")
@click.option("--answer", "answers", multiple=True, help="An answer; repeat in order.")
@click.option("--url", help="A running server to call (default: this app, in-process).")
def call_play(caller: str, script, answers: tuple[str, ...], url: str | None) -> None:  # type: ignore[no-untyped-def]
    """Play one call, printing what the caller hears.

    With --script or --answer the call runs unattended; otherwise type the answers: keys for a
    keypad question, words for a spoken one, an empty line for silence, /hangup to hang up."""
    settings = _settings()
    lines = [line.strip() for line in script] if script else list(answers)
    lines = [line for line in lines if line and not line.startswith("#")]
    try:
        answer = scripted(lines) if lines else _keyboard
    except ScriptError as exc:
        raise click.ClickException(str(exc)) from None

    simulator = CallSimulator(
        _http_transport(url) if url else _app_transport(current_app),
        settings.PUBLIC_BASE_URL,
        settings.TWILIO_AUTH_TOKEN,
        caller=caller,
        hear=lambda text: click.echo(f"  line: {text}"),
    )
    transcript = simulator.play(answer)
    for error in transcript.errors:
        click.echo(f"error: {error}", err=True)
    if transcript.errors:
        sys.exit(1)


def _keyboard(ask: Ask) -> Answer:
    label = {"dtmf": "keys", "speech": "say", "record": "record? (y/n)", "dial": "answered? (y/n)"}
    text = click.prompt(f"caller [{label[ask.kind]}]", default="", show_default=False).strip()
    if text == "/hangup":
        return Answer("hangup")
    if ask.kind == "record":
        return Answer("record" if text.lower().startswith("y") else "silence")
    if ask.kind == "dial":
        return Answer("dial", "completed" if text.lower().startswith("y") else "no-answer")
    if not text:
        return Answer("silence")
    return Answer("press" if ask.kind == "dtmf" else "say", text)


def _app_transport(app: Flask):  # type: ignore[no-untyped-def]
    client = app.test_client()

    def post(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        path = url.split("://", 1)[-1].partition("/")[2]
        response = client.post(f"/{path}", data=params, headers={"X-Twilio-Signature": signature})
        return response.status_code, response.get_data(as_text=True)

    return post


def _http_transport(base: str):  # type: ignore[no-untyped-def]
    import requests

    def post(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        path = url.split("://", 1)[-1].partition("/")[2]
        response = requests.post(
            f"{base.rstrip('/')}/{path}",
            data=params,
            headers={"X-Twilio-Signature": signature},
            timeout=15,
        )
        return response.status_code, response.text

    return post
