"""E-mail as an outbox kind: each queued e-mail handed to the app's `Mailer`."""

from __future__ import annotations

import datetime as dt
import smtplib

from sqlalchemy.orm import Session

from app.models import Email
from app.outbox.kinds import MAIL_SERVER
from app.outbox.mail import Mailer
from app.outbox.policy import MAIL
from app.outbox.sending import Kind, TryFailed

# A mail server's answer about one message (this address, this content), not about itself.
_REFUSED_THIS_ONE = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


def kind(mailer: Mailer) -> Kind[Email]:
    """E-mail sent through `mailer`; a failure is retried by the policy, then parked."""

    def send(_session: Session, email: Email, _now: dt.datetime) -> None:
        try:
            mailer.send(email.to_address, email.subject, email.body)
        except OSError as exc:  # the SMTP library's errors and the network's
            raise TryFailed(
                f"{type(exc).__name__}: {exc}", system_down=not isinstance(exc, _REFUSED_THIS_ONE)
            ) from exc

    return Kind(
        name=MAIL,
        model=Email,
        send=send,
        describe=lambda email: f"e-mail {email.id}",
        system=MAIL_SERVER,
        parked_alert=False,
    )
