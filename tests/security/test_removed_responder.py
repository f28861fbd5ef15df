"""Loading a roster makes the database match the file: a responder left out of its responders
is deactivated at once (no more commands, feeds, pages or dashboard actions), a rotation left
out is removed, their history stays, and the command says what it changed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.models import Incident, Responder, Rotation
from app.users import create_user
from tests.accounts import PASSWORD, post_form, sign_in
from tests.paging_support import PAT, report_outage, run_worker, text
from tests.support import TEST_ROSTER

ALEX = "+13195550103"


def without_alex(tmp_path: Path) -> str:
    """The test roster with Alex gone from the responders and the secondary rotation gone."""
    kept = []
    skipping = False
    for line in TEST_ROSTER.read_text().splitlines():
        if "name: Alex Kim" in line:
            continue
        if line.strip() == "- name: secondary":
            skipping = True
        elif (skipping and line.startswith("  - ")) or not line.startswith(" "):
            skipping = False
        if not skipping:
            kept.append(line)
    path = tmp_path / "roster.yaml"
    path.write_text("\n".join(kept) + "\n")
    assert (
        "Alex" not in path.read_text() and "secondary" not in path.read_text().split("policies")[0]
    )
    return str(path)


def test_a_responder_left_out_of_the_roster_loses_every_power_at_once(
    app, clock, runner, twilio, session, client, tmp_path
):
    report_outage(twilio)
    run_worker(app, clock)
    assert "AH-1001" in text(twilio, ALEX, "LIST")  # on the roster: may look
    feed = runner.invoke(args=["responders", "calendar", "Alex Kim"]).output
    feed_path = "/oncall/" + feed.split("/oncall/")[1].split()[0]
    assert client.get(feed_path).status_code == 200
    assert text(twilio, PAT, "1a").startswith("AH-1001 acknowledged")

    loaded = runner.invoke(args=["roster", "load", without_alex(tmp_path)])
    assert loaded.exit_code == 0, loaded.output
    assert "deactivated (not in the file): Alex Kim" in loaded.output
    assert "removed rotations (not in the file): secondary" in loaded.output

    # Nothing from Alex's phone is acted on or answered with the incident's details.
    for command in ("LIST", "DETAILS 1001", "TAKE 1001", "RESOLVE 1001 fixed it"):
        reply = text(twilio, ALEX, command)
        assert reply is None or "AH-1001" not in reply, (command, reply)
    session.expire_all()
    incident = session.scalar(select(Incident))
    assert (incident.state, incident.owner.name) == ("acknowledged", "Pat Lee")
    assert client.get(feed_path).status_code == 404
    alex = session.scalar(select(Responder).where(Responder.name == "Alex Kim"))
    assert not alex.active and alex.calendar_key_hash is None
    # The rotation is gone from who is on call; Alex's history (the row, the pages) stays.
    assert [r.name for r in session.scalars(select(Rotation))] == ["primary"]
    shown = runner.invoke(args=["oncall", "show", "--days", "1"]).output
    assert "secondary" not in shown and "Alex" not in shown

    # A dashboard account tied to Alex cannot act as Alex or get a new feed either.
    with app.app_context(), app.extensions["db"].begin() as db:
        create_user(db, clock.now(), "alex", "Alex Kim", "admin", PASSWORD, "Alex Kim")
    sign_in(client, "alex")
    post_form(client, "/oncall", "/oncall/calendar")
    page = client.get("/oncall").get_data(as_text=True)
    assert "Subscribe to" not in page and "Only admins and team leads on the roster" in page
    post_form(client, "/incidents/AH-1001", "/incidents/AH-1001/act", action="take")
    page = client.get("/incidents/AH-1001").get_data(as_text=True)
    assert "Only admins and team leads on the roster can do that." in page
    session.expire_all()
    assert session.scalar(select(Incident)).owner.name == "Pat Lee"


def test_the_file_decides_again_when_the_responder_comes_back(runner, session, tmp_path):
    runner.invoke(args=["roster", "load", without_alex(tmp_path)])
    again = runner.invoke(args=["roster", "load", str(TEST_ROSTER)])
    assert again.exit_code == 0, again.output
    assert "deactivated" not in again.output
    session.expire_all()
    alex = session.scalar(select(Responder).where(Responder.name == "Alex Kim"))
    assert alex.active
    assert {r.name for r in session.scalars(select(Rotation))} == {"primary", "secondary"}


def test_a_file_without_a_responders_section_leaves_the_responders_alone(runner, session, tmp_path):
    path = tmp_path / "policies.yaml"
    path.write_text("policies: [{name: quiet, steps: [{after: 0m, notify: [primary]}]}]\n")
    result = runner.invoke(args=["roster", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "deactivated" not in result.output
    assert all(r.active for r in session.scalars(select(Responder)))
    assert len(session.scalars(select(Rotation)).all()) == 2
