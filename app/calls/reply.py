"""What the line tells the telephone network to do next, free of TwiML.

The voice menu builds a Reply; the voice blueprint renders it as TwiML. A Reply is plain data (it is
stored with each turn) so a repeated webhook gets exactly the same answer back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    language: str
    voice: str | None
    verbs: list[dict[str, Any]] = field(default_factory=list)

    def say(self, *texts: str) -> Reply:
        self.verbs.extend({"say": text} for text in texts if text)
        return self

    def gather(
        self,
        step: str,
        turn: int,
        prompts: list[str],
        *,
        speech: bool = False,
        hints: list[str] | None = None,
        num_digits: int | None = 1,
        finish_on_key: str | None = None,
        timeout: int = 6,
        max_speech_seconds: int | None = None,
        speech_model: str | None = None,
    ) -> Reply:
        self.verbs.append(
            {
                "gather": {
                    "step": step,
                    "turn": turn,
                    "prompts": [text for text in prompts if text],
                    "speech": speech,
                    "hints": hints or [],
                    # A key pressed at a spoken question ends it too, to be told "please say it".
                    "num_digits": 1 if speech else num_digits,
                    "finish_on_key": finish_on_key,
                    "timeout": timeout,
                    "max_speech_seconds": max_speech_seconds,
                    "speech_model": speech_model,
                }
            }
        )
        # If the network ever falls through the gather, the next turn still happens.
        return self.redirect(step, turn)

    def record(self, step: str, turn: int, prompt: str, max_length: int = 120) -> Reply:
        self.say(prompt)
        self.verbs.append({"record": {"step": step, "turn": turn, "max_length": max_length}})
        # <Record> falls through to the next verb when nothing was recorded.
        return self.redirect(step, turn, nothing_recorded=True)

    def dial(
        self,
        step: str,
        turn: int,
        number: str,
        timeout: int = 25,
        caller_id: str | None = None,
        whisper: str | None = None,
    ) -> Reply:
        """`whisper`: the call's CallSid; the person answering hears who is calling and presses
        1 to take it before the caller is connected."""
        spec: dict[str, Any] = {"step": step, "turn": turn, "number": number, "timeout": timeout}
        if caller_id:
            spec["caller_id"] = caller_id
        if whisper:
            spec["whisper"] = whisper
        self.verbs.append({"dial": spec})
        return self

    def conference(self, room: str, incident_id: int) -> Reply:
        """Into the incident's joint call; its join and leave events are reported back."""
        self.verbs.append({"conference": {"room": room, "incident": incident_id}})
        return self

    def redirect(self, step: str, turn: int, **flags: bool) -> Reply:
        self.verbs.append({"redirect": {"step": step, "turn": turn, **flags}})
        return self

    def hangup(self) -> Reply:
        self.verbs.append({"hangup": {}})
        return self

    def carry(self, turn: int, state: str) -> None:
        """Every verb that leads to turn `turn` carries `state` in its URL."""
        for verb in self.verbs:
            for spec in verb.values():
                if isinstance(spec, dict) and spec.get("turn") == turn and "step" in spec:
                    spec["state"] = state

    def as_dict(self) -> dict[str, Any]:
        return {"language": self.language, "voice": self.voice, "verbs": self.verbs}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        return cls(language=data["language"], voice=data.get("voice"), verbs=list(data["verbs"]))

    @property
    def spoken(self) -> list[str]:
        """Everything the caller hears, in order (for logs, the simulator and tests)."""
        texts: list[str] = []
        for verb in self.verbs:
            if "say" in verb:
                texts.append(verb["say"])
            elif "gather" in verb:
                texts.extend(verb["gather"]["prompts"])
        return texts


# Recordings live at Twilio; a RecordingUrl anywhere else (a forged request, a `javascript:` URL)
# is never stored or linked.
TWILIO_RECORDINGS = "https://api.twilio.com/"


def is_twilio_recording(url: str | None) -> bool:
    return bool(url) and str(url).startswith(TWILIO_RECORDINGS) and " " not in str(url)
