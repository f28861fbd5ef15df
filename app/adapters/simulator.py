"""Play a phone call against the line the way Twilio would, with no Twilio account.

Requests are signed with the account's auth token and follow the TwiML's `action` and `<Redirect>`
URLs; what the caller would hear is printed. Answers come from a person at the keyboard or from a
script (`press 1`, `say canvas`, `silence`, `record`, `dial no-answer`, `hangup`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from defusedxml import ElementTree as ET
from twilio.request_validator import RequestValidator

# (method, url, params, signature) -> (status, body)
Transport = Callable[[str, dict[str, str], str], tuple[int, str]]

MAX_REQUESTS = 200  # a runaway menu must not loop forever
RECORDINGS_URL = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings"


class ScriptError(ValueError):
    pass


@dataclass(frozen=True)
class Answer:
    kind: str  # press, say, silence, record, dial, hangup
    value: str = ""

    @classmethod
    def parse(cls, text: str) -> Answer:
        word, _, rest = text.strip().partition(" ")
        word = word.lower().rstrip(":")
        if word in {"press", "say", "dial"} and rest.strip():
            return cls(word, rest.strip())
        if word in {"silence", "record", "hangup"} and not rest.strip():
            return cls(word)
        raise ScriptError(
            f"cannot use {text!r}: write press 1, say canvas, silence, record, "
            "dial no-answer or hangup"
        )


@dataclass(frozen=True)
class Ask:
    """What the caller is being asked for at this point of the call."""

    kind: str  # dtmf, speech, record, dial
    prompts: list[str]


@dataclass
class Transcript:
    heard: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    hung_up_by_caller: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.heard)


def scripted(answers: Iterable[str]) -> Callable[[Ask], Answer]:
    """Answer from a list; once it runs out the caller stays silent."""
    queue: Iterator[Answer] = iter([Answer.parse(a) for a in answers])
    return lambda _ask: next(queue, Answer("silence"))


class CallSimulator:
    def __init__(
        self,
        transport: Transport,
        public_base_url: str,
        auth_token: str,
        *,
        caller: str = "+13195550100",
        line: str = "+13195550000",
        call_sid: str | None = None,
        hear: Callable[[str], None] = lambda _text: None,
    ) -> None:
        self.transport = transport
        self.base = public_base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.caller = caller
        self.line = line
        self.call_sid = call_sid or f"CA{uuid.uuid4().hex}"
        self.hear = hear

    def _post(self, url: str, params: dict[str, str], transcript: Transcript) -> str | None:
        full = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": self.line,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            **params,
        }
        signature = self.validator.compute_signature(url, full)
        parts = urlsplit(url)
        transcript.requests.append(f"{parts.path}?{parts.query}" if parts.query else parts.path)
        status, body = self.transport(url, full, signature)
        if status >= 300:
            transcript.errors.append(f"HTTP {status} from {url}: {body[:200]}")
            return None
        return body

    def play(self, answer: Callable[[Ask], Answer], entry: str = "/voice/incoming") -> Transcript:
        """Call `entry` (`/voice/staff` for the help-desk staff line) and follow the call."""
        transcript = Transcript()
        url: str | None = f"{self.base}{entry}"
        params: dict[str, str] = {}
        while url is not None and len(transcript.requests) < MAX_REQUESTS:
            body = self._post(url, params, transcript)
            if body is None:
                break
            url, params = self._follow(url, body, answer, transcript)
        self._post(
            f"{self.base}/voice/status",
            {"CallStatus": "completed", "CallDuration": str(10 * len(transcript.requests))},
            transcript,
        )
        return transcript

    def _whisper(self, url: str, transcript: Transcript) -> None:
        body = self._post(url, {}, transcript)
        gather = ET.fromstring(body).find("Gather") if body else None
        if gather is not None:
            for prompt in gather:
                self._say(f"(to the person answering) {prompt.text}", transcript)
            self._post(urljoin(url, gather.get("action") or url), {"Digits": "1"}, transcript)

    def _say(self, text: str, transcript: Transcript) -> None:
        transcript.heard.append(text)
        self.hear(text)

    def _follow(
        self, url: str, body: str, answer: Callable[[Ask], Answer], transcript: Transcript
    ) -> tuple[str | None, dict[str, str]]:
        """Act out one TwiML document; return the next request, or None when the call ends."""
        for verb in ET.fromstring(body):
            if verb.tag == "Say":
                self._say(verb.text or "", transcript)
            elif verb.tag == "Gather":
                prompts = [child.text or "" for child in verb if child.tag == "Say"]
                for prompt in prompts:
                    self._say(prompt, transcript)
                wants = verb.get("input", "dtmf")
                reply = answer(Ask("speech" if "speech" in wants else "dtmf", prompts))
                if reply.kind == "hangup":
                    transcript.hung_up_by_caller = True
                    return None, {}
                action = urljoin(url, verb.get("action") or url)
                if reply.kind == "press" and "dtmf" in wants:
                    return action, {"Digits": reply.value}
                if reply.kind == "say" and "speech" in wants:
                    return action, {"SpeechResult": reply.value, "Confidence": "0.9"}
                # Silence (or keys where only speech is heard): Twilio posts an empty result.
                return action, {}
            elif verb.tag == "Record":
                reply = answer(Ask("record", []))
                if reply.kind == "hangup":
                    transcript.hung_up_by_caller = True
                    return None, {}
                if reply.kind == "silence":
                    continue  # nothing recorded: Twilio moves on to the next verb
                recording = f"{RECORDINGS_URL}/RE{uuid.uuid4().hex}"
                self._say("(beep — message recorded)", transcript)
                return urljoin(url, verb.get("action") or url), {
                    "RecordingUrl": recording,
                    "RecordingDuration": "12",
                }
            elif verb.tag == "Dial":
                room = verb.find("Conference")
                if room is not None:
                    # A joint call: the caller stays in the room until they hang up.
                    self._say(f"(in the joint call {room.text})", transcript)
                    return None, {}
                number = verb.find("Number")
                target = (verb.text or "").strip() or (number.text if number is not None else "")
                reply = answer(Ask("dial", [target or ""]))
                if reply.kind == "hangup":
                    transcript.hung_up_by_caller = True
                    return None, {}
                outcome = reply.value if reply.kind == "dial" else "no-answer"
                if outcome == "completed" and number is not None and number.get("url"):
                    # The person answering hears the whisper and presses 1 to take the call.
                    self._whisper(urljoin(url, number.get("url", "")), transcript)
                self._say(f"(dialling {target}: {outcome})", transcript)
                return urljoin(url, verb.get("action") or url), {"DialCallStatus": outcome}
            elif verb.tag == "Redirect":
                return urljoin(url, (verb.text or "").strip()), {}
            elif verb.tag == "Hangup":
                return None, {}
        return None, {}
