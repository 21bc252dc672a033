"""Documents -> passages: whole sentences, bounded in words, overlapping by a sentence or two.

A paragraph break ends a passage once it holds a fair amount of text (a quarter of the bound), and the
next passage then starts cleanly at the paragraph: paragraphs are the writer's own topical units, so a
citation is one of them rather than the tail of one and the head of the next. Short lines (headings,
captions, one-sentence paragraphs) are packed with what follows. Text without blank lines (e.g. a
SciFact abstract) is packed by the word bound alone.

Sections: when the document has headings (HTML, Markdown, numbered PDF sections), each section's body is
packed on its own, never across a heading, and every passage carries its heading path ("Chapter ›
Section"), which is indexed with it and shown in citations. A heading is never a passage of its own: a
FAQ's question heading is searched together with the answer below it.

Passages keep their character offsets in the document, so a citation points at the exact place and
`show` can print it in context. Ids are `<doc_id>#<ordinal>`: stable while the text is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..files import Heading
from ..models import Passage
from .sentences import sentence_spans

_WORD = re.compile(r"\S+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
PARAGRAPH_MIN_SHARE = 0.25  # a paragraph break closes a passage holding at least this share of the bound
HEADING_SEPARATOR = " \u203a "  # "Chapter 2 › 2.1 Package configuration"


def passage_id(doc_id: str, ordinal: int) -> str:
    return f"{doc_id}#{ordinal}"


def doc_of(passage_id: str) -> str:
    return passage_id.rsplit("#", 1)[0]


def ordinal_of(passage_id: str) -> int:
    """The passage's place in its document; UnknownDocument-free: a malformed id gives -1."""
    tail = passage_id.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else -1


MAX_WORD_CHARS = 40  # a longer "word" (a hash, a URL, 19 MB without a space) counts as one word per 40 characters


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Word spans, a very long one cut into pieces: a passage is bounded in characters too."""
    words = []
    for m in _WORD.finditer(text, start, end):
        a, b = m.span()
        words.extend((i, min(i + MAX_WORD_CHARS, b)) for i in range(a, b, MAX_WORD_CHARS))
    return words


def _bounded_spans(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int, int]]:
    """Sentence spans of text[start:end] with their word counts; a sentence longer than the bound is cut
    at word edges."""
    for s, e in sentence_spans(text[start:end]):
        s, e = s + start, e + start
        words = _words(text, s, e)
        if len(words) <= max_words:
            yield s, e, len(words)
            continue
        for i in range(0, len(words), max_words):
            chunk = words[i : i + max_words]
            yield chunk[0][0], chunk[-1][1], len(chunk)


def sections(text: str, headings: Sequence[Heading], title: str = "") -> Iterator[tuple[int, int, str]]:
    """(start, end, heading path) of each stretch of text between headings. The path holds the enclosing
    headings by level; one that only repeats the document's title is left out."""
    path: list[tuple[int, str]] = []
    position = 0
    folded_title = " ".join(title.split()).casefold()
    for heading in sorted(headings, key=lambda h: h.start):
        if heading.start > position:
            yield position, heading.start, HEADING_SEPARATOR.join(t for _, t in path)
        while path and path[-1][0] >= heading.level:
            path.pop()
        name = " ".join(text[heading.start : heading.end].split())
        if name.casefold() != folded_title:
            path.append((heading.level, name))
        position = max(position, heading.end)
    if position < len(text):
        yield position, len(text), HEADING_SEPARATOR.join(t for _, t in path)


def split_passages(doc_id: str, text: str, max_words: int = 120, overlap_sentences: int = 1,
                   headings: Sequence[Heading] = (), title: str = "") -> list[Passage]:
    """Greedy packing of each section's sentences up to `max_words`; the next passage restarts
    `overlap_sentences` back, or exactly at the paragraph that closed this one."""
    passages: list[Passage] = []
    for start, end, heading in sections(text, headings, title):
        _pack(passages, doc_id, text, start, end, heading, max_words, overlap_sentences)
    if not passages and text.strip():  # only headings (an outline, a contents page): they are its text
        _pack(passages, doc_id, text, 0, len(text), "", max_words, overlap_sentences)
    return passages


def _pack(passages: list[Passage], doc_id: str, text: str, start: int, end: int, heading: str,
          max_words: int, overlap_sentences: int) -> None:
    spans = list(_bounded_spans(text, start, end, max_words))
    # new_paragraph[k]: a blank line separates span k from span k-1.
    new_paragraph = [k > 0 and _PARAGRAPH_BREAK.search(text, spans[k - 1][1], spans[k][0]) is not None
                     for k in range(len(spans))]
    min_words = max_words * PARAGRAPH_MIN_SHARE
    i = 0
    while i < len(spans):
        j, words = i, 0
        while j < len(spans) and (j == i or (words + spans[j][2] <= max_words
                                             and not (new_paragraph[j] and words >= min_words))):
            words += spans[j][2]
            j += 1
        a, b = spans[i][0], spans[j - 1][1]
        ordinal = len(passages)
        passages.append(Passage(passage_id(doc_id, ordinal), doc_id, ordinal, text[a:b], a, b, heading))
        if j >= len(spans):
            break
        i = j if new_paragraph[j] else max(j - overlap_sentences, i + 1)
