"""A session's pending rows, written as part of one PostgreSQL statement.

A caller joining an open incident leaves a handful of rows to write: their report, its timeline
entry, their text, the incident's count and the call with its turn. Written by the unit of work
that is a BEGIN, a round trip per row and a COMMIT, with the incident's row locked from its
UPDATE to the COMMIT, while a campus calls about the same outage. As data-modifying WITH queries
of the statement that writes the call (`calls/store.py`) it is one round trip, whole on its own,
and the row lock lasts that one statement. PostgreSQL checks foreign keys at the end of the
statement, so a row may refer to another row written in it.

Only what can be written without the unit of work goes this way: new rows whose references are
stored rows or other new rows of the statement, and changed rows whose changes are columns
(values or SQL expressions) or references. For anything else (a deletion, a row a cache watches,
a collection that lost a member) `plan` says None and the unit of work writes as usual.

A new row's value may be an SQL expression that reads other rows (a timeline entry naming the
incident's count). Flushed by the unit of work it would run after the changed rows' UPDATEs, in
their transaction, and read them as changed; but every part of one statement reads the same
snapshot, taken before any of it. So such an expression reads a changed table as the statement
leaves it: the changed rows as their UPDATE returned them, the others as stored. That is also
what makes it right when a campus calls at once: an UPDATE that waited for another's lock
returns the row as the other left it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    CTE,
    Column,
    ColumnElement,
    Subquery,
    Table,
    insert,
    inspect,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import ColumnProperty, InstanceState, RelationshipProperty, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import MANYTOONE, ONETOMANY
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault
from sqlalchemy.sql.visitors import iterate, replacement_traverse


class NotPlain(Exception):
    """A row that needs the unit of work."""


@dataclass
class Plan:
    """The WITH queries, and what to tell the session once they are written: the new rows, and
    for each changed row the attributes written as values and those the database works out."""

    ctes: list[CTE] = field(default_factory=list)
    new: list[InstanceState[Any]] = field(default_factory=list)
    changed: list[tuple[InstanceState[Any], list[str], list[str]]] = field(default_factory=list)


def plan(session: Session, leave_out: object, watched: tuple[type, ...] = ()) -> Plan | None:
    """The session's new and changed rows but `leave_out` as WITH queries, or None when one of
    them needs the unit of work (or is an instance of `watched`: rows whose flush someone
    listens for)."""
    if session.deleted:
        return None
    new = [inspect(row) for row in session.new if row is not leave_out]
    changed = [
        inspect(row)
        for row in session.dirty
        if row is not leave_out and session.is_modified(row, include_collections=True)
    ]
    if any(isinstance(state.obj(), watched) for state in (*new, *changed)):
        return None
    try:
        return _Builder(new).build(changed)
    except NotPlain:
        return None


def settle(session: Session, written: Plan) -> None:
    """Tell the session the rows are written: the new ones leave it (nothing in this request
    reads them back), and a changed row keeps its new values, but for those the database
    worked out (an expression, a reference to a new row), which are read again if asked for."""
    for state, committed, expired in written.changed:
        row = state.obj()
        for key in committed:
            set_committed_value(row, key, state.dict[key])
        if expired:
            session.expire(row, expired)
    for state in written.new:
        for prop in state.mapper.relationships:
            target = state.dict.get(prop.key)
            # The other side's collection holds the new row (or holds it back until it loads):
            # read it again if asked for, so it never offers the row to a flush.
            if (
                prop.direction is MANYTOONE
                and prop.back_populates
                and target is not None
                and inspect(target).persistent
            ):
                session.expire(target, [prop.back_populates])
        session.expunge(state.obj())


class _Builder:
    def __init__(self, new: list[InstanceState[Any]]) -> None:
        self.new = set(new)
        self.waiting = list(new)
        self.placed: dict[InstanceState[Any], CTE] = {}
        self.plan = Plan()
        # The columns the new rows' expressions read, by table; and the changed rows' UPDATEs
        # of those tables, which return them.
        self.read = _columns_read(new)
        self.returned: dict[Table, list[CTE]] = {}
        self.views: dict[Table, Subquery] = {}

    def build(self, changed: list[InstanceState[Any]]) -> Plan:
        # A changed row goes first, so the new rows' expressions can read it as changed; after
        # them when it refers to one of them.
        later = []
        for state in changed:
            try:
                self._update(state)
            except NotPlain:
                later.append(state)
        # Each changed table the expressions read, as the statement leaves it: built once, for
        # every expression of every new row.
        self.views = {table: self._view(table, ctes) for table, ctes in self.returned.items()}
        # A new row goes after the new rows it refers to; rows referring to each other in a
        # circle need the unit of work.
        while self.waiting:
            ready = [s for s in self.waiting if not (_refers_to(s) & self.new) - set(self.placed)]
            if not ready:
                raise NotPlain("a circle of new rows")
            for state in ready:
                self.placed[state] = self._insert(state)
                self.plan.ctes.append(self.placed[state])
                self.plan.new.append(state)
                self.waiting.remove(state)
        for state in later:
            if _table(state) in self.read:
                raise NotPlain("an expression reads a row changed after it")
            self._update(state)
        return self.plan

    def _name(self) -> str:
        return f"written_{len(self.plan.ctes)}"

    def _insert(self, state: InstanceState[Any]) -> CTE:
        table = _table(state)
        values: dict[str, Any] = {}
        for column in table.columns:
            value = state.dict.get(state.mapper.get_property_by_column(column).key)
            if isinstance(value, ColumnElement):
                values[column.key] = self._as_written(value)
            elif value is not None:
                values[column.key] = value
            elif column.default is not None and not column.primary_key:
                # Given here: Core fills in a column's default only in a statement's outer INSERT.
                values[column.key] = _default(column)
        for rel in state.mapper.relationships:
            value = state.dict.get(rel.key)
            if rel.direction is MANYTOONE:
                if value is not None:
                    values.update(_keys_of(rel, inspect(value), self.placed))
            elif value and (
                rel.direction is not ONETOMANY
                or any(inspect(member) not in self.new for member in value)
            ):
                # A new row's own collection is fine when its members are new rows of the
                # statement (their keys say it), not otherwise.
                raise NotPlain(rel)
        returned = list(table.primary_key.columns)
        return insert(table).values(values).returning(*returned).cte(self._name())

    def _update(self, state: InstanceState[Any]) -> None:
        table = _table(state)
        changes = changes_of(state, self.new, self.placed)
        if changes.values:
            identity = state.identity
            if identity is None:
                raise NotPlain(state)
            where = [c == identity[i] for i, c in enumerate(state.mapper.primary_key)]
            statement = update(table).where(*where).values(changes.values)
            if table in self.read:
                returned = statement.returning(*_view_columns(table, self.read[table]))
                cte = returned.cte(self._name())
                self.returned.setdefault(table, []).append(cte)
            else:
                cte = statement.cte(self._name())
            self.plan.ctes.append(cte)
        self.plan.changed.append((state, changes.committed, changes.expired))

    def _as_written(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        """`expression`, reading each changed table as the statement leaves it."""
        views = self.views

        def as_written(element: Any, **_kw: Any) -> Any:
            if isinstance(element, Column) and element.table in views:
                return views[element.table].c[element.key]
            return None

        return replacement_traverse(expression, {}, as_written)

    def _view(self, table: Table, ctes: list[CTE]) -> Subquery:
        """The table as the statement leaves it: the rows its UPDATEs returned, then the rest."""
        keys = [column.key for column in _view_columns(table, self.read[table])]
        (key,) = [column.key for column in table.primary_key.columns]
        written = [select(*(cte.c[k] for k in keys)) for cte in ctes]
        stored = select(*(table.c[k] for k in keys)).where(
            table.c[key].not_in(union_all(*(select(cte.c[key]) for cte in ctes)))
        )
        return union_all(*written, stored).subquery(f"{table.name}_written")


@dataclass(frozen=True)
class Changes:
    """A stored row's changes: the columns to write, by column; the attributes written as
    values, and those the database works out (an expression, a reference) or that a new row's
    own key says (a collection's new member)."""

    values: dict[str, Any]
    committed: list[str]
    expired: list[str]


def changes_of(
    state: InstanceState[Any],
    new: Collection[InstanceState[Any]] = (),
    placed: Mapping[InstanceState[Any], CTE] | None = None,
) -> Changes:
    """What changed in a stored row, as columns; NotPlain when that cannot be said without the
    unit of work. `new`: the rows written beside it, which a collection may have gained;
    `placed`: their WITH queries, which a reference may point at."""
    values: dict[str, Any] = {}
    committed: list[str] = []
    expired: list[str] = []
    for attr in state.attrs:
        history = attr.history
        if not history.has_changes():
            continue
        prop = state.mapper.attrs[attr.key]
        if isinstance(prop, ColumnProperty):
            values[prop.columns[0].key] = attr.value
            (expired if isinstance(attr.value, ColumnElement) else committed).append(attr.key)
        elif isinstance(prop, RelationshipProperty) and prop.direction is MANYTOONE:
            target = attr.value
            if target is None:
                values.update({_key(local): None for local, _ in prop.local_remote_pairs})
            else:
                values.update(_keys_of(prop, inspect(target), placed or {}))
            expired.append(attr.key)
        elif (
            isinstance(prop, RelationshipProperty)
            and prop.direction is ONETOMANY
            and not history.deleted
            and all(inspect(member) in new for member in history.added)
        ):
            expired.append(attr.key)  # new members: their own keys say so
        else:
            raise NotPlain(prop)
    return Changes(values, committed, expired)


def _keys_of(
    prop: RelationshipProperty[Any],
    target: InstanceState[Any],
    placed: Mapping[InstanceState[Any], CTE],
) -> dict[str, Any]:
    """The foreign key columns that point at `target`: its stored key, or its key as written
    earlier in the statement."""
    keys: dict[str, Any] = {}
    for local, remote in prop.local_remote_pairs:
        if target.identity is not None:
            keys[_key(local)] = target.identity[list(target.mapper.primary_key).index(remote)]
        elif target in placed:
            keys[_key(local)] = select(placed[target].c[_key(remote)]).scalar_subquery()
        else:
            raise NotPlain(prop)
    return keys


def _columns_read(new: list[InstanceState[Any]]) -> dict[Table, set[Column[Any]]]:
    read: dict[Table, set[Column[Any]]] = {}
    for state in new:
        for value in state.dict.values():
            if isinstance(value, ColumnElement):
                for element in iterate(value):
                    if isinstance(element, Column) and isinstance(element.table, Table):
                        read.setdefault(element.table, set()).add(element)
    return read


def _view_columns(table: Table, read: set[Column[Any]]) -> list[Column[Any]]:
    """The primary key and the columns read, in the table's order."""
    if len(table.primary_key.columns) != 1:
        raise NotPlain(table)
    return [column for column in table.columns if column.primary_key or column in read]


def _refers_to(state: InstanceState[Any]) -> set[InstanceState[Any]]:
    return {
        inspect(state.dict[prop.key])
        for prop in state.mapper.relationships
        if prop.direction is MANYTOONE and state.dict.get(prop.key) is not None
    }


def _table(state: InstanceState[Any]) -> Table:
    mapper = state.mapper
    table = mapper.local_table
    if mapper.inherits is not None or mapper.version_id_col is not None:
        raise NotPlain(mapper)
    if not isinstance(table, Table):
        raise NotPlain(mapper)
    return table


def _default(column: Column[Any]) -> Any:
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        return default.arg
    if isinstance(default, CallableColumnDefault):
        return default.arg(None)  # type: ignore[arg-type]  # the ones here need no context
    raise NotPlain(column)


def _key(column: ColumnElement[Any]) -> str:
    key = getattr(column, "key", None)
    if not isinstance(key, str):
        raise NotPlain(column)
    return key
