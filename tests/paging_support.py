"""Helpers for paging tests: run the worker, text the line, read what was paged."""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.context import runtime
from app.db import get_db
from app.incidents.service import IncidentDraft, open_incident
from app.models import (
    Incident,
    Notification,
    NotificationChannel,
    NotificationKind,
    Responder,
    Rotation,
)
from app.paging import notify, oncall
from app.worker import PassResult
from tests.support import FULL_CANVAS_CALL, TwilioClient

PAT, SAM, ALEX, JORDAN, MORGAN, CASEY = (
    "+13195550101",
    "+13195550102",
    "+13195550103",
    "+13195550110",
    "+13195550120",
    "+13195550130",
)


def queue_receipts(app: Flask, due: dt.datetime, count: int) -> None:
    """`count` callers' receipts due at `due`, to +13195550200, +13195550201, ..."""
    with app.extensions["db"].sessionmaker() as session:
        for n in range(count):
            notify.queue(
                session,
                due,
                kind=NotificationKind.CALLER,
                channel=NotificationChannel.SMS,
                to=f"+1319555{200 + n:04d}",
                body=f"receipt {n}",
            )
        session.commit()


def run_worker(app: Flask, clock: FrozenClock) -> PassResult:
    assert runtime(app).clock is clock, "the app runs on the test's clock"
    return runtime(app).worker(app.extensions["db"].sessionmaker).run_once()


def report_outage(twilio: TwilioClient) -> None:
    twilio.call(*FULL_CANVAS_CALL)


def text(twilio: TwilioClient, sender: str, body: str, sid: str | None = None) -> str | None:
    """Send an SMS to the line; returns the reply the sender gets (None for no reply)."""
    response = twilio.post(
        "/sms/inbound",
        {
            "MessageSid": sid or f"SM{uuid.uuid4().hex}",
            "From": sender,
            "Body": body,
            "To": "+13195550000",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    messages = [el.text or "" for el in root.iter("Message")]
    assert len(messages) <= 1
    return messages[0] if messages else None


def confirm_address(app: Flask, clock: FrozenClock, address: str) -> str:
    """The caller opens the link the worker e-mailed to `address` and presses the button, as a
    browser would; returns the page they end on."""
    run_worker(app, clock)
    mails = [body for to, _subject, body in runtime(app).mailer.sent if to == address]
    link = re.search(r"https://line\.example\.org(/updates/\S+)", mails[-1])
    assert link, mails
    client = app.test_client()
    page = client.get(link[1]).get_data(as_text=True)
    key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert key, page
    done = client.post(link[1], data={"form_key": key[1]})
    assert done.status_code == 200, done.get_data(as_text=True)
    return done.get_data(as_text=True)


def notifications(session: Session, kind: str | None = None) -> list[Notification]:
    session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))


def paged(session: Session) -> list[tuple[str, str, str]]:
    """(who, channel, status) of every page, in order."""
    return [
        (n.responder.first_name, n.channel, n.status)
        for n in notifications(session, NotificationKind.PAGE)
    ]


def the_incident(session: Session) -> Incident:
    session.expire_all()
    return session.scalars(select(Incident)).one()


def responder(session: Session, name: str) -> Responder:
    session.expire_all()
    return session.scalars(select(Responder).where(Responder.name.startswith(name))).one()


def code_in(body: str) -> str:
    match = re.search(r"Reply (\d+)a ack", body)
    assert match, body
    return match[1]


def on_call_now(session: Session, now: dt.datetime, name: str = "Pat Lee") -> None:
    """`name` covers the primary rotation for a day around `now`, whatever week `now` falls in:
    a test on the real clock decides who is on call, not the calendar."""
    rotation = session.scalars(select(Rotation).where(Rotation.position == "primary")).one()
    person = session.scalars(select(Responder).where(Responder.name == name)).one()
    oncall.add_override(
        session, rotation.id, person.id, now - dt.timedelta(hours=1), now + dt.timedelta(days=1)
    )


def open_lab_outages(app: Flask, count: int) -> list[int]:
    """`count` incidents opened now, caller n at +1319555 7000+n, with Pat on call; returns their
    numbers."""
    # A served app runs on the real clock: open them now, so no step is overdue.
    now = dt.datetime.now(dt.UTC)
    with app.app_context(), get_db().begin() as session:
        on_call_now(session, now)
        opened = [
            open_incident(
                session,
                now,
                IncidentDraft(
                    source="phone",
                    service_text=f"lab system {n}",
                    description="down",
                    impact="everyone",
                    impact_label="down for everyone",
                    priority=3,
                    callback_number=f"+1319555{7000 + n:04d}",
                    caller_number=f"+1319555{7000 + n:04d}",
                ),
                actor="test",
                channel="api",
            )
            for n in range(count)
        ]
        session.flush()
        return [incident.number for incident in opened]
