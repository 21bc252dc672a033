"""Which pages a site section has: its sitemap's entries, or the links of its pages, kept to the section
(same scheme and host, under the start address's folder) and written one way (no fragment, lowercase host,
no default port), so one page is one document however it is linked.

Links are read by a small linear scan of tags, by hand: only <a href>, <base href> and robots meta tags are
wanted, and the standard library's HTMLParser takes quadratic time on hostile markup ("<a<a<a...": 256 KB
took 45 s), on the crawl's thread. Sitemaps are read with defusedxml, which refuses entity expansion tricks.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_LINK_HTML = 2 * 1024 * 1024  # links are read from the first 2 MB of a page
MAX_LINKS = 1_000  # per page
MAX_URL = 2_048  # characters; a longer address (or <base>) is ignored
MAX_TAG = 4_096  # characters of one tag read for its attributes
MAX_SITEMAP_URLS = 50_000  # the sitemap protocol's own limit per file
# Addresses that are never documents: not requested at all when met as links.
SKIPPED_SUFFIXES = frozenset(".png .jpg .jpeg .gif .webp .svg .ico .bmp .tif .tiff .css .js .mjs .json .map .woff "
                             ".woff2 .ttf .otf .eot .zip .gz .tgz .bz2 .xz .7z .rar .tar .deb .rpm .exe .msi .dmg "
                             ".iso .apk .mp3 .mp4 .m4a .ogg .wav .avi .mov .mkv .webm .flac .bin .img".split())


def normalise(url: str) -> str:
    """One spelling per page: lowercase scheme and host, no default port, no fragment, no dot segments ("/a/../b"
    is "/b"), "/" for an empty path. "" for what is not an address (a bad port, "http://[::1")."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return ""
    if len(url) > MAX_URL or not scheme or not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = urlsplit(urljoin("http://h/", parts.path or "/")).path  # resolves "." and ".." segments
    return urlunsplit((scheme, netloc, path, parts.query, ""))


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


_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def _tags(text: str):
    """(name, attributes) of each tag, in one pass: a "<" is a tag's start only when no other "<" comes before
    the next ">", and the next ">" is found once for every "<" before it (linear on "<<<<...>")."""
    pos, close = 0, -1
    while (start := text.find("<", pos)) != -1:
        if close < start:
            close = text.find(">", start)
            if close == -1:
                return
        following = text.find("<", start + 1, close)
        if following != -1:
            pos = following
            continue
        pos = close + 1
        tag = text[start + 1 : close]
        if not tag[:1].isalpha() or len(tag) > MAX_TAG:
            continue
        name, _, rest = tag.replace("\n", " ").replace("\t", " ").partition(" ")
        attributes = {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                      for m in _ATTRIBUTE.finditer(rest)}
        yield name.lower().rstrip("/"), attributes


def page_links(body: bytes, url: str) -> PageLinks:
    """The page's links (absolute, normalised, in order, once each) and its robots meta tags."""
    found, base, links = PageLinks(), url, []
    for name, attributes in _tags(body[:MAX_LINK_HTML].decode("utf-8", errors="replace")):
        href = attributes.get("href", "").strip()
        if name == "base" and href and len(href) <= MAX_URL:
            try:
                base = urljoin(base, href) if normalise(urljoin(base, href)) else base
            except ValueError:
                pass
        elif name == "a" and href and len(href) <= MAX_URL and len(links) < MAX_LINKS:
            if "nofollow" not in attributes.get("rel", "").lower().split():
                links.append(href)
        elif name == "meta" and attributes.get("name", "").lower() in ("robots", "corpus-qa-bot"):
            content = attributes.get("content", "").lower().replace(",", " ").split()
            found.follow = found.follow and "nofollow" not in content and "none" not in content
            found.index = found.index and "noindex" not in content and "none" not in content
    absolute = []
    for href in links:
        try:
            absolute.append(normalise(urljoin(base, href)))
        except ValueError:
            continue
    found.links = list(dict.fromkeys(link for link in absolute if link and worth_requesting(link)))
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
