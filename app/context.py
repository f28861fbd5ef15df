"""The domain objects of the running app, built for one request or command."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from .actions import IncidentActions
from .clock import Clock
from .config import Settings
from .delivery import CallbackUrls
from .flows import Flow, PageScript


def settings() -> Settings:
    return current_app.extensions["settings"]


def clock() -> Clock:
    return current_app.extensions["clock"]


def caller_flow() -> Flow:
    return current_app.extensions["flows"][settings().VOICE_FLOW]


def page_script() -> PageScript:
    return current_app.extensions["flows"]["page"]


def incident_actions(session: Session) -> IncidentActions:
    config = settings()
    return IncidentActions(session, clock(), config.zone, config.CALLER_SMS_ON_ACK)


def callback_urls() -> CallbackUrls:
    return CallbackUrls(settings().PUBLIC_BASE_URL)
