"""Web sources and their pages (migration m009): a mixin of Store, so a sync's documents and its pages'
records land in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import UnknownDocument
from ..models import Document, Passage
from .connection import utc_now
from .failures import translating


@dataclass(frozen=True)
class WebSource:
    id: int | None  # None: not stored yet (its first sync stores it)
    scope: str
    url: str
    site: bool  # the section under the address, not the page alone
    max_pages: int
    max_depth: int
    added_by: str = ""
    added_at: str = ""
    synced_at: str = ""
    summary: str = ""
    pages: int = 0


@dataclass(frozen=True)
class PageRecord:
    url: str
    doc_id: str
    etag: str | None = None
    last_modified: str | None = None
    page_hash: str = ""
    links: tuple[str, ...] = ()


class WebRecords:
    """Mixed into Store (which provides db, _read, _writing, tables and apply)."""

    @translating
    def web_sources(self, scope: str | None = None) -> list[WebSource]:
        """A server's sources (None: every server's), oldest first, with their page counts."""
        if "web_sources" not in self.tables:
            return []
        sql = ("select s.*, (select count(*) from web_pages p where p.source_id = s.id) as pages from web_sources s"
               + (" where s.scope = ?" if scope is not None else "") + " order by s.scope, s.id")
        return [WebSource(r["id"], r["scope"], r["url"], bool(r["site"]), r["max_pages"], r["max_depth"],
                          r["added_by"] or "", r["added_at"] or "", r["synced_at"] or "", r["summary"] or "", r["pages"])
                for r in self._read.query(sql, [scope] if scope is not None else [])]

    @translating
    def web_source(self, scope: str, key: str) -> WebSource:
        """A source of the server by its number or its address."""
        from ..web.discover import normalise  # the address as typed: "HTTPS://Docs.Example.org/a#top"

        for source in self.web_sources(scope):
            if key.strip() in (str(source.id), f"#{source.id}") or normalise(key) == source.url:
                return source
        raise UnknownDocument(f"No web source {key!r} in this server; /corpus sources lists them")

    @translating
    def web_source_of(self, doc_id: str) -> WebSource | None:
        """The web source a document is a page of, if any."""
        if "web_pages" not in self.tables:
            return None
        rows = list(self._read.query("select s.* from web_pages p join web_sources s on s.id = p.source_id "
                                     "where p.doc_id = ? limit 1", [doc_id]))
        if not rows:
            return None
        r = rows[0]
        return WebSource(r["id"], r["scope"], r["url"], bool(r["site"]), r["max_pages"], r["max_depth"])

    @translating
    def web_pages(self, source_id: int | None) -> dict[str, PageRecord]:
        if source_id is None:
            return {}
        rows = self._read.query("select * from web_pages where source_id = ?", [source_id])
        return {r["url"]: PageRecord(r["url"], r["doc_id"], r["etag"], r["last_modified"], r["page_hash"] or "",
                                     tuple(filter(None, (r["links"] or "").split("\n")))) for r in rows}

    @translating
    def page_doc_ids_elsewhere(self, source_id: int | None, doc_ids: Sequence[str]) -> set[str]:
        """Which of these documents another source also has (an overlapping section): they stay."""
        if not doc_ids:
            return set()
        marks = ", ".join("?" for _ in doc_ids)
        rows = self._read.conn.execute(f"select distinct doc_id from web_pages where doc_id in ({marks}) "
                                       "and source_id != ?", [*doc_ids, source_id if source_id is not None else -1])
        return {r[0] for r in rows}

    @translating
    def apply_web_sync(self, source: WebSource, upserts: Iterable[tuple[Document, list[Passage], list[str]]],
                       removals: Sequence[str], pages: Sequence[PageRecord], gone_urls: Sequence[str],
                       summary: str) -> int:
        """The sync's documents, the source (stored on its first sync) and its pages' records, all or nothing;
        the source's id."""
        with self._writing():
            now = utc_now()
            table = self.db["web_sources"]
            if source.id is None:
                source_id = table.insert({"scope": source.scope, "url": source.url, "site": int(source.site),
                                          "max_pages": source.max_pages, "max_depth": source.max_depth,
                                          "added_by": source.added_by, "added_at": now, "synced_at": now,
                                          "summary": summary}).last_pk
            else:
                source_id = source.id
                table.update(source_id, {"synced_at": now, "summary": summary, "max_pages": source.max_pages,
                                         "max_depth": source.max_depth, "site": int(source.site)})
            self.apply(upserts, removals)
            for url in gone_urls:
                self.db.conn.execute("delete from web_pages where source_id = ? and url = ?", [source_id, url])
            self.db["web_pages"].upsert_all(
                ({"source_id": source_id, "url": p.url, "doc_id": p.doc_id, "etag": p.etag,
                  "last_modified": p.last_modified, "page_hash": p.page_hash, "links": "\n".join(p.links),
                  "fetched_at": now} for p in pages), pk=("source_id", "url"))
            return int(source_id)

    @translating
    def record_failed_sync(self, source_id: int, summary: str) -> None:
        """A sync that failed as a whole counts as the period's attempt (the schedule waits a period to retry)."""
        with self._writing():
            self.db["web_sources"].update(source_id, {"synced_at": utc_now(), "summary": summary[:500]})

    @translating
    def remove_web_source(self, source: WebSource, removals: Sequence[str]) -> None:
        """The source, its pages' records and the documents no other source has, all or nothing."""
        with self._writing():
            self.db.conn.execute("delete from web_pages where source_id = ?", [source.id])
            self.db.conn.execute("delete from web_sources where id = ?", [source.id])
            self.apply([], removals)
