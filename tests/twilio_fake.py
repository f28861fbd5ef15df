"""Twilio's REST API as `responses` callbacks: it keeps what it accepted, lists it back as the
real API does (GET Messages.json / Calls.json), and can be told to fail in the ways Twilio does."""

from __future__ import annotations

import email.utils
import json
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import responses

from app.clock import Clock
from tests.support import TEST_SETTINGS

SID = str(TEST_SETTINGS["TWILIO_ACCOUNT_SID"])
API = f"https://api.twilio.com/2010-04-01/Accounts/{SID}"
LINE = "+13195550000"

# What to do with one POST: "ok", "accepted-then-timeout" (taken, answer lost), "timeout"
# (never taken), or an HTTP status with a Twilio code: (503, 20503).
Outcome = str | tuple[int, int]


@dataclass
class FakeTwilio:
    clock: Clock
    decide: Callable[[dict[str, str]], Outcome] = lambda _params: "ok"
    accepted: list[dict[str, Any]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def install(self, mock: responses.RequestsMock) -> None:
        for kind in ("Messages", "Calls"):
            mock.add_callback("POST", f"{API}/{kind}.json", callback=self._create(kind))
            mock.add_callback("GET", f"{API}/{kind}.json", callback=self._list(kind))

    def taken_by(self, to: str) -> list[dict[str, Any]]:
        return [item for item in self.accepted if item["to"] == to]

    def _create(self, kind: str) -> Callable[[Any], tuple[int, dict[str, str], str]]:
        def create(request: Any) -> tuple[int, dict[str, str], str]:
            params = dict(urllib.parse.parse_qsl(request.body))
            outcome = self.decide(params)
            self.outcomes[str(outcome)] += 1
            if isinstance(outcome, tuple):
                status, code = outcome
                return status, {}, json.dumps({"code": code, "message": "x", "status": status})
            if outcome == "timeout":
                raise requests.exceptions.ReadTimeout("no answer in 10 s")
            item = {
                "sid": f"{'CA' if kind == 'Calls' else 'SM'}{uuid.uuid4().hex}",
                "account_sid": SID,
                "to": params.get("To"),
                "from": params.get("From"),
                "body": params.get("Body", ""),
                "status": "queued",
                "date_created": email.utils.format_datetime(self.clock.now()),
                "kind": kind,
            }
            self.accepted.append(item)
            if outcome == "accepted-then-timeout":
                raise requests.exceptions.ReadTimeout("accepted, but the answer was lost")
            return 201, {}, json.dumps(item)

        return create

    def _list(self, kind: str) -> Callable[[Any], tuple[int, dict[str, str], str]]:
        def listing(request: Any) -> tuple[int, dict[str, str], str]:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(request.url).query))
            found = [
                item
                for item in reversed(self.accepted)
                if item["kind"] == kind and item["to"] == query.get("To")
            ]
            key = "calls" if kind == "Calls" else "messages"
            size = int(query.get("PageSize", 50))
            return 200, {}, json.dumps({key: found[:size], "next_page_uri": None, "page": 0})

        return listing
