"""The web edge's defences, in one place: how large a request may be, which headers every
answer carries, where a sign-in may send you back to, and who the client really is behind the
reverse proxy."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Settings

# Twilio's webhooks and the dashboard's forms are a few kilobytes; nothing legitimate is larger.
MAX_BODY = 64 * 1024
# No inline script anywhere; the dashboard's styles are inline in its base template.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Pages, exports and API answers hold callers' names and numbers: no browser or proxy
    # keeps a copy. An answer that may be kept (a calendar feed, a static file) says so itself.
    "Cache-Control": "no-store",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def harden(app: Flask, settings: Settings) -> None:
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY, MAX_FORM_MEMORY_SIZE=MAX_BODY, MAX_FORM_PARTS=200
    )
    if settings.PROXY_HOPS:
        # The real client address (for sign-in limits and logs) from the proxy's
        # X-Forwarded-For, trusting exactly as many hops as the deployment has.
        hops = settings.PROXY_HOPS
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def safe_next(target: str | None) -> str:
    """Where a sign-in may return to: a path on this site, nothing else."""
    target = target or ""
    if not target.startswith("/") or _CONTROL.search(target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return "/"
    return target
