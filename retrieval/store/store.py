"""The only module that speaks SQL about the data: documents, passages (with their stored tokens), the
index rows read back, feedback and the answer replies' state. Every change is one transaction and bumps
`generation`, which the index files record so a stale or half-written index is detected. sqlite3's errors
never leave the package (failures.py)."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import UnknownDocument
from ..models import Document, Passage
from .connection import SQLiteFile, utc_now
from .failures import translating


class Store(SQLiteFile):
    """Documents, passages (with their stored tokens), feedback and metadata in one SQLite file."""

    # -- writes -------------------------------------------------------------------------------------
    @translating
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

    @translating
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

    @translating
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

    @translating
    def remember_reply(self, message_id: str, scope: str, question: str, answer: str, passage_ids: list[str],
                       channel_id: str | None = None) -> None:
        """What an answer message showed, for its buttons (a re-sent id replaces the old record)."""
        with self._writing():
            self.db["replies"].insert({"message_id": message_id, "scope": scope, "question": question,
                                       "answer": answer, "passage_ids": " ".join(passage_ids),
                                       "created_at": utc_now(), "channel_id": channel_id}, replace=True)

    @translating
    def last_question_in(self, channel_id: str, scope: str) -> str | None:
        """The question last answered in a channel (a thread) of this server."""
        rows = list(self._read.query("select question from replies where channel_id = ? and scope = ? "
                                     "order by created_at desc, rowid desc limit 1", [channel_id, scope]))
        return rows[0]["question"] if rows else None

    @translating
    def reply(self, message_id: str) -> dict | None:
        """(question, scope, passage_ids) an answer message showed; None for one not recorded (sent by an
        earlier release, or while the database was read-only)."""
        if "replies" not in self.tables:
            return None  # a read-only database of an earlier release
        rows = list(self._read.query("select * from replies where message_id = ?", [message_id]))
        if not rows:
            return None
        row = rows[0]
        return {"question": row["question"], "scope": row["scope"], "answer": row["answer"] or "",
                "passage_ids": row["passage_ids"].split()}

    @translating
    def server_settings(self, scope: str) -> dict[str, str]:
        """A server's own settings (name -> stored text); {} when it has none, or the table is not there yet
        (a read-only database of an earlier release)."""
        if "server_settings" not in self.tables:
            return {}
        return {r["name"]: r["value"] for r in self._read.query(
            "select name, value from server_settings where scope = ?", [scope])}

    @translating
    def set_server_setting(self, scope: str, name: str, value: str | None, who: str) -> None:
        """Set (None: back to the default) one setting of one server, and record the change."""
        with self._writing():
            if value is None:
                self.db.conn.execute("delete from server_settings where scope = ? and name = ?", [scope, name])
            else:
                self.db["server_settings"].insert({"scope": scope, "name": name, "value": value}, replace=True)
            self.db["server_setting_changes"].insert({"scope": scope, "name": name, "value": value,
                                                      "changed_by": who, "changed_at": utc_now()})

    @translating
    def server_setting_changes(self, scope: str, limit: int = 10) -> list[dict]:
        if "server_setting_changes" not in self.tables:
            return []
        return list(self._read.query("select name, value, changed_by, changed_at from server_setting_changes "
                                     "where scope = ? order by id desc limit ?", [scope, limit]))

    @translating
    def record_unanswered(self, scope: str, question: str, terms: str, confidence: str) -> None:
        with self._writing():
            self.db["unanswered"].insert({"scope": scope, "question": question, "terms": terms,
                                          "confidence": confidence, "asked_at": utc_now()})

    @translating
    def unanswered(self, scope: str | None, limit: int = 5_000) -> list[dict]:
        """The newest unanswered questions of a server (None: every server), newest first."""
        if "unanswered" not in self.tables:
            return []
        where, params = ("where scope = ?", [scope]) if scope is not None else ("", [])
        return list(self._read.query(f"select scope, question, terms, confidence, asked_at from unanswered {where} "
                                     "order by id desc limit ?", [*params, limit]))

    @translating
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

    @translating
    def get_document(self, doc_id: str, with_text: bool = True, missing_ok: bool = False) -> Document | None:
        columns = "*" if with_text else "id, scope, title, source, path, content_hash, added_at, updated_at"
        rows = list(self._read.query(f"select {columns} from documents where id = ?", [doc_id]))
        if not rows:
            if missing_ok:
                return None
            raise UnknownDocument(f"no document with id {doc_id!r}")
        return self._document(rows[0])

    @translating
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

    @translating
    def get_passage(self, passage_id: str) -> Passage:
        rows = list(self._read.query("select * from passages where id = ?", [passage_id]))
        if not rows:
            raise UnknownDocument(f"no passage with id {passage_id!r}")
        r = rows[0]
        return Passage(r["id"], r["doc_id"], r["ordinal"], r["text"], r["start"], r["end"], r.get("heading") or "")

    _INDEX_ROWS_SQL = ("select p.id, d.scope, p.tokens, d.title, p.heading from passages p "
                       "join documents d on d.id = p.doc_id")

    @translating
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
    @translating
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

    @translating
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

    @translating
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

    @translating
    def feedback(self, scope: str | None = None, limit: int = 50) -> list[dict]:
        if scope is None:
            return list(self._read.query("select * from feedback order by id desc limit ?", [limit]))
        return list(self._read.query("select * from feedback where scope = ? order by id desc limit ?", [scope, limit]))


def _fetch(cursor: sqlite3.Cursor, batch: int) -> Iterator[tuple]:
    while rows := cursor.fetchmany(batch):
        yield from rows
