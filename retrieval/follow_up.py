"""A follow-up in a thread: "and when did it end?" or "what about North Korea?" asked after "when did the
Cuban revolution start?". A short question, or one that refers back, is read with the words of the
thread's earlier question it lacks, and the reply says how it was read (as for typos and synonyms).
BM25 stays exact for the query actually searched: the reading is the query.

Hand-written: the product's own idea of "refers back"; a coreference model would be a large download.
"""

from __future__ import annotations

import re

from .text.tokenize import tokenize

_NAME = re.compile(r"(?<=\w )[A-Z][\w-]+")  # a capitalised word inside the question: a name
SHORT = 3  # a question of at most this many search terms leans on the one before it
_REFERS_BACK = re.compile(r"^\s*(?:and|also|so|then|but|what about|how about|and what about)\b"
                          r"|\b(?:it|its|they|them|their|that|this|those|these|he|she|him|her|there|then)\b",
                          re.IGNORECASE)


def needs_context(question: str) -> bool:
    return len(set(tokenize(question))) <= SHORT or _REFERS_BACK.search(question) is not None


def read_with(previous: str | None, question: str) -> str | None:
    """The follow-up as searched, with the earlier question's words it lacks; None when it stands alone."""
    if not previous or not needs_context(question):
        return None
    have = set(tokenize(question))
    words = [w for w in re.findall(r"[\w][\w.'-]*", previous) if tokenize(w) and not set(tokenize(w)) <= have]
    if _NAME.search(question):  # "what about Hirtshals?": the new name replaces the earlier one
        words = [w for i, w in enumerate(words) if not (w[:1].isupper() and previous.find(w) > 0)]
    extra = []
    for word in words:  # each missing term once, in the earlier question's order
        if not set(tokenize(word)) <= set(tokenize(" ".join(extra))):
            extra.append(word)
    return f"{question.rstrip(' ?')} ({' '.join(extra)})" if extra else None
