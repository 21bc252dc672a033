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
from .community_records import CommunityRecords
from .connection import SQLiteFile, utc_now
from .failures import translating
from .web_records import WebRecords

CHANGES_KEPT = 10_000  # generations of changes kept for other processes' indexes to catch up


class DocumentRecords:
    """Documents, passages (with their stored tokens) and metadata, in SQL both backends speak (`?` marks,
    `[column]` quoting): mixed into Store (SQLite) and PostgresStore (postgres.py), which provide db, _read,
    _writing, _snapshot_connection and the metadata."""

    # -- writes -------------------------------------------------------------------------------------
    @translating
    def apply(self, upserts: Iterable[tuple[Document, list[Passage], list[str]]],
              removals: Iterable[str] = (), meta: dict[str, str] | None = None) -> None:
        """Replace documents (with their passages and tokens) and remove others, all or nothing."""
        with self._writing():
            removals = list(removals)
            fresh: list[str] = []
            for doc_id in removals:
                self._delete_document(doc_id)
            upserts = iter(upserts)
            while chunk := list(itertools.islice(upserts, 500)):
                self._upsert_chunk(chunk)
                fresh += [doc.id for doc, _, _ in chunk]
            for key, value in (meta or {}).items():
                self._set_meta(key, value)
            self._bump_generation()
            self._log_change(fresh, removals)

    def _log_change(self, fresh: Sequence[str], gone: Sequence[str]) -> None:
        """What this generation changed, for other processes' indexes to follow (changes_since); `gone` of
        ["*"]: everything (a rebuild). Announced to them on commit (PostgreSQL's NOTIFY)."""
        if "changes" not in self.tables:
            return
        generation = self.generation
        self.db["changes"].insert({"generation": generation, "fresh": "\n".join(fresh), "gone": "\n".join(gone),
                                   "at": utc_now()}, replace=True)
        self.db.conn.execute("delete from changes where generation < ?", [generation - CHANGES_KEPT])
        self._announce(generation)

    @translating
    def changes_since(self, generation: int) -> list[tuple[int, set[str], set[str]]] | None:
        """(generation, documents added or changed, documents removed) after `generation`, oldest first; None
        when the log no longer reaches back that far (a full rebuild is then needed)."""
        if "changes" not in self.tables:
            return None
        rows = [(r["generation"], set(filter(None, (r["fresh"] or "").split("\n"))),
                 set(filter(None, (r["gone"] or "").split("\n"))))
                for r in self._read.query("select * from changes where generation > ? order by generation",
                                          [generation])]
        expected = list(range(generation + 1, generation + 1 + len(rows)))
        if [g for g, _, _ in rows] != expected or any("*" in gone for _, _, gone in rows):
            return None
        return rows

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
            self._log_change([], ["*"])
        return done

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
            yield from _rows(self._read.conn, self._INDEX_ROWS_SQL + " order by p.doc_id, p.ordinal", (), batch)
            return
        ids = sorted(set(doc_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = self._INDEX_ROWS_SQL + f" where p.doc_id in ({', '.join('?' for _ in chunk)}) order by p.doc_id, p.ordinal"
            yield from _rows(self._read.conn, sql, chunk, batch)

    @contextmanager
    @translating
    def index_snapshot(self, batch: int = 10_000) -> Iterator[tuple[int, Iterator[tuple[str, str, str, str, str | None]]]]:
        """(generation, every index row) read in one transaction on a connection of its own, so a
        background merge sees one consistent state while writers go on."""
        with self._snapshot_connection() as conn:
            row = conn.execute("select value from meta where key = 'generation'").fetchone()
            yield int(row[0]) if row else 0, _rows(conn, self._INDEX_ROWS_SQL + " order by p.doc_id, p.ordinal",
                                                   (), batch)

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

    def scope_usage(self, scope: str, excluding: str | Sequence[str] | None = None) -> dict[str, int]:
        """What one scope (a server) holds: documents, passages and characters of text, leaving out
        `excluding` (documents about to be replaced)."""
        skip = [excluding] if isinstance(excluding, str) else list(excluding or ()) or [""]
        marks = ", ".join("?" for _ in skip)
        row = next(iter(self._read.query(
            f"select count(*) documents, coalesce(sum(length(text)), 0) chars from documents "
            f"where scope = ? and id not in ({marks})", [scope, *skip])))
        passages = next(iter(self._read.query(
            f"select count(*) n from passages p join documents d on d.id = p.doc_id where d.scope = ? "
            f"and d.id not in ({marks})", [scope, *skip])))["n"]
        return {"documents": row["documents"], "passages": passages, "chars": row["chars"]}


def _fetch(cursor: sqlite3.Cursor, batch: int) -> Iterator[tuple]:
    while rows := cursor.fetchmany(batch):
        yield from rows


def _rows(conn, sql: str, params: Sequence, batch: int) -> Iterator[tuple]:
    """A query's rows streamed: SQLite's cursor already steps through them; PostgreSQL's needs a server-side one."""
    if hasattr(conn, "stream"):
        return conn.stream(sql, params, batch)
    return _fetch(conn.execute(sql, list(params)), batch)


class Store(DocumentRecords, CommunityRecords, WebRecords, SQLiteFile):
    """The embedded default: documents, passages and metadata in one SQLite file; what each server's community
    leaves (replies, votes, settings, gaps, notices) is CommunityRecords, its web sources WebRecords."""
