"""How long the replies take when one outage has many callers: the administrator's acknowledgement
(every caller is texted that it is being worked on), the resolution (every caller is asked
whether it works) and one caller's BROKEN (every other caller is told it is reopened).

Each of those webhooks writes one row of news, and the worker turns it into a text per caller;
this times both parts, by the outage's size. In-process (Flask test client); the callers' reports
are written straight into the database, as many calls joining the outage would have left them.
Run:
`.venv/bin/python bench/many_callers.py [--callers 1000,4000] [--database postgres]
[--database-url URL]`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.clock import SystemClock
from app.incidents.catalog import parse_catalog, upsert_services
from app.models import Incident, Report, Source
from app.outbox import sending
from app.outbox.policy import CALLERS_NEWS, DEFAULT_POLICIES
from app.paging import broadcasts
from app.paging.delivery import CLAIM_LEASE
from app.paging.roster import load_roster, parse_roster
from bench.pg import prepare
from tests.paging_support import PAT, on_call_now, text
from tests.support import DEMO_CATALOG, FULL_CANVAS_CALL, TEST_ROSTER, TEST_SETTINGS, TwilioClient

STEPS = (("acknowledge", PAT, "1a"), ("resolve", PAT, "1r restarted the pool"))
NEWS_POLICY = DEFAULT_POLICIES[CALLERS_NEWS]


def one_outage(url: str, callers: int) -> None:
    """Print the seconds each reply and the worker's part took, for one outage with `callers`
    more callers than its first."""
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    database = app.extensions["db"]
    with app.app_context(), database.begin() as session:
        load_roster(session, SystemClock().now(), parse_roster(TEST_ROSTER), "America/Chicago")
        upsert_services(session, parse_catalog(DEMO_CATALOG).services)
        on_call_now(session, SystemClock().now())  # Pat, whatever the week
    twilio = TwilioClient(app)
    twilio.call(*FULL_CANVAS_CALL)
    numbers = [f"+1319556{n:04d}" for n in range(callers)]
    with app.app_context(), database.begin() as session:
        incident = session.scalars(select(Incident)).one()
        now = SystemClock().now()
        session.execute(
            insert(Report),
            [
                {
                    "incident_id": incident.id,
                    "source": Source.PHONE,
                    "created_at": now,
                    "caller_number": number,
                    "callback_number": number,
                }
                for number in numbers
            ],
        )
        incident.callers += callers
    for name, sender, body in (*STEPS, ("a caller's BROKEN", numbers[-1], "BROKEN")):
        started = time.perf_counter()
        reply = text(twilio, sender, body)
        reply_took = time.perf_counter() - started
        assert reply, f"{name}: no reply"
        # The worker's part: the news becomes one text per caller (sending them is not timed).
        started = time.perf_counter()
        with app.app_context(), database.sessionmaker() as session:
            told = sending.send_due(
                session, SystemClock(), broadcasts.KIND, NEWS_POLICY, 10, CLAIM_LEASE
            )
        assert told == 1, f"{name}: the worker told {told} pieces of news"
        worker_took = time.perf_counter() - started
        print(f"    {name}: reply {reply_took:.2f} s, then the worker {worker_took:.2f} s")
    database.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callers", default="1000,4000", help="comma-separated outage sizes")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="a database of your own to use (emptied first)")
    args = parser.parse_args()
    print(f"seconds per reply, one outage ({args.database}, in-process)")
    for callers in (int(n) for n in args.callers.split(",")):
        workdir = Path(tempfile.mkdtemp(prefix="bench-many-"))
        url = prepare(args.database, workdir, args.database_url)
        print(f"  {callers + 1} callers:")
        one_outage(url, callers)
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
