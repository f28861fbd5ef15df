"""How responders really type replies at 3 a.m., and what each one means."""

import pytest

from app.responders.grammar import Command, parse

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
    # not commands
    ("on my way", Command("unknown", note="on my way")),
    ("12", Command("unknown", note="12")),
    ("12x", Command("unknown", note="12x")),
    ("", Command("unknown", note="")),
    ("👍", Command("unknown", note="👍")),
]


@pytest.mark.parametrize(("text", "expected"), SPELLINGS, ids=[s[0] or "empty" for s in SPELLINGS])
def test_reply_spellings(text: str, expected: Command):
    assert parse(text) == expected
