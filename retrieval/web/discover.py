"""Which pages a site section has: its sitemap's entries, or the links of its pages, kept to the section
(same scheme and host, under the start address's folder) and written one way (no fragment, lowercase host,
no default port), so one page is one document however it is linked.

Links are read with the standard library's streaming HTMLParser (only <a href>, <base href> and robots
meta tags are wanted, in bounded HTML); sitemaps with defusedxml, which refuses entity expansion tricks.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_LINK_HTML = 2 * 1024 * 1024  # links are read from the first 2 MB of a page
MAX_LINKS = 5_000  # per page
MAX_SITEMAP_URLS = 50_000  # the sitemap protocol's own limit per file
# Addresses that are never documents: not requested at all when met as links.
SKIPPED_SUFFIXES = frozenset(".png .jpg .jpeg .gif .webp .svg .ico .bmp .tif .tiff .css .js .mjs .json .map .woff "
                             ".woff2 .ttf .otf .eot .zip .gz .tgz .bz2 .xz .7z .rar .tar .deb .rpm .exe .msi .dmg "
                             ".iso .apk .mp3 .mp4 .m4a .ogg .wav .avi .mov .mkv .webm .flac .bin .img".split())


def normalise(url: str) -> str:
    """One spelling per page: lowercase scheme and host, no default port, no fragment, "/" for an empty path."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def section_of(url: str) -> str:
    """The folder a start address stands for: "https://h/docs/guide/intro.html" -> "https://h/docs/guide/"."""
    parts = urlsplit(normalise(url))
    folder = parts.path if parts.path.endswith("/") else posixpath.dirname(parts.path).rstrip("/") + "/"
    return urlunsplit((parts.scheme, parts.netloc, folder, "", ""))


def in_section(url: str, section: str) -> bool:
    return normalise(url).startswith(section)


def worth_requesting(url: str) -> bool:
    """http(s), and not obviously an image, archive or script by its name."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and posixpath.splitext(parts.path.lower())[1] not in SKIPPED_SUFFIXES


@dataclass
class PageLinks:
    links: list[str] = field(default_factory=list)
    follow: bool = True  # <meta name="robots" content="nofollow"> says no
    index: bool = True  # "noindex": the page is not added


class _LinkParser(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base, self.found = base, PageLinks()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and values.get("href"):
            self.base = urljoin(self.base, values["href"])
        elif tag == "a" and values.get("href") and len(self.found.links) < MAX_LINKS:
            if "nofollow" not in values.get("rel", "").lower().split():
                self.found.links.append(urljoin(self.base, values["href"].strip()))
        elif tag == "meta" and values.get("name", "").lower() in ("robots", "corpus-qa-bot"):
            content = values.get("content", "").lower().replace(",", " ").split()
            self.found.follow = self.found.follow and "nofollow" not in content and "none" not in content
            self.found.index = self.found.index and "noindex" not in content and "none" not in content


def page_links(html: bytes, url: str) -> PageLinks:
    """The page's links (absolute, normalised, in order, once each) and its robots meta tags."""
    parser = _LinkParser(url)
    try:
        parser.feed(html[:MAX_LINK_HTML].decode("utf-8", errors="replace"))
        parser.close()
    except (AssertionError, ValueError):  # what HTMLParser raises on hopeless markup: keep what was read
        pass
    found = parser.found
    found.links = list(dict.fromkeys(normalise(link) for link in found.links if worth_requesting(link)))
    return found


@dataclass(frozen=True)
class Sitemap:
    pages: tuple[str, ...] = ()  # <urlset> entries
    sitemaps: tuple[str, ...] = ()  # <sitemapindex> entries: more sitemaps


def parse_sitemap(xml: bytes) -> Sitemap | None:
    """A sitemap or sitemap index (sitemaps.org); None when the body is not one."""
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None
    kind = root.tag.rsplit("}", 1)[-1]
    if kind not in ("urlset", "sitemapindex"):
        return None
    locs = [el.text.strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "loc" and el.text
            and el.text.strip()][:MAX_SITEMAP_URLS]
    return Sitemap(pages=tuple(locs)) if kind == "urlset" else Sitemap(sitemaps=tuple(locs))
