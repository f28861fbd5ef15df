"""A caller whose report is still open calls again from the same number: they hear it first,
and may add to it (their words go on its timeline and to the owner) or report something else."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Call, CallStatus, Incident
from tests.paging_support import PAT, report_outage, run_worker, text, the_incident
from tests.support import CALLER

AFTER_HOURS = "You have reached the after-hours support line."


def test_a_caller_calling_again_hears_their_report_and_adds_to_it(
    app, clock, twilio, session, gateway
):
    report_outage(twilio)
    run_worker(app, clock)
    clock.advance(minutes=12)
    first = twilio.voice("/voice/incoming", "CA-again", caller=CALLER)
    assert first.heard == [
        "Your report A, H, 1, 0, 0, 1, about Canvas: the on-call administrator was paged at "
        "2:00 AM.",
        "To add something to it, press 1. To report a different problem, press 2.",
        "Para español, oprima nueve.",
    ]
    asked = twilio.voice(first.next_url, "CA-again", caller=CALLER, Digits="1")
    assert asked.heard == ["Please say what you'd like to add, then stay on the line."]
    assert "speech" in asked.gather.get("input")
    done = twilio.voice(
        asked.next_url, "CA-again", caller=CALLER, SpeechResult="the grade book is down too"
    )
    assert done.heard[0].startswith("Thank you. That is added to your report")
    assert "Hangup" in done.verbs
    incident = the_incident(session)
    assert incident.events[-1].detail == "the caller added: the grade book is down too"
    assert len(incident.reports) == 1  # one caller, one report
    # Acknowledged, the owner hears what the caller adds next.
    text(twilio, PAT, "1a")
    gateway.sent.clear()
    again = twilio.voice("/voice/incoming", "CA-third", caller=CALLER)
    assert again.heard[0].endswith("about Canvas: an administrator is working on it.")
    asked = twilio.voice(again.next_url, "CA-third", caller=CALLER, Digits="1")
    twilio.voice(asked.next_url, "CA-third", caller=CALLER, SpeechResult="it is back now")
    run_worker(app, clock)
    assert (
        "sms",
        PAT,
        "AH-1001: the caller called again and added: it is back now",
    ) in gateway.sent


def test_a_different_problem_is_a_new_report_and_strangers_hear_the_usual_greeting(
    app, clock, twilio, session
):
    report_outage(twilio)
    greeted = twilio.voice("/voice/incoming", "CA-other", caller="+13195550188")
    assert greeted.heard[0].startswith(AFTER_HOURS)
    first = twilio.voice("/voice/incoming", "CA-new", caller=CALLER)
    different = twilio.voice(first.next_url, "CA-new", caller=CALLER, Digits="2")
    assert different.heard[0].startswith(AFTER_HOURS)
    assert "Which service" in different.heard[-1]
    # A caller who says nothing at the menu goes on to a report, not to a dead end.
    quiet = twilio.voice("/voice/incoming", "CA-quiet", caller=CALLER)
    for _ in range(3):
        quiet = twilio.voice(quiet.next_url, "CA-quiet", caller=CALLER)
    assert "Which service" in quiet.text
    twilio.post("/voice/status", {"CallSid": "CA-new", "CallStatus": "completed"})
    call = session.scalar(select(Call).where(Call.call_sid == "CA-new"))
    assert call.status == CallStatus.ABANDONED
    assert len(session.scalars(select(Incident)).all()) == 1
