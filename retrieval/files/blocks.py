"""The unit between a file's parser and its text: a heading, a paragraph, a table row or a code block."""

from __future__ import annotations

from dataclasses import dataclass

HEADING, TEXT, CODE, ROW = "heading", "text", "code", "row"


@dataclass(frozen=True)
class Block:
    kind: str  # HEADING, TEXT, CODE or ROW
    text: str
    level: int = 0  # headings: 1-6
