"""A real HTTP server on loopback (aiohttp) for web-source tests: a small documentation site whose pages a
test can change, with robots.txt, a sitemap, redirects (one to a refused address), ETag/Last-Modified and
304s, 404/500, a slow page, an oversized body, a wrong content type and a 429 with Retry-After. It runs on its
own thread's event loop, so synchronous code (the console's crawl) and async tests can both reach it."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading
from dataclasses import dataclass, field

from aiohttp import web

LAST_MODIFIED = "Wed, 02 Dec 2026 10:00:00 GMT"
SITE = web.AppKey("site", object)
SLOW_SECONDS = web.AppKey("slow_seconds", float)
BIG_CHUNKS = web.AppKey("big_chunks", int)


def html(title: str, body: str, links: tuple[str, ...] = (), head: str = "") -> str:
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (f"<!doctype html><html><head><title>{title}</title>{head}</head><body><main><h1>{title}</h1>"
            f"<p>{body}</p></main><nav><ul>{anchors}</ul></nav></body></html>")


@dataclass
class Site:
    """What the server serves: path -> (content type, body), plus the switches tests flip."""

    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    robots: str = "User-agent: *\nDisallow: /docs/private/\n"
    robots_status: int = 200
    sitemap: bool = False  # serve /docs/sitemap.xml listing the section's pages
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # (path, user agent, status)
    retry_after_once: set[str] = field(default_factory=set)  # paths answering 429 once first
    retry_after_value: str = "1"
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location, sent as is
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, content_type: str = "text/html") -> None:
        self.pages[path] = (content_type, body.encode() if isinstance(body, str) else body)

    def hits(self, path: str) -> list[int]:
        return [status for p, _, status in self.requests if p == path]


def docs_site() -> Site:
    site = Site()
    links = ("a.html", "b.html", "sub/c.html", "private/secret.html", "../outside.html", "image.png", "data.bin",
             "broken.html", "missing.html", "moved.html", "evil.html", "big.html", "slow.html", "notes.md")
    site.put("/docs/index.html", html("Handbook", "The handbook of the Zephyr tool.", links))
    site.put("/docs/a.html", html("Installing Zephyr", "Install Zephyr with the command zephyr-setup --global. "
                                  "Installation takes about four minutes.", ("b.html",)))
    site.put("/docs/b.html", html("Configuring Zephyr", "The configuration file lives in /etc/zephyr/zephyr.toml "
                                  "and is read at start."))
    site.put("/docs/sub/c.html", html("Upgrading Zephyr", "Upgrade Zephyr by running zephyr-setup --upgrade, "
                                      "which keeps the configuration file.", ("deeper.html",)))
    site.put("/docs/sub/deeper.html", html("Deep page", "Only reached at depth three."))
    site.put("/docs/private/secret.html", html("Secret", "Robots keep this page away."))
    site.put("/outside.html", html("Outside", "Not in the section."))
    site.put("/docs/image.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")
    site.put("/docs/data.bin", b"\x00\x01" * 50, "application/octet-stream")
    site.put("/docs/notes.md", "# Release notes\n\nZephyr 2.0 dropped the legacy daemon.\n", "text/plain")
    return site


@web.middleware
async def _record(request: web.Request, handler):
    site = request.app[SITE]
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        site.requests.append((request.path, request.headers.get("User-Agent", ""), exc.status))
        raise
    site.requests.append((request.path, request.headers.get("User-Agent", ""), response.status))
    return response


async def _serve(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    path = request.path
    if path in site.retry_after_once:
        site.retry_after_once.discard(path)
        return web.Response(status=429, headers={"Retry-After": site.retry_after_value})
    if path in site.redirects:
        return web.Response(status=302, headers={"Location": site.redirects[path]})
    if path == "/robots.txt":
        return web.Response(text=site.robots, content_type="text/plain", status=site.robots_status)
    if path == "/docs/sitemap.xml" and site.sitemap:
        urls = "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in sorted(site.pages)
                       if p.startswith("/docs/") and site.pages[p][0] == "text/html")
        return web.Response(text=f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 f"{urls}</urlset>", content_type="application/xml")
    if path == "/docs/broken.html":
        return web.Response(status=500, text="oops")
    if path == "/docs/moved.html":
        raise web.HTTPMovedPermanently("/docs/a.html")
    if path == "/docs/evil.html":
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")
    if path == "/docs/slow.html":
        await asyncio.sleep(request.app[SLOW_SECONDS])
        return web.Response(text=html("Slow", "Too late."), content_type="text/html")
    if path == "/docs/bomb.html":  # 50 MB of zeros, gzip-encoded into about 50 KB
        body = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
        return web.Response(body=body, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    if path == "/docs/big.html":
        response = web.StreamResponse(headers={"Content-Type": "text/html"})  # no Content-Length: streamed
        await response.prepare(request)
        try:
            for _ in range(request.app[BIG_CHUNKS]):
                await response.write(b"<p>" + b"big " * 16_000 + b"</p>")
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped reading at its cap, as it should
        return response
    if path not in site.pages:
        raise web.HTTPNotFound()
    content_type, body = site.pages[path]
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(body=body, headers={"Content-Type": content_type, "ETag": etag,
                                            "Last-Modified": LAST_MODIFIED})


class SiteServer:
    """Start and stop the site on 127.0.0.1 in a thread: `with SiteServer(docs_site()) as site: ...`."""

    def __init__(self, site: Site, slow_seconds: float = 3.0, big_chunks: int = 400) -> None:
        self.site, self.slow_seconds, self.big_chunks = site, slow_seconds, big_chunks
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="web-site")
        self._runner: web.AppRunner | None = None

    async def _start(self) -> int:
        app = web.Application(middlewares=[_record])
        app[SITE], app[SLOW_SECONDS], app[BIG_CHUNKS] = self.site, self.slow_seconds, self.big_chunks
        app.router.add_route("GET", "/{tail:.*}", _serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        tcp = web.TCPSite(self._runner, "127.0.0.1", 0)
        await tcp.start()
        return tcp._server.sockets[0].getsockname()[1]

    def __enter__(self) -> Site:
        self._thread.start()
        self.site.port = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self.site

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
