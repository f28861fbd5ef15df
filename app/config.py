"""Settings: one typed, validated place, read from the environment and `.env`.

Every setting is listed in `.env.example` with a safe default. A bad value stops start-up with a
message that names the setting, instead of failing later in the middle of a call.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.durations import parse_duration
from app.outbox.policy import RetryPolicy, policies
from app.phones import CallbackPolicy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'afterhours.db'}"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


# The published default: never signs anything. A local run gets a random key of its own.
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"
MIN_SECRET_KEY = 32
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def check_secret_key(settings: Settings) -> None:
    """Sessions and summary links are signed with SECRET_KEY: refuse a short one, and refuse
    the default anywhere but a local run (a public URL on this machine)."""
    key = settings.SECRET_KEY
    host = settings.PUBLIC_BASE_URL.split("//", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    if key == DEFAULT_SECRET_KEY:
        if host not in LOCAL_HOSTS:
            raise ConfigError(
                "Invalid setting — SECRET_KEY: set a random value of at least "
                f"{MIN_SECRET_KEY} characters (e.g. `python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'`); the default is published"
            )
    elif len(key) < MIN_SECRET_KEY:
        raise ConfigError(
            f"Invalid setting — SECRET_KEY: at least {MIN_SECRET_KEY} characters (it signs "
            "sessions and summary links)"
        )


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    DATABASE_URL: str = DEFAULT_DATABASE_URL
    SECRET_KEY: str = DEFAULT_SECRET_KEY
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # text for people, json (one object a line) for log shippers.
    LOG_FORMAT: Literal["text", "json"] = "text"

    TWILIO_ACCOUNT_SID: str = ""
    TWILIO_AUTH_TOKEN: str = ""
    # A second token is accepted while the account's primary token is being rotated.
    TWILIO_AUTH_TOKEN_SECONDARY: str = ""
    TWILIO_FROM_NUMBER: str = ""
    TWILIO_VALIDATE_SIGNATURES: bool = True
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    SMS_BACKEND: Literal["console", "twilio"] = "console"

    TIMEZONE: str = "America/Chicago"
    DEFAULT_REGION: str = "US"
    BUSINESS_HOURS: str = "mon-fri 08:00-17:00"
    HOLIDAYS: CommaList = Field(default_factory=list)
    BUSINESS_HOURS_DIAL_NUMBER: str = ""
    HELPDESK_NUMBERS: CommaList = Field(default_factory=list)

    VOICE_FLOWS_DIR: str = str(PROJECT_ROOT / "voice_flows")
    # Where /voice/fallback keeps voicemail while the database is unreachable (local disk).
    VOICEMAIL_SPOOL_DIR: str = str(PROJECT_ROOT / "instance" / "voicemail-spool")
    VOICE_FLOW: str = "caller"

    API_TOKENS: CommaList = Field(default_factory=list)

    # Texts to callers: the reference right after the call, and word when someone takes it.
    CALLER_SMS_AFTER_CALL: bool = True
    CALLER_SMS_ON_ACK: bool = True
    # A caller who says they are a CAS customer (the records don't) gets CAS priority only if so.
    TRUST_CLAIMED_CAS: bool = False
    # Prometheus scrapes /metrics with this bearer token; empty turns /metrics off.
    METRICS_TOKEN: str = ""
    # How many reverse proxies stand in front (1 behind nginx as docs/deployment.md sets it up):
    # their X-Forwarded-For gives the real client address. 0 trusts no such header.
    PROXY_HOPS: int = Field(0, ge=0, le=5)
    # Callback numbers are accepted in these countries only (ISO codes; NANP numbers are US/CA).
    CALLBACK_COUNTRIES: CommaList = ["US", "CA"]
    # The help desk's number as callers know it; told to a caller still waiting at 60 minutes.
    HELPDESK_PHONE: str = ""
    # More texts than this from one number in 5 minutes are stored but not acted on.
    SMS_FLOOD_LIMIT: int = Field(20, ge=1, le=10000)
    # More new incidents than this from calls within a minute (each from a number of its own, or
    # the per-number limit would have caught it): the rest join one "possible flood" incident,
    # paged once, and the leads are told.
    LINE_FLOOD_PER_MINUTE: int = Field(10, ge=1, le=10000)
    # How often the worker looks for due pages and escalation steps when idle.
    WORKER_POLL_SECONDS: float = Field(1.0, gt=0, le=60)
    # On PostgreSQL the idle worker LISTENs, so a page due now leaves at once; turn off behind a
    # transaction-pooling proxy (PgBouncer's transaction mode), where LISTEN cannot work.
    WORKER_LISTEN: bool = True
    # /readyz (and the dashboard banner) call the worker down after this long without a pass.
    WORKER_STALE_SECONDS: int = Field(30, ge=5, le=3600)
    # A page claimed by a worker that died is taken by another after this long (a live worker
    # renews its claims as it works).
    WORKER_CLAIM_LEASE_SECONDS: int = Field(20, ge=1, le=3600)
    # Messages and calls a worker has at the gateway at once. Twilio answers each in a few
    # hundred ms; one at a time, the receipts of a campus-wide outage would queue for minutes.
    # Twilio refuses an account too many requests at once (429, retried).
    GATEWAY_SENDS_AT_ONCE: int = Field(8, ge=1, le=32)
    # The outbox's retry policies by kind (messages, mail, tickets, callers-news), as JSON: each
    # `{"delays": [seconds before each retry; the last repeats], "park_after": tries or null}`.
    # A kind left out keeps its shipped policy (docs/reliability.md).
    OUTBOX_RETRY: dict[str, RetryPolicy] = Field(default_factory=dict)

    # After a resolution: nudge the owner when the caller has not confirmed within this time,
    # and once more at the final reminder (after which CLOSE 1042 NOREPLY is allowed).
    # Durations are written as people write them (`2h`, `15m`, `7d`) and read once, here.
    CONFIRMATION_REMINDER: dt.timedelta = dt.timedelta(hours=2)
    CONFIRMATION_FINAL_REMINDER: dt.timedelta = dt.timedelta(hours=24)
    # The work summary: due this long after resolution, with a reminder this long before; still
    # missing this long after it was due, the director is told.
    SUMMARY_DUE: dt.timedelta = dt.timedelta(hours=24)
    SUMMARY_REMINDER_BEFORE: dt.timedelta = dt.timedelta(hours=2)
    SUMMARY_TO_DIRECTOR_AFTER: dt.timedelta = dt.timedelta(hours=24)
    # How long the summary form's signed link works.
    SUMMARY_LINK_VALID: dt.timedelta = dt.timedelta(days=7)
    # At most one "N callers now" update to the owner per this window.
    REPORTER_UPDATE_WINDOW: dt.timedelta = dt.timedelta(minutes=15)
    # The promise is contact with the caller within this time of the report: an owner who has
    # not reached them is reminded CONTACT_REMINDER_BEFORE it, and when it passes the team lead
    # is told and the caller is texted honestly.
    CONTACT_WITHIN: dt.timedelta = dt.timedelta(minutes=60)
    CONTACT_REMINDER_BEFORE: dt.timedelta = dt.timedelta(minutes=15)

    # E-mail (summaries to the team lead): console (print) or smtp.
    MAIL_BACKEND: Literal["console", "smtp"] = "console"
    MAIL_FROM: str = "after-hours line <afterhours@localhost>"
    SMTP_HOST: str = "localhost"
    SMTP_PORT: int = Field(587, ge=1, le=65535)
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_STARTTLS: bool = True

    # The ticketing system every incident is also a ticket in: none, rt, servicenow, email or
    # webhook (README, "Ticketing system").
    TICKETS_BACKEND: Literal["none", "rt", "servicenow", "email", "webhook"] = "none"
    # The team leads are e-mailed once this many sends in a row have failed.
    TICKETS_ALERT_AFTER: int = Field(5, ge=1, le=1000)
    TICKETS_TIMEOUT_SECONDS: float = Field(10, gt=0, le=120)
    RT_URL: str = ""
    RT_TOKEN: str = ""
    RT_USER: str = ""
    RT_PASSWORD: str = ""
    RT_QUEUE: str = "General"
    SERVICENOW_URL: str = ""
    SERVICENOW_USER: str = ""
    SERVICENOW_PASSWORD: str = ""
    SERVICENOW_TOKEN: str = ""
    SERVICENOW_ASSIGNMENT_GROUP: str = ""
    SERVICENOW_CALLER: str = ""
    # The ticketing system's inbound address (sent through the SMTP settings above).
    TICKETS_EMAIL_TO: str = ""
    TICKETS_WEBHOOK_URL: str = ""
    TICKETS_WEBHOOK_SECRET: str = ""
    # POST /tickets/events: a bearer token, or an HMAC-SHA256 signature with the secret.
    TICKETS_INBOUND_TOKEN: str = ""
    TICKETS_INBOUND_SECRET: str = ""

    _split = field_validator(
        "HOLIDAYS", "HELPDESK_NUMBERS", "API_TOKENS", "CALLBACK_COUNTRIES", mode="before"
    )(_split_list)

    @field_validator(
        "CONFIRMATION_REMINDER",
        "CONFIRMATION_FINAL_REMINDER",
        "SUMMARY_DUE",
        "SUMMARY_REMINDER_BEFORE",
        "SUMMARY_TO_DIRECTOR_AFTER",
        "SUMMARY_LINK_VALID",
        "REPORTER_UPDATE_WINDOW",
        "CONTACT_WITHIN",
        "CONTACT_REMINDER_BEFORE",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        return dt.timedelta(seconds=parse_duration(value))  # type: ignore[arg-type]

    _zone = field_validator("TIMEZONE")(lambda value: known_zone(value))

    @field_validator("OUTBOX_RETRY")
    @classmethod
    def _outbox_kinds(cls, value: dict[str, RetryPolicy]) -> dict[str, RetryPolicy]:
        policies(value)
        return value

    @field_validator("DEFAULT_REGION")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r} (use a two-letter code such as US)")
        return value.upper()

    @field_validator("BUSINESS_HOURS")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_business_hours(value)
        return value

    @field_validator("HOLIDAYS")
    @classmethod
    def _holidays(cls, value: list[str]) -> list[str]:
        for day in value:
            try:
                dt.date.fromisoformat(day)
            except ValueError as exc:
                raise ValueError(f"{day!r} is not a date like 2026-12-25") from exc
        return value

    @field_validator("BUSINESS_HOURS_DIAL_NUMBER", "TWILIO_FROM_NUMBER")
    @classmethod
    def _optional_e164(cls, value: str) -> str:
        return _e164_or_raise(value) if value else value

    @field_validator("HELPDESK_NUMBERS")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        return [_e164_or_raise(number) for number in value]

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # A relative SQLite path means the project's folder, wherever the command runs from.
        prefix = "sqlite:///"
        if value.startswith(prefix) and value != f"{prefix}:memory:":
            path = Path(value.removeprefix(prefix))
            return f"{prefix}{path if path.is_absolute() else PROJECT_ROOT / path}"
        if not re.match(r"^(sqlite|postgresql(\+psycopg)?)://", value):
            raise ValueError("must be sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return value.replace("postgresql://", "postgresql+psycopg://", 1)

    @field_validator("VOICE_FLOWS_DIR", "VOICEMAIL_SPOOL_DIR")
    @classmethod
    def _flows_dir(cls, value: str) -> str:
        path = Path(value)
        return str(path if path.is_absolute() else PROJECT_ROOT / path)

    @field_validator("PUBLIC_BASE_URL")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an absolute http(s) URL such as https://line.example.org")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _twilio_needs_credentials(self) -> Settings:
        if self.SMS_BACKEND == "twilio":
            missing = [
                name
                for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"SMS_BACKEND=twilio needs {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _tickets_need_settings(self) -> Settings:
        backend = self.TICKETS_BACKEND
        needed = {
            "rt": ["RT_URL", "RT_QUEUE"],
            "servicenow": ["SERVICENOW_URL"],
            "email": ["TICKETS_EMAIL_TO"],
            "webhook": ["TICKETS_WEBHOOK_URL", "TICKETS_WEBHOOK_SECRET"],
        }.get(backend, [])
        missing = [name for name in needed if not getattr(self, name)]
        if backend == "rt" and not (self.RT_TOKEN or (self.RT_USER and self.RT_PASSWORD)):
            missing.append("RT_TOKEN (or RT_USER and RT_PASSWORD)")
        if backend == "servicenow" and not (
            self.SERVICENOW_TOKEN or (self.SERVICENOW_USER and self.SERVICENOW_PASSWORD)
        ):
            missing.append("SERVICENOW_TOKEN (or SERVICENOW_USER and SERVICENOW_PASSWORD)")
        if backend == "email" and self.MAIL_BACKEND != "smtp":
            missing.append("MAIL_BACKEND=smtp")
        if missing:
            raise ValueError(f"TICKETS_BACKEND={backend} needs {', '.join(missing)}")
        return self

    @property
    def callback_policy(self) -> CallbackPolicy:
        """What the line will call back: CALLBACK_COUNTRIES, never its own or the help desk's."""
        own = (*self.HELPDESK_NUMBERS, self.TWILIO_FROM_NUMBER, self.BUSINESS_HOURS_DIAL_NUMBER)
        return CallbackPolicy(
            region=self.DEFAULT_REGION,
            countries=frozenset(code.upper() for code in self.CALLBACK_COUNTRIES),
            own_numbers=frozenset(n for n in own if n),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.TIMEZONE)


def known_zone(value: str) -> str:
    """The name of an IANA time zone, or ValueError (for settings and roster files alike)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def _e164_or_raise(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{value!r} is not a phone number in E.164 form (+13195551234)") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_business_hours(spec: str) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """Parse `mon-fri 08:00-17:00; sat 09:00-12:00` into weekday -> opening intervals."""
    hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for part in filter(None, (chunk.strip() for chunk in spec.split(";"))):
        match = re.fullmatch(
            r"([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}:\d{2})-(\d{1,2}:\d{2})", part.lower()
        )
        if not match or match[1] not in WEEKDAYS or (match[2] and match[2] not in WEEKDAYS):
            raise ValueError(f"{part!r} is not like 'mon-fri 08:00-17:00'")
        first = WEEKDAYS.index(match[1])
        last = WEEKDAYS.index(match[2]) if match[2] else first
        try:
            opens, closes = (
                dt.time.fromisoformat(match[3].zfill(5)),
                dt.time.fromisoformat(match[4].zfill(5)),
            )
        except ValueError as exc:
            raise ValueError(f"{part!r} has an impossible time") from exc
        if opens >= closes:
            raise ValueError(f"{part!r} closes before it opens")
        day = first
        while True:
            hours.setdefault(day, []).append((opens, closes))
            if day == last:
                break
            day = (day + 1) % 7
    return hours


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read settings from the environment and `.env`; `overrides` (tests) win over both."""
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"Invalid setting — {problems}") from None
