"""Dashboard accounts: creating them, signing in (with attempts limited), staff phone PINs."""

from __future__ import annotations

import datetime as dt
import functools
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import LoginAttempt, Responder, User, UserRole

# Five failures within fifteen minutes, for one account or from one address, lock it for the rest
# of the window: slow enough to stop guessing, short enough not to lock out a tired admin for long.
MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
# scrypt (Werkzeug's default) for passwords and PINs.
HASH_METHOD = "scrypt"


class UserError(ValueError):
    pass


class SignInRefused(Exception):
    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


def create_user(
    session: Session,
    now: dt.datetime,
    username: str,
    name: str,
    role: str,
    password: str,
    responder_name: str | None = None,
    pin: str | None = None,
) -> User:
    username = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9._-]{2,64}", username):
        raise UserError("usernames are 2-64 letters, digits, dots, dashes or underscores")
    if role not in set(UserRole):
        raise UserError(f"role must be one of: {', '.join(UserRole)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"passwords need at least {MIN_PASSWORD} characters")
    if pin is not None and not re.fullmatch(r"\d{4,8}", pin):
        raise UserError("a staff PIN is 4 to 8 digits")
    if session.scalar(select(User).where(User.username == username)):
        raise UserError(f"there is already a user {username!r}")
    responder = None
    if responder_name:
        responder = session.scalar(select(Responder).where(Responder.name == responder_name))
        if responder is None:
            raise UserError(f"no responder named {responder_name!r}")
    user = User(
        username=username,
        name=name.strip() or username,
        role=role,
        password_hash=generate_password_hash(password, HASH_METHOD),
        pin_hash=generate_password_hash(pin, HASH_METHOD) if pin else None,
        responder=responder,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, now: dt.datetime, username: str, password: str, address: str
) -> User:
    username = username.strip().lower()[:64]
    failures = (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                or_(LoginAttempt.username == username, LoginAttempt.address == address),
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > now - WINDOW,
            )
        )
        or 0
    )
    if failures >= MAX_FAILURES:
        session.commit()
        raise SignInRefused("Too many failed sign-ins. Wait 15 minutes and try again.", True)
    user = session.scalar(select(User).where(User.username == username, User.active))
    # Check a hash even for unknown users, so timing does not tell which names exist.
    known = user.password_hash if user else _dummy_hash()
    ok = check_password_hash(known, password) and user is not None
    session.add(LoginAttempt(username=username, address=address[:64], succeeded=ok, at=now))
    if not ok or user is None:
        session.commit()
        raise SignInRefused("That username and password do not match.")
    user.last_login_at = now
    session.commit()
    return user


def staff_by_pin(session: Session, pin: str) -> User | None:
    """The help-desk (or other) account whose phone PIN this is."""
    if not re.fullmatch(r"\d{4,8}", pin or ""):
        return None
    for user in session.scalars(select(User).where(User.pin_hash.is_not(None), User.active)):
        if check_password_hash(user.pin_hash or "", pin):
            return user
    return None


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password", HASH_METHOD)
