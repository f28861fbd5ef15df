"""One HTTP call to a ticketing system, with every way it can fail said in one line."""

from __future__ import annotations

from typing import Any

import requests

from app.tickets.backend import TicketError


def signed_in(scheme: str, token: str, user: str, password: str) -> requests.Session:
    """A session that sends the token (`Authorization: <scheme> <token>`), else basic auth."""
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    if token:
        session.headers["Authorization"] = f"{scheme} {token}"
    else:
        session.auth = (user, password)
    return session


def call(
    session: requests.Session, system: str, method: str, url: str, timeout: float, **kwargs: Any
) -> requests.Response:
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout:
        raise TicketError(f"{system} did not answer within {timeout:g} s ({url})") from None
    except requests.RequestException as exc:
        raise TicketError(f"{system} unreachable at {url}: {type(exc).__name__}") from None
    if response.status_code in (401, 403):
        raise TicketError(
            f"{system} refused the credentials ({response.status_code}: {_message(response)})",
            response.status_code,
        )
    if response.status_code >= 400:
        raise TicketError(
            f"{system} answered {response.status_code}: {_message(response)}", response.status_code
        )
    return response


def _message(response: requests.Response) -> str:
    """The system's own words when it gives them (RT's `message`, ServiceNow's `error`)."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200] or response.reason
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)[:200]
        return str(body.get("message") or error or body)[:200]
    return str(body)[:200]
