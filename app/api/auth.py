from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, jsonify, request

from app.api import tokens
from app.context import settings
from app.db import get_db

F = TypeVar("F", bound=Callable[..., Any])


def token_required(view: F) -> F:
    """A bearer token: a named one (`flask tokens create`) or a shared API_TOKENS one. The caller's
    identity is kept for the view in `g.api_identity`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        identity = (
            tokens.identify(get_db().session, token.strip(), settings().API_TOKENS)
            if scheme.lower() == "bearer"
            else None
        )
        g.api_identity = identity
        if identity is None:
            response = jsonify(error="unauthorized", message="send Authorization: Bearer <token>")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="afterhours"'
            return response
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
