"""Engine and sessions. One request, one session; the worker and CLI open their own."""

from __future__ import annotations

import select
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, current_app, g
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, Select, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

# Execution options for the statements of sessions that begin on their first write (below).
# A write that is whole on its own (one atomic statement, committed straight after): run at
# once, it needs no BEGIN and no COMMIT of its own.
SINGLE_STATEMENT = {"single_statement": True}


class Database:
    """Each app owns one, so two apps in one process (tests) never share an engine."""

    def __init__(self, url: str, info: Mapping[str, object] | None = None) -> None:
        self.engine: Engine = make_engine(url)
        bind = (
            begin_on_first_write(self.engine) if self.engine.dialect.name == "postgresql" else None
        )
        # `info` is copied into every session (the timeline's subscribers, say).
        self.sessionmaker: sessionmaker[Session] = sessionmaker(
            bind or self.engine, expire_on_commit=False, info=dict(info or {})
        )

    def init_app(self, app: Flask) -> None:
        app.extensions["db"] = self
        # Close at the end of every request, even when an outer app context is shared (tests,
        # CLI), so no request ever sees another's identity map.
        app.teardown_request(self._close_request_session)
        app.teardown_appcontext(self._close_request_session)

    @property
    def session(self) -> Session:
        """The session of the current request or app context."""
        if "db_session" not in g:
            g.db_session = self.sessionmaker()
        return g.db_session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session outside any request (worker, CLI), committed on success."""
        with self.sessionmaker.begin() as session:
            yield session

    @staticmethod
    def _close_request_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def make_engine(url: str, migrating: bool = False) -> Engine:
    """`migrating` is for the migrations' own engine; on SQLite it turns foreign keys off
    (Alembic's batch mode rebuilds a table by copy, drop and rename, which SQLite refuses while
    other tables' keys point at it) and puts DDL inside the transaction (pysqlite runs CREATE,
    ALTER and DROP outside any), so a migration that fails half-way is rolled back whole, as on
    PostgreSQL."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        if migrating:
            event.listen(engine, "connect", _sqlite_for_migrations)
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_recycle=POOL_RECYCLE_SECONDS)
    _drop_closed_connections(engine)
    return engine


def begin_on_first_write(engine: Engine) -> Engine:
    """The engine for sessions on PostgreSQL: a transaction begins only when a session first
    writes or locks a row. Under READ COMMITTED each statement reads its own snapshot inside a
    transaction too, so the reads before the first write lose nothing by running on their own,
    and a webhook that only reads, or writes one statement, saves its BEGIN and COMMIT round
    trips (a voice turn: four round trips become two)."""
    event.listen(engine, "before_cursor_execute", _begin_before_writing)
    return engine.execution_options(isolation_level="AUTOCOMMIT", begin_on_first_write=True)


def _begin_before_writing(  # type: ignore[no-untyped-def]
    connection, cursor, _statement, _parameters, context: ExecutionContext, _executemany
) -> None:
    """BEGIN before the first statement that writes or locks a row. The connection is in
    autocommit, so psycopg's commit() sends COMMIT only when a transaction was begun (and
    rollback() a ROLLBACK)."""
    options = context.execution_options
    if not options.get("begin_on_first_write") or options.get("single_statement"):
        return
    status = connection.connection.dbapi_connection.info.transaction_status
    if status != TransactionStatus.IDLE or _reads_only(context):
        return
    cursor.execute("BEGIN")


def _reads_only(context: ExecutionContext) -> bool:
    """A SELECT that takes no row lock; anything else (writes, SAVEPOINT, text) begins."""
    statement = getattr(context.compiled, "statement", None)
    return isinstance(statement, Select) and statement._for_update_arg is None


# Connections older than this are replaced at their next checkout, so no connection outlives a
# firewall's or a proxy's idle limit by much.
POOL_RECYCLE_SECONDS = 1800


def _drop_closed_connections(engine: Engine) -> None:
    """Check a pooled connection at checkout without a round trip: an idle connection has
    nothing to read, so a socket that is readable (the server's "terminating connection" on a
    restart, or the end of the stream) or hung up belongs to a dead session, and the pool
    replaces it. `pool_pre_ping` would send a query on every checkout instead: at people's pace
    nearly every webhook's connection has sat idle, so that was a round trip per webhook."""

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        if not is_idle_and_open(dbapi_connection):
            # The pool discards this connection and checks out a fresh one (up to 3 tries).
            raise DisconnectionError("the server closed this pooled connection")


def is_idle_and_open(dbapi_connection: Any) -> bool:
    """False when the connection's socket has bytes waiting or was hung up."""
    try:
        descriptor = dbapi_connection.fileno()
    except (OSError, ValueError, psycopg.Error):  # closed or broken: no descriptor
        return False
    if descriptor < 0:
        return False
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


def _sqlite_for_migrations(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()
    # pysqlite stops issuing its own BEGIN (only ever before INSERT/UPDATE/DELETE); _sqlite_begin
    # issues one when SQLAlchemy starts a transaction, so DDL is inside it too.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    connection.exec_driver_sql("BEGIN")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the worker read while a webhook writes; foreign keys are off by default in SQLite.
    # synchronous=NORMAL in WAL mode survives a crash of the application (every commit is in the
    # log); only a power cut can lose the last commits. Production runs on PostgreSQL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def upsert_for(session: Session) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    """The INSERT that takes ON CONFLICT on the session's database (PostgreSQL or SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def get_db() -> Database:
    """The current app's database."""
    return current_app.extensions["db"]
