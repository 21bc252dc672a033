"""Files -> plain text and a title, with real parsers: BeautifulSoup for HTML, markdown-it for
Markdown, pypdf for PDF. Every refusal is a BadDocument naming the file."""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BadDocument

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
               "blockquote", "pre", "td", "th", "header", "footer", "dd", "dt", "figcaption", "caption")
_MAX_TITLE = 200


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:_MAX_TITLE]
    return ""


def _clean(text: str) -> str:
    """Normalise line ends and whitespace runs, drop control characters, keep paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (or a BOM-marked UTF-16/32); otherwise a confident charset guess; refuse binary data."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise BadDocument(f"{name}: not valid {encoding} text ({exc.reason} at byte {exc.start})") from None
    if b"\x00" in data[:8192]:
        raise BadDocument(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Legacy files: Windows-1252 first (the common case), then charset-normalizer's guess; either must
    # read as text, since any byte string "decodes" in some single-byte code page.
    guesses = []
    try:
        guesses.append(data.decode("cp1252"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is not None:
        guesses.append(data.decode(best.encoding, errors="replace"))
    for text in guesses:
        if _looks_like_text(text):
            return text
    raise BadDocument(f"{name}: cannot be decoded as text (not UTF-8, and no encoding gives readable text); "
                      "save it as UTF-8")


_WORDLIKE = re.compile(r"[(\"'\u201c\u2018\[]*(?:[^\W\d_]+(?:[-'\u2019.][^\W\d_]+)*|[\d.,:/%-]+)[.,;:!?)\"'\u201d\u2019\]]*")


def _looks_like_text(text: str) -> bool:
    """Most whitespace-separated tokens are words or numbers, as in any prose."""
    tokens = text[:200_000].split()
    if not tokens or "\ufffd" in text[:200_000]:
        return False
    return sum(1 for t in tokens if _WORDLIKE.fullmatch(t)) / len(tokens) >= 0.6


def _html_to_text(html: str) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "svg", "head"]):
        if tag.name == "head":
            continue
        tag.decompose()
    title = ""
    heading = soup.find(["h1", "h2"])
    if soup.title and soup.title.get_text(strip=True):
        title = soup.title.get_text(" ", strip=True)
    elif heading:
        title = heading.get_text(" ", strip=True)
    if soup.head:
        soup.head.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = _clean(soup.get_text())
    return Extracted(text, title[:_MAX_TITLE] or _first_line(text))


def _markdown_to_text(markdown: str) -> Extracted:
    from markdown_it import MarkdownIt

    title = ""
    for line in markdown.splitlines():
        if line.lstrip().startswith("#"):
            title = line.strip().lstrip("#").strip()
            break
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    extracted = _html_to_text(html)
    return Extracted(extracted.text, title[:_MAX_TITLE] or extracted.title)


def _pdf_to_text(data: bytes, name: str) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise BadDocument(f"{name}: the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except BadDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BadDocument(f"{name}: not a readable PDF ({type(exc).__name__})") from None
    text = _clean("\n\n".join(pages))
    return Extracted(text, str(meta_title).strip()[:_MAX_TITLE] or _first_line(text))


def check_file(name: str, size: int, max_bytes: int) -> str:
    """Refuse a file by its name and size alone (before reading or downloading it); its lowercase suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise BadDocument(f"{name}: unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED_SUFFIXES)}")
    if size > max_bytes:
        raise BadDocument(f"{name}: too big ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
    if size == 0:
        raise BadDocument(f"{name}: the file is empty")
    return suffix


def extract(data: bytes, name: str, max_bytes: int) -> Extracted:
    """Bytes of a file called `name` -> text and title; raises BadDocument for anything unusable."""
    suffix = check_file(name, len(data), max_bytes)
    if not data.strip():
        raise BadDocument(f"{name}: the file is empty")
    if suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise BadDocument(f"{name}: not a PDF file")
        result = _pdf_to_text(data, name)
    else:
        raw = decode_text(data, name)
        if suffix in (".html", ".htm"):
            result = _html_to_text(raw)
        elif suffix in (".md", ".markdown"):
            result = _markdown_to_text(raw)
        else:
            text = _clean(raw)
            result = Extracted(text, _first_line(text))
    if not result.text.strip():
        raise BadDocument(f"{name}: no text could be extracted")
    return result
