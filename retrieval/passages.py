"""Documents -> passages: a few whole sentences, bounded in words, overlapping by a sentence.

Passages keep their character offsets in the document, so a citation points at the exact place and
`show` can print it in context. Ids are `<doc_id>#<ordinal>`: stable while the text is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .models import Passage
from .sentences import sentence_spans

_WORD = re.compile(r"\S+")


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
    """Greedy packing of sentences up to `max_words`; the next passage restarts `overlap_sentences` back."""
    spans = list(_bounded_spans(text, max_words))
    passages: list[Passage] = []
    i = 0
    while i < len(spans):
        j, words = i, 0
        while j < len(spans) and (j == i or words + spans[j][2] <= max_words):
            words += spans[j][2]
            j += 1
        start, end = spans[i][0], spans[j - 1][1]
        ordinal = len(passages)
        passages.append(Passage(passage_id(doc_id, ordinal), doc_id, ordinal, text[start:end], start, end))
        if j >= len(spans):
            break
        i = max(j - overlap_sentences, i + 1)
    return passages
