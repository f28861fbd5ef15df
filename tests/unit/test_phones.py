import pytest

from app.phones import InvalidNumber, display, mask, spoken_groups, to_e164, try_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("3193844357", "+13193844357"),
        ("(319) 384-4357", "+13193844357"),
        ("13193844357", "+13193844357"),
        ("+1 319 384 4357", "+13193844357"),
        ("011442079460958", "+442079460958"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_numbers_are_stored_e164(raw: str, e164: str):
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "12345", "0000000000", "anonymous", "+1555"])
def test_bad_numbers_are_refused(raw: str):
    with pytest.raises(InvalidNumber):
        to_e164(raw)
    assert try_e164(raw) is None


def test_numbers_are_read_back_in_groups():
    assert spoken_groups("+13193844357") == "3 1 9, 3 8 4, 4 3 5 7"
    assert spoken_groups("+442079460958") == "plus 4 4, 2 0, 7 9 4 6, 0 9 5 8"


def test_display_and_mask():
    assert display("+13193844357") == "(319) 384-4357"
    assert display(None) == "unknown"
    assert mask("+13193844357") == "+1******4357"
    assert "3844" not in mask("+13193844357")
    assert mask(None) == "-"
