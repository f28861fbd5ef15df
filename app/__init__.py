"""After-hours support line: the Flask application factory."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from app import languages
from app.adapters.gateways import ConsoleGateway, Gateway, TwilioGateway
from app.adapters.logging_setup import configure_logging, twilio_id
from app.adapters.mail import ConsoleMailer, smtp_mailer
from app.adapters.tickets import make_backend
from app.adapters.twilio_web import LOCAL_TOKEN
from app.calls import timing
from app.calls.hours import BusinessHours
from app.calls.script import Flow, FlowError, PageScript
from app.calls.script_files import languages_of, load_flows
from app.calls.turn import LineConfig
from app.clock import Clock, SystemClock
from app.config import (
    DEFAULT_SECRET_KEY,
    PROJECT_ROOT,
    ConfigError,
    Settings,
    check_secret_key,
    load_settings,
)
from app.context import PAGE_SCRIPT, Runtime
from app.db import Database
from app.incidents import timeline
from app.outbox.mail import Mailer
from app.responders import directory
from app.tickets import outbox
from app.tickets.backend import TicketBackend
from app.web.security import harden

LOCAL_TOKEN_FILE = PROJECT_ROOT / "instance" / "local-twilio-auth-token"
LOCAL_SECRET_FILE = PROJECT_ROOT / "instance" / "local-secret-key"


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    clock: Clock | None = None,
    gateway: Gateway | None = None,
    mailer: Mailer | None = None,
    tickets: TicketBackend | None = None,
) -> Flask:
    """Build the app: settings (defaults, then environment and .env, then `config`), the call
    scripts, the database and the blueprints. Bad settings or scripts stop start-up here."""
    try:
        settings, caller_flows, page_script = _load(config)
    except (ConfigError, FlowError) as exc:
        if config is None:
            # Started from a shell: one clear line instead of a traceback.
            raise SystemExit(f"afterhours: {exc}") from None
        raise
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT, settings.zone)
    if settings.SECRET_KEY == DEFAULT_SECRET_KEY:
        # A local run (checked in _load): a random key of its own, never the published one.
        settings = settings.model_copy(update={"SECRET_KEY": local_secret(LOCAL_SECRET_FILE)})
    local_token = not settings.TWILIO_AUTH_TOKEN
    if local_token:
        settings = settings.model_copy(update={"TWILIO_AUTH_TOKEN": local_auth_token()})
    app = Flask(__name__)
    app.config[LOCAL_TOKEN] = local_token
    app.config.update(
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=settings.DATABASE_URL,
        # Session cookies: hidden from scripts, not sent cross-site, HTTPS-only when served so.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.PUBLIC_BASE_URL.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead, which expires on its own
    )
    database = Database(settings.DATABASE_URL, timeline.subscribed(_forwarded(settings)))
    if gateway is None:
        gateway = make_gateway(settings)
        if isinstance(gateway, ConsoleGateway):
            # Whoever tries the line locally sees who each page went to.
            gateway.name_of = functools.partial(directory.name_for, database.sessionmaker)
    Runtime(
        settings=settings,
        clock=clock or SystemClock(),
        gateway=gateway,
        mailer=mailer or make_mailer(settings),
        caller_flows=caller_flows,
        page_script=page_script,
        line=line_config(settings),
        tickets=tickets or make_backend(settings),
    ).install(app)
    database.init_app(app)
    harden(app, settings)
    _register_blueprints(app)
    return app


def check_configuration(config: Mapping[str, Any] | None = None) -> str | None:
    """What is wrong with the settings (environment and .env) and call scripts, or None."""
    try:
        _load(config)
    except (ConfigError, FlowError) as exc:
        return str(exc)
    return None


def _load(config: Mapping[str, Any] | None) -> tuple[Settings, dict[str, Flow], PageScript]:
    settings = load_settings(config)
    check_secret_key(settings)
    flows = load_flows(Path(settings.VOICE_FLOWS_DIR))
    caller_flows = languages_of(flows, settings.VOICE_FLOW)
    page_script = flows.get(PAGE_SCRIPT)
    if languages.TEAM not in caller_flows:
        raise ConfigError(
            f"Invalid setting — VOICE_FLOW: no caller script named "
            f"{settings.VOICE_FLOW!r} in the team's language ({languages.TEAM}) in "
            f"{settings.VOICE_FLOWS_DIR}"
        )
    unknown = sorted(set(caller_flows) - set(languages.NAMES))
    if unknown:
        raise FlowError(
            f"{settings.VOICE_FLOWS_DIR}: {settings.VOICE_FLOW}: no text catalog for the "
            f"language {unknown[0]!r} (app/languages.py, app/translations/)"
        )
    if not isinstance(page_script, PageScript):
        raise FlowError(f"{settings.VOICE_FLOWS_DIR}: no page script (kind: page) named page")
    # The same limit `flows check` applies, in every language: the line never starts with a
    # script too long for a caller at night.
    for code, flow in sorted(caller_flows.items()):
        speech = timing.estimate(flow)
        if not speech.within_limit:
            raise FlowError(
                f"{settings.VOICE_FLOWS_DIR}: {flow.name} ({code}): a full call speaks "
                f"{speech.seconds:.0f} s, over the {timing.LIMIT_SECONDS:.0f} s limit; shorten "
                "the prompts (flask --app app flows check)"
            )
    return settings, caller_flows, page_script


def _register_blueprints(app: Flask) -> None:
    from app import api, dashboard, sms, summary, ticket_events, updates, voice
    from app.cli import register_cli
    from app.ops import routes as ops

    csrf = CSRFProtect(app)
    # Twilio signs its webhooks, API clients send bearer tokens, summary and address links
    # carry their own key: none of those have a browser session to forge, so CSRF tokens guard
    # the dashboard.
    for blueprint in (voice.bp, sms.bp, api.bp, summary.bp, updates.bp, ops.bp, ticket_events.bp):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.register_blueprint(dashboard.bp)
    register_cli(app)
    # Every request starts untagged; twilio_only tags a webhook's log lines with its CallSid or
    # MessageSid once its signature has been checked.
    app.before_request(_untagged)


def _untagged() -> None:
    twilio_id.set("-")


def local_auth_token() -> str:
    """A random token kept in instance/, so a local run checks signatures like production does."""
    return local_secret(LOCAL_TOKEN_FILE, 16)


def local_secret(path: Path, size: int = 32) -> str:
    """A random secret kept (owner-only) in instance/ for a local run."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(size))
        path.chmod(0o600)
    return path.read_text().strip()


def _forwarded(settings: Settings) -> list[timeline.Subscriber]:
    """Timeline entries the ticketing system hears of are queued beside them, when there is
    one."""
    return [outbox.queue] if settings.TICKETS_BACKEND != "none" else []


def make_gateway(settings: Settings) -> Gateway:
    if settings.SMS_BACKEND == "twilio":
        return TwilioGateway(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER
        )
    return ConsoleGateway()


def make_mailer(settings: Settings) -> Mailer:
    if settings.MAIL_BACKEND == "smtp":
        return smtp_mailer(settings)
    return ConsoleMailer()


def line_config(settings: Settings) -> LineConfig:
    return LineConfig(
        region=settings.DEFAULT_REGION,
        hours=BusinessHours.from_settings(
            settings.TIMEZONE, settings.BUSINESS_HOURS, settings.HOLIDAYS
        ),
        helpdesk_numbers=frozenset(settings.HELPDESK_NUMBERS),
        dial_number=settings.BUSINESS_HOURS_DIAL_NUMBER or None,
        caller_sms=settings.CALLER_SMS_AFTER_CALL,
        callback=settings.callback_policy,
        trust_cas_claim=settings.TRUST_CLAIMED_CAS,
        flood_per_minute=settings.LINE_FLOOD_PER_MINUTE,
        reporter_window=settings.REPORTER_UPDATE_WINDOW,
    )
