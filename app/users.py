"""Dashboard accounts: creating them, signing in (with attempts limited), staff phone PINs."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import LoginAttempt, Responder, User, UserRole

# Five failed passwords for one account from one address within fifteen minutes lock that
# address out of that account for the rest of the window (fifty from one address, whatever the
# names): slow enough to stop guessing, and nobody elsewhere is locked out by it.
MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 50
WINDOW = dt.timedelta(minutes=15)
# Guessing one account from many addresses is slowed, not banned: past this many failures in
# WINDOW, an address the account has not signed in from within KNOWN_FOR waits after the
# account's latest failed try, twice as long each time up to SLOWEST. The owner's usual address
# is never slowed, so no stranger can lock the owner out.
SLOW_AFTER = 10
SLOWEST = dt.timedelta(minutes=1)
KNOWN_FOR = dt.timedelta(days=90)
# Staff PINs over the phone the same way: six wrong PINs lock the calling number for the window
# (three per call before the call ends); past twenty from all numbers together, numbers that
# have not entered a right PIN within KNOWN_FOR are slowed.
PIN = "staff-pin"
MAX_PIN_FAILURES = 6
PIN_SLOW_AFTER = 20
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
    """Check a password, at most MAX_FAILURES times per account and address (and
    MAX_ADDRESS_FAILURES per address, for someone trying many names) in WINDOW; a new address
    is slowed while the account is being guessed from many. The attempt is recorded (and
    committed) before it is counted, so however many arrive at once, no more than the limit
    are checked."""
    username = username.strip().lower()[:64]
    attempt = LoginAttempt(username=username, address=address[:64], succeeded=False, at=now)
    session.add(attempt)
    session.commit()
    account = LoginAttempt.username == username
    here = and_(account, LoginAttempt.address == attempt.address)
    if (
        _failures(session, now, here) > MAX_FAILURES
        or _failures(session, now, LoginAttempt.address == attempt.address) > MAX_ADDRESS_FAILURES
    ):
        raise SignInRefused(
            "Too many failed sign-ins from here. Wait 15 minutes and try again.", True
        )
    wait = _slowed(session, now, account, here, SLOW_AFTER, attempt.id)
    if wait:
        # Not checked, so not counted: waiting it out is all it takes.
        session.delete(attempt)
        session.commit()
        raise SignInRefused(
            f"This account has had many failed sign-ins. Try again in {wait} seconds.", True
        )
    user = session.scalar(select(User).where(User.username == username, User.active))
    # Check a hash even for unknown users, so timing does not tell which names exist.
    known = user.password_hash if user else _dummy_hash()
    if not check_password_hash(known, password) or user is None:
        raise SignInRefused("That username and password do not match.")
    attempt.succeeded = True
    user.last_login_at = now
    session.commit()
    return user


def _slowed(
    session: Session,
    now: dt.datetime,
    everywhere: ColumnElement[bool],
    here: ColumnElement[bool],
    after: int,
    this_attempt: int | None = None,
) -> int:
    """Seconds to wait before the next try from `here`: none below `after` failures
    `everywhere` in WINDOW, nor from where a right password or PIN was given within KNOWN_FOR."""
    failures = _failures(session, now, everywhere)
    if failures <= after:
        return 0
    known = select(LoginAttempt.id).where(
        here, LoginAttempt.succeeded.is_(True), LoginAttempt.at > now - KNOWN_FOR
    )
    if session.scalar(known.limit(1)) is not None:
        return 0
    latest = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            everywhere,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.id != (this_attempt or 0),
        )
    )
    delay = min(2 ** min(failures - after, 16), SLOWEST.total_seconds())
    left = delay - (now - latest).total_seconds() if latest else 0
    return math.ceil(left) if left > 0 else 0


def _failures(session: Session, now: dt.datetime, who: ColumnElement[bool]) -> int:
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(who, LoginAttempt.succeeded.is_(False), LoginAttempt.at > now - WINDOW)
    )
    return session.scalar(query) or 0


def set_password(session: Session, username: str, password: str) -> User:
    """A new password; every session signed in with the old one ends."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise UserError(f"there is no user {username!r}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"passwords need at least {MIN_PASSWORD} characters")
    user.password_hash = generate_password_hash(password, HASH_METHOD)
    user.session_version += 1
    return user


def sign_out(session: Session, user: User) -> None:
    """Every session of this account ends, wherever its cookie went."""
    user.session_version += 1
    session.commit()


def staff_by_pin(session: Session, now: dt.datetime, pin: str, caller: str) -> User | None:
    """The help-desk (or other) account whose phone PIN this is, with guesses limited per
    calling number and overall across calls (the limit holds however many calls it takes)."""
    caller = caller[:64] or "unknown"
    every = LoginAttempt.username == PIN
    here = and_(every, LoginAttempt.address == caller)
    if _failures(session, now, here) >= MAX_PIN_FAILURES or _slowed(
        session, now, every, here, PIN_SLOW_AFTER
    ):
        return None
    found = _check_pin(session, pin)
    # A right PIN is remembered too: that number is not slowed when others guess.
    session.add(LoginAttempt(username=PIN, address=caller, succeeded=found is not None, at=now))
    return found


def _check_pin(session: Session, pin: str) -> User | None:
    if not re.fullmatch(r"\d{4,8}", pin or ""):
        return None
    for user in session.scalars(select(User).where(User.pin_hash.is_not(None), User.active)):
        if check_password_hash(user.pin_hash or "", pin):
            return user
    return None


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password", HASH_METHOD)
