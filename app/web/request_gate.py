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

from app.web.security import MAX_BODY

TOO_LARGE = b"Request body too large\n"


class RequestGate:
    def __init__(self, app: Any, at_once: int = 1) -> None:
        self.app = app
        self.slots = threading.BoundedSemaphore(at_once)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if length.isdigit() and int(length) <= MAX_BODY:
            # Read here, outside the gate; a larger declared body is the app's to refuse (413).
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(int(length)))
        elif chunked and not length:
            body = environ["wsgi.input"].read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                start_response("413 Request Entity Too Large", [("Content-Type", "text/plain")])
                return [TOO_LARGE]
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        with self.slots:
            return self.app(environ, start_response)
