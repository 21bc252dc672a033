"""A web source -> its pages as documents: crawl (crawl.py), read each changed page like an upload (in a child
process under limits: a page is untrusted), then one transaction for the documents and the pages' records.

A page that fails (an error, a timeout, a body that cannot be read) keeps its previous version; a page
that is gone (404/410) or now refused (robots.txt, noindex, not a document, moved out of the section) is
removed; a known page no longer linked or listed is asked for again, and stays while it is served. Called by Corpus under its one-change-per-server lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import posixpath
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import BadDocument
from ..files.sandbox import prepare_many_bounded
from ..models import IngestReport
from ..store import Store
from ..store.web_records import PageRecord, WebSource
from .client import Limits
from .crawl import Bounds, Known, Page, Pass, Progress, crawl
from .discover import normalise

BATCH_PAGES, BATCH_BYTES = 25, 8 * 1024 * 1024  # pages read in one child process
SUFFIXES = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt", "text/markdown": ".md",
            "text/x-markdown": ".md", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class SyncReport:
    source: WebSource
    added: tuple[str, ...] = ()  # addresses
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    skipped: tuple[tuple[str, str], ...] = ()  # (address, why)
    failed: tuple[tuple[str, str], ...] = ()  # (address, why): kept as they were
    stopped: str | None = None
    passages: int = 0
    documents: IngestReport = IngestReport()  # by document id, for the index

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        text = (f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged, {len(self.skipped)} skipped, {len(self.failed)} failed")
        return text + (f"; stopped early: {self.stopped}" if self.stopped else "")

    def details(self, limit: int = 10) -> list[str]:
        """One line per page worth a moderator's look: what changed, and why others were skipped or failed."""
        lines = [f"{label}: {_short(url)}" for label, urls in (("added", self.added), ("changed", self.changed),
                                                               ("removed", self.removed)) for url in urls]
        lines += [f"skipped {_short(url)}: {_short(why)}" for url, why in self.skipped]
        lines += [f"failed {_short(url)}: {_short(why)}" for url, why in self.failed]
        return lines[:limit] + ([f"… and {len(lines) - limit} more"] if len(lines) > limit else [])


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def web_limits(settings: Settings) -> Limits:
    return Limits(max_bytes=settings.max_file_bytes, timeout_seconds=settings.web_timeout_seconds,
                  interval_seconds=settings.web_request_interval, allowed=settings.web_allow_networks)


def new_source(url: str, scope: str, settings: Settings, *, site: bool, max_pages: int | None = None,
               max_depth: int | None = None, added_by: str = "") -> WebSource:
    """A source to add: its bounds are the asker's, within the operator's."""
    pages = min(max_pages or settings.web_max_pages, settings.web_max_pages) if site else 1
    depth = min(settings.web_max_depth if max_depth is None else max_depth, settings.web_max_depth)
    return WebSource(None, scope, normalise(url), site, max(pages, 1), max(depth, 0), added_by)


def _stem(url: str) -> str:
    """The last part of the address's path, without its suffix ("" for a folder's root)."""
    return posixpath.splitext(posixpath.basename(urlsplit(url).path.rstrip("/")))[0]


def web_doc_id(url: str, scope: str) -> str:
    """A readable, stable id: the page's last path part (or host) and a hash of its address."""
    stem = _stem(url) or urlsplit(url).hostname or "page"
    slug = re.sub(r"[^\w-]+", "-", stem.casefold()).strip("-")[:40] or "page"
    doc_id = f"{slug}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"
    return f"{scope}/{doc_id}" if scope else doc_id


def _file_name(url: str, content_type: str) -> str:
    return (_stem(url) or "index")[:60] + SUFFIXES[content_type]


def sync_source(store: Store, settings: Settings, source: WebSource, progress: Progress | None = None,
                check_quota: Callable[[int, int, int, tuple[str, ...]], None] | None = None
                ) -> tuple[SyncReport, Callable[[], SyncReport]]:
    """Crawl and read a source; returns the report and the write to run under the index's lock (so the
    slow part runs while other servers' changes and every question go on)."""
    records = store.web_pages(source.id)
    stored = store.content_hashes(sorted({r.doc_id for r in records.values()}))
    records = {url: r for url, r in records.items() if r.doc_id in stored}  # a page without its document: new
    known = {url: Known(r.etag, r.last_modified, r.page_hash, r.links) for url, r in records.items()}
    bounds = Bounds(max_pages=source.max_pages, max_depth=source.max_depth,
                    max_total_bytes=settings.web_max_total_bytes, max_seconds=settings.web_max_seconds)
    result: Pass = asyncio.run(crawl(source.url, source.site, web_limits(settings), bounds, known, progress))
    if source.id is None and not result.reached:
        why = next((w for _, w in result.failed + result.skipped), "no page could be read")
        if result.gone:
            why = "the page was not found (HTTP 404)"
        raise BadDocument(f"Nothing was added from {source.url}: {why}")

    def doc_id_of(url: str) -> str:
        return records[url].doc_id if url in records else web_doc_id(url, source.scope)

    failed = list(result.failed)
    prepared, pages, added, changed, added_ids, changed_ids = [], [], [], [], [], []
    read: list = []
    reading_until = time.monotonic() + settings.web_max_seconds  # reading is bounded like fetching
    for batch in _batches(result.changed):
        if time.monotonic() > reading_until:
            read += [BadDocument(f"{page.url}: not read, the sync's time limit was reached") for page in batch]
            continue
        read += prepare_many_bounded([(page.body, _file_name(page.url, page.content_type),
                                       dict(scope=source.scope, source=page.url, doc_id=doc_id_of(page.url)))
                                      for page in batch], settings)
    seen_ids: set[str] = set()
    for page, item in zip(result.changed, read):
        if isinstance(item, BadDocument):
            failed.append((page.url, str(item).split(": ", 1)[-1]))
            continue
        if item.document.id in seen_ids:
            continue  # one page under two addresses
        seen_ids.add(item.document.id)
        prepared.append(item)
        (changed if page.url in records else added).append(page.url)
        (changed_ids if page.url in records else added_ids).append(item.document.id)
        pages.append(_record(page.url, doc_id_of(page.url), page.known))
    pages += [_record(p.url, doc_id_of(p.url), p.known) for p in result.unchanged]
    # Removed: what the site now says is gone (404/410) or refuses (robots.txt, noindex, not a document, moved
    # away); a page that failed, or that the pass did not reach, is kept as it was.
    vanished = {url for url in records if url in set(result.gone) | {u for u, _ in result.skipped}}
    vanished -= result.reached
    vanished_ids = [records[url].doc_id for url in sorted(vanished)]
    shared = store.page_doc_ids_elsewhere(source.id, vanished_ids)
    removals = [doc_id for doc_id in vanished_ids if doc_id not in shared]
    if check_quota is not None:  # new pages, and the new size of changed ones in place of their old
        check_quota(len(added_ids), sum(len(p.passages) for p in prepared), sum(len(p.document.text) for p in prepared),
                    tuple(changed_ids))
    report = SyncReport(source, tuple(added), tuple(changed), tuple(sorted(vanished)), len(result.unchanged),
                        tuple(result.skipped), tuple(failed), result.stopped, sum(len(p.passages) for p in prepared),
                        IngestReport(tuple(added_ids), tuple(changed_ids), tuple(removals), (),
                                     sum(len(p.passages) for p in prepared)))

    def commit() -> SyncReport:
        source_id = store.apply_web_sync(source, ((p.document, p.passages, p.tokens) for p in prepared), removals,
                                         pages, sorted(vanished), report.summary())
        return replace(report, source=replace(source, id=source_id))

    return report, commit


def _batches(pages: list[Page]) -> Iterator[list[Page]]:
    """Pages read together in one child: at most BATCH_PAGES of them and BATCH_BYTES of bodies."""
    batch: list[Page] = []
    size = 0
    for page in pages:
        if batch and (len(batch) >= BATCH_PAGES or size + len(page.body) > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(page)
        size += len(page.body)
    if batch:
        yield batch


def _record(url: str, doc_id: str, known: Known) -> PageRecord:
    return PageRecord(url, doc_id, known.etag, known.last_modified, known.page_hash, known.links)
