"""Limits on guessing that a stranger cannot turn against the owner: wrong passwords lock the
address they came from out of that account, guessing from many addresses slows new addresses
down, and the owner's usual address (or the help desk's usual phone) always gets through."""

from __future__ import annotations

import pytest

from tests.accounts import PASSWORD, STAFF_PIN, make_accounts, sign_in

OWNER, ATTACKER = "192.0.2.10", "198.51.100.66"


@pytest.fixture
def accounts(app, clock):  # type: ignore[no-untyped-def]
    make_accounts(app, clock)


def client_at(app, address: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_six_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(app, accounts):
    attacker = client_at(app, ATTACKER)
    for _ in range(6):
        sign_in(attacker, "jordan", "wrong password")
    locked = sign_in(attacker, "jordan", PASSWORD)
    assert locked.status_code == 429
    assert "from here" in locked.get_data(as_text=True)
    assert sign_in(client_at(app, OWNER), "jordan", PASSWORD).status_code == 302


def test_guessing_from_many_addresses_slows_new_ones_and_never_the_owners(app, accounts, clock):
    assert sign_in(client_at(app, OWNER), "jordan", PASSWORD).status_code == 302  # known here
    clock.advance(minutes=1)
    for n in range(12):
        sign_in(client_at(app, f"203.0.113.{n}"), "jordan", "wrong password")
    # A new address right after: asked to wait, told how long, and its try not counted.
    slowed = sign_in(client_at(app, "203.0.113.200"), "jordan", PASSWORD)
    assert slowed.status_code == 429
    assert "Try again in 2 seconds" in slowed.get_data(as_text=True)
    # The owner's usual address is never slowed.
    assert sign_in(client_at(app, OWNER), "jordan", PASSWORD).status_code == 302
    # Waiting it out is enough for a new address too.
    clock.advance(seconds=3)
    assert sign_in(client_at(app, "203.0.113.200"), "jordan", PASSWORD).status_code == 302


def test_the_slowdown_doubles_up_to_a_minute(app, accounts, clock):
    for n in range(10):
        sign_in(client_at(app, f"203.0.113.{n}"), "jordan", "wrong password")
    for n in range(8):  # each waits the slowdown out, so each is checked and counted
        clock.advance(seconds=61)
        tried = sign_in(client_at(app, f"203.0.113.{100 + n}"), "jordan", "wrong password")
        assert tried.status_code == 401
    slowed = sign_in(client_at(app, "203.0.113.201"), "jordan", PASSWORD)
    assert "Try again in 60 seconds" in slowed.get_data(as_text=True)
    clock.advance(seconds=61)
    assert sign_in(client_at(app, "203.0.113.201"), "jordan", PASSWORD).status_code == 302


HELPDESK_PHONE = "+13193844357"


def staff_call(twilio, pin: str, caller: str, sid: str) -> str:  # type: ignore[no-untyped-def]
    return twilio.call(f"press {pin}", entry="/voice/staff", caller=caller, call_sid=sid).text


def test_wrong_pins_from_five_numbers_do_not_lock_out_the_staff_on_their_usual_phone(
    twilio, accounts
):
    assert "Thank you, Hana" in staff_call(twilio, STAFF_PIN, HELPDESK_PHONE, "CA-usual")
    for n in range(5):
        twilio.call(
            "press 1111",
            "press 2222",
            "press 3333",
            entry="/voice/staff",
            caller=f"+1319555060{n}",
            call_sid=f"CA-guess-{n}",
        )
        twilio.call(
            "press 4444",
            "press 5555",
            entry="/voice/staff",
            caller=f"+1319555060{n}",
            call_sid=f"CA-guess-{n}-again",
        )
    # 25 wrong PINs from five numbers: the help desk's phone still gets in at once...
    assert "Thank you, Hana" in staff_call(twilio, STAFF_PIN, HELPDESK_PHONE, "CA-after")
    # ...while a number that never gave a right PIN is slowed, and each guessing number is
    # locked out for the window.
    assert "Thank you, Hana" not in staff_call(twilio, STAFF_PIN, "+13195550699", "CA-new")
    assert "Thank you, Hana" not in staff_call(twilio, STAFF_PIN, "+13195550600", "CA-again")
