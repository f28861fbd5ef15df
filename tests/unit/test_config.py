import os
import subprocess
import sys

import pytest

from app.config import ConfigError, load_settings, parse_business_hours
from app.context import runtime


def test_defaults_are_valid_and_safe():
    settings = load_settings({})
    assert settings.SMS_BACKEND == "console"
    assert settings.DATABASE_URL.startswith("sqlite:///")
    assert settings.API_TOKENS == []


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"BUSINESS_HOURS": "weekdays 9-5"}, "BUSINESS_HOURS"),
        ({"BUSINESS_HOURS": "mon-fri 17:00-08:00"}, "BUSINESS_HOURS"),
        ({"HOLIDAYS": "2026-13-01"}, "HOLIDAYS"),
        ({"HELPDESK_NUMBERS": "+1319384"}, "HELPDESK_NUMBERS"),
        ({"PUBLIC_BASE_URL": "line.example.org"}, "PUBLIC_BASE_URL"),
        ({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND"),
        ({"SMS_BACKEND": "twilio"}, "TWILIO_ACCOUNT_SID"),
        ({"DEFAULT_REGION": "XX"}, "DEFAULT_REGION"),
    ],
)
def test_a_bad_setting_is_named(overrides: dict[str, str], named: str):
    with pytest.raises(ConfigError, match=named):
        load_settings(overrides)


def test_comma_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("API_TOKENS", "one, two ,three")
    monkeypatch.setenv("HELPDESK_NUMBERS", "+1 319 384 4357")
    settings = load_settings()
    assert settings.API_TOKENS == ["one", "two", "three"]
    assert settings.HELPDESK_NUMBERS == ["+13193844357"]


def test_business_hours_wrap_across_the_week_end():
    hours = parse_business_hours("fri-mon 10:00-12:00")
    assert sorted(hours) == [0, 4, 5, 6]


def test_start_up_with_a_bad_setting_prints_one_clear_line(tmp_path):
    env = {**os.environ, "TIMEZONE": "Nowhere/Special", "DATABASE_URL": f"sqlite:///{tmp_path}/x"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "routes"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TIMEZONE" in result.stderr
    assert "Traceback" not in result.stderr


def test_relative_paths_mean_the_project_folder():
    from app.config import PROJECT_ROOT

    settings = load_settings({"DATABASE_URL": "sqlite:///instance/x.db", "VOICE_FLOWS_DIR": "vf"})
    assert settings.DATABASE_URL == f"sqlite:///{PROJECT_ROOT}/instance/x.db"
    assert settings.VOICE_FLOWS_DIR == str(PROJECT_ROOT / "vf")
    postgres = load_settings({"DATABASE_URL": "postgresql://u@h/db"}).DATABASE_URL
    assert postgres == "postgresql+psycopg://u@h/db"
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings({"DATABASE_URL": "mysql://u@h/db"})


def test_without_an_auth_token_a_local_one_is_made_and_still_checked(settings, clock, caplog):
    from app import LOCAL_TOKEN_FILE, create_app
    from tests.support import TwilioClient

    app = create_app({**settings, "TWILIO_AUTH_TOKEN": ""}, clock=clock)
    token = runtime(app).settings.TWILIO_AUTH_TOKEN
    assert token == LOCAL_TOKEN_FILE.read_text().strip() and len(token) == 32
    # Said where it explains something: when a request is refused, not at every start.
    assert "TWILIO_AUTH_TOKEN is not set" not in caplog.text
    assert TwilioClient(app).post("/voice/incoming", {"CallSid": "CA-1"}).status_code == 403
    assert "TWILIO_AUTH_TOKEN is not set, so only requests signed with the local" in caplog.text
    assert (
        TwilioClient(app, token=token).post("/voice/incoming", {"CallSid": "CA-1"}).status_code
        == 200
    )
    app.extensions["db"].engine.dispose()


def test_logs_never_hold_full_numbers_or_tokens():
    from app.adapters.logging_setup import scrub

    line = scrub(
        "SMS from +13195550142, call (319) 555-0143 token 0123456789abcdef0123456789abcdef"
    )
    assert "5550142" not in line and "555-0143" not in line
    assert "***0142" in line and "***0143" in line
    assert "0123456789abcdef" not in line and "[secret]" in line
    assert scrub("Twilio answered 503 (20503)") == "Twilio answered 503 (20503)"


def test_message_ids_are_not_mistaken_for_numbers():
    from app.adapters.logging_setup import scrub

    assert scrub("call CAfecdf2718281828459045da6b5f6054df1ef36 done") == (
        "call CAfecdf2718281828459045da6b5f6054df1ef36 done"
    )


def test_json_logs_carry_the_twilio_id_and_mask_numbers(settings, clock):
    import io
    import json
    import logging

    from app import create_app
    from app.adapters.logging_setup import ScrubbingFilter
    from tests.support import TwilioClient

    app = create_app({**settings, "LOG_FORMAT": "json"}, clock=clock)
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, ScrubbingFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        TwilioClient(app).voice("/voice/incoming", "CA-logged", caller="+13195550142")
    finally:
        handler.setStream(previous)
        restored = create_app({**settings, "LOG_FORMAT": "text"}, clock=clock)  # text again
        restored.extensions["db"].engine.dispose()
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    [entry] = [line for line in lines if line["logger"] == "app.calls.menu"]
    assert entry["twilio_id"] == "CA-logged"
    assert "+13195550142" not in entry["message"] and "0142" in entry["message"]
    app.extensions["db"].engine.dispose()


def test_log_times_are_the_teams_with_their_zone():
    import datetime as dt
    import json
    import logging
    from zoneinfo import ZoneInfo

    from app.adapters.logging_setup import JsonFormatter, ZonedFormatter

    chicago = ZoneInfo("America/Chicago")
    record = logging.makeLogRecord({"msg": "page sent", "name": "app.paging"})
    record.created = dt.datetime(2026, 11, 28, 8, 0, 5, tzinfo=dt.UTC).timestamp()
    text = ZonedFormatter("%(asctime)s %(message)s", chicago).format(record)
    assert text == "2026-11-28 02:00:05 CST page sent"
    entry = json.loads(JsonFormatter(zone=chicago).format(record))
    assert entry["time"] == "2026-11-28T02:00:05.000-06:00"
