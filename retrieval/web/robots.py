"""robots.txt, read with Protego (Scrapy's parser: wildcards, Allow/Disallow precedence, Crawl-delay,
Sitemap lines), once per site and sync, as RFC 9309 says: a missing file (4xx) allows everything, a server
error (5xx) or no answer forbids everything for now."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from protego import Protego

from ..errors import RetrievalError
from .client import FetchFailed, WebClient

log = logging.getLogger(__name__)
ROBOTS_AGENT = "corpus-qa-bot"
MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB (the rest of a longer file is ignored)
UNREADABLE = "the site's robots.txt could not be read (a server error or no answer), so nothing is read for now"


class Robots:
    """What robots.txt allows, per origin (scheme://host:port), fetched on first use."""

    def __init__(self, client: WebClient, deadline: float) -> None:
        self.client, self.deadline = client, deadline
        self._rules: dict[str, Protego | None] = {}  # None: nothing allowed (the file could not be read)

    async def _for(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            self._rules[origin] = await self._fetch(origin)
            rules = self._rules[origin]
            delay = rules.crawl_delay(ROBOTS_AGENT) if rules is not None else None
            if delay:
                self.client.crawl_delay[parts.netloc.lower()] = min(float(delay), self.client.limits.max_wait_seconds)
        return self._rules[origin]

    async def _fetch(self, origin: str) -> Protego | None:
        try:
            response = await self.client.get(f"{origin}/robots.txt", accept=None, deadline=self.deadline,
                                             max_bytes=4 * MAX_ROBOTS_BYTES)
        except FetchFailed as exc:
            log.info("robots.txt of %s unreadable (%s): nothing fetched from it", origin, exc)
            return None
        except RetrievalError:  # it redirects to an address the bot never fetches: as if there were none
            return Protego.parse("")
        if 400 <= response.status < 500:
            return Protego.parse("")
        if response.status != 200:
            return None
        text = response.body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        return Protego.parse(text)

    async def refusal(self, url: str) -> str | None:
        """Why robots.txt keeps the bot from `url` (UNREADABLE: for now), or None when it may be read."""
        rules = await self._for(url)
        if rules is None:
            return UNREADABLE
        return None if rules.can_fetch(url, ROBOTS_AGENT) else "robots.txt asks bots not to read it"

    async def allows(self, url: str) -> bool:
        return await self.refusal(url) is None

    async def sitemaps(self, url: str) -> list[str]:
        rules = await self._for(url)
        return list(rules.sitemaps) if rules is not None else []
