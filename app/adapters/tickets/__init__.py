"""The ticketing systems the line can file into, chosen by TICKETS_BACKEND."""

from __future__ import annotations

from app.adapters.mail import smtp_mailer
from app.adapters.tickets.mailed import TicketMail
from app.adapters.tickets.rt import RequestTracker
from app.adapters.tickets.servicenow import ServiceNow
from app.adapters.tickets.webhook import Webhook
from app.config import Settings
from app.tickets.backend import TicketBackend


def make_backend(settings: Settings) -> TicketBackend | None:
    """None for `none`: the line keeps incidents to itself."""
    timeout = settings.TICKETS_TIMEOUT_SECONDS
    backend = settings.TICKETS_BACKEND
    if backend == "rt":
        return RequestTracker(
            settings.RT_URL,
            settings.RT_QUEUE,
            token=settings.RT_TOKEN,
            user=settings.RT_USER,
            password=settings.RT_PASSWORD,
            timeout=timeout,
        )
    if backend == "servicenow":
        return ServiceNow(
            settings.SERVICENOW_URL,
            user=settings.SERVICENOW_USER,
            password=settings.SERVICENOW_PASSWORD,
            token=settings.SERVICENOW_TOKEN,
            assignment_group=settings.SERVICENOW_ASSIGNMENT_GROUP,
            caller=settings.SERVICENOW_CALLER,
            timeout=timeout,
        )
    if backend == "email":
        smtp = smtp_mailer(settings, timeout)
        return TicketMail(settings.TICKETS_EMAIL_TO, settings.MAIL_FROM, smtp)
    if backend == "webhook":
        return Webhook(settings.TICKETS_WEBHOOK_URL, settings.TICKETS_WEBHOOK_SECRET, timeout)
    return None
