"""HMAC-SHA256 over a request's raw body, sent as `X-Afterhours-Signature: sha256=<hex>`: the
line signs what it posts to a webhook, and checks what a ticketing system posts to it."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Afterhours-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """In constant time, so a forger learns nothing from how long a refusal takes."""
    return bool(secret) and hmac.compare_digest(sign(secret, body), signature.strip())
