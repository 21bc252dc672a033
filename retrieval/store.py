"""The only module that speaks SQL. One SQLite file through sqlite-utils; every change is one transaction
and bumps `generation`, which the index files record so a stale or half-written index is detected.

sqlite3's errors never leave this module: each public method turns them into the named, one-line
`DatabaseFailure`s of errors.py (read-only, full, locked, not a database). A database whose file or
folder cannot be written is opened read-only (`mode=ro`), without schema changes or WAL set-up, so it
still answers questions; a change then fails at once with `DatabaseReadOnly`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import sqlite_utils

from .errors import DatabaseFailure, DatabaseFull, DatabaseLocked, DatabaseReadOnly, NotADatabase, UnknownDocument
from .models import Document, Passage
from .schema import READ_TABLES, migrate
from .schema import pending as pending_migrations

log = logging.getLogger(__name__)
# How long a write waits for another program's write lock before it fails with DatabaseLocked.
BUSY_TIMEOUT_SECONDS = 30.0
# SQLite's primary result codes (the low byte of an extended code).
_PERM, _BUSY, _LOCKED, _READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 5, 6, 8, 11, 13, 14, 26


def database_failure(exc: sqlite3.Error, path: Path | str) -> DatabaseFailure:
    """sqlite3's error -> the named one-line failure, naming the file."""
    if isinstance(exc, DatabaseFailure):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    where = str(path)
    if primary in (_READONLY, _PERM) or "readonly database" in text:
        return DatabaseReadOnly(f"{where}: the database is read-only (check the permissions of the file and its "
                                "folder); questions are answered, changes cannot be made", where)
    if primary == _FULL or "disk is full" in text:
        return DatabaseFull(f"{where}: the disk is full (or the database reached its size limit); nothing was "
                            "changed", where)
    if primary in (_BUSY, _LOCKED) or "database is locked" in text:
        return DatabaseLocked(f"{where}: the database is locked by another program (a change running "
                              "elsewhere?); try again when it is done", where)
    if primary in (_NOTADB, _CORRUPT) or "not a database" in text or "malformed" in text:
        return NotADatabase(f"{where}: not a corpus database (not an SQLite file, or damaged)", where)
    if primary == _CANTOPEN or "unable to open" in text:
        return DatabaseFailure(f"{where}: cannot open the database (check that it and its folder exist and can "
                               "be read)", where)
    return DatabaseFailure(f"{where}: the database failed ({text})", where)


_F = TypeVar("_F", bound=Callable[..., Any])


def _translating(method: _F) -> _F:
    """A Store method (or generator method) whose sqlite3 errors become `DatabaseFailure`s."""
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self: "Store", *args: Any, **kwargs: Any) -> Any:
            try:
                return (yield from method(self, *args, **kwargs))
            except DatabaseFailure:
                raise
            except sqlite3.Error as exc:
                raise database_failure(exc, self.path) from exc

        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def wrapper(self: "Store", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except DatabaseFailure:
            raise
        except sqlite3.Error as exc:
            raise database_failure(exc, self.path) from exc

    return wrapper  # type: ignore[return-value]


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """Documents, passages (with their stored tokens), feedback and metadata in one SQLite file."""

    def __init__(self, path: Path | str, *, read_only: bool | None = None) -> None:
        """Open (or create) the database; read-only when `read_only`, or by default when the file or its
        folder cannot be written. Raises a `DatabaseFailure` (one line) when it cannot be used."""
        self.path = Path(path)
        self._memory = str(path) == ":memory:"
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite_utils.Database] = []
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

    def close(self) -> None:
        """After the write in flight (a thread may still be recording a reply when the bot stops): closing
        a connection another thread is writing on can crash the process, not just fail."""
        with self._write_lock:
            self._closed = True
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
            reader = sqlite_utils.Database(self._connect())
            self._local.reader = reader
            self._readers.append(reader)
        return reader

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

    @_translating
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

    # -- writes -------------------------------------------------------------------------------------
    @_translating
    def apply(self, upserts: Iterable[tuple[Document, list[Passage], list[str]]],
              removals: Iterable[str] = (), meta: dict[str, str] | None = None) -> None:
        """Replace documents (with their passages and tokens) and remove others, all or nothing."""
        with self._writing():
            for doc_id in removals:
                self._delete_document(doc_id)
            upserts = iter(upserts)
            while chunk := list(itertools.islice(upserts, 500)):
                self._upsert_chunk(chunk)
            for key, value in (meta or {}).items():
                self._set_meta(key, value)
            self._bump_generation()

    _DOC_COLUMNS = ("id", "scope", "title", "source", "path", "content_hash", "added_at", "updated_at", "text")
    _PASSAGE_COLUMNS = ("id", "doc_id", "ordinal", "text", "start", "end", "tokens", "heading")

    def _upsert_chunk(self, chunk: list[tuple[Document, list[Passage], list[str]]]) -> None:
        """A few hundred documents at once: one lookup of the existing ones, then executemany inserts
        (per-row sqlite-utils inserts were most of the ingest time)."""
        conn = self.db.conn
        ids = [doc.id for doc, _, _ in chunk]
        marks = ", ".join("?" for _ in ids)
        existing = dict(conn.execute(f"select id, added_at from documents where id in ({marks})", ids).fetchall())
        for doc_id in ids:  # replace: whatever was stored under these ids goes
            self._delete_document(doc_id)
        docs = [(d.id, d.scope, d.title, d.source, d.path, d.content_hash, existing.get(d.id, d.added_at),
                 d.updated_at, d.text) for d, _, _ in chunk]
        conn.executemany(f"insert into documents ({', '.join(f'[{c}]' for c in self._DOC_COLUMNS)}) "
                         f"values ({', '.join('?' for _ in self._DOC_COLUMNS)})", docs)
        rows = ((p.id, p.doc_id, p.ordinal, p.text, p.start, p.end, tokens, p.heading)
                for _, passages, token_strings in chunk for p, tokens in zip(passages, token_strings, strict=True))
        conn.executemany(f"insert into passages ({', '.join(f'[{c}]' for c in self._PASSAGE_COLUMNS)}) "
                         f"values ({', '.join('?' for _ in self._PASSAGE_COLUMNS)})", rows)

    @_translating
    def content_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """doc id -> content hash of those stored, in one query per 500 ids."""
        out: dict[str, str] = {}
        for i in range(0, len(doc_ids), 500):
            chunk = list(doc_ids[i : i + 500])
            sql = f"select id, content_hash from documents where id in ({', '.join('?' for _ in chunk)})"
            out.update(self._read.conn.execute(sql, chunk).fetchall())
        return out

    def _delete_document(self, doc_id: str) -> None:
        self.db.conn.execute("delete from passages where doc_id = ?", [doc_id])
        self.db.conn.execute("delete from documents where id = ?", [doc_id])

    @_translating
    def retokenize(self, tokenize_passage: "callable[[str], str]", meta: dict[str, str]) -> int:
        """Re-derive every passage's stored tokens from its stored text (tokenizer changed), one
        transaction, a few thousand rows at a time by rowid, so memory stays bounded at any size."""
        conn, done, last = self.db.conn, 0, -1
        with self._writing():
            while rows := conn.execute("select rowid, text from passages where rowid > ? order by rowid limit 5000",
                                       [last]).fetchall():
                conn.executemany("update passages set tokens = ? where rowid = ?",
                                 [(tokenize_passage(text), rowid) for rowid, text in rows])
                done, last = done + len(rows), rows[-1][0]
            for key, value in meta.items():
                self._set_meta(key, value)
            self._bump_generation()
        return done

    @_translating
    def remember_reply(self, message_id: str, scope: str, question: str, answer: str, passage_ids: list[str]) -> None:
        """What an answer message showed, for its buttons (a re-sent id replaces the old record)."""
        with self._writing():
            self.db["replies"].insert({"message_id": message_id, "scope": scope, "question": question,
                                       "answer": answer, "passage_ids": " ".join(passage_ids),
                                       "created_at": utc_now()}, replace=True)

    @_translating
    def reply(self, message_id: str) -> dict | None:
        """(question, scope, passage_ids) an answer message showed; None for one not recorded (sent by an
        earlier release, or while the database was read-only)."""
        if "replies" not in self._read.table_names():
            return None  # a read-only database of an earlier release
        rows = list(self._read.query("select * from replies where message_id = ?", [message_id]))
        if not rows:
            return None
        row = rows[0]
        return {"question": row["question"], "scope": row["scope"], "answer": row["answer"] or "",
                "passage_ids": row["passage_ids"].split()}

    @_translating
    def add_feedback(self, scope: str, user_id: str, question: str, answer: str, passage_ids: list[str],
                     vote: int, message_id: str | None = None) -> bool:
        """Store a vote; one per user and answer message (a changed vote replaces it). False if it was
        already recorded as is."""
        with self._writing():
            if message_id is not None:
                old = self.db.conn.execute("select id, vote from feedback where scope = ? and message_id = ? "
                                           "and user_id = ?", [scope, message_id, user_id]).fetchone()
                if old and old[1] == vote:
                    return False
                if old:
                    self.db.conn.execute("update feedback set vote = ?, created_at = ? where id = ?",
                                         [vote, utc_now(), old[0]])
                    return True
            self.db["feedback"].insert({"scope": scope, "user_id": user_id, "question": question, "answer": answer,
                                        "passage_ids": " ".join(passage_ids), "vote": vote,
                                        "created_at": utc_now(), "message_id": message_id})
            return True

    # -- reads --------------------------------------------------------------------------------------
    @staticmethod
    def _document(row: dict) -> Document:
        return Document(id=row["id"], title=row["title"], source=row["source"], content_hash=row["content_hash"],
                        added_at=row["added_at"], updated_at=row["updated_at"], text=row.get("text") or "",
                        scope=row["scope"] or "", path=row.get("path") or "")

    @_translating
    def get_document(self, doc_id: str, with_text: bool = True, missing_ok: bool = False) -> Document | None:
        columns = "*" if with_text else "id, scope, title, source, path, content_hash, added_at, updated_at"
        rows = list(self._read.query(f"select {columns} from documents where id = ?", [doc_id]))
        if not rows:
            if missing_ok:
                return None
            raise UnknownDocument(f"no document with id {doc_id!r}")
        return self._document(rows[0])

    @_translating
    def documents(self, scopes: Iterable[str] | None = None) -> list[Document]:
        sql = "select id, scope, title, source, path, content_hash, added_at, updated_at from documents"
        params: list[str] = []
        if scopes is not None:
            scopes = list(scopes)
            sql += f" where scope in ({', '.join('?' for _ in scopes)})"
            params = scopes
        return [self._document(r) for r in self._read.query(sql + " order by scope, id", params)]

    def documents_under(self, folder: Path, scope: str = "") -> list[Document]:
        prefix = str(folder.resolve()).rstrip("/") + "/"
        return [d for d in self.documents([scope]) if d.path.startswith(prefix)]

    @_translating
    def get_passage(self, passage_id: str) -> Passage:
        rows = list(self._read.query("select * from passages where id = ?", [passage_id]))
        if not rows:
            raise UnknownDocument(f"no passage with id {passage_id!r}")
        r = rows[0]
        return Passage(r["id"], r["doc_id"], r["ordinal"], r["text"], r["start"], r["end"], r.get("heading") or "")

    _INDEX_ROWS_SQL = ("select p.id, d.scope, p.tokens, d.title, p.heading from passages p "
                       "join documents d on d.id = p.doc_id")

    @_translating
    def iter_index_rows(self, batch: int = 10_000, doc_ids: Sequence[str] | None = None
                        ) -> Iterator[tuple[str, str, str, str, str | None]]:
        """(passage_id, scope, passage tokens, title, heading) ordered by document id then ordinal, streamed in
        batches; all passages, or only those of `doc_ids`."""
        if doc_ids is None:
            yield from _fetch(self._read.conn.execute(self._INDEX_ROWS_SQL + " order by p.doc_id, p.ordinal"), batch)
            return
        ids = sorted(set(doc_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = self._INDEX_ROWS_SQL + f" where p.doc_id in ({', '.join('?' for _ in chunk)}) order by p.doc_id, p.ordinal"
            yield from _fetch(self._read.conn.execute(sql, chunk), batch)

    @contextmanager
    @_translating
    def index_snapshot(self, batch: int = 10_000) -> Iterator[tuple[int, Iterator[tuple[str, str, str, str, str | None]]]]:
        """(generation, every index row) read in one transaction on a connection of its own, so a
        background merge sees one consistent state while writers go on."""
        if self._memory:
            raise ValueError("an in-memory database has no second connection")
        conn = self._connect(isolation_level=None)
        try:
            conn.execute("begin")
            row = conn.execute("select value from meta where key = 'generation'").fetchone()
            rows = conn.execute(self._INDEX_ROWS_SQL + " order by p.doc_id, p.ordinal")
            yield int(row[0]) if row else 0, _fetch(rows, batch)
        finally:
            conn.close()

    @_translating
    def passage_rows(self, passage_ids: list[str]) -> dict[str, dict]:
        """Passage text (and its stored tokens) plus its document's title and source, for rendering hits."""
        out: dict[str, dict] = {}
        for i in range(0, len(passage_ids), 500):
            chunk = passage_ids[i : i + 500]
            sql = ("select p.id, p.doc_id, p.ordinal, p.text, p.tokens, p.heading, d.title, d.source from passages p "
                   f"join documents d on d.id = p.doc_id where p.id in ({', '.join('?' for _ in chunk)})")
            for row in self._read.query(sql, chunk):
                out[row["id"]] = row
        return out

    @_translating
    def counts(self) -> dict[str, int]:
        q = lambda sql: next(iter(self._read.query(sql)))["n"]  # noqa: E731
        return {"documents": q("select count(*) n from documents"), "passages": q("select count(*) n from passages"),
                "feedback": q("select count(*) n from feedback")}

    def scope_usage(self, scope: str, excluding: str | None = None) -> dict[str, int]:
        """What one scope (a server) holds: documents, passages and characters of text, leaving out
        `excluding` (a document about to be replaced)."""
        skip = excluding or ""
        row = next(iter(self._read.query(
            "select count(*) documents, coalesce(sum(length(text)), 0) chars from documents "
            "where scope = ? and id != ?", [scope, skip])))
        passages = next(iter(self._read.query(
            "select count(*) n from passages p join documents d on d.id = p.doc_id where d.scope = ? and d.id != ?",
            [scope, skip])))["n"]
        return {"documents": row["documents"], "passages": passages, "chars": row["chars"]}

    @_translating
    def feedback(self, scope: str | None = None, limit: int = 50) -> list[dict]:
        if scope is None:
            return list(self._read.query("select * from feedback order by id desc limit ?", [limit]))
        return list(self._read.query("select * from feedback where scope = ? order by id desc limit ?", [scope, limit]))


def _fetch(cursor: sqlite3.Cursor, batch: int) -> Iterator[tuple]:
    while rows := cursor.fetchmany(batch):
        yield from rows
