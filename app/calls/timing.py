"""How long the line talks during a call, computed from the script: a caller at 2 a.m. should
hear a short call. `flask --app app flows check` prints it and refuses a script over the limit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.calls.script import (
    ClaimStep,
    Flow,
    MenuStep,
    PhoneStep,
    ReviewStep,
    ServiceStep,
    SpeechStep,
)
from app.incidents.reference import spoken_reference
from app.phones import spoken_groups

# A full after-hours call, answered at once, stays under this much of the line's speech.
LIMIT_SECONDS = 90.0
# The short pause a voice leaves at the end of each sentence.
SENTENCE_PAUSE = 0.3

# Typical answers, so the read-back and the confirmations are counted at a realistic length.
SAMPLE = {
    "service": "Canvas",
    "description": "nobody can log in, the page shows an error",
    "started": "about ten tonight",
    "last_worked": "at nine",
    "number": spoken_groups("+13195550142"),
    "reference": spoken_reference("AH-1042"),
}
_WORD = re.compile(r"[\w']+")
_SENTENCE_END = re.compile(r"[.?!](\s|$)")


@dataclass(frozen=True)
class SpeechEstimate:
    texts: list[str]
    words: int
    seconds: float

    @property
    def within_limit(self) -> bool:
        return self.seconds <= LIMIT_SECONDS


def happy_path(flow: Flow) -> list[str]:
    """Everything the line says to an after-hours caller who answers each question at once."""
    texts = [flow.greeting.after_hours.format(line=flow.line_name)]
    for step in flow.steps:
        if isinstance(step, ServiceStep):
            texts += [step.prompt, step.confirm.format(service=SAMPLE["service"], number="")]
            texts.append(flow.messages.thanks)
        elif isinstance(step, SpeechStep) and not step.staff_only:
            texts.append(step.prompt)
        elif isinstance(step, MenuStep):
            texts += [step.prompt, *(option.say for option in step.options)]
        elif isinstance(step, ClaimStep):
            # Asked only when the records don't say CAS; counted, as the longer call.
            texts.append(step.prompt)
        elif isinstance(step, PhoneStep):
            texts.append(step.offer_caller_id.format(number=SAMPLE["number"]))
        elif isinstance(step, ReviewStep):
            impact = flow.impact_options()
            texts.append(
                step.summary.format(
                    service=SAMPLE["service"],
                    description=SAMPLE["description"],
                    started=SAMPLE["started"],
                    last_worked=SAMPLE["last_worked"],
                    impact=impact[0].label if impact else step.missing,
                    callback=SAMPLE["number"],
                )
            )
            texts.append(step.prompt)
    finish = flow.finish
    texts += [
        finish.reference.format(reference=SAMPLE["reference"]),
        finish.texted,
        finish.next,
        finish.hear_again,
        flow.messages.goodbye,
    ]
    return texts


def estimate(flow: Flow) -> SpeechEstimate:
    texts = happy_path(flow)
    words = sum(len(_WORD.findall(text)) for text in texts)
    pauses = sum(len(_SENTENCE_END.findall(text)) or 1 for text in texts)
    seconds = words * 60 / flow.words_per_minute + pauses * SENTENCE_PAUSE
    return SpeechEstimate(texts=texts, words=words, seconds=round(seconds, 1))
