"""One request at a time through the app in each web process, with the others' bodies read.

gunicorn's threads keep a process answering while clients send their requests slowly, but
threads that run the app side by side only take turns on the interpreter lock: a thread holding
a database row lock then waits for the others' Python before it commits, and everyone queued on
that row waits with it. Behind this gate each thread first reads its whole request (a slow
client holds only its own thread) and then runs the app alone (docs/benchmarks.md measures the
difference).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from typing import Any

from app.web_security import MAX_BODY


class RequestGate:
    def __init__(self, app: Any, at_once: int = 1) -> None:
        self.app = app
        self.slots = threading.BoundedSemaphore(at_once)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit() and int(length) <= MAX_BODY:
            # Read here, outside the gate; a larger or unsized body is the app's to refuse.
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))
        with self.slots:
            return self.app(environ, start_response)
