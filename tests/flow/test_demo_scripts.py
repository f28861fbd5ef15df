"""The demo call scripts in the README work as written."""

from pathlib import Path

from app.config import PROJECT_ROOT
from tests.accounts import make_accounts

CALLS = PROJECT_ROOT / "demo" / "calls"


def lines(name: str) -> list[str]:
    text = (CALLS / name).read_text().splitlines()
    return [line for line in text if line.strip() and not line.startswith("#")]


def test_the_demo_calls(twilio, app, clock):
    first = twilio.call(*lines("canvas-outage.txt"))
    assert "Your reference is A, H, 1, 0, 0, 1" in first.text
    second = twilio.call(*lines("join-outage.txt"), caller="+13195550177")
    assert "Your details were added to incident A, H, 1, 0, 0, 1" in second.text
    make_accounts(app, clock)
    script = [line.replace("4321", "2468") for line in lines("staff-report.txt")]
    staff = twilio.call(*script, caller="+13193844357", entry="/voice/staff")
    assert "Your reference is A, H, 1, 0, 0, 2" in staff.text


def test_every_demo_script_is_listed_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text()
    for script in Path(CALLS).glob("*.txt"):
        assert f"demo/calls/{script.name}" in readme
