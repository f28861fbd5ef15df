"""Loading rosters, seeing who is on call, and running the worker from the command line."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import EscalationPolicy, Override, Responder
from app.paging import targets
from tests.accounts import make_accounts, sign_in
from tests.paging_support import report_outage


def roster(tmp_path: Path, text: str) -> str:
    path = tmp_path / "roster.yaml"
    path.write_text(text)
    return str(path)


def test_the_demo_roster_loads(runner, session):
    result = runner.invoke(args=["roster", "load", "demo/roster.yaml"])
    assert result.exit_code == 0, result.output
    assert "5 responders, 2 rotations, 0 overrides, 2 policies" in result.output
    urgent = session.scalar(select(EscalationPolicy).where(EscalationPolicy.name == "urgent"))
    assert urgent.priority == 1
    assert [step.after_seconds for step in urgent.steps] == [0, 900, 1800, 3600]


def test_a_roster_whose_summaries_reach_nobody_loads_with_a_warning(runner, session, tmp_path):
    path = roster(
        tmp_path,
        """
responders:
  - {name: Jordan Reyes, phone: "+13195550110", role: team_lead, verified: true}
  - {name: Morgan Chen, phone: "+13195550120", role: director, email: morgan@example.edu}
""",
    )
    result = runner.invoke(args=["roster", "load", path])
    assert result.exit_code == 0, result.output
    assert (
        "warning: nobody with an e-mail address gets after-hours work summaries; give the "
        "team lead an email in the roster" in result.output
    )
    assert "business-hours" not in result.output  # the director has an address
    assert session.scalar(select(Responder.email).where(Responder.name == "Jordan Reyes")) == ""


def test_overrides_use_the_configured_zone_and_show_in_oncall(runner, session, tmp_path):
    path = roster(
        tmp_path,
        """
overrides:
  - {rotation: primary, responder: Sam Ortiz, start: 2026-11-28T18:00, end: 2026-11-29T08:00,
     note: Pat at a wedding}
""",
    )
    result = runner.invoke(args=["roster", "load", path])
    assert result.exit_code == 0, result.output
    override = session.scalars(select(Override)).one()
    assert override.starts_at.isoformat() == "2026-11-29T00:00:00+00:00"  # 18:00 in Chicago
    shown = runner.invoke(args=["oncall", "show", "--days", "3"]).output
    assert "primary (primary):" in shown
    assert "Sat 28 Nov 02:00 CST - Sat 28 Nov 18:00 CST  Pat Lee" in shown
    assert "Sat 28 Nov 18:00 CST - Sun 29 Nov 08:00 CST  Sam Ortiz" in shown
    assert "Sun 29 Nov 08:00 CST - Mon 30 Nov 09:00 CST  Pat Lee" in shown
    assert "Mon 30 Nov 09:00 CST - Tue 01 Dec 02:00 CST  Sam Ortiz" in shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("responders: [{name: X, phone: '12'}]", "responder X: phone '12'"),
        (
            "rotations: [{name: r, time_zone: Mars/Base, handoff: mon 09:00, start: 2026-11-23, "
            "members: [Pat Lee]}]",
            "unknown time zone 'Mars/Base'",
        ),
        (
            "rotations: [{name: r, time_zone: UTC, handoff: mon 09:00, start: 2026-11-24, "
            "members: [Pat Lee]}]",
            "start 2026-11-24 is not a mon",
        ),
        (
            "rotations: [{name: r, time_zone: UTC, handoff: mon 09:00, start: 2026-11-23, "
            "members: [Nobody]}]",
            "rotation r: no responder named 'Nobody'",
        ),
        ("policies: [{name: p, steps: [{after: 15, notify: [primary]}]}]", "needs a unit"),
        ("policies: [{name: p, steps: [{after: 5m, notify: [everyone]}]}]", "notify.0"),
        ("policies: [{name: p, steps: [{after: 5m, notify: [primary], by: pigeon}]}]", "by"),
        (
            "policies: [{name: p, steps: [{after: 5m, notify: [primary]}, {after: 1m, "
            "notify: [primary]}]}]",
            "in order of their `after`",
        ),
        (
            "policies: [{name: p, steps: [{after: 5m, notify: ['responder:Nobody']}]}]",
            "policy p: no responder named 'Nobody'",
        ),
        ("colour: blue", "colour: Extra inputs are not permitted"),
    ],
)
def test_a_broken_roster_says_where_and_changes_nothing(runner, session, tmp_path, text, message):
    before = len(session.scalars(select(Responder)).all())
    result = runner.invoke(args=["roster", "load", roster(tmp_path, text)])
    assert result.exit_code != 0
    assert message in result.output
    assert len(session.scalars(select(Responder)).all()) == before


def test_a_changed_number_must_be_verified_again(runner, session, tmp_path):
    path = roster(tmp_path, "responders: [{name: Pat Lee, phone: '+13195550199'}]")
    assert runner.invoke(args=["roster", "load", path]).exit_code == 0
    pat = session.scalars(select(Responder).where(Responder.name == "Pat Lee")).one()
    assert pat.phone == "+13195550199" and not pat.verified


def test_responders_list_masks_numbers(runner):
    output = runner.invoke(args=["responders", "list"]).output
    assert "Casey New" in output and "NOT verified" in output
    assert "+13195550101" not in output and "0101" in output


def test_worker_once_sends_what_is_due(runner, twilio, gateway):
    report_outage(twilio)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "0 steps and follow-ups due, 2 messages sent" in result.output
    assert len(gateway.sent) == 2


def test_sms_send_texts_the_line_and_prints_the_reply(runner, twilio, session):
    report_outage(twilio)
    result = runner.invoke(args=["sms", "send", "--from", "+13195550101", "1a"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("reply: AH-1001 acknowledged at 02:00")
    result = runner.invoke(args=["sms", "send", "--from", "+15555550100", "LIST"])
    assert result.output == "(no reply)\n"


@pytest.mark.parametrize(
    ("handoff", "boundary", "shown"),
    [
        # The clocks skip 02:00-03:00 on 14 March 2027: a 02:30 hand-off happens at 03:00 CDT.
        ("sun 02:30", dt.datetime(2027, 3, 14, 8, 0, tzinfo=dt.UTC), "Sun 14 Mar 03:00 CDT"),
        # They repeat 01:00-02:00 on 1 November 2026: a 01:30 hand-off is the first 01:30.
        ("sun 01:30", dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC), "Sun 01 Nov 01:30 CDT"),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_handoff_in_a_dst_change_is_one_answer_everywhere(
    runner, session, tmp_path, clock, app, client, handoff, boundary, shown
):
    path = roster(
        tmp_path,
        f"""
rotations:
  - {{name: primary, position: primary, time_zone: America/Chicago, handoff: {handoff},
     start: 2026-10-04, members: [Pat Lee, Sam Ortiz]}}
""",
    )
    assert runner.invoke(args=["roster", "load", path]).exit_code == 0
    clock.set(boundary - dt.timedelta(hours=1))
    listing = runner.invoke(args=["oncall", "show", "--days", "1"]).output
    [(before, after)] = re.findall(
        rf"- {shown}  ([A-Z][a-z]+ [A-Z][a-z]+)\n  {shown} - .*  ([A-Z][a-z]+ [A-Z][a-z]+)", listing
    )
    assert before != after

    def paged_at(moment: dt.datetime) -> list[str]:
        session.expire_all()
        return [r.name for r in targets.resolve(session, moment, ["primary"])]

    assert paged_at(boundary - dt.timedelta(seconds=1)) == [before]
    assert paged_at(boundary) == [after]
    make_accounts(app, clock)
    sign_in(client, "jordan")
    clock.set(boundary)
    assert f"primary {after}," in client.get("/").get_data(as_text=True)
