"""PostgreSQL as the store (issue 14): chosen by `RETRIEVAL_DB=postgresql://...`, the same records (documents,
community, web sources) over psycopg 3, so several bot processes on several machines share one source of
truth. SQLite stays the embedded default.

It keeps SQLiteFile's discipline (one writer connection in one transaction at a time per process, a reader
connection per thread, calls in flight counted so a close never cuts one off); PostgreSQL adds what several
processes need: the schema created under an advisory lock, the generation bumped in the database itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

from ..errors import DatabaseFailure
from .community_records import CommunityRecords
from .job_records import JobRecords
from .connection import SQLiteFile
from .failures import first_line
from .postgres_sql import PgConnection, PgDatabase, create_schema
from .store import DocumentRecords
from .web_records import WebRecords

log = logging.getLogger(__name__)
CHANGES_CHANNEL = "corpus_changes"
PG_SCHEMA_VERSION = 1  # bumped with every change to postgres_sql.SCHEMA: the next process to start applies it
SCHEMA_LOCK = 7_270_013  # advisory lock key: one process creates the tables or seeds, the others wait
SCOPE_LOCKS = 7_270_014  # pg_try_advisory_lock(SCOPE_LOCKS, hashtext(scope)): one change per server
CONNECT_TIMEOUT_SECONDS = 10


def redact(url: str) -> str:
    """The address without its password, for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc if parts.password is None else parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))  # the query may hold a password too


class PostgresFile(SQLiteFile):
    """The connections, the write lock and the schema of one PostgreSQL database."""

    def __init__(self, url: str, *, read_only: bool | None = None) -> None:  # noqa: D107 - see the class
        self.url = url
        self.path = redact(url)  # what messages name (SQLiteFile's messages say "path")
        self._memory = False
        self.read_only = bool(read_only)
        self._set_up_connections()
        try:
            self.db = PgDatabase(self._connect())
            if not self.read_only:
                self._ensure_pg_schema()
            self.tables = frozenset(self.db.table_names())
        except psycopg.Error as exc:
            raise DatabaseFailure(f"{self.path}: cannot open the PostgreSQL store ({first_line(exc)})",
                                  self.path) from None

    def _ensure_pg_schema(self) -> None:
        """Create the tables once, under an advisory lock; a store already at this schema is opened without
        any lock (creating an index takes a table lock even when it exists, which would wait for every write)."""
        conn = self.db.conn.raw

        def current() -> bool:
            exists = conn.execute("select to_regclass('meta') is not null").fetchone()[0]
            row = exists and conn.execute("select value from meta where key = 'pg_schema'").fetchone()
            return bool(row) and row[0] == str(PG_SCHEMA_VERSION)

        if current():
            return
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
            if current():  # another process made it while this one waited: its tables are in use already
                return
            create_schema(conn)
            conn.execute("insert into meta (key, value) values ('pg_schema', %s) on conflict (key) do update "
                         "set value = excluded.value", [str(PG_SCHEMA_VERSION)])

    @contextmanager
    def seeding(self) -> Iterator[None]:
        """One process at a time seeds a new store, across machines. The same advisory lock as the schema's, so
        no process creates tables or indexes (table locks) while another seeds (row locks)."""
        with self._connect() as conn:
            conn.execute("select pg_advisory_lock(%s)", [SCHEMA_LOCK])
            yield

    @contextmanager
    def changing(self, scope: str) -> Iterator[bool]:
        """Whether this process may change `scope` now: one change per server across every process (an advisory
        lock held for the block, released if the process dies); False when another process holds it."""
        with self._connect() as conn:
            got = conn.execute("select pg_try_advisory_lock(%s, hashtext(%s))", [SCOPE_LOCKS, scope]).fetchone()[0]
            yield bool(got)

    @property
    def _read(self) -> PgDatabase:
        """SQLiteFile's reader rule, with a connection the server dropped (a restart, a failover) replaced."""
        db = super()._read
        if db is not self.db and (db.conn.raw.closed or db.conn.raw.broken):
            self._local.reader = None
            db = super()._read
        return db

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._write_lock:
            if not getattr(self._local, "writing", 0) and (self.db.conn.raw.closed or self.db.conn.raw.broken):
                self.db = PgDatabase(self._connect())  # the server dropped the writer's connection
            with super()._writing():
                yield

    def _connect(self, autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_SECONDS)

    def _new_reader(self) -> PgDatabase:
        return PgDatabase(self._connect())

    @contextmanager
    def _snapshot_connection(self) -> Iterator[PgConnection]:
        """A connection of its own in one REPEATABLE READ transaction: one consistent state for an index build."""
        conn = self._connect(autocommit=False)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        try:
            yield PgConnection(conn)
        finally:
            conn.rollback()
            conn.close()

    def _bump_generation(self) -> None:
        """In the database itself: two processes' changes never take the same generation (the row lock orders
        them)."""
        self.db.conn.execute("update meta set value = (value::bigint + 1)::text where key = 'generation'")

    def _announce(self, generation: int) -> None:
        """NOTIFY on commit: every process LISTENing (retrieval/index_follower.py) applies the change at once."""
        self.db.conn.execute("select pg_notify(?, ?)", [CHANGES_CHANNEL, str(generation)])


class PostgresStore(DocumentRecords, CommunityRecords, WebRecords, JobRecords, PostgresFile):
    """The shared store: documents, passages, community and web records in PostgreSQL, and the jobs queue."""
