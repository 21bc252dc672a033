"""One polite, bounded HTTP GET for web sources, on aiohttp (already installed with discord.py).

Safe by default: every connection's addresses are checked when it is made (a resolver that refuses inside
addresses, so a name cannot change its answer between a check and the connection), redirects are followed by
hand with every hop checked, no cookies are kept and no credentials or proxies from the environment are used;
bodies are capped while they stream (decompressed), each request has a deadline, and only document types are
read. Polite: a user agent naming the project, one request at a time per host in this process (HostGate), a
pause between requests to a host, and Retry-After honoured within the sync's time.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from .address_guard import Network, RefusedAddress, check_url, permitted, refuse_inside

USER_AGENT = "corpus-qa-bot/0.1 (a question-answering bot over documents; honours robots.txt)"
REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
CHUNK = 64 * 1024


class FetchFailed(Exception):
    """One page could not be fetched; the message is one line, safe to show (it names no local detail)."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024  # one body, after decompression
    timeout_seconds: float = 20.0  # one request, connection to last byte
    interval_seconds: float = 0.5  # between two requests to one host
    max_wait_seconds: float = 60.0  # the longest Retry-After (or robots Crawl-delay) waited for
    allowed: tuple[Network, ...] = ()  # inside networks the operator allows


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    content_type: str  # lowercase, without parameters
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class GuardedResolver(AbstractResolver):
    """The default resolver, refusing a name when any of its addresses is inside (unless allowed)."""

    def __init__(self, allowed: tuple[Network, ...]) -> None:
        self._inner = DefaultResolver()
        self._allowed = allowed

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            if not permitted(result["host"], self._allowed):
                raise RefusedAddress(str(refuse_inside(host, result["host"])))
        return results

    async def close(self) -> None:
        await self._inner.close()


class HostGate:
    """One request at a time per host across every sync of this process (they may run on different threads'
    loops), with a pause after each; a host's Retry-After pushes its next turn back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self._next: dict[str, float] = {}

    async def acquire(self, host: str, deadline: float) -> None:
        while True:
            with self._lock:
                wait = self._next.get(host, 0.0) - time.monotonic()
                if host not in self._busy and wait <= 0:
                    self._busy.add(host)
                    return
            if time.monotonic() + max(wait, 0.0) > deadline:
                raise FetchFailed(f"{host} asked to wait longer than this sync may take")
            await asyncio.sleep(min(max(wait, 0.02), 0.25))

    def release(self, host: str, pause: float) -> None:
        with self._lock:
            self._busy.discard(host)
            self._next[host] = max(self._next.get(host, 0.0), time.monotonic() + pause)


GATE = HostGate()


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class WebClient:
    """One session for one sync: `async with WebClient(limits) as client: await client.get(url, ...)`."""

    def __init__(self, limits: Limits, gate: HostGate = GATE) -> None:
        self.limits, self.gate = limits, gate
        self.crawl_delay: dict[str, float] = {}  # host -> robots.txt Crawl-delay (capped)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "WebClient":
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.limits.allowed), limit_per_host=1)
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
            headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=self.limits.timeout_seconds))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, url: str, *, accept: tuple[str, ...] | None, deadline: float, etag: str | None = None,
                  last_modified: str | None = None, max_bytes: int | None = None) -> Response:
        """GET with redirects checked hop by hop; `accept`: content types read (None: any); a 304 is returned
        as is; `max_bytes`: a smaller cap than the limits' (robots.txt, sitemaps). Raises FetchFailed (or
        RefusedAddress) with one line."""
        headers = {"If-None-Match": etag} if etag else {}
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, allowed=self.limits.allowed, resolver=None)  # scheme, credentials, literal addresses
            response = await self._once(url, headers, accept, deadline, max_bytes or self.limits.max_bytes)
            if isinstance(response, Response):
                return response
            url = response  # a redirect's target (checked at the top of the loop)
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")

    async def _once(self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None,
                    deadline: float, max_bytes: int) -> Response | str:
        host = urlsplit(url).netloc.lower()
        for attempt in range(2):  # a second try only after a Retry-After
            await self.gate.acquire(host, deadline)
            pause = max(self.limits.interval_seconds, self.crawl_delay.get(host, 0.0))
            try:
                result = await self._request(url, headers, accept, max_bytes)
            except Retry as retry:
                pause = max(pause, min(retry.seconds, self.limits.max_wait_seconds))
                if attempt or retry.seconds > self.limits.max_wait_seconds or time.monotonic() + retry.seconds > deadline:
                    raise FetchFailed(f"the site is busy (HTTP {retry.status}); try again later") from None
                continue
            finally:
                self.gate.release(host, pause)
            return result
        raise AssertionError("unreachable")

    async def _request(self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None,
                       max_bytes: int) -> Response | str:
        assert self._session is not None, "use WebClient as an async context manager"
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                if resp.status in REDIRECT_CODES and resp.headers.get("Location"):
                    return urljoin(url, resp.headers["Location"])
                if resp.status in (429, 503):
                    raise Retry(resp.status, retry_after_seconds(resp.headers.get("Retry-After")) or 5.0)
                content_type = (resp.content_type or "").lower()
                common = dict(url=url, status=resp.status, content_type=content_type,
                              etag=resp.headers.get("ETag"), last_modified=resp.headers.get("Last-Modified"))
                if resp.status == 304 or resp.status >= 400:
                    return Response(**common)
                if resp.status != 200:
                    raise FetchFailed(f"unexpected answer HTTP {resp.status}")
                if accept is not None and content_type not in accept:
                    return Response(**common)  # the caller says why it is skipped; the body is never read
                if (resp.content_length or 0) > max_bytes:
                    raise FetchFailed(f"too big ({resp.content_length / 1e6:.1f} MB; the limit is "
                                      f"{max_bytes / 1e6:.1f} MB)")
                body = await self._read_capped(resp, max_bytes)
                return Response(**common, body=body)
        except RefusedAddress:
            raise
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, RefusedAddress):
                raise exc.os_error from None
            raise FetchFailed("the host name cannot be resolved") from None
        except (asyncio.TimeoutError, TimeoutError):
            raise FetchFailed(f"no complete answer within {self.limits.timeout_seconds:.0f} s") from None
        except aiohttp.ClientError as exc:
            raise FetchFailed(f"the connection failed ({type(exc).__name__})") from None
        except (ValueError, UnicodeError):  # an address yarl or the resolver cannot take ("http://a..b/")
            raise FetchFailed("not a valid address") from None

    async def _read_capped(self, resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
        """The body, refused as soon as it passes the cap (a lying or absent Content-Length, a gzip bomb)."""
        parts: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchFailed(f"too big (over the {max_bytes / 1e6:.1f} MB limit)")
            parts.append(chunk)
        return b"".join(parts)


class Retry(Exception):
    def __init__(self, status: int, seconds: float) -> None:
        self.status, self.seconds = status, seconds
