"""Cited snippets: the focus sentence widened with a neighbour up to a size, matched words marked."""

from __future__ import annotations

from ..models import Hit, Snippet
from ..text.sentences import sentence_spans
from ..text.tokenize import iter_terms, tokenize
from .weights import TermWeight

_SNIPPET_CHARS = 320


def highlight(text: str, terms: set[str]) -> tuple[tuple[int, int], ...]:
    """Character spans of the words of `text` whose terms are question terms, merged."""
    spans: list[tuple[int, int]] = []
    for term, start, end in iter_terms(text):
        if term in terms:
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
    return tuple(spans)


def make_snippet(text: str, focus: tuple[int, int], terms: set[str]) -> Snippet:
    """The focus sentence, widened with neighbours up to the snippet size, with matched words marked."""
    start, end = focus
    if end - start > _SNIPPET_CHARS:
        end = text.rfind(" ", start, start + _SNIPPET_CHARS)
        end = end if end > start else start + _SNIPPET_CHARS
        body = text[start:end].rstrip() + " \u2026"
    else:
        spans = sentence_spans(text)
        idx = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
        if idx is not None and spans[idx][1] - spans[idx][0] <= _SNIPPET_CHARS:
            s0, e0 = spans[idx]
            if idx + 1 < len(spans) and spans[idx + 1][1] - s0 <= _SNIPPET_CHARS:
                e0 = spans[idx + 1][1]
            elif idx > 0 and e0 - spans[idx - 1][0] <= _SNIPPET_CHARS:
                s0 = spans[idx - 1][0]
            start, end = min(s0, start), max(e0, end)
        body = text[start:end]
    # one character for one keeps the highlight offsets valid: line breaks and code fences become spaces
    body = body.replace("\n", " ").replace("```", "   ")
    prefix = "\u2026 " if start > 0 else ""
    suffix = " \u2026" if end < len(text.rstrip()) and not body.endswith("\u2026") else ""
    shifted = tuple((a + len(prefix), b + len(prefix)) for a, b in highlight(body, terms))
    return Snippet(prefix + body + suffix, shifted)


def best_sentence_in(hit: Hit, terms: set[str], weight: TermWeight) -> tuple[int, int]:
    spans = sentence_spans(hit.text) or [(0, len(hit.text))]
    return max(spans, key=lambda se: sum(weight(t) for t in terms & set(tokenize(hit.text[se[0]:se[1]]))))


