"""The floor with the parts every voice turn must have added, one at a time, to see what each costs.

The targets compare the line with the floor (a bare Flask app answering static TwiML). No voice
turn can do less than: check Twilio's signature, build its TwiML with the twilio library, read the
call's row and write it back with the turn logged. `served(part)` is the floor's app doing the
parts up to `part`:

- `signed`: the signature checked with twilio's `RequestValidator`;
- `twiml`: and the reply built with twilio's `VoiceResponse`;
- `database`: and the call's row read and written with its turn logged, with the line's own
  statements through SQLAlchemy Core on the line's kind of engine (one read, then the one
  `WITH … UPDATE … INSERT`; a new call's row is inserted);
- `psycopg`: the same two statements, prepared, on a psycopg connection per thread with no
  SQLAlchemy in between: the least any Python code can spend on them.

`bench/call_storm.py --parts` serves each beside the floor and the line, in the same rounds (on
SQLite, all but `psycopg`).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any

import psycopg
from flask import Flask, Response, request
from psycopg.types.json import Json
from sqlalchemy import bindparam, insert, select, update
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from app.calls import store
from app.db import SINGLE_STATEMENT, begin_on_first_write, make_engine
from app.models import Call, CallStage, CallStatus, CallTurn, Source
from bench.floor_app import GATHER, HANGUP, TURNS

PARTS = ("signed", "twiml", "database", "psycopg")
PROMPT = "Press 1."
CALLS, TURNS_TABLE = Call.__table__, CallTurn.__table__
FIND = select(CALLS).where(CALLS.c.call_sid == bindparam("call_sid"))
NEW_KEYS = (
    "call_sid",
    "from_number",
    "to_number",
    "status",
    "source",
    "business_hours",
    "flow",
    "step",
    "stage",
    "attempts",
    "misses",
    "turn",
    "answers",
    "started_at",
)
NEW_CALL = (
    insert(CALLS)
    .values({key: bindparam(key, type_=CALLS.c[key].type) for key in NEW_KEYS})
    .execution_options(**SINGLE_STATEMENT)
)
WRITE = store._call_and_turn(False, ("answers", "turn"), ("turn", "step", "params", "reply", "at"))


def served(part: str) -> Flask:
    """The floor's app, doing the parts up to `part` on every webhook (gunicorn's app factory)."""
    if part not in PARTS:
        raise ValueError(f"part is one of {', '.join(PARTS)}")
    upto = PARTS.index(part)
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    public = os.environ["PUBLIC_BASE_URL"]
    engine = make_engine(os.environ["DATABASE_URL"])
    if engine.dialect.name == "postgresql":
        engine = begin_on_first_write(engine)
    elif part == "psycopg":
        raise ValueError("the psycopg part needs PostgreSQL")
    find_sql, new_sql, write_sql = (
        str(statement.compile(dialect=engine.dialect)) for statement in (FIND, NEW_CALL, WRITE)
    )
    local = threading.local()
    app = Flask(__name__)

    def signed() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(public + request.full_path.rstrip("?"), request.form, signature):
            raise PermissionError("Twilio signature missing or invalid")

    def twiml(turn: int) -> str:
        response = VoiceResponse()
        gather = response.gather(
            action=f"/voice/answer/x?turn={turn}", input="dtmf", num_digits=1, timeout=5
        )
        gather.say(PROMPT, voice="Polly.Joanna", language="en-US")
        return str(response)

    def heard() -> dict[str, Any]:
        form = request.form
        return {"digits": form.get("Digits", ""), "speech": form.get("SpeechResult", "")}

    def new_call() -> dict[str, Any]:
        return {
            "call_sid": request.form["CallSid"],
            "from_number": request.form.get("From", ""),
            "to_number": "",
            "status": CallStatus.IN_PROGRESS.value,
            "source": Source.PHONE.value,
            "business_hours": False,
            "flow": "default",
            "step": "x",
            "stage": CallStage.ASK.value,
            "attempts": 0,
            "misses": 0,
            "turn": 0,
            "answers": {},
            "language": "en",
            "started_at": dt.datetime.now(dt.UTC),
        }

    def written(call: dict[str, Any], turn: int, body: str) -> dict[str, Any]:
        return {
            "call_id": call["id"],
            "call_answers": {**call["answers"], f"x{turn}": heard()},
            "call_turn": turn,
            "turn_turn": turn,
            "turn_step": "x",
            "turn_params": heard(),
            "turn_reply": {"twiml": body},
            "turn_at": dt.datetime.now(dt.UTC),
        }

    def through_core(turn: int, body: str) -> None:
        with engine.connect() as connection:
            found = connection.execute(FIND, {"call_sid": request.form["CallSid"]}).first()
            if found is None:
                connection.execute(NEW_CALL, new_call())
            elif engine.dialect.name == "postgresql":
                connection.execute(WRITE, written(found._asdict(), turn, body))
            else:
                # As the line does on SQLite: the row's UPDATE, then a plain INSERT of the turn.
                values = written(found._asdict(), turn, body)
                connection.execute(
                    update(CALLS)
                    .where(CALLS.c.id == values["call_id"])
                    .values(answers=values["call_answers"], turn=turn)
                )
                logged = {key[5:]: value for key, value in values.items() if key[:5] == "turn_"}
                connection.execute(insert(TURNS_TABLE), {"call_id": values["call_id"], **logged})
            connection.commit()

    def through_psycopg(turn: int, body: str) -> None:
        if not hasattr(local, "connection"):
            url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            local.connection = psycopg.connect(url, autocommit=True)
        connection = local.connection
        cursor = connection.execute(find_sql, {"call_sid": request.form["CallSid"]}, prepare=True)
        row = cursor.fetchone()
        if row is None:
            values = new_call()
            connection.execute(new_sql, {**values, "answers": Json(values["answers"])})
            return
        columns = [column.name for column in cursor.description or ()]
        values = written(dict(zip(columns, row, strict=True)), turn, body)
        for key in ("call_answers", "turn_params", "turn_reply"):
            values[key] = Json(values[key])
        connection.execute(write_sql, values, prepare=True)

    @app.post("/<path:_path>")
    def answer(_path: str) -> Response:
        turn = request.args.get("turn", default=0, type=int) + 1
        if turn >= TURNS:
            return Response(HANGUP, mimetype="text/xml")
        signed()
        body = twiml(turn) if upto >= 1 else GATHER.format(turn=turn)
        if upto == 2:
            through_core(turn, body)
        elif upto == 3:
            through_psycopg(turn, body)
        return Response(body, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status": "ok"}', mimetype="application/json")

    return app
