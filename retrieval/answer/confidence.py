"""Is the question answered? Several signals of the answer's passage, combined by a logistic rule fitted on
labelled questions (scripts/fit_confidence.py; BENCHMARKS.md, Confidence), into answered / not sure /
not found.

One coverage threshold could not tell a near miss from an answer in documentation, where "Debian",
"version" and "default" are everywhere: what separates them is whether the *rare* words of the question
are in the one passage that answers, whether a candidate of the asked type stands near them, and how the
passage scores against the best a passage could score for this question.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .sentences import about_terms, implied_terms
from .candidates import SHAPE_FIT
from ..models import ANSWERED, NOT_FOUND, NOT_SURE, Hit
from .question import Question
from ..text.tokenize import tokenize
from .weights import TermWeight, coverage, term_share

_NUMBER = re.compile(r"v?\d+(?:[.,-]\d+)*[a-z]?")  # "9.3", "2019", "1.6.3", "7.6p"; not "ipv6", "python3", "utf8"
_RARE = 0.5  # a question term is rare when its weight is at least this share of the largest possible


@dataclass(frozen=True)
class Signals:
    cover_passage: float  # share of the question's term weight in the answer's passage (text, title, heading)
    cover_sentence: float  # the same, in the answer sentence (plus the passage's title and heading)
    cover_top: float  # the same, over the top three passages together (the old single rule)
    rare_share: float  # share of the rare terms' weight in the answer's passage
    missing_max: float  # the heaviest question term the passage lacks, over the largest possible weight
    names_ok: float  # every proper name asked about is in the passage
    score_ratio: float  # the passage's BM25 score over the most a passage could score for this question
    margin: float  # how far the best passage is ahead of the second, as a share of its score
    type_unmet: float  # the question asks for a type of answer (a date, a name ...) and no candidate was found
    candidate: float  # the candidate's closeness to the question's words, over the largest term weight
    answer_rank: float  # rank of the answer's passage among the hits (0 = first)
    number_missing: float  # a number or version the question gives ("OpenSSH 9.3") is not in the passage
    from_context: float = 0.0  # the short answer comes from a sentence near the matching one, not from it

    @classmethod
    def of(cls, question: Question, hits: Sequence[Hit], hit: Hit, sentence: str, weight: TermWeight,
           candidate_score: float | None, from_context: bool = False, k1: float = 1.2) -> "Signals":
        asked = set(question.terms)
        about = about_terms(hit) & asked
        in_passage = (set(hit.matched_terms) | implied_terms(hit.text)) & asked | about
        in_sentence = (set(tokenize(sentence)) | implied_terms(sentence)) & asked | about
        judged = asked - question.type_terms
        rare = {t for t in judged if weight(t) >= _RARE * weight.maximum}
        rare_total = sum(weight(t) for t in rare)
        missing = [weight(t) for t in judged - in_passage]
        best_possible = (k1 + 1) * sum(weight(t) for t in asked) or 1.0  # a term adds at most (k1 + 1) x IDF
        typed = question.answer_type in SHAPE_FIT
        return cls(
            cover_passage=term_share(question, in_passage, weight),
            cover_sentence=term_share(question, in_sentence, weight),
            cover_top=coverage(question, hits[:3], weight),
            rare_share=sum(weight(t) for t in rare & in_passage) / rare_total if rare_total else 1.0,
            missing_max=max(missing, default=0.0) / weight.maximum,
            names_ok=float(question.required <= in_passage),
            score_ratio=min(hit.score / best_possible, 1.0),
            margin=(hits[0].score - hits[1].score) / hits[0].score if len(hits) > 1 and hits[0].score > 0 else 1.0,
            type_unmet=float(typed and candidate_score is None),
            candidate=max(candidate_score or 0.0, 0.0) / weight.maximum,
            answer_rank=float(next((i for i, h in enumerate(hits) if h.passage_id == hit.passage_id), 0)),
            number_missing=float(any(_NUMBER.fullmatch(t) for t in judged - in_passage)),
            from_context=float(from_context),
        )

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


# Fitted by scripts/fit_confidence.py (logistic regression; see BENCHMARKS.md for the data and the fit).
WEIGHTS: dict[str, float] = {
    "cover_passage": 1.08, "rare_share": 1.286, "missing_max": -0.134, "names_ok": 1.519, "margin": 1.033,
    "candidate": 0.813, "score_ratio": 0.48, "cover_top": 0.778, "from_context": -0.781,
}
BIAS = -3.996
ANSWERED_AT = 0.55  # probability of being right at or above which the answer is given as found
NOT_SURE_AT = 0.25  # ... and above which the best passage is shown as possibly answering


def probability(signals: Signals) -> float:
    z = BIAS + sum(WEIGHTS.get(k, 0.0) * v for k, v in asdict(signals).items())
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def decide(signals: Signals, floor: float = 0.0) -> str:
    """answered / not_sure / not_found. Two facts overrule the fitted rule: a number or version the question
    gives that the passage lacks ("OpenSSH 9.3" answered from 9.2's notes) means not found, and no candidate
    of the asked type (a date asked, none in the passage) means not sure at best. `floor` is a minimum
    coverage for anything but not found."""
    if signals.number_missing or (signals.cover_passage < floor and signals.cover_top < floor):
        return NOT_FOUND
    p = probability(signals)
    if signals.type_unmet:
        return NOT_SURE if p >= NOT_SURE_AT else NOT_FOUND
    return ANSWERED if p >= ANSWERED_AT else NOT_SURE if p >= NOT_SURE_AT else NOT_FOUND
