"""HTML and Markdown files: BeautifulSoup walks the page into blocks (html_text.py); Markdown is rendered
to HTML by markdown-it first (ATX and Setext headings, fenced code, tables). A table dump is refused
before parsing."""

from __future__ import annotations

import re

from ..errors import BadDocument
from .document import Extracted, assemble
from .plain import decode

_MARKDOWN_MAX_NESTING = 100
_CELL_TAG = re.compile(r"<t[dh][\s>]", re.IGNORECASE)


def read_html(data: bytes, name: str) -> Extracted:
    return html_to_text(decode(data, name), name)


def read_markdown(data: bytes, name: str) -> Extracted:
    return markdown_to_text(decode(data, name), name)


def html_to_text(html: str, name: str = "page") -> Extracted:
    from .html_text import MAX_TABLE_CELLS, PageTooLarge, html_blocks

    if len(_CELL_TAG.findall(html)) > MAX_TABLE_CELLS:  # before parsing: a cheap count refuses a dump at once
        raise BadDocument(f"{name}: its tables hold more than {MAX_TABLE_CELLS:,} cells; refused")
    try:
        blocks, title = html_blocks(html)
    except PageTooLarge as exc:
        raise BadDocument(f"{name}: {exc}") from None
    return assemble(blocks, title)


def markdown_to_text(markdown: str, name: str = "page") -> Extracted:
    """CommonMark (ATX and Setext headings, fenced code) and tables, through the HTML path."""
    from markdown_it import MarkdownIt

    # markdown-it stops at 20 levels of nesting and drops what is deeper; 100 keeps real documents whole
    # and still bounds the parser's recursion.
    from .html_text import MAX_TABLE_CELLS

    if markdown.count("|") > 2 * MAX_TABLE_CELLS:  # a table's cells are between pipes: refuse a dump unparsed
        raise BadDocument(f"{name}: its tables hold more than {MAX_TABLE_CELLS:,} cells; refused")
    parser = MarkdownIt("commonmark", {"maxNesting": _MARKDOWN_MAX_NESTING}).enable("table")
    return html_to_text(parser.render(markdown), name)
