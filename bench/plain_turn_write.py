"""What a plain turn's one write costs in CPU, through the line's session and on bare psycopg.

A plain turn (`app/calls/turn_state.py`) sends one statement: the conditional UPDATE of the
call, feeding its turn's INSERT (`store.save_light_turn`). This times that write, the same
statement with the same values, three ways, in alternating rounds:

- `session`: as the line does it, a session of the app's own (begins on its first write), the
  statement through SQLAlchemy Core on the session's connection, then the commit;
- `engine`: the compiled statement on an engine connection, with no session;
- `psycopg`: the statement's SQL, prepared, on the pooled connection's own psycopg connection.

Each write changes the row (the turn goes up by one), so nothing is a no-op. Run:
`.venv/bin/python bench/plain_turn_write.py [--writes N] [--rounds R] [--database-url URL]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.calls import store, turn_state
from app.models import Call, CallStage
from bench.pg import prepare
from tests.support import TEST_SETTINGS, TwilioClient


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="a database of your own to use (emptied first)")
    args = parser.parse_args()
    url = prepare("postgres", Path(tempfile.mkdtemp(prefix="bench-write-")), args.database_url)
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    db = app.extensions["db"]
    TwilioClient(app).call("hangup", call_sid="CA-plain-write")
    with db.sessionmaker() as session:
        call = session.scalars(select(Call)).one()
        number, source = call.from_number, call.source
        # The row stands at this step from now on; each write moves only its turn.
        call.step, call.stage, call.attempts, call.misses = "impact", CallStage.MENU, 0, 0
        last = call.turn
        session.commit()
    claimed = turn_state.TurnState("impact", CallStage.MENU, 0, 0, "en", {})
    reply = {"say": ["How many people does this affect?"] * 3, "gather": "impact"}
    at = dt.datetime.now(dt.UTC)

    def logged(turn: int) -> dict[str, Any]:
        return {"turn": turn, "step": "impact", "params": {"digits": "1"}, "reply": reply, "at": at}

    statement = store._light_turn_pg((), False, tuple(logged(0)))
    sql = str(statement.compile(dialect=db.engine.dialect))

    def light(turn: int) -> turn_state.LightCall:
        return turn_state.LightCall("CA-plain-write", claimed, turn, number, source)

    def values(turn: int) -> dict[str, Any]:
        """The parameters `store.save_light_turn` binds, the turn's own among them."""
        turn_values = {f"turn_{key}": value for key, value in logged(turn).items()}
        return {**store._light_values(light(turn)), **turn_values}

    def through_session(turn: int) -> bool:
        with db.sessionmaker() as session:
            done = store.save_light_turn(session, light(turn), logged(turn))
            session.commit()
        return done

    def through_engine(turn: int) -> bool:
        with db.engine.begin() as connection:
            return connection.execute(statement, values(turn)).rowcount == 1

    def through_psycopg(turn: int) -> bool:
        pooled = db.engine.raw_connection()
        try:
            bare = pooled.driver_connection
            given = values(turn)
            for key in ("turn_params", "turn_reply"):
                given[key] = Jsonb(given[key], dumps=json.dumps)
            done = bare.execute(sql, given, prepare=True).rowcount == 1
            bare.commit()
            return done
        finally:
            pooled.close()

    ways: dict[str, Callable[[int], bool]] = {
        "session": through_session,
        "engine": through_engine,
        "psycopg": through_psycopg,
    }
    spent: dict[str, list[float]] = {name: [] for name in ways}
    turn = last
    for round_number in range(args.rounds):
        names = list(ways)
        names = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in names:
            started = time.process_time()
            for _ in range(args.writes):
                turn += 1
                if not ways[name](turn):
                    raise SystemExit(f"{name}: turn {turn} was not written")
            spent[name].append((time.process_time() - started) / args.writes * 1000)
    print(f"a plain turn's write, CPU in this process, {args.writes} writes a round")
    for name, each in spent.items():
        rounds = ", ".join(f"{ms:.3f}" for ms in each)
        print(f"  {name:8} {min(each):.3f} ms at best ({rounds})")
    db.engine.dispose()


if __name__ == "__main__":
    main()
