"""One SQLite file through sqlite-utils: the writer's connection and one reader per thread (WAL), one
write at a time in one transaction, the schema brought up to date by migrations (schema.py), and the
read-only mode: a database whose file or folder cannot be written is opened `mode=ro`, without schema
changes or WAL set-up, so it still answers questions; a change then fails at once with DatabaseReadOnly."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from ..errors import DatabaseFailure, DatabaseReadOnly
from .failures import _CANTOPEN, _READONLY, database_failure, translating
from .schema import READ_TABLES, migrate
from .schema import pending as pending_migrations

log = logging.getLogger(__name__)
# How long a write waits for another program's write lock before it fails with DatabaseLocked.
BUSY_TIMEOUT_SECONDS = 30.0


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SQLiteFile:
    """The connections, the write lock and the schema of one database file; Store adds the tables' data."""
    def __init__(self, path: Path | str, *, read_only: bool | None = None) -> None:
        """Open (or create) the database; read-only when `read_only`, or by default when the file or its
        folder cannot be written. Raises a `DatabaseFailure` (one line) when it cannot be used."""
        self.path = Path(path)
        self._memory = str(path) == ":memory:"
        self._set_up_connections()
        self._target, self._uri = str(path), False
        if read_only is None:
            read_only = not self._memory and not self._writable()
        self.read_only = read_only and not self._memory
        conn: sqlite3.Connection | None = None
        try:
            if self.read_only:
                conn = self._open_read_only()
            else:
                if not self._memory:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = self._connect()
            self.db = sqlite_utils.Database(conn)
            if not self._memory and not self.read_only:
                self.db.enable_wal()
            self.db.execute("PRAGMA foreign_keys = ON")
            self._ensure_schema()
            # Known once: only a read-only database of an earlier release lacks some (it cannot be migrated).
            self.tables = frozenset(self.db.table_names())
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, DatabaseFailure):
                raise
            if isinstance(exc, sqlite3.Error):
                raise database_failure(exc, self.path) from exc
            if isinstance(exc, OSError):  # the folder cannot be made
                raise DatabaseFailure(f"{self.path}: cannot create the database's folder "
                                      f"({exc.strerror or exc})", str(self.path)) from exc
            raise

    def _set_up_connections(self) -> None:
        """The write lock, the per-thread readers and the count of calls in flight (both backends)."""
        self._write_lock = threading.RLock()
        self._calls = 0  # store calls in flight, on any thread
        self._calls_done = threading.Condition()
        self._local = threading.local()
        self._readers: list = []

    def _writable(self) -> bool:
        """Whether the database can be written: the file and its folder (or, for a new database, the
        nearest existing folder on its path). Root passes every permission check, as SQLite will too."""
        if self.path.exists():
            return os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        folder = self.path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return os.access(folder, os.W_OK)

    def _connect(self, **options: Any) -> sqlite3.Connection:
        """A connection to this database, read-only when the store is (every connection: readers too)."""
        return sqlite3.connect(self._target, uri=self._uri, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS,
                               **options)

    def _open_read_only(self) -> sqlite3.Connection:
        """`mode=ro`, which never writes. A WAL database in a read-only folder cannot make its shared-memory
        file, so SQLite refuses even to read it; with no write-ahead log left beside it (it was closed
        cleanly) nothing else can have written it, and `immutable=1` reads it without that file."""
        if not self.path.exists():
            raise DatabaseReadOnly(f"{self.path}: no database here, and its folder is read-only so none can be "
                                   "created", str(self.path))
        base = "file:" + quote(str(self.path.absolute()))
        self._target, self._uri = base + "?mode=ro", True
        conn = self._connect()
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            wal = self.path.with_name(self.path.name + "-wal")
            primary = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
            if primary not in (_READONLY, _CANTOPEN) or (wal.exists() and wal.stat().st_size > 0):
                raise
        log.info("%s: read-only folder and no write-ahead log: opened as an immutable file", self.path)
        self._target = base + "?mode=ro&immutable=1"
        conn = self._connect()
        conn.execute("select count(*) from sqlite_master").fetchone()
        return conn

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        with self._calls_done:
            self._calls += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1
            with self._calls_done:
                self._calls -= 1
                self._calls_done.notify_all()

    def calls_on_this_thread(self) -> int:
        """Store calls this thread is inside (0: a failed call is the outermost, and may be tried again)."""
        return getattr(self._local, "depth", 0)

    def close(self, wait_seconds: float = 10.0) -> None:
        """After the calls in flight (a thread may still be reading settings or recording a reply when the bot
        stops): closing a connection another thread is using can crash the process, not just fail. New calls
        are refused from the start of the close."""
        self._closed = True
        with self._calls_done:
            if not self._calls_done.wait_for(lambda: self._calls == 0, timeout=wait_seconds):
                log.warning("%s: closing with %d database calls still running", self.path, self._calls)
        with self._write_lock:
            for reader in self._readers:
                reader.close()
            self.db.close()

    def _refuse_if_closed(self) -> None:
        if getattr(self, "_closed", False):
            raise DatabaseFailure(f"{self.path}: the database is closed (the program is stopping)", str(self.path))

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise DatabaseReadOnly(f"{self.path}: the database is read-only (the file or its folder cannot be "
                                   "written); questions are answered, changes cannot be made", str(self.path))

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time, in one transaction; reads on this thread meanwhile see its own changes."""
        self._refuse_if_read_only()
        with self._write_lock:
            self._refuse_if_closed()
            self._local.writing = getattr(self._local, "writing", 0) + 1
            try:
                with self.db.atomic():
                    yield
            finally:
                self._local.writing -= 1

    @property
    def _read(self) -> sqlite_utils.Database:
        """The connection for reads: the writer's own inside a write, otherwise one per thread.

        Sharing the writer's connection across threads is not safe: sqlite-utils wraps each query in a
        SAVEPOINT, whose RELEASE on another thread can commit (or break) a writer's open transaction.
        With WAL, a reader's connection sees the last committed state and never waits for the writer.
        """
        self._refuse_if_closed()
        if getattr(self._local, "writing", 0) or self._memory:
            return self.db
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._new_reader()
            self._local.reader = reader
            self._readers.append(reader)
        return reader

    @contextmanager
    def seeding(self) -> Iterator[None]:
        """One process at a time seeds a new store (PostgreSQL locks across processes; one SQLite process needs
        none)."""
        yield

    @contextmanager
    def changing(self, scope: str) -> Iterator[bool]:
        """Whether this process may change `scope` now across processes (one SQLite process: always; the
        process's own lock is Corpus's)."""
        yield True

    def _announce(self, generation: int) -> None:
        """Tell other processes a change committed (PostgreSQL NOTIFYs; one SQLite process has nobody to tell)."""

    def _new_reader(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self._connect())

    @contextmanager
    def _snapshot_connection(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own inside one read transaction (a consistent state while writers go on)."""
        if self._memory:
            raise ValueError("an in-memory database has no second connection")
        conn = self._connect(isolation_level=None)
        try:
            conn.execute("begin")
            yield conn
        finally:
            conn.close()

    # -- schema -------------------------------------------------------------------------------------
    def _readable(self) -> bool:
        """The tables and columns reads need (a database of an earlier release, opened read-only)."""
        conn = self.db.conn
        names = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
        return READ_TABLES <= names and "heading" in {row[1] for row in conn.execute("pragma table_info(passages)")}

    def _ensure_schema(self) -> None:
        """Apply the migrations this database lacks (retrieval/schema.py). A current database is opened
        without a write, so a read-only or locked one still opens; a read-only one of an earlier release
        is read as it is when it can be."""
        todo = pending_migrations(self.db)
        if not todo:
            return
        if self.read_only:
            if self._readable():
                log.info("%s: read-only, so not migrated (%s pending); reads work", self.path, ", ".join(todo))
                return
            raise DatabaseReadOnly(f"{self.path}: the database is read-only and lacks this version's tables (it is "
                                   "new, or older); open it once with write access", str(self.path))
        with self._write_lock:
            migrate(self.db)

    @translating
    def get_meta(self, key: str) -> str | None:
        rows = list(self._read.query("select value from meta where key = ?", [key]))
        return rows[0]["value"] if rows else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def _bump_generation(self) -> None:
        self._set_meta("generation", str(self.generation + 1))
