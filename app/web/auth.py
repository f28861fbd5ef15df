"""Who is signed in, and what their role lets them see and do."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from app.db import get_db
from app.models import User

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User | None:
    if "user" not in g:
        user_id = session.get("user_id")
        user = get_db().session.get(User, user_id) if user_id else None
        current = user is not None and user.active and session.get("v") == user.session_version
        g.user = user if current else None
    return g.user


def signed_in(*roles: str) -> Callable[[F], F]:
    """Sign-in required; with roles, only those (others get 403, not a login loop)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("dashboard.login", next=request.full_path))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
