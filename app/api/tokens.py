"""Named API tokens: created and revoked from the CLI, kept as a hash, and each one an identity,
so every action through the API is attributed to a token's name (or its responder), never to
a name the client typed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken, Responder, UserRole


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class Identity:
    name: str
    role: str
    responder: Responder | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, now: dt.datetime, name: str, role: str, responder_name: str | None = None
) -> str:
    """A new token (returned once, never stored): `role` helpdesk reports and adds notes; with
    a responder it also acts as that responder."""
    if role not in set(UserRole):
        raise TokenError(f"role must be one of: {', '.join(UserRole)}")
    if session.scalar(select(ApiToken).where(ApiToken.name == name)):
        raise TokenError(f"there is already a token named {name!r}")
    responder = None
    if responder_name:
        responder = session.scalar(select(Responder).where(Responder.name == responder_name))
        if responder is None:
            raise TokenError(f"no responder named {responder_name!r}")
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            name=name[:64],
            token_hash=_digest(token),
            role=role,
            responder=responder,
            created_at=now,
        )
    )
    return token


def revoke_token(session: Session, now: dt.datetime, name: str) -> None:
    found = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if found is None:
        raise TokenError(f"no token named {name!r}")
    found.revoked_at = now


def identify(session: Session, token: str, shared: list[str]) -> Identity | None:
    """Who a bearer token is: a named token, or one of the shared API_TOKENS (reports and notes
    only, in the name of "api")."""
    if not token:
        return None
    found = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if found is not None:
        return Identity(found.name, found.role, found.responder)
    for index, known in enumerate(shared, 1):
        if hmac.compare_digest(token.encode(), known.encode()):
            return Identity(f"api token {index}", UserRole.HELPDESK)
    return None
