"""Durations as written in roster files, and SMS text that fits one GSM-7 segment."""

import datetime as dt

import pytest

from app.durations import format_duration, parse_duration
from app.models import Incident, Service
from app.paging.gsm import fit, gsm_length, to_gsm
from app.paging.notify import page_text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("15m", 900),
        ("1h", 3600),
        ("1h30m", 5400),
        ("2.5h", 9000),
        ("0", 0),
        (0, 0),
        ("0m", 0),
        (" 15 m ", 900),
        ("now", 0),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["15", 15, "fifteen minutes", "15x", "", "m15", "1h 30"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match=r"duration|unit"):
        parse_duration(text)


def test_format_duration():
    assert [format_duration(s) for s in (30, 900, 3600, 90)] == ["30s", "15m", "1h", "90s"]


def test_non_gsm_characters_are_transliterated():
    assert to_gsm("Café “down” — ça ne marche pas 🔥") == 'Café "down" -- ca ne marche pas '
    assert gsm_length("[x]") == 5


def test_fit_cuts_to_the_limit():
    assert gsm_length(fit("x" * 400)) == 160
    assert fit("x" * 400).endswith("..")
    assert fit("short") == "short"


def incident(description: str, service: str = "Canvas", **fields) -> Incident:
    now = dt.datetime(2026, 11, 28, 8, tzinfo=dt.UTC)
    return Incident(
        id=42,
        service=Service(name=service, slug="s"),
        description=description,
        priority=1,
        impact_label="down for everyone",
        callback_number="+13195550142",
        created_at=now,
        updated_at=now,
        incomplete=False,
        **fields,
    )


@pytest.mark.parametrize(
    "description",
    ["", "down", "Étudiants: l’accès à “Canvas” échoue — erreur 503 🙁 " * 10, "x" * 1000],
)
def test_page_fits_one_segment_and_keeps_the_essentials(description: str):
    text = page_text(incident(description), code=12)
    assert gsm_length(text) <= 160
    assert to_gsm(text) == text
    assert text.startswith("AH-1042 P1 Canvas")
    assert "Impact: down for everyone." in text
    assert "Call (319) 555-0142." in text
    assert text.endswith("Reply 12a ack, 12r fixed")


def test_page_text_example():
    text = page_text(incident("students get an error page when they log in"), code=3)
    assert text == (
        "AH-1042 P1 Canvas: students get an error page when they log in. Impact: down for "
        "everyone. Call (319) 555-0142. Reply 3a ack, 3r fixed"
    )


def test_a_long_service_name_still_fits():
    text = page_text(incident("x" * 50, service="The very long research computing cluster name"), 7)
    assert gsm_length(text) <= 160 and "Reply 7a ack" in text
