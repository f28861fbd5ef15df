"""A caller more at ease in Spanish: offered it before any question, heard in it to the end of
the call, texted and asked "is it fixed?" in it, understood when they answer FUNCIONA, and
greeted in it when they call again; the team reads English, told the caller's language."""

from __future__ import annotations

from sqlalchemy import select

from app.models import CallerLanguage, Email, NotificationKind
from tests.accounts import make_accounts, sign_in
from tests.flow.test_after_ack import sms_to
from tests.paging_support import PAT, notifications, run_worker, text, the_incident
from tests.support import CALLER

SPANISH = "es-US"
LUPE = "Polly.Lupe-Neural"
# The whole call after pressing 9, in Spanish (Canvas is a CAS customer's: no CAS question).
EN_ESPANOL = (
    "say canvas",
    "press 1",
    "say los estudiantes ven un error al entrar",
    "say como a las diez",
    "say a las nueve",
    "press 1",
    "say Dana Smith",
    "press 1",
    "press 1",
)


def says(twiml, language: str, voice: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What is said in that language and voice."""
    return [
        say.text or ""
        for say in twiml.root.iter("Say")
        if (say.get("language"), say.get("voice")) == (language, voice)
    ]


def test_the_first_question_offers_spanish_and_9_switches_the_call(twilio, session):
    first = twilio.voice("/voice/incoming", "CA-es1")
    assert first.heard[-2:] == ["Which service is having problems?", "Para español, oprima nueve."]
    assert says(first, SPANISH, LUPE) == ["Para español, oprima nueve."]
    switched = twilio.voice(first.next_url, "CA-es1", Digits="9")
    assert switched.heard == [
        "Se ha comunicado con la línea de soporte fuera de horario. Tomaré un breve reporte para "
        "el administrador de guardia.",
        "¿Qué servicio tiene problemas?",
        "For English, press nine.",
    ]
    assert switched.gather.get("language") == SPANISH
    assert says(switched, SPANISH, LUPE) == switched.heard[:2]
    # Pressing 9 again goes back to English.
    back = twilio.voice(switched.next_url, "CA-es1", Digits="9")
    assert back.heard[-2:] == ["Which service is having problems?", "Para español, oprima nueve."]
    assert back.gather.get("language") == "en-US"


def test_a_whole_spanish_call_its_texts_and_the_callers_funciona(
    app, clock, twilio, session, gateway, client
):
    transcript = twilio.call("press 9", *EN_ESPANOL)
    said = transcript.text
    assert "Escuché Canvas. Si es correcto, oprima 1." in said
    assert "¿Cuántas personas están afectadas?" in said
    assert "Afectados: no funciona para nadie." in said
    assert "Su referencia es A, H, 1, 0, 0, 1." in said
    assert "El administrador de guardia le devolverá la llamada en menos de 60 minutos." in said
    incident = the_incident(session)
    assert [r.language for r in incident.reports] == ["es"]
    assert incident.impact_label == "down for everyone"  # the team reads its own language
    [receipt] = notifications(session, NotificationKind.CALLER)
    assert receipt.body.startswith("AH-1001: recibimos su reporte sobre Canvas. Se aviso al")

    run_worker(app, clock)
    [page] = sms_to(gateway, PAT)
    assert page.startswith("AH-1001 P1 CAS Canvas (caller speaks Spanish):")
    make_accounts(app, clock)
    sign_in(client, "jordan")
    assert "caller speaks Spanish" in client.get("/incidents/AH-1001").get_data(as_text=True)

    gateway.sent.clear()
    text(twilio, PAT, "1a")
    clock.advance(minutes=30)
    text(twilio, PAT, "1r restarted the app pool")
    run_worker(app, clock)
    taken, fixed = sms_to(gateway, CALLER)
    assert taken.startswith("AH-1001: ya se trabaja en su reporte sobre Canvas.")
    assert fixed == (
        "AH-1001: el administrador de guardia informa que Canvas ya esta arreglado. Responda "
        "FUNCIONA si ya le funciona, o SIGUE ROTO si sigue fallando."
    )
    assert text(twilio, CALLER, "FUNCIONA") == (
        "Gracias. AH-1001 se cerrará. Llame a la mesa de ayuda si vuelve a fallar."
    )
    assert the_incident(session).confirmed_at == clock.now()


def test_a_spanish_caller_who_calls_again_is_greeted_in_spanish(twilio, session):
    twilio.call("press 9", *EN_ESPANOL)
    assert session.get(CallerLanguage, CALLER).language == "es"
    again = twilio.voice("/voice/incoming", "CA-again")
    assert again.heard == [
        "Su reporte A, H, 1, 0, 0, 1, sobre Canvas: se avisó al administrador de guardia a "
        "las 2:00 AM.",
        "Para agregar algo, oprima 1. Para reportar otro problema, oprima 2.",
        "For English, press nine.",
    ]
    assert says(again, SPANISH, LUPE) == again.heard[:2]
    # Another caller, who never chose, is greeted in English.
    other = twilio.voice("/voice/incoming", "CA-other", caller="+13195550199")
    assert other.heard[0].startswith("You have reached the after-hours support line.")


def test_a_service_named_in_spanish_is_found(twilio, session):
    transcript = twilio.call("press 9", "say el correo electrónico")
    assert "Escuché Exchange email. Si es correcto, oprima 1." in transcript.text


def test_a_spanish_caller_reads_their_e_mails_in_spanish(app, clock, twilio, session):
    twilio.call("press 9", *EN_ESPANOL)
    [report] = the_incident(session).reports
    report.email, report.email_confirmed_at = "dana@example.edu", clock.now()
    session.commit()
    text(twilio, PAT, "1a")
    text(twilio, PAT, "1r restarted the app pool")
    run_worker(app, clock)
    bodies = [m.body for m in session.scalars(select(Email)) if m.to_address == "dana@example.edu"]
    assert bodies[-1] == (
        "AH-1001: el administrador de guardia informa que Canvas ya está arreglado. Díganos si "
        "ya le funciona: responda FUNCIONA o SIGUE ROTO al mensaje de texto que enviamos a su "
        "teléfono (o, si no recibe textos, conteste la llamada que le haremos).\n\nLas respuestas "
        "a este correo no se leen. Para decirnos algo, llame de nuevo a la línea o envíele un "
        "mensaje de texto desde el teléfono con el que hizo el reporte."
    )


def test_a_responder_keying_9_to_join_a_joint_call_is_not_switched_to_spanish(twilio, session):
    from tests.paging_support import ALEX, report_outage

    report_outage(twilio)
    text(twilio, PAT, "1a")
    text(twilio, PAT, "JOIN 1001")
    first = twilio.voice("/voice/incoming", "CA-join", caller=ALEX)
    assert "Para español, oprima nueve." not in first.heard
    keyed = twilio.voice(first.next_url, "CA-join", caller=ALEX, Digits="9")
    assert not [say for say in keyed.root.iter("Say") if say.get("language") == SPANISH]
