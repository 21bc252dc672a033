"""Files -> plain text, a title and a heading outline, with real parsers: BeautifulSoup for HTML
(html_text.py), markdown-it for Markdown, pypdf for PDF (pdf_text.py). Every refusal is a BadDocument
naming the file.

The text keeps headings as lines of their own (the outline gives their offsets and levels, so passages
know their section), table rows as "cell | cell" lines, and code between ``` fences with its indentation.
Unicode compatibility forms are folded (NFKC: "ﬁ" -> "fi"), so what is shown is what was searched.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import BadDocument
from .blocks import CODE, HEADING, Block

# Bumped when extraction changes what text a file gives: stored documents are then re-read on refresh.
EXTRACTION_VERSION = 3

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_MAX_TITLE = 200
_MARKDOWN_MAX_NESTING = 100
# PDF metadata titles that name no document: the producing program's placeholders.
_PLACEHOLDER_TITLE = re.compile(r"\s*(?:untitled|unknown|no title|\(anonymous\)|anonymous|document\d*|"
                                r"microsoft word - .*|slide \d+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Heading:
    start: int  # offset of the heading's line in the text
    end: int
    level: int  # 1 (chapter) .. 6


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str
    headings: tuple[Heading, ...] = ()


def assemble(blocks: list[Block], title: str) -> Extracted:
    """Blocks -> one text, blank lines between blocks, headings' offsets kept; code fenced."""
    parts: list[str] = []
    headings: list[Heading] = []
    offset = 0
    for block in blocks:
        if block.kind == CODE:
            body = "```\n" + unicodedata.normalize("NFKC", block.text) + "\n```"
        else:
            body = _clean(block.text).replace("\n\n", "\n")
        if not body.strip("`\n "):
            continue
        if parts:
            offset += 2
        if block.kind == HEADING:
            headings.append(Heading(offset, offset + len(body), block.level))
        parts.append(body)
        offset += len(body)
    text = "\n\n".join(parts)
    clean_title = _clean(title)[:_MAX_TITLE]
    first = text[headings[0].start : headings[0].end] if headings else ""
    prose = next((_first_line(b.text) for b in blocks if b.kind != CODE and b.text.strip()), "")
    return Extracted(text, clean_title or first[:_MAX_TITLE] or prose or _first_line(text), tuple(headings))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and not line.startswith("```"):
            return line[:_MAX_TITLE]
    return ""


def _clean(text: str) -> str:
    """Fold compatibility forms, normalise line ends and whitespace runs, drop control characters,
    keep paragraph breaks."""
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
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


# ESC/CSI/OSC sequences (a pasted terminal log): dropped whole, not left as "[5m" in the text.
_TERMINAL_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,2000}(?:\x07|\x1b\\)|[@-Z\\-_])")
_CELL_TAG = re.compile(r"<t[dh][\s>]", re.IGNORECASE)


def _html_to_text(html: str, name: str = "page") -> Extracted:
    from .html_text import MAX_TABLE_CELLS, PageTooLarge, html_blocks

    if len(_CELL_TAG.findall(html)) > MAX_TABLE_CELLS:  # before parsing: a cheap count refuses a dump at once
        raise BadDocument(f"{name}: its tables hold more than {MAX_TABLE_CELLS:,} cells; refused")
    try:
        blocks, title = html_blocks(html)
    except PageTooLarge as exc:
        raise BadDocument(f"{name}: {exc}") from None
    return assemble(blocks, title)


def _markdown_to_text(markdown: str, name: str = "page") -> Extracted:
    """CommonMark (ATX and Setext headings, fenced code) and tables, through the HTML path."""
    from markdown_it import MarkdownIt

    # markdown-it stops at 20 levels of nesting and drops what is deeper; 100 keeps real documents whole
    # and still bounds the parser's recursion.
    from .html_text import MAX_TABLE_CELLS

    if markdown.count("|") > 2 * MAX_TABLE_CELLS:  # a table's cells are between pipes: refuse a dump unparsed
        raise BadDocument(f"{name}: its tables hold more than {MAX_TABLE_CELLS:,} cells; refused")
    parser = MarkdownIt("commonmark", {"maxNesting": _MARKDOWN_MAX_NESTING}).enable("table")
    return _html_to_text(parser.render(markdown), name)


# A PDF's streams inflate to at most this many times the file's size (at least the floor): text content
# compresses 3-10x, so a 100 KB file whose page inflates to 70 MB is a bomb, refused in seconds, not minutes.
PDF_INFLATION = 40
PDF_INFLATION_FLOOR = 4_000_000
# ... and its text is at most this many characters per byte of file (real PDFs: under 3).
PDF_CHARS_PER_BYTE = 20
PDF_CHARS_FLOOR = 2_000_000


def _pdf_limits(size: int) -> dict[str, int]:
    cap = max(PDF_INFLATION_FLOOR, PDF_INFLATION * size)
    return {key: cap for key in ("zlib_maximum_output_length", "lzw_maximum_output_length",
                                 "run_length_maximum_output_length", "array_based_stream_maximum_output_length",
                                 "maximum_declared_stream_length")}


def _pdf_to_text(data: bytes, name: str) -> Extracted:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    max_chars = max(PDF_CHARS_FLOOR, PDF_CHARS_PER_BYTE * len(data))
    try:
        with apply_configuration(**_pdf_limits(len(data))):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise BadDocument(f"{name}: the PDF is encrypted")
            pages, chars = [], 0
            for page in reader.pages:
                pages.append(page.extract_text() or "")
                chars += len(pages[-1])
                if chars > max_chars:
                    raise BadDocument(f"{name}: the PDF's text is far larger than the file "
                                      f"(over {max_chars:,} characters from {len(data):,} bytes); refused")
            meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except BadDocument:
        raise
    except LimitReachedError:
        raise BadDocument(f"{name}: the PDF inflates far beyond its size (a compression bomb?); refused") from None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError, RecursionError,
            AssertionError, ZeroDivisionError, OverflowError) as exc:  # pypdf raises more than its own errors
        raise BadDocument(f"{name}: not a readable PDF ({type(exc).__name__})") from None
    from .pdf_text import is_page_number, pdf_blocks

    blocks = pdf_blocks(pages)
    title = str(meta_title).strip()
    if _PLACEHOLDER_TITLE.fullmatch(title):
        title = ""
    # The first line of the first page names the document (the same line often repeats as a running head).
    first_line = next((line.strip() for page in pages for line in page.splitlines()
                       if line.strip() and not is_page_number(line.strip())), "")
    return assemble(blocks, title or first_line)


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
        raw = _TERMINAL_SEQUENCE.sub("", decode_text(data, name))  # "\x1b[5m" is a terminal's markup, not text
        if suffix in (".html", ".htm"):
            result = _html_to_text(raw, name)
        elif suffix in (".md", ".markdown"):
            result = _markdown_to_text(raw, name)
        else:
            from .pdf_text import text_blocks

            result = assemble(text_blocks(raw), "")
            result = Extracted(result.text, _first_line(raw), result.headings)
    if not result.text.strip():
        raise BadDocument(f"{name}: no text could be extracted")
    return result
