from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import jsonify, request

from app.context import settings

F = TypeVar("F", bound=Callable[..., Any])


def token_required(view: F) -> F:
    """Bearer tokens from API_TOKENS; compared in constant time."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        valid = scheme.lower() == "bearer" and any(
            hmac.compare_digest(token.strip().encode(), known.encode())
            for known in settings().API_TOKENS
        )
        if not valid:
            response = jsonify(error="unauthorized", message="send Authorization: Bearer <token>")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="afterhours"'
            return response
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
