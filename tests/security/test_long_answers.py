"""A caller decides how long their answers are. Each field's length is decided once, by its
column: a long answer is cut to it and filed, a line break never reaches a text or a header, and
one call that cannot be filed never holds up the calls behind it."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Call, CallStatus, Email, Incident, Report
from app.models.base import length_of
from tests.paging_support import PAT, paged, run_worker, the_incident
from tests.support import CALLER

LONG = " ".join(["the service stopped after the evening update"] * 14)  # 629 characters
NAME = "Dana " + "Smith-" * 41  # 251 characters


def test_long_spoken_answers_are_cut_to_their_field_and_the_report_is_filed(
    app, clock, twilio, session, gateway
):
    assert len(LONG) > 600 and len(NAME) > 250
    transcript = twilio.call(
        "say the canvas website",
        "press 1",
        "say students get an error page when they log in",
        f"say {LONG}",
        f"say {LONG}",
        "press 1",
        f"say {NAME}",
        "press 1",
        "press 1",
    )
    # The caller heard the reference, not the fallback's voicemail.
    assert "A, H, 1, 0, 0, 1" in transcript.text
    assert "your report will not be lost" not in transcript.text
    incident = the_incident(session)
    assert incident.started_text == LONG[: length_of(Incident.started_text)].strip()
    assert len(incident.last_worked_text) == 500
    assert incident.responsible_party == NAME[:200]
    assert incident.description == "students get an error page when they log in"
    run_worker(app, clock)
    assert [who for who, *_ in paged(session)] == ["Pat"]
    [page] = [body for channel, to, body in gateway.sent if to == PAT and channel == "sms"]
    assert "AH-1001" in page and "Canvas" in page


def test_a_long_unknown_service_with_line_breaks_is_one_line_of_its_field(twilio, session):
    """Speech recognition's line breaks and a 600-character name for no catalog service: the
    caller hangs up, and the report keeps what was said as one line."""
    spoken = ("payroll portal\r\nfor the night shift " * 20).strip()
    twilio.call(f"say {spoken}", "hangup", call_sid="CA-long-service")
    incident = the_incident(session)
    assert incident.incomplete
    assert len(incident.service_text) == 500
    assert "\r" not in incident.service_text and "\n" not in incident.service_text
    assert incident.service_text.startswith("payroll portal for the night shift payroll")


def stuck_call(twilio, sid: str, caller: str) -> None:  # type: ignore[no-untyped-def]
    """A call that said which service and what is wrong, then went silent for good (its status
    callback never came)."""
    turn = twilio.voice("/voice/incoming", sid, caller=caller)
    turn = twilio.voice(turn.next_url, sid, caller=caller, SpeechResult="the canvas website")
    turn = twilio.voice(turn.next_url, sid, caller=caller, Digits="1")
    twilio.voice(turn.next_url, sid, caller=caller, SpeechResult="nobody can log in")


def test_a_call_that_cannot_be_filed_is_set_aside_and_the_next_one_is_filed(
    app, clock, twilio, session, caplog
):
    stuck_call(twilio, "CA-poisoned", "+13195550181")
    stuck_call(twilio, "CA-normal", CALLER)
    # An answer no version of the menu can file (stored by hand, or by an older release).
    poisoned = session.scalar(select(Call).where(Call.call_sid == "CA-poisoned"))
    poisoned.answers = {**poisoned.answers, "started": {"spoken": ["not", "a line"]}}
    session.commit()
    clock.advance(minutes=16)
    run_worker(app, clock)
    session.expire_all()
    calls = {c.call_sid: c for c in session.scalars(select(Call))}
    assert calls["CA-poisoned"].status == CallStatus.PARKED
    assert calls["CA-poisoned"].answers["description"] == "nobody can log in"  # kept
    assert calls["CA-normal"].status == CallStatus.REPORTED
    [report] = session.scalars(select(Report)).all()
    assert report.caller_number == CALLER and report.incomplete
    assert [who for who, *_ in paged(session)] == ["Pat"]
    told = session.scalars(select(Email).where(Email.subject == "A call could not be filed"))
    told = told.all()
    assert told and all("CA-poisoned" in mail.body for mail in told)
    assert "CA-poisoned could not be filed" in caplog.text
    # The next pass neither tries it again nor tells the leads twice.
    clock.advance(minutes=1)
    run_worker(app, clock)
    again = session.scalars(select(Email).where(Email.subject == "A call could not be filed"))
    assert len(again.all()) == len(told)
