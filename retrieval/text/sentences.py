"""Sentence boundaries, as character spans.

Hand-written: news text here runs sentences together without a space ("fruit.Lee Bo-kyung has
more.Report:"), which pysbd does not split, and pysbd is about 50x slower than this on large corpora.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc eg ie al fig no nos vol jan feb mar apr jun jul aug sep sept oct nov dec"
    " gen gov sen rep col lt sgt capt inc ltd co corp dept univ approx est".split()
)
# End punctuation, optional closing quotes/brackets, then either whitespace before a capital/digit/quote,
# or no space at all before Capital+lowercase ("more.Report"), or a blank line.
_BOUNDARY = re.compile(
    r"(?P<end>[.!?]+[\"'\u201d\u2019)\]]*)(?:\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u024f]|`)|(?=[A-Z][a-z]))"
    r"|\n\s*\n"
)
_WORD_BEFORE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]+)\.?$")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the dot at text[end-1] closes an abbreviation or an initial, not a sentence."""
    match = _WORD_BEFORE.search(text, max(0, end - 12), end)
    if not match:
        return False
    word = match.group(1)
    return len(word) == 1 or word.lower() in _ABBREVIATIONS


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed; covers all non-blank text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group("end") is not None:
            end = match.end("end")
            if match.group("end").startswith(".") and _is_abbreviation(text, match.start("end") + 1):
                continue
        else:
            end = match.start()
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]
