"""The command-line tools, run the way an operator runs them."""

from pathlib import Path

from sqlalchemy import select

from app.models import Incident, Service
from tests.support import FULL_CANVAS_CALL


def test_call_play_with_a_script_file_prints_what_the_caller_hears(runner, session, tmp_path):
    script = tmp_path / "call.txt"
    script.write_text("# a comment\n" + "\n".join(FULL_CANVAS_CALL) + "\n")
    result = runner.invoke(args=["call", "play", "--script", str(script)])
    assert result.exit_code == 0, result.output
    assert "line: Which service is having problems?" in result.output
    assert "Your reference is A, H, 1, 0, 0, 1" in result.output
    assert session.scalars(select(Incident)).one().service.slug == "canvas"


def test_call_play_with_answers_as_flags(runner, session):
    args = ["call", "play", "--from", "+13195550199"]
    for answer in FULL_CANVAS_CALL:
        args += ["--answer", answer]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert session.scalars(select(Incident)).one().caller_number == "+13195550199"


def test_call_play_typed_answers(runner, session):
    answers = ["canvas", "1", "it is down", "an hour ago", "at nine", "1", "Dana", "1", "1", ""]
    typed = "\n".join(answers) + "\n"
    result = runner.invoke(args=["call", "play"], input=typed)
    assert result.exit_code == 0, result.output
    assert "A, H, 1, 0, 0, 1" in result.output


def test_call_play_rejects_a_typo_before_calling(runner, session):
    result = runner.invoke(args=["call", "play", "--answer", "push 1"])
    assert result.exit_code != 0
    assert "cannot use 'push 1'" in result.output
    assert session.scalars(select(Incident)).all() == []


def test_catalog_load_and_demo_load(runner, session, tmp_path: Path):
    path = tmp_path / "catalog.yaml"
    path.write_text("services:\n  - slug: wiki\n    name: Team wiki\n    aliases: [confluence]\n")
    result = runner.invoke(args=["catalog", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(Service).where(Service.slug == "wiki")).aliases == ["confluence"]
    path.write_text("services:\n  - name: no slug\n")
    result = runner.invoke(args=["catalog", "load", str(path)])
    assert result.exit_code != 0 and "services.0.slug: Field required" in result.output
    assert runner.invoke(args=["demo", "load"]).exit_code == 0


def test_call_play_puts_a_business_hours_caller_through(runner, session, clock):
    import datetime as dt

    from tests.conftest import CHICAGO

    clock.set(dt.datetime(2026, 12, 1, 10, 30, tzinfo=CHICAGO))  # a Tuesday morning
    args = ["call", "play"]
    for answer in ("press 1", "say canvas", "press 1", "dial completed"):
        args += ["--answer", answer]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "line: Connecting you to the administrator for Canvas. Please hold." in result.output
    assert "(to the person answering) Support line call about Canvas. Press 1 to take it." in (
        result.output
    )
    assert "(dialling +13195550101: completed)" in result.output
    assert "line: Thank you for calling. Goodbye." in result.output
    [taken] = session.scalars(select(Incident)).all()
    assert (taken.source, taken.owner.name) == ("put-through", "Pat Lee")
