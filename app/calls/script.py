"""Call scripts as data: the steps, texts and checks of the YAML files in `voice_flows/`
(read by calls/script_files.py).

A broken file stops start-up (and `flask --app app flows check`) with the file and step named, so a
prompt can be reworded without touching code and without finding out at 3 a.m.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FlowError(Exception):
    """A call script is broken; the message names the file and the step."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Messages(_Strict):
    no_input: str
    not_understood: str
    # A key pressed where a spoken answer was asked for.
    say_it: str
    thanks: str
    start_over: str
    technical_difficulty: str
    goodbye: str
    fallback_intro: str
    fallback_number: str
    fallback_record: str
    fallback_thanks: str
    fallback_to_helpdesk: str = (
        "We're sorry, our system is having trouble. I'm putting you through to the help desk."
    )


class Greeting(_Strict):
    # Offered at the first question of a call in any other language, said in this one's voice
    # ("Para español, oprima nueve"): pressing `language_key` there switches to this script.
    this_language: str
    language_key: Annotated[str, Field(pattern=r"^[0-9*]$")] = "9"
    after_hours: str
    helpdesk_transfer: str
    business_hours: str
    business_hours_menu: str
    connecting: str
    connecting_next: str
    whisper: str
    dial_unanswered: str
    dial_completed: str


class StaffTexts(_Strict):
    greeting: str
    pin: str
    wrong_pin: str
    locked: str
    welcome: str


class ServiceStep(_Strict):
    id: str
    type: Literal["service"]
    field: str
    prompt: str
    reprompt: str
    confirm: str
    confirm_reprompt: str
    not_found: str
    kept_as_text: str
    misses_before_free_text: int = Field(2, ge=1, le=5)
    speech_model: SpeechModel | None = None
    known: str
    known_taken: str
    known_waiting: str
    known_menu: str


# Twilio's speech recognition models for <Gather speechModel>: the generic ones, or a provider's
# own (googlev2_telephony_short, deepgram_nova-2, ...).
SpeechModel = Annotated[
    str,
    Field(
        pattern=r"^(default|numbers_and_commands|phone_call|experimental_conversations"
        r"|experimental_utterances|(googlev2|deepgram)_[a-z0-9_.-]+)$"
    ),
]


class SpeechStep(_Strict):
    id: str
    type: Literal["speech"]
    field: str
    prompt: str
    reprompt: str
    # Overrides the flow's speech_model for this question (a long description, say).
    speech_model: SpeechModel | None = None
    # Silence moves straight on: the question is worth asking, not worth insisting on.
    optional: bool = False
    # Asked on the help-desk staff line only (the staff member answers for the customer).
    staff_only: bool = False
    # After this many failed speech attempts, switch to <Record>; absent means never.
    record_after: int | None = Field(None, ge=1, le=5)
    record_prompt: str | None = None
    max_speech_seconds: int = Field(30, ge=5, le=60)

    @model_validator(mode="after")
    def _record_needs_prompt(self) -> SpeechStep:
        if self.record_after is not None and not self.record_prompt:
            raise ValueError("record_after needs a record_prompt")
        return self


class MenuOption(_Strict):
    key: Annotated[str, Field(pattern=r"^[0-9*#]$")]
    value: str
    # As the team reads it (pages, the dashboard), whatever the caller's language.
    label: str
    say: str
    priority: int = Field(ge=1, le=4)
    # As the caller hears it read back, when that differs from the label (another language).
    heard: str | None = None


class MenuStep(_Strict):
    id: str
    type: Literal["menu"]
    field: str
    prompt: str
    reprompt: str
    options: list[MenuOption] = Field(min_length=1)
    default: str

    @model_validator(mode="after")
    def _consistent(self) -> MenuStep:
        keys = [option.key for option in self.options]
        if len(keys) != len(set(keys)):
            raise ValueError("two options share a key")
        if self.default not in {option.value for option in self.options}:
            raise ValueError(f"default {self.default!r} is not one of the options' values")
        return self

    def option(self, key: str | None = None, value: str | None = None) -> MenuOption | None:
        for option in self.options:
            if option.key == key or option.value == value:
                return option
        return None


class PhoneStep(_Strict):
    id: str
    type: Literal["phone"]
    field: str
    offer_caller_id: str
    keyin: str
    invalid: str
    confirm: str
    kept_caller_id: str
    no_number: str
    # The staff line: the customer's number, or pound alone when the customer has none.
    staff_keyin: str
    staff_no_number: str
    not_callable: str = (
        "Sorry, that number can't be used for a call back: it must be the caller's own mobile "
        "or landline, in the United States or Canada. Please key it in again."
    )


class ClaimStep(_Strict):
    """A yes-or-no the caller claims (press 1 yes, anything else no), such as being a CAS
    customer; asked only when nothing on record answers it already."""

    id: str
    type: Literal["claim"]
    field: str
    prompt: str
    # The staff line asks about the customer, not the staff member.
    staff_prompt: str


class ReviewStep(_Strict):
    id: str
    type: Literal["review"]
    summary: str
    prompt: str
    missing: str


Step = Annotated[
    ServiceStep | SpeechStep | MenuStep | PhoneStep | ClaimStep | ReviewStep,
    Field(discriminator="type"),
]


class ConfirmCallTexts(_Strict):
    """The line calling a caller who cannot get texts: is it fixed?"""

    intro: str
    menu: str
    works: str
    broken: str
    not_understood: str
    no_answer: str
    machine: str
    gone: str


class JointCallTexts(_Strict):
    """An incident's joint call: what the people the line calls in, or who call in, hear."""

    joining: str
    gone: str
    call_in: str
    calling_back: str
    no_such_call: str


class ReturningTexts(_Strict):
    """A caller whose report is still open calls again from the same number: it comes first."""

    known: str
    working: str
    paged: str
    menu: str
    add: str
    added: str
    nothing_added: str


class Finish(_Strict):
    reference: str
    # Said when the reference is also texted (to the caller, or to the customer on the staff line).
    texted: str
    staff_texted: str
    # What happens next, as it will: after hours, in business hours, with no number to call
    # back on, and for a report added to an incident already being worked.
    next: str
    next_business_hours: str
    next_no_number: str
    added_next: str
    # The staff line: the help-desk staff member is not the one called back.
    staff_next: str
    staff_next_no_number: str
    staff_added_next: str
    added: str
    staff_added: str
    hear_again: str
    # A call that gave nothing but silence or stray keys: no report, nobody paged.
    nothing_heard: str
    # The staff line: the incident's ticket in the ticketing system, once it has one.
    staff_ticket: str = "In the ticketing system, it is ticket {ticket}."
    # How many times the caller may press 1 to hear the reference again.
    repeats: int = Field(2, ge=0, le=5)


class PageScript(_Strict):
    """What a responder hears when a page comes as a phone call."""

    kind: Literal["page"]
    name: str
    language: str = Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    voice: str | None = None
    intro: str
    menu: str
    not_understood: str
    machine: str
    acknowledged: str
    already: str
    escalated: str
    gone: str
    goodbye: str
    bridge_connecting: str
    bridge_machine: str
    bridge_done: str
    bridge_no_answer: str


class Flow(_Strict):
    kind: Literal["caller"] = "caller"
    name: str
    # The line's name as callers know it, said as written: `{line}` in the greetings.
    line_name: str = Field(min_length=1)
    language: str = Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    voice: str | None = None
    # The recognition model for spoken answers; a step may choose another.
    speech_model: SpeechModel = "phone_call"
    # How fast the voice speaks, for `flows check`'s estimate of a call's length.
    words_per_minute: int = Field(160, ge=80, le=260)
    max_attempts: int = Field(3, ge=1, le=5)
    messages: Messages
    greeting: Greeting
    staff: StaffTexts
    steps: list[Step] = Field(min_length=1)
    finish: Finish
    confirm_call: ConfirmCallTexts
    joint_call: JointCallTexts
    returning: ReturningTexts

    @model_validator(mode="after")
    def _shape(self) -> Flow:
        ids = [step.id for step in self.steps]
        duplicates = {step_id for step_id in ids if ids.count(step_id) > 1}
        if duplicates:
            raise ValueError(f"step ids used twice: {', '.join(sorted(duplicates))}")
        fields = [step.field for step in self.steps if not isinstance(step, ReviewStep)]
        for required in ("service", "description", "impact", "callback"):
            if required not in fields:
                raise ValueError(f"no step gathers the {required!r} field")
        return self

    @property
    def code(self) -> str:
        """The language's code (`es` for `es-US`): which catalog the caller's texts come from."""
        return self.language.split("-")[0]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def _impact_step(self) -> MenuStep | None:
        return next(
            (s for s in self.steps if isinstance(s, MenuStep) and s.field == "impact"), None
        )

    def impact_options(self) -> list[MenuOption]:
        """The impact menu's choices, so the phone, the dashboard and the API rank alike."""
        step = self._impact_step()
        return list(step.options) if step else []

    def default_impact(self) -> str | None:
        """The impact a caller who never chose one is given."""
        step = self._impact_step()
        return step.default if step else None

    def next_step_id(self, step_id: str) -> str | None:
        ids = [step.id for step in self.steps]
        position = ids.index(step_id) + 1
        return ids[position] if position < len(ids) else None
