"""One pass over a web source: which pages it has now, which of them changed, and why others were skipped.

A page known from the last pass is asked for conditionally (its ETag and Last-Modified), and a body equal
to the last one (same hash) is unchanged too: an unchanged page costs one small request and no reading.
Bounded by pages, link depth, total bytes and time; a pass cut short by a bound says so (`complete` is
False), so pages it did not reach are not taken for vanished.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .address_guard import RefusedAddress
from .client import FetchFailed, Limits, Response, WebClient
from .discover import in_section, normalise, page_links, parse_sitemap, section_of
from .robots import UNREADABLE, Robots

log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml")
DOCUMENT_TYPES = HTML_TYPES + ("text/plain", "text/markdown", "text/x-markdown", "application/pdf")
SITEMAP_TYPES = ("application/xml", "text/xml", "application/x-xml", "text/plain")
MAX_SITEMAP_FILES = 20
MAX_SITEMAP_BYTES = 10 * 1024 * 1024  # one sitemap file, parsed in this process
Progress = Callable[[int, int, str], None]  # (pages done, pages known so far, current address)


@dataclass(frozen=True)
class Bounds:
    max_pages: int = 200
    max_depth: int = 3  # links followed from the start page (0: the start page and the sitemap's pages)
    max_total_bytes: int = 100 * 1024 * 1024
    max_seconds: float = 600.0


@dataclass(frozen=True)
class Known:
    """What the last pass kept of a page."""

    etag: str | None = None
    last_modified: str | None = None
    page_hash: str = ""
    links: tuple[str, ...] = ()  # its in-section links, followed again when it answers 304


@dataclass(frozen=True)
class Page:
    url: str
    content_type: str
    body: bytes  # empty for an unchanged page
    known: Known  # validators and links to keep for the next pass


@dataclass
class Pass:
    changed: list[Page] = field(default_factory=list)  # new, or a body unlike the last one: to read
    unchanged: list[Page] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # 404 or 410 now
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (address, why): not a document, robots, ...
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, why): kept as they were
    stopped: str | None = None  # the bound that cut the pass short
    sitemap: bool = False  # the pages came from a sitemap

    @property
    def complete(self) -> bool:
        return self.stopped is None

    @property
    def reached(self) -> set[str]:
        return {p.url for p in self.changed + self.unchanged}


def page_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def content_type_for(response: Response) -> str:
    """text/plain served for a .md file is Markdown (many servers know no Markdown type)."""
    if response.content_type == "text/plain" and urlsplit(response.url).path.lower().endswith((".md", ".markdown")):
        return "text/markdown"
    return response.content_type


class Crawl:
    def __init__(self, client: WebClient, bounds: Bounds, known: dict[str, Known], progress: Progress | None = None):
        self.client, self.bounds, self.known = client, bounds, known
        self.progress = progress or (lambda done, total, url: None)
        self.deadline = time.monotonic() + bounds.max_seconds
        self.robots = Robots(client, self.deadline)
        self.result = Pass()
        self.visited: set[str] = set()  # addresses asked for, and where they redirected
        self.downloaded = 0  # bytes of pages and sitemaps

    async def run(self, start: str, site: bool) -> Pass:
        start = normalise(start)
        section = section_of(start)
        queue: deque[tuple[str, int]] = deque()
        follow_links = site
        if site:
            listed = await self._sitemap_pages(start, section)
            if listed:
                self.result.sitemap, follow_links = True, False
                queue.extend((url, 0) for url in listed)
        if not queue or (start not in {u for u, _ in queue} and not start.endswith(".xml")):
            queue.appendleft((start, 0))
        # Pages of the last pass not found this time are asked for again at the end: a page is removed
        # only when the site says it is gone (or now refuses it), never because a link or a sitemap was missing.
        rechecks = [url for url in self.known if url not in {u for u, _ in queue}]
        seen = {url for url, _ in queue}
        done = 0
        while queue or rechecks:
            if (stopped := self._bound_reached(done)) is not None:
                self.result.stopped = stopped
                break
            url, depth = queue.popleft() if queue else (rechecks.pop(0), self.bounds.max_depth)
            if url in self.visited:
                continue  # reached already, as where another address redirected
            self.progress(done, done + len(queue) + len(rechecks) + 1, url)
            page = await self._visit_safely(url, section if site else None)
            done += 1
            if page is not None and follow_links and depth < self.bounds.max_depth:
                for link in page.known.links:
                    if link not in seen:
                        seen.add(link)
                        queue.append((link, depth + 1))
        self.progress(done, done, "")
        return self.result

    def _bound_reached(self, done: int) -> str | None:
        if done >= self.bounds.max_pages:
            return f"the page limit ({self.bounds.max_pages}) was reached"
        if time.monotonic() > self.deadline:
            return f"the time limit ({self.bounds.max_seconds:.0f} s) was reached"
        if self.downloaded > self.bounds.max_total_bytes:
            return f"the download limit ({self.bounds.max_total_bytes / 1e6:.0f} MB) was reached"
        return None

    async def _visit_safely(self, url: str, section: str | None) -> Page | None:
        """One page; whatever goes wrong with it is that page's failure (kept as it was), not the pass's."""
        self.visited.add(url)
        try:
            return await self._visit(url, section)
        except Exception as exc:  # noqa: BLE001 - logged for the operator, one line for the report
            log.warning("web page %s failed", url, exc_info=True)
            self.result.failed.append((url, f"could not be read ({type(exc).__name__})"))
            return None

    async def _visit(self, url: str, section: str | None) -> Page | None:
        result = self.result
        if (refused := await self.robots.refusal(url)) is not None:
            (result.failed if refused == UNREADABLE else result.skipped).append((url, refused))
            return None
        known = self.known.get(url)
        try:
            response = await self.client.get(url, accept=DOCUMENT_TYPES, deadline=self.deadline,
                                             etag=known.etag if known else None,
                                             last_modified=known.last_modified if known else None)
        except RefusedAddress as exc:
            result.skipped.append((url, str(exc)))
            return None
        except FetchFailed as exc:
            result.failed.append((url, str(exc)))
            return None
        final = normalise(response.url)
        if final != url:
            if section is not None and not in_section(final, section):
                result.skipped.append((url, f"it moved outside the section, to {final}"))
                return None
            if final in self.visited or not await self.robots.allows(final):
                return None  # the same page under another address, or one robots.txt keeps away
            self.visited.add(final)
            known = self.known.get(final)  # the page is known by where it is
        if response.not_modified and known is None:
            result.failed.append((url, "the site answered 304 to a request that was not conditional"))
            return None
        if response.not_modified:
            page = Page(final, "", b"", Known(response.etag or known.etag, response.last_modified or known.last_modified,
                                            known.page_hash, known.links))
            result.unchanged.append(page)
            return page
        if response.status in (404, 410):
            result.gone.append(url)
            return None
        if response.status >= 400:
            result.failed.append((url, f"the site answered HTTP {response.status}"))
            return None
        self.downloaded += len(response.body)
        kind = content_type_for(response)
        if kind not in DOCUMENT_TYPES:
            result.skipped.append((url, f"not a document ({kind or 'no content type'})"))
            return None
        links: tuple[str, ...] = ()
        index = True
        if kind in HTML_TYPES:
            found = page_links(response.body, response.url)
            index = found.index
            if found.follow and section is not None:
                links = tuple(link for link in found.links if in_section(link, section))
        validators = Known(response.etag, response.last_modified, page_hash(response.body), links)
        if not index:
            result.skipped.append((url, "the page asks not to be indexed (noindex)"))
            return Page(url, kind, b"", validators)  # its links are still followed
        page = Page(final if final != url else url, kind, response.body, validators)
        same = known is not None and known.page_hash == validators.page_hash
        (result.unchanged if same else result.changed).append(page)
        return page

    async def _sitemap_pages(self, start: str, section: str) -> list[str]:
        """The section's pages listed by its sitemap: the start address itself when it is one, robots.txt's
        Sitemap lines, then the usual places."""
        origin = section.split("/", 3)[:3]
        candidates = ([start] if start.endswith(".xml") else []) + await self.robots.sitemaps(start)
        candidates += [section + "sitemap.xml", "/".join(origin) + "/sitemap.xml"]
        host = urlsplit(start).netloc
        pending = deque(dict.fromkeys(u for c in candidates if (u := normalise(c)) and urlsplit(u).netloc == host))
        tried: set[str] = set()
        pages: list[str] = []
        while pending and len(tried) < MAX_SITEMAP_FILES and time.monotonic() < self.deadline:
            url = pending.popleft()
            if url in tried:
                continue
            tried.add(url)
            if not await self.robots.allows(url):
                continue
            try:
                response = await self.client.get(url, accept=SITEMAP_TYPES, deadline=self.deadline,
                                                 max_bytes=min(MAX_SITEMAP_BYTES, self.client.limits.max_bytes))
            except (FetchFailed, RefusedAddress):
                continue
            self.downloaded += len(response.body)
            sitemap = parse_sitemap(response.body) if response.status == 200 else None
            if sitemap is None:
                continue
            pending.extend(u for s in sitemap.sitemaps if (u := normalise(s)) and urlsplit(u).netloc == host)
            pages.extend(u for p in sitemap.pages if (u := normalise(p)) and in_section(u, section))
        return list(dict.fromkeys(pages))


async def crawl(start: str, site: bool, limits: Limits, bounds: Bounds, known: dict[str, Known],
                progress: Progress | None = None) -> Pass:
    async with WebClient(limits) as client:
        return await Crawl(client, bounds, known, progress).run(start, site)
