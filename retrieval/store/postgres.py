"""PostgreSQL as the store (issue 14): chosen by `RETRIEVAL_DB=postgresql://...`, the same records (documents,
community, web sources) over psycopg 3, so several bot processes on several machines share one source of
truth. SQLite stays the embedded default.

It keeps SQLiteFile's discipline (one writer connection in one transaction at a time per process, a reader
connection per thread, calls in flight counted so a close never cuts one off); PostgreSQL adds what several
processes need: the schema created under an advisory lock, the generation bumped in the database itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

from ..errors import DatabaseFailure
from .community_records import CommunityRecords
from .job_records import JobRecords
from .connection import SQLiteFile
from .postgres_sql import PgConnection, PgDatabase, create_schema
from .store import DocumentRecords
from .web_records import WebRecords

log = logging.getLogger(__name__)
CHANGES_CHANNEL = "corpus_changes"
SCHEMA_LOCK = 7_270_013  # pg_advisory_xact_lock key: one process creates the tables, the others wait
CONNECT_TIMEOUT_SECONDS = 10


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The address without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class PostgresFile(SQLiteFile):
    """The connections, the write lock and the schema of one PostgreSQL database."""

    def __init__(self, url: str, *, read_only: bool | None = None) -> None:  # noqa: D107 - see the class
        self.url = url
        self.path = redact(url)  # what messages name (SQLiteFile's messages say "path")
        self._memory = False
        self.read_only = bool(read_only)
        self._write_lock = threading.RLock()
        self._calls = 0
        self._calls_done = threading.Condition()
        self._local = threading.local()
        self._readers: list[PgDatabase] = []
        try:
            conn = self._connect()
        except psycopg.Error as exc:
            raise DatabaseFailure(f"{self.path}: cannot connect to PostgreSQL ({_first_line(exc)})", self.path) from None
        self.db = PgDatabase(conn)
        if not self.read_only:
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
                create_schema(conn)
        self.tables = frozenset(self.db.table_names())

    def _connect(self, **options: object) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS, **options)

    def _new_reader(self) -> PgDatabase:
        return PgDatabase(self._connect())

    @contextmanager
    def _snapshot_connection(self) -> Iterator[PgConnection]:
        """A connection of its own in one REPEATABLE READ transaction: one consistent state for an index build."""
        conn = psycopg.connect(self.url, autocommit=False, connect_timeout=CONNECT_TIMEOUT_SECONDS)
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
        """NOTIFY on commit: every process LISTENing (retrieval/store/follower.py) applies the change at once."""
        self.db.conn.execute("select pg_notify(?, ?)", [CHANGES_CHANNEL, str(generation)])


class PostgresStore(DocumentRecords, CommunityRecords, WebRecords, JobRecords, PostgresFile):
    """The shared store: documents, passages, community and web records in PostgreSQL, and the jobs queue."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
