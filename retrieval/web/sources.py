"""A server's web sources, as the console and the bot use them: add one (its first sync), re-sync them
all (by hand or on the server's schedule), list them, remove one with its pages. One change per server at a
time (the corpus's lock); the crawl runs outside the index's lock, so questions and other servers go on."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from ..corpus import Addition, Corpus
from ..errors import RetrievalError
from ..models import IngestReport
from ..store.web_records import WebSource
from .address_guard import check_url
from .crawl import Progress
from .sync import SyncReport, new_source, sync_source

log = logging.getLogger(__name__)


def names_source(key: str) -> bool:
    """Whether a /corpus remove (or console remove) argument names a web source: "#3" or an address."""
    key = key.strip()
    return (key.startswith("#") and key[1:].isdigit()) or key.lower().startswith(("http://", "https://"))


def describe(results: list[tuple[WebSource, SyncReport | None, str | None]], limit: int = 10) -> str:
    """What a re-sync did, for a moderator: one line per source, then its pages worth a look."""
    lines: list[str] = []
    for source, report, error in results:
        if report is None:
            lines.append(f"#{source.id} {source.url}: failed: {error}")
            continue
        lines.append(f"#{source.id} {source.url}: {report.summary()}")
        lines += [f"- {line}" for line in report.details(limit)]
    return "\n".join(lines) or "This server has no web sources; add one with /corpus add url:"


def add_source(corpus: Corpus, url: str, scope: str, *, site: bool = False, max_pages: int | None = None,
               max_depth: int | None = None, added_by: str = "", progress: Progress | None = None) -> SyncReport:
    """Add a page (or, with `site`, the section under it) and read it now. The same address again re-syncs
    it with the new bounds. Nothing is kept when nothing could be read."""
    check_url(url, allowed=corpus.settings.web_allow_networks)  # one line at once, before any request
    source = new_source(url, scope, corpus.settings, site=site, max_pages=max_pages, max_depth=max_depth,
                        added_by=added_by)
    known = next((s for s in corpus.store.web_sources(scope) if s.url == source.url), None)
    if known is not None:
        source = WebSource(known.id, scope, known.url, source.site, source.max_pages, source.max_depth,
                           known.added_by, known.added_at)
    with corpus.changing(scope):
        return _sync(corpus, source, progress)


def refresh_sources(corpus: Corpus, scope: str, progress: Progress | None = None
                    ) -> list[tuple[WebSource, SyncReport | None, str | None]]:
    """Re-sync every source of the server: (source, its report, or the one line why it failed)."""
    out: list[tuple[WebSource, SyncReport | None, str | None]] = []
    with corpus.changing(scope):
        for source in corpus.store.web_sources(scope):
            try:  # one source's failure leaves the others' syncs
                out.append((source, _sync(corpus, source, progress), None))
                continue
            except RetrievalError as exc:
                why = str(exc)
            except Exception as exc:  # noqa: BLE001 - logged for the operator, one line for the report
                log.warning("web source %s failed", source.url, exc_info=True)
                why = f"failed unexpectedly ({type(exc).__name__})"
            corpus.store.record_failed_sync(source.id, f"failed: {why}")
            out.append((source, None, why))
    return out


def remove_source(corpus: Corpus, scope: str, key: str) -> tuple[WebSource, int]:
    """Remove a source (by number or address) and its pages' documents; (the source, documents removed)."""
    with corpus.changing(scope):
        source = corpus.store.web_source(scope, key)
        doc_ids = sorted({p.doc_id for p in corpus.store.web_pages(source.id).values()})
        shared = corpus.store.page_doc_ids_elsewhere(source.id, doc_ids)
        removals = [d for d in doc_ids if d not in shared]
        with corpus.keeper.writing():
            corpus.store.remove_web_source(source, removals)
            corpus.keeper.changed(IngestReport(removed=tuple(removals)))
        return source, len(removals)


def sources_due(corpus: Corpus, scope: str, every: timedelta, now: datetime | None = None) -> bool:
    """Whether the server's sources are due for their scheduled re-sync (the oldest sync is `every` old)."""
    if every <= timedelta(0):
        return False
    synced = [s.synced_at for s in corpus.store.web_sources(scope)]
    if not synced:
        return False
    return (now or datetime.now(timezone.utc)) - datetime.fromisoformat(min(synced)) >= every  # utc_now's stamps


def _sync(corpus: Corpus, source: WebSource, progress: Progress | None) -> SyncReport:
    def quota(documents: int, passages: int, chars: int, replaces: tuple[str, ...]) -> None:
        corpus.check_quota(source.scope, Addition(documents, passages, chars, replaces))

    report, commit = sync_source(corpus.store, corpus.settings, source, progress, quota)
    with corpus.keeper.writing():
        final = commit()
        corpus.keeper.changed(report.documents)
    return final

