"""Dashboard accounts, sign-in attempts and the worker's heartbeat."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UserRole

if TYPE_CHECKING:
    from app.models.paging import Responder


class User(Base):
    """A dashboard account: help desk, admin or team lead."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.HELPDESK)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Help-desk staff key this on the phone to report for a caller; stored hashed.
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    # Admins and team leads act on incidents as this responder.
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]
    # Every session cookie carries the version it was signed in under; signing out (or a new
    # password) moves it on, so a copied cookie stops working at once.
    session_version: Mapped[int] = mapped_column(default=0)

    responder: Mapped[Responder | None] = relationship()


class ApiToken(Base):
    """A named API token: who (a responder) or what (a help-desk integration) is calling.
    Only its SHA-256 is kept; the token itself is shown once, when it is created."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=UserRole.HELPDESK)
    # Actions (acknowledge, resolve, close) are this responder's; none: reports and notes only.
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("responders.id"))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    responder: Mapped[Responder | None] = relationship()


class LoginAttempt(Base):
    """Sign-in attempts, so repeated failures can be slowed down across every web process."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(index=True)


class WorkerHeartbeat(Base):
    """Each worker process writes here every pass, so readiness checks can tell it is alive."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(String(128), unique=True)
    beat_at: Mapped[dt.datetime] = mapped_column(index=True)
    started_at: Mapped[dt.datetime]
    passes: Mapped[int] = mapped_column(default=0)
