"""Layout-only text -> blocks: PDF pages (pypdf's text) and plain-text files.

PDF: running heads, page numbers and table-of-contents leaders dropped, numbered section headings
("3.2. Error handling") found. Plain text: Setext-underlined headings, and in text whose body is indented
(changelogs, NEWS files, man pages) the lines that start at the margin.

A PDF has no markup, so these are rules about its layout, the same for any PDF: a line at the top or
bottom of three or more pages is a running head or foot; a line ending in dot leaders and a page number
is a table-of-contents entry; a short line starting with a section number and not ending like a
sentence is a heading, its level the depth of the number.
"""

from __future__ import annotations

import re
from collections import Counter

from .blocks import HEADING, TEXT, Block

_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running heads
_MIN_PAGES_REPEATED = 3
_ROMAN = r"(?=[mdclxvi])m{0,3}(?:c[md]|d?c{0,3})(?:x[cl]|l?x{0,3})(?:i[xv]|v?i{0,3})"
_PAGE_NUMBER = re.compile(rf"(?:page\s+)?(?:\d{{1,4}}|{_ROMAN})(?:\s*(?:/|of)\s*\d{{1,4}})?", re.IGNORECASE)
_LEADER = re.compile(rf"(?:\.\s*){{4,}}\s*(?:\d{{1,4}}|{_ROMAN})\s*$", re.IGNORECASE)
_LEADER_TAIL = 120  # leaders are looked for at a line's end only: a line of dots costs no more than its tail
# "2. Title" or "3.6 zlib functions": a single number needs its dot ("12 January 2020" is no heading), a
# deeper one may open in lower case.
_NUMBERED_HEADING = re.compile(r"(?:(?P<one>\d{1,2})\.|(?P<number>\d{1,2}(?:\.\d{1,2}){1,4})\.?)\s+"
                               r"(?P<title>[A-Za-z/(\"'`\[].{0,100})")
_MAX_HEADING_WORDS = 12
_CHAPTER = re.compile(r"(?:Chapter|CHAPTER|Part|PART|Appendix|APPENDIX)\s+(?:\d{1,2}|[IVXLC]{1,6}|[A-Z])\.?(?:\s+\S.{0,100})?")


def _shape(line: str) -> str:
    """A line with its numbers blanked: "Chapter 3 ... 12" repeats as "Chapter # ... #"."""
    return re.sub(r"\d+", "#", " ".join(line.split()).casefold())


def _running_lines(pages: list[list[str]]) -> set[str]:
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {_shape(line) for line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:] if line.strip()}
        counts.update(edge)
    return {shape for shape, n in counts.items() if n >= _MIN_PAGES_REPEATED}


def is_page_number(line: str) -> bool:
    return _PAGE_NUMBER.fullmatch(line) is not None


def heading_level(line: str) -> int:
    """The level of a numbered section heading ("2.3. DESCRIPTION" -> 2), 0 when the line is not one."""
    if _CHAPTER.fullmatch(line.strip()) and not line.strip().endswith((".", ",", ";")):
        return 1  # "Chapter 3. The Root Filesystem", "Appendix A"
    match = _NUMBERED_HEADING.fullmatch(line.strip())
    if not match:
        return 0
    title = match.group("title").rstrip()
    if len(title.split()) > _MAX_HEADING_WORDS or title.endswith((".", ",", ";", ":")):
        return 0
    if match.group("one"):
        return 1 if title[0].isupper() or not title[0].isalpha() else 0
    return match.group("number").count(".") + 1


def pdf_blocks(page_texts: list[str]) -> list[Block]:
    pages = [[line.rstrip() for line in text.splitlines()] for text in page_texts]
    running = _running_lines(pages) if len(pages) >= _MIN_PAGES_REPEATED else set()
    blocks: list[Block] = []
    for lines in pages:
        paragraph: list[str] = []
        last = len(lines) - 1
        for i, line in enumerate(lines):
            stripped = line.strip()
            at_edge = i < _EDGE_LINES or i > last - _EDGE_LINES
            if not stripped or _LEADER.search(stripped[-_LEADER_TAIL:]):
                continue
            if at_edge and (_shape(stripped) in running or _PAGE_NUMBER.fullmatch(stripped)):
                continue
            level = heading_level(stripped)
            if level:
                if paragraph:
                    blocks.append(Block(TEXT, "\n".join(paragraph)))
                    paragraph = []
                blocks.append(Block(HEADING, stripped, level))
            else:
                paragraph.append(stripped)
        if paragraph:
            blocks.append(Block(TEXT, "\n".join(paragraph)))
    return blocks


_UNDERLINE = re.compile(r"(=+|-+)\s*")
_INDENTED_BODY = 0.5  # at least this share of the lines indented: lines at the margin are headings
_MAX_MARGIN_HEADINGS = 0.3


def text_blocks(text: str) -> list[Block]:
    """Paragraphs (blank-line separated, line breaks kept) and headings of a plain-text file."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    filled = [ln for ln in lines if ln.strip()]
    at_margin = [ln for ln in filled if not ln[0].isspace()]
    margin_headings = bool(filled) and len(at_margin) <= _MAX_MARGIN_HEADINGS * len(filled) and \
        len(filled) - len(at_margin) >= _INDENTED_BODY * len(filled)
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(TEXT, "\n".join(paragraph)))
            paragraph.clear()

    for i, line in enumerate(lines):
        stripped = line.strip()
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if not stripped:
            flush()
        elif _UNDERLINE.fullmatch(following) and len(following.strip()) >= 3 and len(stripped.split()) <= 12 \
                and not _UNDERLINE.fullmatch(line):
            flush()
            blocks.append(Block(HEADING, stripped, 1 if following.strip()[0] == "=" else 2))
        elif _UNDERLINE.fullmatch(line) and i > 0 and blocks and blocks[-1].kind == HEADING:
            continue
        elif margin_headings and not line[0].isspace() and len(stripped.split()) <= 15:
            flush()
            blocks.append(Block(HEADING, stripped, 1))
        else:
            paragraph.append(stripped)
    flush()
    return blocks
