"""Everything people text the line, as they really type it at 3 a.m., and what each means:
responders' commands, callers' answers to "is it fixed?", and the hours in a work summary."""

import pytest

from app.responders.grammar import (
    Command,
    TimeSpentError,
    caller_answer,
    parse,
    parse_minutes,
    split_time_and_work,
)

SPELLINGS = [
    # short codes from the page
    ("12a", Command("ack", code=12)),
    ("12A", Command("ack", code=12)),
    ("12 a", Command("ack", code=12)),
    (" 12a ", Command("ack", code=12)),
    ("12a.", Command("ack", code=12)),
    ("#12a", Command("ack", code=12)),
    ("1a", Command("ack", code=1)),
    ("12r", Command("resolve", code=12)),
    ("12r restarted apache", Command("resolve", code=12, note="restarted apache")),
    ("12R: cleared the queue", Command("resolve", code=12, note="cleared the queue")),
    ("12e", Command("escalate", code=12)),
    ("12i", Command("info", code=12)),
    ("12t", Command("take", code=12)),
    # long forms
    ("ACK", Command("ack")),
    ("ack", Command("ack")),
    ("Ack!", Command("ack")),
    ("ACK AH-1042", Command("ack", reference=42)),
    ("ack ah1042", Command("ack", reference=42)),
    ("Ack AH 1042", Command("ack", reference=42)),
    ("ack #1042", Command("ack", reference=42)),
    ("ACK 1042", Command("ack", reference=42)),
    ("ack-1042", Command("ack", reference=42)),
    ("ACK 12", Command("ack", code=12)),
    ("acknowledge 1042", Command("ack", reference=42)),
    ("ACK\n1042", Command("ack", reference=42)),
    (
        "RESOLVE 1042 disk full, cleaned /var",
        Command("resolve", reference=42, note="disk full, cleaned /var"),
    ),
    ("fixed 1042", Command("resolve", reference=42)),
    ("resolved", Command("resolve")),
    ("ESC 1042", Command("escalate", reference=42)),
    ("escalate", Command("escalate")),
    ("details 1042", Command("info", reference=42)),
    ("INFO 1042", Command("info", reference=42)),
    ("list", Command("list")),
    ("OPEN", Command("list")),
    ("take 1042", Command("take", reference=42)),
    ("take over AH-1042", Command("take", reference=42)),
    ("takeover 1042", Command("take", reference=42)),
    ("commands", Command("commands")),
    ("?", Command("commands")),
    ("VERIFY 123456", Command("verify", note="123456")),
    ("123456", Command("verify", note="123456")),
    # Twilio's reserved keywords, alone, are never our commands
    ("STOP", Command("reserved", note="STOP")),
    ("stop", Command("reserved", note="STOP")),
    ("Stop.", Command("reserved", note="STOP")),
    ("HELP", Command("reserved", note="HELP")),
    ("INFO", Command("reserved", note="INFO")),
    ("YES", Command("reserved", note="YES")),
    ("CANCEL", Command("reserved", note="CANCEL")),
    ("END", Command("reserved", note="END")),
    ("QUIT", Command("reserved", note="QUIT")),
    ("START", Command("reserved", note="START")),
    ("UNSUBSCRIBE", Command("reserved", note="UNSUBSCRIBE")),
    # as phones copy it from the page, and GoAlert's forms
    ("'1a'", Command("ack", code=1)),
    ('"12r" fixed', Command("resolve", code=12, note="fixed")),
    ("‘3a’", Command("ack", code=3)),
    ("a", Command("ack")),
    ("A", Command("ack")),
    ("a #1009", Command("ack", reference=9)),
    ("r 1042 rebooted it", Command("resolve", reference=42, note="rebooted it")),
    ("e", Command("escalate")),
    ("c 1042", Command("close", reference=42)),
    # not commands
    ("on my way", Command("unknown", note="on my way")),
    ("12", Command("unknown", note="12")),
    ("12x", Command("unknown", note="12x")),
    ("", Command("unknown", note="")),
    ("👍", Command("unknown", note="👍")),
]


CALLER_ANSWERS = [
    ("WORKS", "works"),
    ("works", "works"),
    ("it works", "works"),
    ("Working!", "works"),
    ("ok", "works"),
    ("1", "works"),
    ("BROKEN", "broken"),
    ("still broken", "broken"),
    ("not working", "broken"),
    ("2", "broken"),
    ("who is this?", None),
    ("it works now thanks!", "works"),
    ("Yes it's fixed", "works"),
    ("yes", "works"),
    ("all good now, thank you", "works"),
    ("no, still down", "broken"),
    ("it doesn't work", "broken"),
    ("not working at all", "broken"),
    ("nope", "broken"),
]
HOURS = [
    ("2.5", 150),
    ("2,5", 150),
    ("2.5h", 150),
    ("2h30", 150),
    ("2h30m", 150),
    ("150m", 150),
    ("90 min", 90),
    ("1:30", 90),
    ("2 hours", 120),
    ("1 hr", 60),
    ("0.25", 15),
    # unbelievable or unreadable: refused with a reason
    ("lots", None),
    ("0", None),
    ("-1", None),
    ("200h", None),
    ("2h75", None),
    ("", None),
]


def _hours(text: str) -> int | None:
    try:
        return parse_minutes(text)
    except TimeSpentError:
        return None


TABLE = (
    [("command", text, meaning) for text, meaning in SPELLINGS]
    + [("caller", text, meaning) for text, meaning in CALLER_ANSWERS]
    + [("hours", text, meaning) for text, meaning in HOURS]
)
READERS = {"command": parse, "caller": caller_answer, "hours": _hours}


@pytest.mark.parametrize(
    ("reader", "text", "expected"), TABLE, ids=[f"{r}:{t or 'empty'}" for r, t, _ in TABLE]
)
def test_what_people_text(reader: str, text: str, expected: object):
    assert READERS[reader](text) == expected


def test_time_then_work():
    assert split_time_and_work("2 hours restarted it") == (120, "restarted it")
    assert split_time_and_work("2.5 restarted it") == (150, "restarted it")
