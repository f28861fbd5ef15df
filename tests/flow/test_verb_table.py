"""One table says which verb fits which state (app/incidents/verbs.py): the dashboard's buttons,
the SMS grammar and its short letters, the pages' reply hints and the actions' refusals all
follow it, so changing the table changes every one of them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from app.incidents import verbs
from app.incidents.verbs import LETTER, LETTERS, Verb
from app.models import Incident, IncidentState
from app.paging.notify import page_text
from app.responders.grammar import COMMAND_LIST, VERBS, Word, parse
from tests.accounts import make_accounts, sign_in
from tests.paging_support import JORDAN, report_outage, text, the_incident

# What the incident page offers a team lead (the summary has a page of its own; details and
# escalation are texts).
ON_THE_PAGE = {
    Verb.ACK,
    Verb.RESOLVE,
    Verb.CLOSE,
    Verb.CALL,
    Verb.JOIN,
    Verb.CONTACTED,
    Verb.TAKE,
    Verb.REASSIGN,
    Verb.NOTE,
    Verb.CANCEL,
}


@pytest.mark.parametrize("state", list(IncidentState))
def test_the_incident_page_offers_exactly_what_the_table_allows(
    app, clock, twilio, session, client, state
):
    report_outage(twilio)
    session.execute(update(Incident).values(state=state))
    session.commit()
    make_accounts(app, clock)
    sign_in(client, "jordan")
    html = client.get("/incidents/AH-1001").get_data(as_text=True)
    offered = set(re.findall(r'name="action" value="([a-z]+)"', html))
    assert offered == {str(verb) for verb in verbs.allowed(state) & ON_THE_PAGE}


def test_the_grammar_reads_the_tables_verbs_and_letters():
    assert all(isinstance(meaning, (Verb, Word)) for meaning in VERBS.values())
    for letter, verb in LETTERS.items():
        assert parse(f"12{letter}").verb is verb
        assert f"12{letter} " in COMMAND_LIST
    # Every incident verb the desk takes by text has a spelling.
    texted = set(Verb) - {Verb.NOTE, Verb.CANCEL, Verb.REASSIGN}
    assert texted <= set(VERBS.values())


def test_the_page_prints_the_tables_letters(twilio, session):
    report_outage(twilio)
    page = page_text(the_incident(session), 7)
    assert page.endswith(f"Reply 7{LETTER[Verb.ACK]} ack, 7{LETTER[Verb.RESOLVE]} fixed")


@pytest.mark.parametrize("state", list(IncidentState))
def test_an_action_outside_its_states_is_refused_with_the_reason(app, twilio, session, state):
    report_outage(twilio)
    session.execute(update(Incident).values(state=state))
    session.commit()
    reply = text(twilio, JORDAN, "CLOSE 1001")
    if verbs.allows(Verb.CLOSE, state):
        assert not reply.startswith("AH-1001 is")
    elif state in (IncidentState.OPEN, IncidentState.ACKNOWLEDGED):
        assert reply == f"AH-1001 is {state}: resolve it first (RESOLVE 1001)."
    else:
        assert reply == f"AH-1001 is already {state}."
