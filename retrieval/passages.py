"""Documents -> passages: whole sentences, bounded in words, overlapping by a sentence or two.

A paragraph break ends a passage once it holds a fair amount of text (a quarter of the bound), and the
next passage then starts cleanly at the paragraph: paragraphs are the writer's own topical units, so a
citation is one of them rather than the tail of one and the head of the next. Short lines (headings,
captions, one-sentence paragraphs) are packed with what follows. Text without blank lines (e.g. a
SciFact abstract) is packed by the word bound alone.

Passages keep their character offsets in the document, so a citation points at the exact place and
`show` can print it in context. Ids are `<doc_id>#<ordinal>`: stable while the text is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .models import Passage
from .sentences import sentence_spans

_WORD = re.compile(r"\S+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
PARAGRAPH_MIN_SHARE = 0.25  # a paragraph break closes a passage holding at least this share of the bound


def passage_id(doc_id: str, ordinal: int) -> str:
    return f"{doc_id}#{ordinal}"


def doc_of(passage_id: str) -> str:
    return passage_id.rsplit("#", 1)[0]


def _bounded_spans(text: str, max_words: int) -> Iterator[tuple[int, int, int]]:
    """Sentence spans with their word counts; a sentence longer than the bound is cut at word edges."""
    for start, end in sentence_spans(text):
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
        if len(words) <= max_words:
            yield start, end, len(words)
            continue
        for i in range(0, len(words), max_words):
            chunk = words[i : i + max_words]
            yield chunk[0][0], chunk[-1][1], len(chunk)


def split_passages(doc_id: str, text: str, max_words: int = 120, overlap_sentences: int = 1) -> list[Passage]:
    """Greedy packing of sentences up to `max_words`; the next passage restarts `overlap_sentences` back,
    or exactly at the paragraph that closed this one."""
    spans = list(_bounded_spans(text, max_words))
    # new_paragraph[k]: a blank line separates span k from span k-1.
    new_paragraph = [k > 0 and _PARAGRAPH_BREAK.search(text, spans[k - 1][1], spans[k][0]) is not None
                     for k in range(len(spans))]
    min_words = max_words * PARAGRAPH_MIN_SHARE
    passages: list[Passage] = []
    i = 0
    while i < len(spans):
        j, words = i, 0
        while j < len(spans) and (j == i or (words + spans[j][2] <= max_words
                                             and not (new_paragraph[j] and words >= min_words))):
            words += spans[j][2]
            j += 1
        start, end = spans[i][0], spans[j - 1][1]
        ordinal = len(passages)
        passages.append(Passage(passage_id(doc_id, ordinal), doc_id, ordinal, text[start:end], start, end))
        if j >= len(spans):
            break
        i = j if new_paragraph[j] else max(j - overlap_sentences, i + 1)
    return passages
