"""How much a question term weighs in the answer stage, and what share of a question a set of terms covers.

A positive IDF (Lucene's log(1 + (N-df+.5)/(df+.5))): rank-bm25's IDF can be negative or zero on a tiny
corpus, which would make common question terms count against a sentence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..models import Hit
from .question import Question


class TermWeight:
    """Positive IDF of a term in the current index; an unseen term weighs the most (`maximum`)."""

    def __init__(self, df: Callable[[str], int], n: int) -> None:
        self._df, self.n = df, n
        self.maximum = positive_idf(0, n)

    def __call__(self, term: str) -> float:
        return positive_idf(self._df(term), self.n)


def coverage(question: Question, hits: Sequence[Hit], weight: TermWeight) -> float:
    """Share of the question's term weight found in the passages: the "is this answered" signal.

    The noun naming the kind of answer ("which city", "what country") counts when the passages use it,
    and is not held against them when they do not: they say "in New York", not "in the city of New York".
    """
    return term_share(question, set().union(*(h.matched_terms for h in hits)) if hits else set(), weight)


def term_share(question: Question, matched: set[str], weight: TermWeight) -> float:
    """Share of the question's term weight in `matched` (the type noun only counts when matched)."""
    terms = set(question.terms) - (question.type_terms - matched)
    total = sum(weight(t) for t in terms)
    return sum(weight(t) for t in terms & matched) / total if total else 0.0


def positive_idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
