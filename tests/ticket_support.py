"""A webhook receiver that checks signatures as a ticketing system's integration would, and an
incident's whole life played through the line."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask

from app.clock import FrozenClock
from app.context import runtime
from app.tickets import signing
from tests.paging_support import PAT, confirm_address, report_outage, run_worker, text
from tests.support import CALLER, TwilioClient

SECRET = "webhook-secret-0123456789"


@dataclass
class Receiver:
    """What reached the receiver: each event whose signature checked out, and the rest."""

    secret: str = SECRET
    events: list[dict[str, Any]] = field(default_factory=list)
    forged: int = 0
    answer: dict[str, str] | None = None

    def kinds(self) -> list[str]:
        return [event["event"] for event in self.events]


@contextmanager
def webhook_receiver(port: int, receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if not signing.verify(receiver.secret, body, self.headers.get(signing.HEADER, "")):
                receiver.forged += 1
                self.send_response(401)
                self.end_headers()
                return
            receiver.events.append(json.loads(body))
            reply = json.dumps(receiver.answer or {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def send_tickets(app: Flask) -> int:
    return runtime(app).worker(app.extensions["db"].sessionmaker).send_tickets()


def whole_life(
    app: Flask, clock: FrozenClock, twilio: TwilioClient, caller_email: str = ""
) -> None:
    """Call (the caller texting their e-mail address, if given), acknowledge, resolve, the
    caller confirms, close, the work summary."""
    report_outage(twilio)
    if caller_email:
        text(twilio, CALLER, f"my e-mail is {caller_email}")
        confirm_address(app, clock, caller_email)
    run_worker(app, clock)
    clock.advance(minutes=5)
    text(twilio, PAT, "1a")
    clock.advance(minutes=35)
    text(twilio, PAT, "1r restarted the app pool")
    run_worker(app, clock)
    text(twilio, CALLER, "WORKS")
    text(twilio, PAT, "CLOSE 1001")
    text(twilio, PAT, "SUM 1001 2h30 restarted the app pool and cleared the queue")
