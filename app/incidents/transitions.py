"""Every change of an incident's state or owner is a compare-and-set on its row.

`UPDATE incidents SET ... WHERE id = :id AND state IN (:expected) [AND owner_id = :owner]`: of two
people acting at once, exactly one UPDATE matches. On PostgreSQL the second waits for the first to
commit and then finds the row changed; SQLite serialises writers, so the second sees the first's
commit. The loser reloads the row, so it can be told who won and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.models import Incident, IncidentState


class Lost(Exception):
    """Someone else changed the incident first; the incident now holds what they did."""


def compare_and_set(
    session: Session,
    incident: Incident,
    expected: Iterable[IncidentState],
    unchanged: Mapping[str, Any] | None = None,
    **values: Any,
) -> None:
    """Apply `values` if the incident is still in one of the `expected` states and the columns
    in `unchanged` still hold what this actor saw; raise Lost otherwise."""
    where = [Incident.id == incident.id, Incident.state.in_(list(expected))]
    for name, seen in (unchanged or {}).items():
        column = getattr(Incident, name)
        where.append(column.is_(None) if seen is None else column == seen)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Incident).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(incident)
        raise Lost(incident.reference)
    for key, value in values.items():
        set_committed_value(incident, key, value)
    if "owner_id" in values:
        session.expire(incident, ["owner"])
