"""The caller's voice menu, webhook by webhook, as Twilio drives it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.adapters.simulator import Answer, Ask
from app.clock import FrozenClock
from app.models import Call, CallStatus, CallTurn, Incident, Report, Service, Source
from tests.conftest import CHICAGO
from tests.support import CALLER, FULL_CANVAS_CALL, PUBLIC, TwilioClient, stateless, statements_on


def incidents(session: Session) -> list[Incident]:
    session.expire_all()
    return list(session.scalars(select(Incident).order_by(Incident.id)))


def call_row(session: Session, call_sid: str) -> Call:
    session.expire_all()
    return session.scalars(select(Call).where(Call.call_sid == call_sid)).one()


def test_full_call_opens_incident_and_reads_reference_twice(twilio: TwilioClient, session):
    transcript = twilio.call(*FULL_CANVAS_CALL)

    [incident] = incidents(session)
    assert incident.reference == "AH-1001"
    assert incident.service.slug == "canvas"
    assert incident.description == "students get an error page when they log in"
    assert incident.started_text == "about ten tonight"
    assert incident.last_worked_text == "at nine"
    assert incident.impact == "everyone"
    # Down for everyone is P1, and Canvas belongs to a CAS customer, which cannot go higher.
    assert incident.priority == 1
    assert incident.callback_number == CALLER
    assert incident.caller_number == CALLER
    assert incident.source == Source.PHONE
    assert incident.state == "open"
    assert not incident.incomplete
    assert [report.callback_number for report in incident.reports] == [CALLER]
    assert incident.events[0].kind == "opened"
    assert incident.events[0].channel == "voice"

    spoken = transcript.text
    assert spoken.count("A, H, 1, 0, 0, 1") == 2
    assert "call you back within 60 minutes" in spoken
    assert "Who will test the fix with the administrator?" in spoken
    assert incident.responsible_party == "Dana Smith"
    assert "Are you a CAS customer?" not in spoken  # Canvas is a CAS service already
    assert "texted it to you" in spoken
    assert "I heard Canvas" in spoken


def test_first_question_is_speech_with_catalog_hints(twilio: TwilioClient):
    twiml = twilio.voice("/voice/incoming", "CA-hints")
    gather = twiml.gather
    assert gather.get("input") == "dtmf speech"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("language") == "en-US"
    hints = gather.get("hints", "")
    assert "Canvas" in hints and "share point" in hints
    assert stateless(gather.get("action")) == "/voice/answer/service?turn=1"
    assert "after-hours support line" in twiml.text
    # If Twilio ever falls through the <Gather>, the same turn still arrives.
    assert twiml.verbs[-1] == "Redirect"


def test_each_answer_is_saved_as_it_arrives(twilio: TwilioClient, session):
    twilio.voice("/voice/incoming", "CA-save")
    twilio.voice("/voice/answer/service?turn=1", "CA-save", SpeechResult="exchange email")
    assert call_row(session, "CA-save").answers["service_heard"] == "exchange email"
    twilio.voice("/voice/answer/service?turn=2", "CA-save", Digits="1")
    call = call_row(session, "CA-save")
    assert call.step == "description"
    assert call.answers["service_id"] is not None


class TestBusinessHours:
    @pytest.fixture(autouse=True)
    def _tuesday_morning(self, clock: FrozenClock):
        clock.set(dt.datetime(2026, 12, 1, 10, 30, tzinfo=CHICAGO))

    def test_greeting_points_to_the_sysadmin_and_offers_to_connect(self, twilio: TwilioClient):
        twiml = twilio.voice("/voice/incoming", "CA-bh")
        assert "primary systems administrator" in twiml.text
        assert "team lead" in twiml.text
        assert twiml.gather.get("input") == "dtmf"
        assert twiml.gather.get("numDigits") == "1"

    def test_press_two_goes_straight_to_the_report(self, twilio: TwilioClient):
        twilio.voice("/voice/incoming", "CA-two")
        twiml = twilio.voice("/voice/answer/greeting?turn=1", "CA-two", Digits="2")
        assert "Which service" in twiml.text

    def test_holiday_is_after_hours(self, twilio: TwilioClient, clock: FrozenClock):
        clock.set(dt.datetime(2026, 12, 25, 10, 30, tzinfo=CHICAGO))
        twiml = twilio.voice("/voice/incoming", "CA-xmas")
        assert "after-hours support line" in twiml.text
        assert twiml.gather.get("input") == "dtmf speech"

    def test_evening_is_after_hours(self, twilio: TwilioClient, clock: FrozenClock):
        clock.set(dt.datetime(2026, 12, 1, 17, 0, tzinfo=CHICAGO))
        assert "after-hours" in twilio.voice("/voice/incoming", "CA-eve").text

    def test_silence_at_the_menu_reprompts_then_takes_the_report(self, twilio: TwilioClient):
        twilio.voice("/voice/incoming", "CA-quiet")
        first = twilio.voice("/voice/answer/greeting?turn=1", "CA-quiet")
        assert "didn't hear anything" in first.text
        assert "press 1" in first.text
        twilio.voice("/voice/answer/greeting?turn=2", "CA-quiet")
        third = twilio.voice("/voice/answer/greeting?turn=3", "CA-quiet")
        assert "Which service" in third.text


class TestServiceQuestion:
    def test_unknown_service_reprompts_with_examples_then_keeps_words(self, twilio, session):
        twilio.voice("/voice/incoming", "CA-svc")
        first = twilio.voice("/voice/answer/service?turn=1", "CA-svc", SpeechResult="the zorb")
        assert "couldn't find the zorb" in first.text
        assert "for example" in first.text
        second = twilio.voice(
            "/voice/answer/service?turn=2", "CA-svc", SpeechResult="the zorb system"
        )
        assert "note the service as the zorb system" in second.text
        assert "describe what is wrong" in second.text
        answers = call_row(session, "CA-svc").answers
        assert answers["service_text"] == "the zorb system"
        assert answers.get("service_id") is None

    def test_caller_rejects_the_match_and_says_it_again(self, twilio, session):
        twilio.voice("/voice/incoming", "CA-no")
        confirm = twilio.voice("/voice/answer/service?turn=1", "CA-no", SpeechResult="VPN")
        assert "I heard VPN" in confirm.text
        again = twilio.voice("/voice/answer/service?turn=2", "CA-no", Digits="2")
        assert again.gather.get("input") == "dtmf speech"
        confirm = twilio.voice(
            "/voice/answer/service?turn=3", "CA-no", SpeechResult="my sequel database"
        )
        assert "I heard MySQL production cluster" in confirm.text
        twilio.voice("/voice/answer/service?turn=4", "CA-no", Digits="1")
        assert call_row(session, "CA-no").step == "description"

    def test_two_rejections_keep_the_callers_words(self, twilio, session):
        twilio.voice("/voice/incoming", "CA-rej")
        twilio.voice("/voice/answer/service?turn=1", "CA-rej", SpeechResult="vpn")
        twilio.voice("/voice/answer/service?turn=2", "CA-rej", Digits="2")
        twilio.voice("/voice/answer/service?turn=3", "CA-rej", SpeechResult="vpn")
        twiml = twilio.voice("/voice/answer/service?turn=4", "CA-rej", Digits="2")
        assert "note the service as vpn" in twiml.text
        assert call_row(session, "CA-rej").answers["service_text"] == "vpn"

    def test_silence_three_times_carries_on_without_a_service(self, twilio, session):
        twilio.voice("/voice/incoming", "CA-mute")
        for turn in (1, 2):
            twiml = twilio.voice(f"/voice/answer/service?turn={turn}", "CA-mute")
            assert "didn't hear anything" in twiml.text
            assert "for example Canvas" in twiml.text
        twiml = twilio.voice("/voice/answer/service?turn=3", "CA-mute")
        assert "describe what is wrong" in twiml.text


def test_speech_fails_twice_then_the_caller_leaves_a_recording(twilio: TwilioClient, session):
    transcript = twilio.call(
        "say canvas",
        "press 1",
        "silence",
        "silence",
        "record",
        "say tonight",
        "say at nine",
        "press 2",
        "press 1",
        "press 1",
    )
    assert "After the beep" in transcript.text
    [incident] = incidents(session)
    assert incident.recording_url.startswith("https://api.twilio.com/")
    assert incident.description == ""
    assert "Canvas: your recorded message" in transcript.text


def test_record_verb_attributes_and_nothing_recorded(twilio: TwilioClient, session):
    twilio.voice("/voice/incoming", "CA-rec")
    twilio.voice("/voice/answer/service?turn=1", "CA-rec", SpeechResult="canvas")
    twilio.voice("/voice/answer/service?turn=2", "CA-rec", Digits="1")
    twilio.voice("/voice/answer/description?turn=3", "CA-rec")
    twiml = twilio.voice("/voice/answer/description?turn=4", "CA-rec")
    record = twiml.first("Record")
    assert record.get("finishOnKey") == "#"
    assert stateless(record.get("action")) == "/voice/answer/description?turn=5"
    assert twiml.verbs[-1] == "Redirect"
    redirect = stateless(twiml.first("Redirect").text or "")
    assert redirect == "/voice/answer/description?turn=5&nothing_recorded=1"
    after = twilio.voice("/voice/answer/description?turn=5&nothing_recorded=1", "CA-rec")
    assert "When did the problem begin" in after.text
    assert call_row(session, "CA-rec").answers.get("description_recording") is None


def test_impact_menu_reprompts_on_a_bad_key_and_defaults_after_three(twilio, session):
    twilio.call(
        "say canvas",
        "press 1",
        "say broken",
        "say now",
        "say at nine",
        "press 9",
        "press 7",
        "press 8",
        "press 1",
        "press 1",
    )
    [incident] = incidents(session)
    assert incident.impact == "other"
    assert incident.impact_label == "other"


def test_impact_of_one_person_on_a_non_cas_service_is_p3(twilio, session):
    twilio.call(
        "say sharepoint",
        "press 1",
        "say broken",
        "say now",
        "say at nine",
        "press 3",
        "press 1",
        "press 1",
    )
    [incident] = incidents(session)
    assert (incident.service.slug, incident.priority) == ("sharepoint", 3)


def test_cas_service_moves_up_one_priority(twilio, session):
    answers = ("say mysql", "press 1", "say slow", "say now", "say at nine", "press 2")
    twilio.call(*answers, "press 1", "press 1")
    [incident] = incidents(session)
    assert (incident.impact, incident.priority) == ("degraded", 1)


class TestCallbackNumber:
    def _to_callback(self, twilio: TwilioClient, sid: str, caller: str = CALLER):
        twilio.voice("/voice/incoming", sid, caller=caller)
        twilio.voice("/voice/answer/service?turn=1", sid, caller, SpeechResult="canvas")
        twilio.voice("/voice/answer/service?turn=2", sid, caller, Digits="1")
        twilio.voice("/voice/answer/description?turn=3", sid, caller, SpeechResult="down")
        twilio.voice("/voice/answer/started?turn=4", sid, caller, SpeechResult="now")
        twilio.voice("/voice/answer/last_worked?turn=5", sid, caller, SpeechResult="at nine")
        twilio.voice("/voice/answer/impact?turn=6", sid, caller, Digits="1")
        return twilio.voice("/voice/answer/responsible?turn=7", sid, caller, SpeechResult="Dana")

    def test_caller_id_is_read_back_in_groups(self, twilio):
        twiml = self._to_callback(twilio, "CA-cb1")
        assert "To be called back on 3 1 9, 5 5 5, 0 1 4 2, press 1." in twiml.text

    def test_keyed_number_is_validated_confirmed_and_stored_e164(self, twilio, session):
        self._to_callback(twilio, "CA-cb2")
        keyin = twilio.voice("/voice/answer/callback?turn=8", "CA-cb2", Digits="2")
        assert keyin.gather.get("finishOnKey") == "#"
        assert keyin.gather.get("numDigits") is None
        bad = twilio.voice("/voice/answer/callback?turn=9", "CA-cb2", Digits="12345")
        assert "1 2 3 4 5 doesn't look like a number" in bad.text
        confirm = twilio.voice("/voice/answer/callback?turn=10", "CA-cb2", Digits="3193841234")
        assert "You entered 3 1 9, 3 8 4, 1 2 3 4." in confirm.text
        review = twilio.voice("/voice/answer/callback?turn=11", "CA-cb2", Digits="1")
        assert "Call back on 3 1 9, 3 8 4, 1 2 3 4." in review.text
        twilio.voice("/voice/answer/review?turn=12", "CA-cb2", Digits="1")
        [incident] = incidents(session)
        assert incident.callback_number == "+13193841234"
        assert incident.caller_number == CALLER

    def test_anonymous_caller_is_asked_to_key_in(self, twilio, session):
        twiml = self._to_callback(twilio, "CA-anon", caller="Anonymous")
        assert "Please enter the callback number" in twiml.text

    def test_three_bad_numbers_fall_back_to_caller_id(self, twilio, session):
        self._to_callback(twilio, "CA-cb3")
        twilio.voice("/voice/answer/callback?turn=8", "CA-cb3", Digits="2")
        twilio.voice("/voice/answer/callback?turn=9", "CA-cb3", Digits="1")
        twilio.voice("/voice/answer/callback?turn=10", "CA-cb3", Digits="99")
        twiml = twilio.voice("/voice/answer/callback?turn=11", "CA-cb3", Digits="000")
        assert "number you are calling from" in twiml.text
        assert call_row(session, "CA-cb3").answers["callback"] == CALLER


def test_start_over_from_the_review(twilio: TwilioClient, session):
    transcript = twilio.call(
        "say canvas",
        "press 1",
        "say broken",
        "say now",
        "say at nine",
        "press 1",
        "say Dana",
        "press 1",
        "press 2",
        "say vpn",
        "press 1",
        "say cannot connect",
        "say an hour ago",
        "say this morning",
        "press 3",
        "say Dana",
        "press 2",  # VPN is not a CAS service: the caller is asked, and says no
        "press 1",
        "press 1",
    )
    assert "let's start again" in transcript.text
    [incident] = incidents(session)
    assert incident.service.slug == "vpn"
    assert incident.description == "cannot connect"


def test_a_silent_caller_pages_nobody_and_is_kept_as_an_abandoned_call(twilio, session):
    """Silence at every question (one stray key included) is no report: nobody is paged about
    an unknown service at night, the caller hears why, and the call stays on record."""
    transcript = twilio.call("press 7")  # a stray key, then silence to the end
    assert incidents(session) == []
    assert transcript.heard[-1] == (
        "We didn't get any details about the problem, so no report was made. Please call again "
        "and say which service is having problems. Goodbye."
    )
    call = session.scalars(select(Call)).one()
    assert (call.status, call.from_number) == (CallStatus.ABANDONED, CALLER)
    assert not transcript.errors


def test_a_caller_who_only_chose_the_impact_is_still_a_report(twilio, session):
    def answer(ask: Ask) -> Answer:
        asked = " ".join(ask.prompts)
        return Answer("press", "1") if "How many people" in asked else Answer("silence")

    twilio.call_answering(answer)
    [incident] = incidents(session)
    assert incident.impact == "everyone"


def test_helpdesk_transfer_is_recognised(twilio: TwilioClient, session, clock: FrozenClock):
    clock.set(dt.datetime(2026, 12, 1, 10, 30, tzinfo=CHICAGO))  # even in business hours
    transcript = twilio.call(*FULL_CANVAS_CALL, caller="+13193844357")
    assert "The help desk has transferred you to the after-hours support line" in transcript.text
    [incident] = incidents(session)
    assert incident.source == Source.HELPDESK_TRANSFER


HANG_UP_POINTS = {
    # answers given before hanging up -> is there something worth an incident?
    "greeting": ((), False),
    "service": (("say canvas",), True),
    "service-confirm": (("say canvas", "press 1"), True),
    "description": (("say canvas", "press 1", "say down"), True),
    "started": (("say canvas", "press 1", "say down", "say now"), True),
    "impact": (("say canvas", "press 1", "say down", "say now", "press 1"), True),
    "callback": (("say canvas", "press 1", "say down", "say now", "press 1", "press 1"), True),
    "silent-through-service": (("silence", "silence", "silence"), False),
}


@pytest.mark.parametrize("point", HANG_UP_POINTS)
def test_hang_up_at_every_step(twilio: TwilioClient, session, point: str):
    answers, useful = HANG_UP_POINTS[point]
    transcript = twilio.call(*answers, "hangup", call_sid=f"CA-hang-{point}")
    assert transcript.hung_up_by_caller
    call = call_row(session, f"CA-hang-{point}")
    found = incidents(session)
    if useful:
        [incident] = found
        assert incident.incomplete
        assert incident.caller_number == CALLER
        assert incident.callback_number == CALLER
        assert "hung up" in incident.events[0].detail
        assert call.status == CallStatus.REPORTED
        assert incident.service.slug == "canvas"
        assert incident.service_text == "canvas"
    else:
        assert found == []
        assert call.status == CallStatus.ABANDONED
    assert call.ended_at is not None


def test_hang_up_at_the_review_keeps_everything(twilio: TwilioClient, session):
    twilio.call(*FULL_CANVAS_CALL[:-1], "hangup")
    [incident] = incidents(session)
    assert incident.incomplete
    assert incident.description == "students get an error page when they log in"
    assert incident.impact == "everyone"


class TestRepeatedWebhooks:
    def test_a_repeated_answer_changes_nothing(self, twilio: TwilioClient, session):
        twilio.voice("/voice/incoming", "CA-dup")
        first = twilio.voice("/voice/answer/service?turn=1", "CA-dup", SpeechResult="canvas")
        again = twilio.voice("/voice/answer/service?turn=1", "CA-dup", SpeechResult="canvas")
        assert again.heard == first.heard and again.next_url == first.next_url
        call = call_row(session, "CA-dup")
        assert call.turn == 1 and call.answers["service_heard"] == "canvas"
        assert session.scalar(select(func.count()).select_from(CallTurn)) == 2

    def test_a_repeated_incoming_webhook_greets_the_same_call(self, twilio, session):
        first = twilio.voice("/voice/incoming", "CA-dup2")
        again = twilio.voice("/voice/incoming", "CA-dup2")
        assert first.heard == again.heard
        assert session.scalar(select(func.count()).select_from(Call)) == 1

    def test_the_final_turn_twice_opens_one_incident(self, twilio: TwilioClient, session):
        twilio.call(*FULL_CANVAS_CALL, call_sid="CA-final")
        review_turn = session.scalar(
            select(func.max(CallTurn.turn)).where(CallTurn.step == "review")
        )
        replay = twilio.voice(f"/voice/answer/review?turn={review_turn}", "CA-final", Digits="1")
        assert "A, H, 1, 0, 0, 1" in replay.text
        assert len(incidents(session)) == 1

    def test_repeated_status_callbacks_open_one_incomplete_incident(self, twilio, session):
        twilio.voice("/voice/incoming", "CA-st")
        twilio.voice("/voice/answer/service?turn=1", "CA-st", SpeechResult="canvas")
        for _ in range(3):
            response = twilio.post("/voice/status", {"CallSid": "CA-st", "CallStatus": "completed"})
            assert response.status_code == 204
        assert len(incidents(session)) == 1
        assert session.scalar(select(func.count()).select_from(Report)) == 1

    def test_an_out_of_order_turn_repeats_the_current_question(self, twilio, session):
        twilio.voice("/voice/incoming", "CA-ooo")
        twiml = twilio.voice("/voice/answer/service?turn=7", "CA-ooo", SpeechResult="canvas")
        assert "Which service" in twiml.text
        assert stateless(twiml.gather.get("action")) == "/voice/answer/service?turn=1"
        # Nothing answered: only the note of which turn may still choose the language.
        assert call_row(session, "CA-ooo").answers == {"language_offer": 1}


class TestSignatures:
    def test_missing_signature_is_refused(self, twilio: TwilioClient, session):
        response = twilio.post("/voice/incoming", {"CallSid": "CA-x"}, signed=False)
        assert response.status_code == 403
        assert session.scalar(select(func.count()).select_from(Call)) == 0

    def test_wrong_signature_is_refused(self, twilio: TwilioClient):
        response = twilio.post(
            "/voice/incoming", {"CallSid": "CA-x"}, **{"X-Twilio-Signature": "bm90IGl0"}
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "path", ["/voice/incoming", "/voice/answer/service?turn=1", "/voice/status"]
    )
    def test_another_accounts_token_is_refused_everywhere(self, app, path: str):
        stranger = TwilioClient(app, token="someone-elses-token")
        assert stranger.post(path, {"CallSid": "CA-x"}).status_code == 403

    def test_tampered_parameters_are_refused(self, twilio: TwilioClient):
        signature = twilio.validator.compute_signature(
            PUBLIC + "/voice/incoming", {"CallSid": "CA-x", "From": CALLER}
        )
        response = twilio.post(
            "/voice/incoming",
            {"CallSid": "CA-x", "From": "+15555550100"},
            **{"X-Twilio-Signature": signature},
        )
        assert response.status_code == 403

    def test_behind_a_proxy_the_public_url_is_what_counts(self, twilio: TwilioClient):
        # The proxy forwards to http://10.0.0.5:8000; Twilio signed https://line.example.org.
        params = {"CallSid": "CA-proxy", "From": CALLER}
        signature = twilio.validator.compute_signature(PUBLIC + "/voice/incoming", params)
        response = twilio.client.post(
            "/voice/incoming",
            data=params,
            base_url="http://10.0.0.5:8000",
            headers={"X-Twilio-Signature": signature},
        )
        assert response.status_code == 200
        inside = twilio.validator.compute_signature("http://10.0.0.5:8000/voice/incoming", params)
        response = twilio.client.post(
            "/voice/incoming",
            data=params,
            base_url="http://10.0.0.5:8000",
            headers={"X-Twilio-Signature": inside},
        )
        assert response.status_code == 403

    def test_a_signature_for_another_url_is_refused(self, twilio: TwilioClient):
        params = {"CallSid": "CA-x"}
        signature = twilio.validator.compute_signature(PUBLIC + "/voice/status", params)
        response = twilio.post("/voice/incoming", params, **{"X-Twilio-Signature": signature})
        assert response.status_code == 403


def test_missing_call_sid_is_a_clear_400(twilio: TwilioClient):
    response = twilio.post("/voice/incoming", {"From": CALLER})
    assert response.status_code == 400
    assert b"CallSid" in response.data


def test_a_failure_inside_the_line_is_a_calm_message_not_an_error(twilio, app):
    with app.app_context():
        app.extensions["db"].engine.dispose()
        with app.extensions["db"].engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE call_turns")
    twiml = twilio.voice("/voice/incoming", "CA-broken")
    # The caller is moved to the fallback voicemail, which needs no database.
    assert twiml.verbs == ["Redirect"]
    assert twiml.first("Redirect").text == "/voice/fallback"


def test_a_transfer_keys_in_the_callers_number_never_the_help_desks(twilio, session):
    transcript = twilio.call(
        "say the canvas website",
        "press 1",
        "say nobody can log in",
        "say since ten",
        "say at nine",
        "press 1",
        "say Dana",
        "press 3193844357",  # the help desk's own number: refused, with the reason
        "press 3195550188",
        "press 1",
        "press 1",
        caller="+13193844357",
    )
    assert "To be called back on" not in transcript.text
    assert "must be the caller's own mobile or landline" in transcript.text
    [incident] = incidents(session)
    assert incident.callback_number == "+13195550188"


def test_the_end_of_a_filed_call_is_one_statement(app, twilio, session):
    """The status callback of a call whose report is filed: one UPDATE by CallSid (it used to
    read the call first). A repeat, or a call still in progress, takes the full path."""
    twilio.call(*FULL_CANVAS_CALL, call_sid="CA-one")
    session.execute(Call.__table__.update().values(ended_at=None, duration_seconds=None))
    session.commit()
    params = {"CallSid": "CA-one", "CallStatus": "completed", "CallDuration": "95"}
    with statements_on(app.extensions["db"].engine) as statements:
        assert twilio.post("/voice/status", params).status_code == 204
    assert len(statements) == 1 and statements[0].startswith("UPDATE calls")
    session.expire_all()
    call = session.scalars(select(Call)).one()
    assert call.duration_seconds == 95 and call.ended_at is not None
    assert call.status == CallStatus.REPORTED


def test_with_an_empty_catalog_the_service_is_asked_again_without_examples(twilio, session):
    session.execute(update(Service).values(active=False))
    session.commit()
    twilio.voice("/voice/incoming", "CA-empty")
    again = twilio.voice("/voice/answer/service?turn=1", "CA-empty", SpeechResult="")
    assert again.heard[-1] == "Which service is having problems?"
    assert "for example" not in again.text
