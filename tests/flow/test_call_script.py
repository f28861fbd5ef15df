"""What a caller hears at 2 a.m.: plain words, one question at a time, short retries, and a
reference they can hear again; the whole call stays short."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from app import check_configuration
from app.calls import timing
from app.calls.script import Flow
from app.calls.script_files import load_flow
from app.config import PROJECT_ROOT
from tests.accounts import make_accounts
from tests.flow.test_staff_and_api import STAFF_CALL
from tests.support import FULL_CANVAS_CALL, TwilioClient, stateless

SHIPPED = PROJECT_ROOT / "voice_flows" / "caller.en.yaml"


def _to_speech_question(twilio: TwilioClient, sid: str) -> None:
    twilio.voice("/voice/incoming", sid)
    twilio.voice("/voice/answer/service?turn=1", sid, SpeechResult="canvas")
    twilio.voice("/voice/answer/service?turn=2", sid, Digits="1")


def test_the_line_is_named_in_plain_words_never_spelled_out(twilio):
    spoken = twilio.call(*FULL_CANVAS_CALL).text
    assert spoken.startswith("You have reached the after-hours support line.")
    # No initials read letter by letter ("E I MAS", "I T S") anywhere in the script.
    assert not re.search(r"\b[A-Z] [A-Z]\b", SHIPPED.read_text())


def test_when_it_began_and_when_it_last_worked_are_two_questions(twilio):
    _to_speech_question(twilio, "CA-two-q")
    began = twilio.voice("/voice/answer/description?turn=3", "CA-two-q", SpeechResult="down")
    assert began.text == "When did the problem begin?"
    worked = twilio.voice("/voice/answer/started?turn=4", "CA-two-q", SpeechResult="at ten")
    assert worked.text == "When did it last work correctly?"
    assert stateless(worked.gather.get("action")) == "/voice/answer/last_worked?turn=5"


def test_a_retry_at_the_impact_menu_gives_only_the_hint(twilio):
    _to_speech_question(twilio, "CA-hint")
    twilio.voice("/voice/answer/description?turn=3", "CA-hint", SpeechResult="down")
    twilio.voice("/voice/answer/started?turn=4", "CA-hint", SpeechResult="at ten")
    menu = twilio.voice("/voice/answer/last_worked?turn=5", "CA-hint", SpeechResult="at nine")
    assert "Everyone: press 1." in menu.text
    retry = twilio.voice("/voice/answer/impact?turn=6", "CA-hint", Digits="9")
    assert retry.heard == [
        "Sorry, I didn't catch that.",
        "Press 1 for everyone, 2 for some users or slow, 3 for one person, or 4 for anything else.",
    ]


def test_a_key_pressed_at_a_spoken_question_is_asked_to_say_it(twilio):
    _to_speech_question(twilio, "CA-key")
    twiml = twilio.voice("/voice/answer/description?turn=3", "CA-key", Digits="5")
    assert twiml.heard[0] == "Please say it out loud, rather than pressing keys."
    # Still the same spoken question, listening for keys too so the next press is caught.
    assert stateless(twiml.gather.get("action")) == "/voice/answer/description?turn=4"
    assert twiml.gather.get("input") == "dtmf speech"
    assert twiml.gather.get("numDigits") == "1"


def test_speech_questions_use_the_models_set_in_the_script(twilio):
    first = twilio.voice("/voice/incoming", "CA-model")
    assert first.gather.get("speechModel") == "experimental_utterances"
    assert first.gather.get("enhanced") is None
    twilio.voice("/voice/answer/service?turn=1", "CA-model", SpeechResult="canvas")
    description = twilio.voice("/voice/answer/service?turn=2", "CA-model", Digits="1")
    assert description.gather.get("speechModel") == "phone_call"
    assert description.gather.get("enhanced") == "true"


def test_the_caller_hears_the_reference_is_texted_and_can_hear_it_again(twilio, session):
    transcript = twilio.call(*FULL_CANVAS_CALL, "press 1", "press 1", "press 1")
    heard = transcript.heard
    assert "We've texted it to you too." in heard
    references = [line for line in heard if line.startswith("Your reference is A, H, 1, 0, 0, 1")]
    # Read once at the end, then again for each of the two repeats the script allows.
    assert len(references) == 3
    assert heard[-1] == "Goodbye."


def test_the_staff_line_ends_with_the_customer_being_called_back(twilio, app, clock):
    make_accounts(app, clock)
    transcript = twilio.call(*STAFF_CALL, caller="+13193844357", entry="/voice/staff")
    spoken = transcript.text
    assert "will call the customer back within 60 minutes" in spoken
    assert "The customer has also been sent the reference by text message." in spoken
    assert "call you back" not in spoken


def test_a_full_call_is_under_ninety_seconds_of_speech():
    flow = load_flow(SHIPPED)
    assert isinstance(flow, Flow)
    speech = timing.estimate(flow)
    assert speech.within_limit, speech.seconds
    # The estimate counts the real prompts: the read-back holds the sample answers.
    assert any("Canvas: nobody can log in" in text for text in speech.texts)
    assert speech.words > 150


def test_flows_check_prints_the_length_and_refuses_a_long_script(runner, tmp_path: Path):
    result = runner.invoke(args=["flows", "check"])
    assert result.exit_code == 0, result.output
    assert re.search(r"a full call answered at once: \d+ s of speech", result.output)
    data = yaml.safe_load(SHIPPED.read_text())
    data["greeting"]["after_hours"] = "You have reached {line}. " + "Please listen carefully. " * 40
    (tmp_path / "caller.yaml").write_text(yaml.safe_dump(data))
    shutil.copy(SHIPPED.parent / "page.yaml", tmp_path)
    result = runner.invoke(args=["flows", "check", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "too long for a caller at night" in result.output


def test_the_server_refuses_to_start_with_a_script_too_long(settings, tmp_path: Path):
    data = yaml.safe_load(SHIPPED.read_text())
    data["greeting"]["after_hours"] = "You have reached {line}. " + "Please listen carefully. " * 40
    (tmp_path / "caller.yaml").write_text(yaml.safe_dump(data))
    shutil.copy(SHIPPED.parent / "page.yaml", tmp_path)
    problem = check_configuration({**settings, "VOICE_FLOWS_DIR": str(tmp_path)})
    assert problem is not None and "over the 90 s limit" in problem
    assert check_configuration(settings) is None
