"""Trying the line from a terminal without Twilio: `flask call play` plays a call through the
voice menu (in-process or against a running server), `flask sms send` texts it.

Against a running server (`--url`) requests are signed for the address they are sent to, which
is what a server started by `make run` checks (its PUBLIC_BASE_URL)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable

import click
from defusedxml import ElementTree as ET
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app import context
from app.adapters.simulator import Answer, Ask, CallSimulator, ScriptError, scripted
from app.db import get_db
from app.models import Responder
from app.paging import oncall
from app.phones import try_e164


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
@click.option("--staff", is_flag=True, help="Call the help-desk staff entry (/voice/staff).")
def call_play(caller: str, script, answers: tuple[str, ...], url: str | None, staff: bool) -> None:  # type: ignore[no-untyped-def]
    """Play one call, printing what the caller hears.

    With --script or --answer the call runs unattended; otherwise type the answers: keys for a
    keypad question, words for a spoken one, an empty line for silence, /hangup to hang up."""
    settings = context.settings()
    lines = [line.strip() for line in script] if script else list(answers)
    lines = [line for line in lines if line and not line.startswith("#")]
    try:
        answer = _echoed(scripted(lines)) if lines else _keyboard
    except ScriptError as exc:
        raise click.ClickException(str(exc)) from None

    simulator = CallSimulator(
        _http_transport(url) if url else _app_transport(current_app),
        url or settings.PUBLIC_BASE_URL,
        settings.TWILIO_AUTH_TOKEN,
        caller=caller,
        hear=lambda text: click.echo(f"  line: {text}"),
    )
    transcript = simulator.play(answer, "/voice/staff" if staff else "/voice/incoming")
    for error in transcript.errors:
        click.echo(f"error: {error}", err=True)
    if url and any(error.startswith("HTTP 403 ") for error in transcript.errors):
        click.echo(f"error: {_REFUSED.format(url=url)}", err=True)
    if transcript.errors:
        sys.exit(1)


def _echoed(answer: Callable[[Ask], Answer]) -> Callable[[Ask], Answer]:
    """A scripted caller's answers are printed where a person would have typed them."""

    def echo(ask: Ask) -> Answer:
        given = answer(ask)
        click.echo(f"caller: {given.kind} {given.value}".rstrip())
        return given

    return echo


@click.group("sms", cls=AppGroup, help="Text the line without Twilio.")
def sms_cli() -> None:
    pass


@sms_cli.command("send")
@click.option(
    "--from",
    "sender",
    required=True,
    help='A number, a responder\'s name ("Pat Lee"), or "on-call" for whoever is on call now.',
)
@click.option("--url", help="A running server (default: this app, in-process).")
@click.argument("body")
def sms_send(sender: str, body: str, url: str | None) -> None:
    """Deliver BODY to the line as an SMS from --from, signed like Twilio; print the reply."""
    config = context.settings()
    number = _sender_number(sender, config.DEFAULT_REGION)
    params = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": number, "To": "", "Body": body}
    target = f"{(url or config.PUBLIC_BASE_URL).rstrip('/')}/sms/inbound"
    signature = RequestValidator(config.TWILIO_AUTH_TOKEN).compute_signature(target, params)
    transport = _http_transport(url) if url else _app_transport(current_app)
    status, xml = transport(target, params, signature)
    if status == 403 and url:
        raise click.ClickException(_REFUSED.format(url=url))
    if status != 200:
        raise click.ClickException(f"the line answered HTTP {status}: {xml[:200]}")
    replies = [el.text or "" for el in ET.fromstring(xml).iter("Message")]
    click.echo(f"reply: {replies[0]}" if replies else "(no reply)")


_REFUSED = (
    "the server at {url} refused the signature. It checks requests against its own "
    "PUBLIC_BASE_URL and TWILIO_AUTH_TOKEN: give --url exactly that address (the one `make run` "
    "prints), and run this command from the same checkout (it shares instance/) or with the same "
    "TWILIO_AUTH_TOKEN."
)


def _sender_number(sender: str, region: str) -> str:
    """--from as a number; a responder's name or "on-call" is looked up in the roster."""
    if not any(char.isalpha() for char in sender):
        # A number, as a phone would send it; the line decides what it makes of it.
        return try_e164(sender, region) or sender
    with get_db().begin() as session:
        if sender.strip().lower().replace(" ", "-") == "on-call":
            on_call = oncall.on_call_for(session, "primary", context.clock().now())
            if not on_call:
                raise click.ClickException("nobody is on call now (flask --app app oncall show)")
            chosen = on_call[0]
        else:
            named = func.lower(Responder.name) == sender.strip().lower()
            found = session.scalar(select(Responder).where(named))
            if found is None:
                raise click.ClickException(
                    f"--from {sender!r} is neither a phone number nor a responder's name "
                    "(flask --app app responders list)"
                )
            chosen = found
        click.echo(f"from {chosen.name} ({chosen.phone})")
        return chosen.phone


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
        try:
            response = requests.post(
                f"{base.rstrip('/')}/{path}",
                data=params,
                headers={"X-Twilio-Signature": signature},
                timeout=15,
            )
        except requests.ConnectionError:
            raise click.ClickException(
                f"nothing answers at {base}: start the line first (make run), or check --url"
            ) from None
        return response.status_code, response.text

    return post
