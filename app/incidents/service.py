"""Incidents: opening them, adding reports to them, listing them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    cast,
    false,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, selectinload

from app.incidents import catalog
from app.incidents.timeline import add_event
from app.languages import TEAM, words
from app.models import (
    UNRESOLVED_STATES,
    EventKind,
    Incident,
    IncidentState,
    Report,
    Service,
    Source,
)
from app.paging import escalation, notify
from app.phones import display

LOWEST_PRIORITY = 4
# The support group's promise: someone begins working on it within this time.
GOAL = dt.timedelta(minutes=60)


@dataclass
class IncidentDraft:
    """Everything gathered about a new incident, from whichever channel it came."""

    source: str
    service_id: int | None = None
    service_text: str = ""
    description: str = ""
    recording_url: str | None = None
    started_text: str = ""
    last_worked_text: str = ""
    impact: str = ""
    impact_label: str = ""
    priority: int = 3
    callback_number: str | None = None
    caller_number: str | None = None
    incomplete: bool = False
    call_id: int | None = None
    # The caller says they are a CAS customer; it counts for the priority only where the team
    # trusts such claims (TRUST_CLAIMED_CAS).
    cas_claimed: bool = False
    trust_cas_claim: bool = False
    responsible_party: str = ""
    email: str = ""
    # Opened past the line-wide limit on new incidents a minute (calls/filing.py).
    possible_flood: bool = False
    # The e-mail address was typed or spoken by a signed-in person (the dashboard, the API,
    # help-desk staff): no link is needed to confirm it.
    email_confirmed: bool = False
    business_hours: bool = False
    # Text the caller the reference and what happens next (when the number takes SMS).
    text_caller: bool = False
    # The language the caller reads their texts in (app/languages.py).
    language: str = TEAM


def effective_priority(base: int, priority_customer: bool) -> int:
    """Priority 1 is most urgent; priority (CAS) customers move up one level."""
    priority = min(max(base, 1), LOWEST_PRIORITY)
    return max(priority - 1, 1) if priority_customer else priority


def is_priority_customer(session: Session, service: Service | None, *numbers: str | None) -> bool:
    """A CAS customer, known by the service they call about or by the number they call from
    (the catalog's priority contacts, from the per-process catalog cache)."""
    if service is not None and service.priority_customer:
        return True
    contacts = catalog.CACHE.priority_numbers(session)
    return any(number in contacts for number in numbers if number)


def numbers_that_count(draft: IncidentDraft) -> tuple[str | None, ...]:
    """The numbers that may make a caller a CAS customer: the caller ID the network gave (a
    claim, but not one typed into the line), or numbers typed by signed-in staff; never a number
    a caller keyed in or an API client sent, which could be any CAS customer's."""
    if draft.source in (Source.PHONE, Source.HELPDESK_TRANSFER, Source.PUT_THROUGH):
        return (draft.caller_number,)
    if draft.source in (Source.DASHBOARD, Source.HELPDESK):
        return (draft.callback_number, draft.caller_number)
    return ()


def open_incident(
    session: Session, now: dt.datetime, draft: IncidentDraft, actor: str, channel: str
) -> Incident:
    """Open an incident with its first report, the opening event and its first pages, all in the
    caller's transaction: if it commits, the page is as certain as the incident."""
    incident = new_incident(session, now, draft, actor, channel)
    escalation.start(session, now, incident)
    if draft.text_caller:
        notify.text_caller(
            session,
            now,
            incident,
            _keyed_in_receipt(incident, draft) or _receipt(incident, draft),
            language=draft.language,
        )
    return incident


def new_incident(
    session: Session, now: dt.datetime, draft: IncidentDraft, actor: str, channel: str
) -> Incident:
    """An open incident with its first report and its opening on the timeline; nobody paged
    and nobody told yet."""
    service = session.get(Service, draft.service_id) if draft.service_id else None
    known = is_priority_customer(session, service, *numbers_that_count(draft))
    claimed = draft.cas_claimed and not known
    cas = known or (claimed and draft.trust_cas_claim)
    incident = Incident(
        state=IncidentState.OPEN,
        source=draft.source,
        service=service,
        service_text=draft.service_text,
        description=draft.description,
        recording_url=draft.recording_url,
        started_text=draft.started_text,
        last_worked_text=draft.last_worked_text,
        impact=draft.impact,
        impact_label=draft.impact_label,
        priority=effective_priority(draft.priority, cas),
        priority_customer=cas,
        cas_claimed=claimed,
        business_hours=draft.business_hours,
        possible_flood=draft.possible_flood,
        responsible_party=draft.responsible_party,
        callback_number=draft.callback_number,
        caller_number=draft.caller_number,
        incomplete=draft.incomplete,
        created_at=now,
        updated_at=now,
        # The promise is a call back within 60 minutes: if nobody has acknowledged by then, the
        # caller is told honestly that the line is still trying.
        still_trying_at=now + GOAL,
        # Known to be none, so not read back while it pages and texts the caller.
        notifications=[],
        reports=[],
    )
    session.add(incident)
    session.add(_report(incident, draft, now))
    detail = f"priority P{incident.priority}, {incident.service_name}"
    if known:
        detail += ", priority (CAS) customer"
    elif claimed:
        detail += ", CAS customer (said so)" + ("" if cas else "; priority unchanged")
    if draft.incomplete:
        detail += "; the caller hung up before finishing the report"
    add_event(session, incident, now, EventKind.OPENED, actor, channel, detail)
    return incident


def _receipt(incident: Incident, draft: IncidentDraft) -> str:
    """What happens next, as the support process promises it: a call back within 60 minutes
    after hours; in business hours, an aim of 60 minutes, not a promise."""
    _ = words(draft.language)
    at = display(incident.callback_number)
    if draft.business_hours:
        next_ = _(
            "An administrator will review it and contact you at {number}; we aim to respond "
            "within 60 minutes, but it can take longer when the team is busy."
        ).format(number=at)
    else:
        next_ = _(
            "The on-call administrator has been paged and will call you back within 60 "
            "minutes at {number}."
        ).format(number=at)
    # Invited only when no address came with the report (staff spelled it, a form had it).
    email = (
        "" if draft.email else _("Reply with your e-mail address to also get updates by e-mail.")
    )
    received = _("{reference}: we received your report about {service}.").format(
        reference=incident.reference, service=incident.service_for_callers
    )
    return " ".join(part for part in (received, next_, email) if part)


def _keyed_in_receipt(incident: Incident, draft: IncidentDraft) -> str | None:
    """A callback number keyed in on the phone may be anyone's: it is told the reference and
    who is texting, never what the caller said (the line must not relay a stranger's words)."""
    if draft.source not in (Source.PHONE, Source.HELPDESK_TRANSFER):
        return None
    if not draft.caller_number or draft.callback_number == draft.caller_number:
        return None
    _ = words(draft.language)
    return _(
        "{reference}: this number was given for a call back by the after-hours support line. "
        "The on-call administrator will call you here."
    ).format(reference=incident.reference)


@dataclass
class RecentOpenings:
    from_number: list[Incident]  # opened from this number lately, newest first
    from_calls: int  # opened from calls within the line's window (the possible flood aside)


def recent_openings(
    session: Session,
    now: dt.datetime,
    number: str | None,
    per_number: dt.timedelta,
    line: dt.timedelta,
) -> RecentOpenings:
    """What the limits on new incidents need, in one read: this number's incidents lately and
    how many the line has opened from calls in the last `line`."""
    from_calls = and_(
        Incident.created_at > now - line,
        Incident.source.in_(FROM_CALLS),
        Incident.possible_flood == false(),
    )
    mine = (
        and_(Incident.caller_number == number, Incident.created_at > now - per_number)
        if number
        else false()
    )
    rows = session.scalars(
        select(Incident).where(or_(mine, from_calls)).order_by(Incident.id.desc())
    )
    found = list(rows)
    return RecentOpenings(
        [
            i
            for i in found
            if number and i.caller_number == number and i.created_at > now - per_number
        ],
        sum(
            1
            for i in found
            if i.created_at > now - line and i.source in FROM_CALLS and not i.possible_flood
        ),
    )


def _report(incident: Incident, draft: IncidentDraft, now: dt.datetime) -> Report:
    return Report(
        incident=incident,
        call_id=draft.call_id,
        source=draft.source,
        created_at=now,
        caller_number=draft.caller_number,
        callback_number=draft.callback_number,
        service_text=draft.service_text,
        description=draft.description,
        recording_url=draft.recording_url,
        started_text=draft.started_text,
        last_worked_text=draft.last_worked_text,
        impact=draft.impact,
        incomplete=draft.incomplete,
        email=draft.email,
        email_confirmed_at=now if draft.email and draft.email_confirmed else None,
        email_confirm_at=now if draft.email and not draft.email_confirmed else None,
        responsible_party=draft.responsible_party,
        cas_claimed=draft.cas_claimed,
        language=draft.language,
    )


def add_report(
    session: Session,
    now: dt.datetime,
    incident: Incident,
    draft: IncidentDraft,
    actor: str,
    channel: str,
    reporter_window: dt.timedelta,
) -> Report:
    """Another caller about the same outage: their account joins the incident; no new chain."""
    # Reads first, then the writes: when a campus calls at once, every join queues for the
    # incident's row (PostgreSQL's row lock; SQLite's single writer), so each should hold it
    # only while it writes. On PostgreSQL a call's join is written as one statement with the
    # call's own row (calls/store.py), so the lock lasts that one statement.
    cas = is_priority_customer(session, None, *numbers_that_count(draft))
    report = _report(incident, draft, now)
    session.add(report)
    add_event(
        session,
        incident,
        now,
        EventKind.REPORT_ADDED,
        actor,
        channel,
        _caller_number(incident, "; hung up before finishing" if draft.incomplete else ""),
    )
    if draft.text_caller:
        _ = words(draft.language)
        added = _(
            "{reference}: your details were added to the report about {service}. The on-call "
            "administrator will contact you at {number}."
        ).format(
            reference=incident.reference,
            service=catalog.name_for_callers(session, incident),
            number=display(draft.callback_number),
        )
        notify.text_caller(
            session,
            now,
            incident,
            _keyed_in_receipt(incident, draft) or added,
            to=draft.callback_number,
            language=draft.language,
        )
    incident.updated_at = now
    # Counted in the database: two callers joining at once are two more, whatever each read.
    incident.callers = Incident.callers + 1
    if cas and not incident.priority_customer:
        incident.priority_customer = True
        incident.priority = effective_priority(incident.priority, True)
    last = incident.reporter_update_sent_at
    # At most one "N callers now" to the owner per window; the worker sends it when due.
    incident.reporter_update_at = (
        now if last is None or now - last >= reporter_window else (last + reporter_window)
    )
    return report


def _caller_number(incident: Incident, then: str) -> ColumnElement[str]:
    """The words "caller N", N the incident's count as this join leaves it. Worked out in the
    database when the entry is written, after the count's UPDATE: callers joining at the same
    moment each read the same count, and would otherwise each name the same N."""
    count = select(Incident.callers).where(Incident.id == incident.id).scalar_subquery()
    return literal("caller ") + cast(count, String) + literal(then)


# Reports that come by phone, whose openings the limits on new incidents count.
FROM_CALLS = (Source.PHONE, Source.HELPDESK_TRANSFER)
# Any fixed number: the one PostgreSQL advisory lock under which the possible-flood incident is
# looked for and opened, so calls arriving together open it once.
FLOOD_LOCK = 4_141_001


def open_possible_flood(session: Session) -> Incident | None:
    """The possible-flood incident still open, looked for under a lock held to the commit."""
    if session.get_bind().dialect.name == "postgresql":
        # As text, so the session begins its transaction first (db.begin_on_first_write runs a
        # plain SELECT on its own, which would let the lock go at once).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FLOOD_LOCK})
    query = (
        select(Incident)
        .where(
            Incident.possible_flood,
            Incident.state.in_(UNRESOLVED_STATES),
        )
        .order_by(Incident.id.desc())
        .limit(1)
    )
    return session.scalar(query)


# Built once: every caller who names a service reads it.
ACTIVE_FOR_SERVICE = (
    select(Incident)
    .where(
        Incident.service_id == bindparam("service_id"),
        Incident.state.in_(UNRESOLVED_STATES),
    )
    .order_by(Incident.id.desc())
    .limit(1)
)
# FOR NO KEY UPDATE: callers filing at once still queue for it one by one, but it does not wait
# on (or deadlock with) transactions that merely hold the key-share lock every new incident row
# puts on its service (its foreign key). FOR UPDATE did, on a storm.
LOCK_SERVICE = (
    select(Service.id).where(Service.id == bindparam("service_id")).with_for_update(key_share=True)
)


def active_for_service(session: Session, service_id: int, lock: bool = False) -> Incident | None:
    """The newest open or acknowledged incident about this service, if there is one.

    `lock` is for a caller about to open one: it holds the service's row until the commit, so
    callers finishing at the same moment open one incident between them, not one each. (SQLite
    takes no row locks: two callers confirming within the same few milliseconds there can still
    open one each.)"""
    if lock:
        session.execute(LOCK_SERVICE, {"service_id": service_id})
    return session.scalar(ACTIVE_FOR_SERVICE, {"service_id": service_id})


def list_incidents(
    session: Session, state: str | None = None, limit: int = 50, offset: int = 0
) -> list[Incident]:
    query = select(Incident).order_by(Incident.id.desc()).limit(limit).offset(offset)
    if state:
        query = query.where(Incident.state == state)
    return list(session.scalars(query.options(selectinload(Incident.service))))
