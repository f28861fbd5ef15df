"""A caller's e-mail address is a claim until its owner confirms it: the line e-mails it one
link naming the reference and the line (never the caller's words), and e-mails it updates only
once the link is used. Anyone can text or say an address; only its owner can open the mail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from app.incidents.timeline import add_event
from app.languages import words
from app.models import Channel, EventKind, Report
from app.outbox import mail


class LinkError(ValueError):
    """The link cannot be used, with a message for whoever opened it."""


@dataclass(frozen=True)
class AddressLinks:
    """Signed links confirming one address for one report, until they expire."""

    secret: str
    base_url: str
    valid_for: dt.timedelta

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt="caller-address")

    def make(self, report: Report, now: dt.datetime) -> str:
        expires = int((now + self.valid_for).timestamp())
        token = self._serializer().dumps([report.id, report.email, expires])
        return f"{self.base_url}/updates/{token}"

    def read(self, token: str, now: dt.datetime) -> tuple[int, str]:
        """(report id, address); raises LinkError for a tampered or expired link."""
        try:
            report_id, address, expires = self._serializer().loads(token)
        except (BadSignature, ValueError, TypeError):
            raise LinkError("This link is not valid. Use the link from the e-mail.") from None
        if now.timestamp() > expires:
            raise LinkError(
                "This link has expired. Text your e-mail address to the line again for a new one."
            )
        return int(report_id), str(address)


def ask(session: Session, now: dt.datetime, report: Report, links: AddressLinks) -> None:
    """E-mail the address its link: the reference and the line, nothing the caller said."""
    report.email_confirm_at = None
    if not report.email or report.email_confirmed_at is not None:
        return
    reference, _ = report.incident.reference, words(report.language)
    body = _(
        "Someone gave this address for updates about {reference}, a report to the after-hours "
        "support line.\n\nTo get them by e-mail, open this link:\n{link}\n\nIf it was not "
        "you, ignore this message: nothing more will be sent to this address."
    )
    mail.queue_email(
        session,
        now,
        report.email,
        _("{reference}: confirm e-mail updates from the after-hours support line").format(
            reference=reference
        ),
        body.format(reference=reference, link=links.make(report, now)),
        report.incident,
    )


def confirm(session: Session, now: dt.datetime, report: Report, address: str) -> bool:
    """The owner opened the link: updates go to the address from now on. False when the
    report's address has changed since the link was sent."""
    if report.email != address:
        return False
    if report.email_confirmed_at is None:
        report.email_confirmed_at = now
        add_event(
            session,
            report.incident,
            now,
            EventKind.NOTE,
            address,
            Channel.DASHBOARD,
            "the caller confirmed their e-mail address for updates",
        )
    return True
