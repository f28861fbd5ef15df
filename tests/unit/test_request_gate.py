"""The gate in front of the app in each gunicorn process: one request runs at a time, and a
request whose body is still arriving waits outside, holding nothing."""

from __future__ import annotations

import io
import threading
import time

from app.web.request_gate import RequestGate
from app.web.security import MAX_BODY


class Trickle(io.RawIOBase):
    """A request body that arrives only when the test lets it."""

    def __init__(self, body: bytes, arrived: threading.Event) -> None:
        self.body, self.arrived = body, arrived

    def read(self, size: int = -1) -> bytes:
        self.arrived.wait(5)
        body, self.body = self.body, b""
        return body


def test_one_request_runs_at_a_time_and_a_slow_body_waits_outside():
    running, most, seen = [0], [0], []
    lock = threading.Lock()

    def app(environ, start_response):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        seen.append(environ["wsgi.input"].read())
        with lock:
            running[0] -= 1
        start_response("200 OK", [])
        return [b"ok"]

    gate = RequestGate(app)
    arrived = threading.Event()

    def call(body: bytes, stream: io.RawIOBase | None = None) -> None:
        environ = {"CONTENT_LENGTH": str(len(body)), "wsgi.input": stream or io.BytesIO(body)}
        gate(environ, lambda *_: None)

    slow = threading.Thread(target=call, args=(b"slow", Trickle(b"slow", arrived)))
    slow.start()
    quick = [threading.Thread(target=call, args=(f"quick {n}".encode(),)) for n in range(6)]
    for thread in quick:
        thread.start()
    for thread in quick:
        thread.join(5)
    # Every quick request was served while the slow one was still sending its body.
    assert sorted(seen) == sorted(f"quick {n}".encode() for n in range(6))
    arrived.set()
    slow.join(5)
    assert seen[-1] == b"slow" and most[0] == 1


def test_a_body_over_the_limit_is_left_for_the_app_to_refuse():
    def app(environ, start_response):
        start_response("413 Request Entity Too Large", [])
        return [str(isinstance(environ["wsgi.input"], io.BytesIO)).encode()]

    untouched = io.BufferedReader(io.BytesIO(b"x"))
    environ = {"CONTENT_LENGTH": str(10**9), "wsgi.input": untouched}
    assert RequestGate(app)(environ, lambda *_: None) == [b"False"]
    assert environ["wsgi.input"] is untouched


def test_a_chunked_body_is_read_outside_too_and_refused_when_too_large():
    def app(environ, start_response):
        start_response("200 OK", [])
        return [environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))]

    chunked = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"a=1&b=2")}
    assert RequestGate(app)(chunked, lambda *_: None) == [b"a=1&b=2"]
    statuses: list[str] = []
    huge = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"x" * (MAX_BODY + 5))}
    answer = RequestGate(app)(huge, lambda status, _headers: statuses.append(status))
    assert statuses == ["413 Request Entity Too Large"] and answer == [b"Request body too large\n"]
