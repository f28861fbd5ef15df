"""The call menu reads the catalog once per process, not once per caller: a change made in this
process shows at once, one made by another process within CACHE_SECONDS."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import make_engine
from app.incidents import catalog
from app.incidents.catalog import CatalogCache, ServiceEntry, upsert_services
from app.models import Service
from tests.support import FULL_CANVAS_CALL, statements_on

MOODLE_CALL = ("say the moodle site", *FULL_CANVAS_CALL[1:])


def test_callers_after_the_first_do_not_read_the_catalog(app, twilio):
    twilio.call(*FULL_CANVAS_CALL, call_sid="CA-first")
    with statements_on(app.extensions["db"].engine) as statements:
        twilio.call(*FULL_CANVAS_CALL, call_sid="CA-2")
    reads = [s for s in statements if s.startswith("SELECT") and "FROM services" in s]
    # The report's own service (priority, administrators) is still read when it is filed.
    assert len(reads) <= 1, reads


def test_a_catalog_loaded_in_this_process_is_heard_at_once(app, twilio, session):
    first = twilio.call(*MOODLE_CALL, call_sid="CA-before")
    assert "Moodle" not in first.text
    upsert_services(session, [ServiceEntry(slug="moodle", name="Moodle", aliases=["moodle site"])])
    session.commit()
    second = twilio.call(*MOODLE_CALL, call_sid="CA-after", caller="+13195550189")
    assert "Moodle" in second.text


def test_a_change_from_another_process_arrives_within_the_cache_time(app, database_url):
    now = [0.0]
    cache = CatalogCache(seconds=30, clock=lambda: now[0])
    other = make_engine(database_url)  # another process's connection to the same database
    with Session(app.extensions["db"].engine) as mine:
        names = [entry.name for entry in cache.entries(mine)]
        assert "Canvas" in names
        with other.begin() as connection:
            connection.execute(update(Service).where(Service.slug == "canvas").values(active=False))
        now[0] = 29.0
        assert "Canvas" in [entry.name for entry in cache.entries(mine)]
        now[0] = 31.0
        mine.rollback()  # a new transaction, as a new request would have
        assert "Canvas" not in [entry.name for entry in cache.entries(mine)]
    other.dispose()
    assert catalog.CACHE_SECONDS == 30.0


def test_priority_contacts_come_from_the_cache_too(app, session, database_url):
    from app.models import PriorityContact

    now = [0.0]
    cache = CatalogCache(seconds=30, clock=lambda: now[0])
    other = make_engine(database_url)
    with Session(app.extensions["db"].engine) as mine:
        assert "+13195550199" not in cache.priority_numbers(mine)
        with other.begin() as connection:
            connection.execute(
                PriorityContact.__table__.insert().values(number="+13195550199", customer="CAS")
            )
        assert "+13195550199" not in cache.priority_numbers(mine)  # another process's change
        now[0] = 31.0
        mine.rollback()
        assert "+13195550199" in cache.priority_numbers(mine)
    other.dispose()
    # A contact added in this process counts at once for the process's own cache.
    assert not catalog.CACHE.priority_numbers(session) & {"+13195550198"}
    session.add(PriorityContact(number="+13195550198", customer="CAS"))
    session.commit()
    assert "+13195550198" in catalog.CACHE.priority_numbers(session)
