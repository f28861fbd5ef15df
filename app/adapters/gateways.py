"""Sending SMS and placing calls: one small interface, a Twilio and a console implementation.

Domain code sees only `Gateway` and its two errors; it never imports Twilio.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)
T = TypeVar("T")

# Twilio error codes that will fail the same way on every retry.
PERMANENT_TWILIO_ERRORS = {
    21211: "invalid 'To' number",
    21214: "'To' number cannot be reached",
    21217: "phone number does not appear to be valid",
    21401: "invalid phone number",
    21408: "no permission to send to this region",
    21601: "phone number is not a valid SMS-capable number",
    21610: "the recipient has opted out (STOP)",
    21612: "the 'To' number cannot be reached by SMS",
    21614: "not a mobile number (landline?)",
    13223: "invalid phone number format for a call",
    13224: "invalid phone number for a call",
    30003: "unreachable destination handset",
    30004: "message blocked",
    30005: "unknown destination handset",
    30006: "landline or unreachable carrier",
    30007: "filtered as spam by the carrier",
}


class SendError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientSendError(SendError):
    """The gateway as a whole did not take it (rate limits, server errors, a refused account,
    no connection): worth retrying, and no fault of the recipient's."""


class OutcomeUnknown(TransientSendError):
    """The request went out and no answer came back: the gateway may have taken it, so it is
    looked up before it is sent again."""


class PermanentSendError(SendError):
    """Retrying will not help: bad, opted-out or landline numbers, refused content."""


class Gateway(Protocol):
    def send_sms(self, to: str, body: str, status_callback: str | None) -> str: ...

    def place_call(self, to: str, url: str, status_callback: str | None) -> str: ...

    def find_sent(self, channel: str, to: str, body: str, since: dt.datetime) -> list[str]:
        """Ids of messages (or calls) to `to` created since `since` with this body, newest
        first: how a send whose answer was lost is settled without sending it twice."""
        ...


# The account, not the message: a bad token, a suspended account, a sender that cannot send.
ACCOUNT_TWILIO_ERRORS = {20003, 20005, 20008, 21212, 21606, 21659}


def classify_twilio_error(status: int | None, code: int | None, message: str) -> SendError:
    if code in PERMANENT_TWILIO_ERRORS:
        return PermanentSendError(f"{PERMANENT_TWILIO_ERRORS[code]} ({code})", code)
    if status in (401, 403) or code in ACCOUNT_TWILIO_ERRORS:
        return TransientSendError(f"Twilio refused the account: {message} ({code})", code)
    if status == 429 or code == 20429 or (status is not None and status >= 500):
        return TransientSendError(f"Twilio answered {status} ({code or 'no code'})", code)
    return PermanentSendError(f"Twilio refused it: {message} ({status}/{code})", code)


def _lost_answer(exc: requests.RequestException) -> bool:
    """True when the request may have reached Twilio (a read timeout, a connection dropped
    after sending); False when it surely never left (no connection could be made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = repr(exc)
    return not any(word in reason for word in ("NewConnectionError", "NameResolution"))


class TwilioGateway:
    """The real REST API through the official client, built when the worker needs it."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str, timeout: float = 10):
        self.from_number = from_number
        self._account = (account_sid, auth_token, timeout)
        self._local = threading.local()

    @property
    def client(self) -> Client:
        """This thread's client: the worker sends from several threads, and the official client
        (its requests session) is not made to be shared between them (twilio-python #580). Each
        keeps its own connection to Twilio open."""
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            sid, token, timeout = self._account
            client = Client(sid, token, http_client=TwilioHttpClient(timeout=timeout))
            self._local.client = client
        return client

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        return self._call(
            lambda: (
                self.client.messages.create(
                    to=to, from_=self.from_number, body=body, status_callback=status_callback
                ).sid
            )
        )

    def place_call(self, to: str, url: str, status_callback: str | None) -> str:
        return self._call(
            lambda: (
                self.client.calls.create(
                    to=to,
                    from_=self.from_number,
                    url=url,
                    method="POST",
                    status_callback=status_callback,
                    status_callback_method="POST",
                    status_callback_event=["answered", "completed"],
                    machine_detection="Enable",
                    timeout=30,
                ).sid
            )
        )

    def find_sent(self, channel: str, to: str, body: str, since: dt.datetime) -> list[str]:
        # Twilio's clock and ours may differ a little. A page storm can send a responder dozens
        # of messages in a minute, so look well back through the newest ones.
        after = since - dt.timedelta(minutes=1)
        limit = 200

        def lookup() -> list[str]:
            if channel == "voice":
                calls = self.client.calls.list(to=to, from_=self.from_number, limit=limit)
                return [str(c.sid) for c in calls if c.date_created and c.date_created >= after]
            messages = self.client.messages.list(to=to, from_=self.from_number, limit=limit)
            return [
                str(m.sid)
                for m in messages
                if m.body == body and m.date_created and m.date_created >= after
            ]

        return self._call(lookup)

    @staticmethod
    def _call(action: Callable[[], T]) -> T:
        try:
            return action()
        except TwilioRestException as exc:
            raise classify_twilio_error(exc.status, exc.code, exc.msg) from exc
        except requests.RequestException as exc:
            if _lost_answer(exc):
                raise OutcomeUnknown(f"no answer from Twilio: {type(exc).__name__}") from exc
            raise TransientSendError(f"cannot reach Twilio: {type(exc).__name__}") from exc


@dataclass
class ConsoleGateway:
    """Development: print what would be sent; the notification rows keep the rest."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    # A responder's name for a number, printed beside it (callers have none).
    name_of: Callable[[str], str | None] = field(default=lambda _number: None)

    def send_sms(self, to: str, body: str, status_callback: str | None) -> str:
        sid = f"SMconsole{uuid.uuid4().hex}"
        self.sent.append(("sms", to, body))
        print(f"[console SMS to {self._who(to)}] {body}", flush=True)
        return sid

    def place_call(self, to: str, url: str, status_callback: str | None) -> str:
        sid = f"CAconsole{uuid.uuid4().hex}"
        self.sent.append(("voice", to, url))
        print(f"[console call to {self._who(to)}] would play {url}", flush=True)
        return sid

    def _who(self, to: str) -> str:
        # The whole number: nothing leaves this machine, and a tester must see who it was for.
        name = self.name_of(to)
        return f"{name} {to}" if name else to

    def find_sent(self, channel: str, to: str, body: str, since: dt.datetime) -> list[str]:
        return []  # the console always answers
