"""A gateway that answers like Twilio's REST API, for benchmarks: the worker reaches it the way it
reaches Twilio (the official client, HTTPS to api.twilio.com), through a proxy it is told of by
`HTTPS_PROXY`. The proxy answers the CONNECT itself and speaks TLS as api.twilio.com with a
certificate of its own, which the worker trusts through `REQUESTS_CA_BUNDLE`; nothing in the
line knows it is not Twilio.

Each message or call is answered after a latency drawn from `latency` (seconds, low-high,
uniform), as Twilio's API takes a few hundred milliseconds to answer a create. When each one
arrived is kept, by the sid it was given, so a benchmark can time a text from due to the gateway.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import socket
import ssl
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

HOST = "api.twilio.com"
ACCOUNT = "AC" + "0" * 32


def certificate(workdir: Path) -> tuple[Path, Path]:
    """A self-signed certificate for api.twilio.com: (certificate, key)."""
    cert, key = workdir / "twilio-like.pem", workdir / "twilio-like.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class TwilioLike:
    """The proxy and the API behind it, serving from a thread of this process."""

    def __init__(self, workdir: Path, latency: tuple[float, float] = (0.15, 0.6)) -> None:
        self.cert, key = certificate(workdir)
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(self.cert, key)
        self.latency = latency
        # sid -> when its request arrived (UTC)
        self.arrived: dict[str, dt.datetime] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._proxy_handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def environment(self) -> dict[str, str]:
        """What the worker runs with to send through this gateway."""
        return {
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_FROM_NUMBER": "+13125550100",
            "HTTPS_PROXY": f"http://127.0.0.1:{self.port}",
            "REQUESTS_CA_BUNDLE": str(self.cert),
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def take(self, kind: str, form: dict[str, str]) -> dict[str, Any]:
        """One create, answered after the gateway's latency."""
        sid = ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex
        arrived = dt.datetime.now(dt.UTC)
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(random.uniform(*self.latency))
        with self._lock:
            self.in_flight -= 1
            self.arrived[sid] = arrived
        stamp = arrived.strftime("%a, %d %b %Y %H:%M:%S +0000")
        return {
            "sid": sid,
            "account_sid": ACCOUNT,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "direction": "outbound-api",
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": None,
            "num_segments": "1",
            "price": None,
            "error_code": None,
            "error_message": None,
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT}/{kind}/{sid}.json",
        }

    def _api_handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Api(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                kind = self.path.rsplit("/", 1)[-1].removesuffix(".json")
                if kind not in ("Messages", "Calls") or not self.headers.get("Authorization"):
                    self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                self._answer(201, gateway.take(kind, form))

            def do_GET(self) -> None:
                # A lost answer's lookup: this gateway never loses one, so nothing was sent.
                kind = self.path.split("?")[0].rsplit("/", 1)[-1].removesuffix(".json").lower()
                self._answer(
                    200,
                    {kind: [], "next_page_uri": None, "page": 0, "page_size": 50, "uri": ""},
                )

        return Api

    def _proxy_handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self
        api = self._api_handler()

        class Proxy(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_CONNECT(self) -> None:
                if self.path != f"{HOST}:443":
                    self.send_error(403, "only api.twilio.com")
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                try:
                    tunnel = gateway.tls.wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                tunnel.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                api(tunnel, self.client_address, self.server)  # keep-alive until the client goes
                self.close_connection = True

        return Proxy
