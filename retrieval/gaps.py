"""Gaps (issue 12, item 5): the questions a server's documents did not answer, for its moderators. Questions
that came back not found or not sure, and answers voted 👎, grouped when they ask the same thing (the
same search terms, whatever the wording: "When did Etna erupt?" and "etna erupted when"), with how often
and when last, most asked first: what to add to the documents."""

from __future__ import annotations

from dataclasses import dataclass

from .models import NOT_FOUND, NOT_SURE, Answer
from .store import Store
from .text.tokenize import tokenize

KEPT = (NOT_FOUND, NOT_SURE)


def terms_key(question: str) -> str:
    """What a question asks, as its distinct search terms in order: two wordings of it share the key."""
    return " ".join(sorted(set(tokenize(question))))


def record(store: Store, scope: str, answer: Answer) -> bool:
    """Keep a question its server's documents did not answer; True when kept."""
    if answer.confidence not in KEPT:
        return False
    store.record_unanswered(scope, answer.question, terms_key(answer.question), answer.confidence)
    return True


@dataclass(frozen=True)
class Gap:
    question: str  # the latest wording
    times: int  # asked and not answered (not found or not sure)
    voted_down: int  # answers to it voted 👎
    last_asked: str


def gaps(store: Store, scope: str | None, limit: int = 15) -> list[Gap]:
    """The server's unanswered questions grouped by what they ask, most frequent first, then newest."""
    groups: dict[str, dict] = {}
    for row in store.unanswered(scope):  # newest first: the first row of a group is its latest wording
        group = groups.setdefault(row["terms"], {"question": row["question"], "times": 0, "down": 0,
                                                 "last": row["asked_at"]})
        group["times"] += 1
    for row in store.feedback(scope, limit=5_000):
        if row["vote"] < 0:
            key = terms_key(row["question"])
            group = groups.setdefault(key, {"question": row["question"], "times": 0, "down": 0,
                                            "last": row["created_at"]})
            group["down"] += 1
            group["last"] = max(group["last"], row["created_at"])
    ranked = sorted(groups.values(), key=lambda g: (-(g["times"] + g["down"]), _descending(g["last"])))
    return [Gap(g["question"], g["times"], g["down"], g["last"]) for g in ranked[:limit]]


def _descending(timestamp: str) -> tuple[int, ...]:
    """Newest first on ties (ISO timestamps compare as text; negate their characters' codes)."""
    return tuple(-ord(c) for c in timestamp)
