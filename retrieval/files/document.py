"""Blocks -> the document's text: one string, blank lines between blocks, headings kept as lines of their
own (with their offsets and levels, so passages know their section), code fenced with its indentation,
Unicode compatibility forms folded (NFKC: "ﬁ" -> "fi"), and a title."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .blocks import CODE, HEADING, Block

# Bumped when extraction changes what text a file gives: stored documents are then re-read on refresh.
EXTRACTION_VERSION = 3
MAX_TITLE = 200


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
    clean_title = _clean(title)[:MAX_TITLE]
    first = text[headings[0].start : headings[0].end] if headings else ""
    prose = next((first_line(b.text) for b in blocks if b.kind != CODE and b.text.strip()), "")
    return Extracted(text, clean_title or first[:MAX_TITLE] or prose or first_line(text), tuple(headings))


def first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and not line.startswith("```"):
            return line[:MAX_TITLE]
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
