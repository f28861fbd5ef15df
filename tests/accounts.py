"""Dashboard accounts for tests, and a client that signs in the way a browser does."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from app.clock import FrozenClock
from app.users import create_user

PASSWORD = "correct horse battery"
STAFF_PIN = "2468"


def make_accounts(app: Flask, clock: FrozenClock) -> None:
    with app.app_context(), app.extensions["db"].begin() as session:
        create_user(
            session, clock.now(), "jordan", "Jordan Reyes", "team_lead", PASSWORD, "Jordan Reyes"
        )
        create_user(session, clock.now(), "pat", "Pat Lee", "admin", PASSWORD, "Pat Lee")
        create_user(session, clock.now(), "hana", "Hana Desk", "helpdesk", PASSWORD, pin=STAFF_PIN)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match[1]


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def post_form(client: FlaskClient, page: str, target: str, **fields: str):  # type: ignore[no-untyped-def]
    """Post a form the way the browser would: with the CSRF token from the page it is on."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(target, data={"csrf_token": token, **fields})
