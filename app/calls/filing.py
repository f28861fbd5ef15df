"""Filing a call's report: its answers become a draft, and the draft opens an incident or joins
the open one for the same service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from app import emails
from app.calls.script import Flow, MenuOption
from app.calls.turn import FINISHED, LineConfig
from app.incidents import put_through
from app.incidents import service as incident_service
from app.incidents.service import IncidentDraft
from app.incidents.timeline import add_event
from app.models import (
    UNRESOLVED_STATES,
    Call,
    CallStage,
    CallStatus,
    Channel,
    EventKind,
    Incident,
    Source,
    User,
)
from app.outbox.health import tell_leads
from app.phones import mask, try_e164


def impact_option(flow: Flow, value: str | None) -> MenuOption | None:
    return next((o for o in flow.impact_options() if o.value == value), None)


@dataclass(frozen=True)
class Filed:
    """A call's report, filed: its incident, whether it joined one already open, and the
    draft it was filed from (what the caller is told depends on it)."""

    incident: Incident
    joined: bool
    draft: IncidentDraft


def file_report(
    session: Session, now: dt.datetime, flow: Flow, line: LineConfig, call: Call, incomplete: bool
) -> Filed:
    """Join the known incident the caller chose (if still active), else open a new one."""
    draft = draft_from_call(flow, line, call, incomplete)
    staff = session.get(User, call.staff_user_id) if call.staff_user_id else None
    actor = f"help desk: {staff.name}" if staff else mask(draft.caller_number or call.from_number)
    attach_to = call.answers.get("attach_to")
    if attach_to is None and call.stage == CallStage.KNOWN:
        # Hung up while hearing "we already have a report about it": that caller is about the
        # same outage; their report joins it, it never opens a second chain.
        attach_to = call.answers.get("known_incident")
    target = session.get(Incident, attach_to) if attach_to else None
    if target is None and draft.service_id and "known_incident" not in call.answers:
        # Someone reported this service while this caller was still answering, so nobody
        # offered it to them: join it rather than start a second page chain. (A caller who
        # was offered it and said "a different problem" keeps their own incident.)
        target = incident_service.active_for_service(session, draft.service_id, lock=True)
    if target is None and not call.staff_user_id:
        target, flood = _past_a_limit(session, now, line, draft)
        draft = replace(draft, possible_flood=flood)
    joined = target is not None and target.state in UNRESOLVED_STATES
    if target is not None and joined:
        incident_service.add_report(
            session,
            now,
            target,
            draft,
            actor=actor,
            channel=Channel.VOICE,
            reporter_window=line.reporter_window,
        )
        incident = target
    else:
        incident = incident_service.open_incident(
            session, now, draft, actor=actor, channel=Channel.VOICE
        )
        if draft.possible_flood:
            _tell_leads_of_flood(session, now, incident, line.flood_per_minute)
    call.incident = incident
    call.status = CallStatus.REPORTED
    call.step = FINISHED
    return Filed(incident, joined, draft)


# The third new incident from one number within this time joins the previous one: one phone
# cannot page the whole chain again and again.
PER_NUMBER_WINDOW = dt.timedelta(hours=1)
PER_NUMBER_LIMIT = 2
# A transfer from the help desk brings a different customer each time, so its number has a
# limit of its own: high enough for a busy night, still a bound on a spoofed help-desk number.
HELPDESK_TRANSFER_LIMIT = 10


# New incidents from calls counted for the line-wide limit (LINE_FLOOD_PER_MINUTE).
LINE_FLOOD_WINDOW = dt.timedelta(minutes=1)


def _past_a_limit(
    session: Session, now: dt.datetime, line: LineConfig, draft: IncidentDraft
) -> tuple[Incident | None, bool]:
    """A report that would open a new incident, checked against both limits in one read: the
    incident it joins instead, if any, and whether it opens the line's possible flood."""
    recent = incident_service.recent_openings(
        session, now, draft.caller_number, PER_NUMBER_WINDOW, LINE_FLOOD_WINDOW
    )
    transfer = draft.source == Source.HELPDESK_TRANSFER
    if len(recent.from_number) >= (HELPDESK_TRANSFER_LIMIT if transfer else PER_NUMBER_LIMIT):
        joinable = (i for i in recent.from_number if i.state in UNRESOLVED_STATES)
        if (target := next(joinable, None)) is not None:
            return target, False
    if recent.from_calls < line.flood_per_minute:
        return None, False
    flood = incident_service.open_possible_flood(session)
    return flood, flood is None


def _tell_leads_of_flood(
    session: Session, now: dt.datetime, incident: Incident, limit: int
) -> None:
    add_event(
        session,
        incident,
        now,
        EventKind.NOTE,
        "the line",
        Channel.VOICE,
        f"possible flood: more than {limit} new incidents from calls within a minute, each from "
        "a number of its own; the calls after them join this one",
    )
    session.flush()  # the reference
    tell_leads(
        session,
        now,
        f"Possible flood of calls: {incident.reference}",
        f"More than {limit} new incidents were opened from calls within a minute, each from a "
        f"number of its own. The calls after them are grouped into {incident.reference}, "
        "which pages once; every caller's report is on it with their callback number. If it "
        "is real, work it like any incident; if not, cancel it.",
    )


def record_put_through(
    session: Session, now: dt.datetime, flow: Flow, line: LineConfig, call: Call, taken_at: str
) -> Incident:
    """A business-hours call someone took: on record as theirs (incidents/put_through.py)."""
    draft = replace(
        draft_from_call(flow, line, call, incomplete=False),
        source=Source.PUT_THROUGH,
        text_caller=False,
    )
    return put_through.open_taken(session, now, draft, taken_at, line.hours.zone)


def draft_from_call(flow: Flow, line: LineConfig, call: Call, incomplete: bool) -> IncidentDraft:
    answers = call.answers
    impact = impact_option(flow, answers.get("impact"))
    caller = try_e164(call.from_number, line.region)
    if call.staff_user_id:
        caller = answers.get("callback")  # the help desk's own number is not the caller's
    # A number keyed in passed the policy as it was keyed; the caller ID only stands in for
    # one when it passes it too (the help desk's, a premium-rate one: no callback number).
    callback = answers.get("callback") or line.callback.usable(caller)
    return IncidentDraft(
        source=call.source,
        # A match the caller never got to confirm is still the best guess there is.
        service_id=answers.get("service_id") or answers.get("service_candidate"),
        service_text=answers.get("service_text") or answers.get("service_heard") or "",
        description=answers.get("description", "") or "",
        recording_url=answers.get("description_recording"),
        started_text=answers.get("started", "") or "",
        last_worked_text=answers.get("last_worked", "") or "",
        impact=impact.value if impact else "",
        impact_label=impact.label if impact else "",
        priority=impact.priority if impact else 3,
        callback_number=callback,
        caller_number=caller,
        incomplete=incomplete,
        call_id=call.id,
        text_caller=line.caller_sms,
        cas_claimed=bool(answers.get("cas_claimed")),
        trust_cas_claim=line.trust_cas_claim,
        responsible_party=answers.get("responsible_party", "") or "",
        email=emails.find_in(emails.from_speech(answers.get("email", "") or "")) or "",
        # Help-desk staff, signed in by their PIN, vouch for the customer's address.
        email_confirmed=bool(call.staff_user_id),
        business_hours=call.business_hours,
        language=call.language,
    )
