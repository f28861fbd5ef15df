"""The domain objects of the running app, built for one request or command."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy.orm import Session

from app.calls.script import Flow, PageScript
from app.clock import Clock
from app.config import Settings
from app.incidents.actions import IncidentActions
from app.incidents.followups import FollowUpPolicy
from app.incidents.summaries import SummaryLinks
from app.paging.delivery import CallbackUrls


def settings() -> Settings:
    return current_app.extensions["settings"]


def clock() -> Clock:
    return current_app.extensions["clock"]


def caller_flow() -> Flow:
    return current_app.extensions["flows"][settings().VOICE_FLOW]


def page_script() -> PageScript:
    return current_app.extensions["flows"]["page"]


def followup_policy() -> FollowUpPolicy:
    config = settings()

    def span(name: str) -> dt.timedelta:
        return dt.timedelta(seconds=config.seconds(name))

    return FollowUpPolicy(
        zone=config.zone,
        confirmation_reminder=span("CONFIRMATION_REMINDER"),
        summary_due=span("SUMMARY_DUE"),
        summary_remind_before=span("SUMMARY_REMINDER_BEFORE"),
        reporter_window=span("REPORTER_UPDATE_WINDOW"),
        links=SummaryLinks(config.SECRET_KEY, config.PUBLIC_BASE_URL, span("SUMMARY_LINK_VALID")),
    )


def incident_actions(session: Session) -> IncidentActions:
    config = settings()
    return IncidentActions(
        session, clock(), config.zone, config.CALLER_SMS_ON_ACK, followup_policy()
    )


def callback_urls() -> CallbackUrls:
    return CallbackUrls(settings().PUBLIC_BASE_URL)
