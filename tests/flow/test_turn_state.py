"""A plain turn takes where the call stands from its URL and writes once; the row still decides
(app/calls/turn_state.py): a URL that claims anything else is answered from the row."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls.turn_state import decode
from app.models import Call, CallStage, Incident
from tests.support import FULL_CANVAS_CALL, TwilioClient, statements_on

SID = "CA-light"


def call_row(session: Session, call_sid: str = SID) -> Call:
    session.expire_all()
    return session.scalars(select(Call).where(Call.call_sid == call_sid)).one()


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def up_to_description(twilio: TwilioClient) -> str:
    """A call that has named its service: the next URL asks what is wrong."""
    url = twilio.voice("/voice/incoming", SID).next_url
    url = twilio.voice(url, SID, SpeechResult="the canvas website").next_url
    return twilio.voice(url, SID, Digits="1").next_url


def test_the_next_url_says_where_the_call_stands_and_nothing_the_caller_said(twilio):
    url = up_to_description(twilio)
    assert url.startswith("/voice/answer/description?")
    state = state_of(url)
    assert state.startswith("description.ask.0.0.en")
    # Ids and flags only: never the caller's words or number.
    assert "canvas" not in url.lower() and "555" not in url


def test_a_plain_turn_is_one_write_and_no_read_of_the_call(twilio, session, app):
    url = up_to_description(twilio)
    with statements_on(app.extensions["db"].engine) as seen:
        next_url = twilio.voice(url, SID, SpeechResult="students get an error page").next_url
    calls_read = [s for s in seen if s.startswith("SELECT") and "FROM calls" in s]
    assert calls_read == []
    assert any(s.startswith("UPDATE calls") for s in seen)
    row = call_row(session)
    assert row.answers["description"] == "students get an error page"
    assert row.answers["service_id"] is not None  # earlier answers kept
    assert (row.step, row.turn) == ("started", 3)
    assert next_url.startswith("/voice/answer/started?")


def test_a_url_claiming_another_step_is_answered_from_the_row(twilio, session):
    url = up_to_description(twilio)
    claimed = decode(state_of(url))
    assert claimed is not None
    # The same turn, but the URL says the call is at the impact menu with two tries used.
    forged = url.replace(state_of(url), f"impact.ask.2.0.en.{claimed.encode().split('.', 5)[-1]}")
    twiml = twilio.voice(forged, SID, SpeechResult="students get an error page")
    row = call_row(session)
    assert row.answers["description"] == "students get an error page"
    assert "impact" not in row.answers
    assert row.step == "started" and row.attempts == 0
    assert "When did" in twiml.text or "started" in twiml.next_url


def test_a_carried_answer_the_row_does_not_have_is_not_believed(twilio, session):
    first = twilio.call(*FULL_CANVAS_CALL, caller="+13195550142", call_sid="CA-first")
    assert first
    [known] = session.scalars(select(Incident)).all()
    url = twilio.voice("/voice/incoming", SID, caller="+13195550143").next_url
    url = twilio.voice(url, SID, SpeechResult="the canvas website", caller="+13195550143").next_url
    url = twilio.voice(url, SID, Digits="1", caller="+13195550143").next_url
    state = state_of(url)
    assert f"known_incident-{known.id}" in state
    assert call_row(session).stage == CallStage.KNOWN
    # Press 1 to join, with a URL that names another incident.
    forged = url.replace(f"known_incident-{known.id}", "known_incident-999")
    twilio.voice(forged, SID, Digits="1", caller="+13195550143")
    row = call_row(session)
    assert row.answers["attach_to"] == known.id


def test_a_repeated_turn_hears_its_first_reply_and_changes_nothing(twilio, session):
    url = up_to_description(twilio)
    once = twilio.voice(url, SID, SpeechResult="students get an error page")
    again = twilio.voice(url, SID, SpeechResult="something else entirely")
    assert again.text == once.text and again.next_url == once.next_url
    row = call_row(session)
    assert row.answers["description"] == "students get an error page"
    assert row.turn == 3


def test_malformed_states_are_no_claim_at_all():
    for text in (
        "",
        "description",
        "description.ask.0.0",
        "description.nonsense.0.0.en",
        "description.ask.-1.0.en",
        "Description.ask.0.0.en",
        "description.ask.0.0.en.service_text-1",
        "description.ask.0.0.en.known_incident-'x'",
        "description.ask.0.0.en.known_incident-1e9",
    ):
        assert decode(text) is None, text
    state = decode("description.ask.1.2.es.known_incident-12.put_through-false")
    assert state is not None
    assert (state.step, state.stage, state.attempts, state.misses) == (
        "description",
        CallStage.ASK,
        1,
        2,
    )
    assert state.carried == {"known_incident": 12, "put_through": False}
    assert state.encode() == "description.ask.1.2.es.known_incident-12.put_through-false"


def test_a_turn_from_another_number_is_taken_from_the_row(twilio, session, app):
    """The caller's number comes from the webhook's `From`, a claim the write checks too."""
    url = up_to_description(twilio)
    with statements_on(app.extensions["db"].engine) as seen:
        twilio.voice(url, SID, caller="+13195550199", SpeechResult="students get an error page")
    assert any(s.startswith("SELECT") and "FROM calls" in s for s in seen)
    row = call_row(session)
    assert row.from_number != "+13195550199"
    assert row.answers["description"] == "students get an error page"
    assert (row.step, row.turn) == ("started", 3)
