"""Ranked passages -> an Answer: the best sentence, a typed short answer, cited snippets.

Sentences and candidates are weighted with a positive IDF (Lucene's log(1 + (N-df+.5)/(df+.5))):
rank-bm25's IDF can be negative or zero on a tiny corpus, which would make common question terms
count against a sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .extractors import Candidate, candidates
from .models import Answer, Citation, Hit, Snippet
from .question import NAME, PERSON, PLACE, Question
from .sentences import sentence_spans
from .tokenize import iter_terms, tokenize

_CLAUSE_BREAK = re.compile(r"[,;:]\s|\s[-\u2013\u2014]\s|\(|\)")
_SHORT_ASIDE = re.compile(r"\(\s*[^()\s]+(?:\s+[^()\s]+)?\s*\)")
_SNIPPET_CHARS = 320
_NEAR_BEST = 0.6  # a typed answer may come from a sentence scoring at least this share of the best one


@dataclass(frozen=True)
class _Sentence:
    hit_rank: int
    hit: Hit
    start: int  # offsets into hit.text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.hit.text[self.start : self.end]


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


def answers_question(question: Question, hits: Sequence[Hit], weight: TermWeight, min_coverage: float) -> bool:
    """The best passage names every proper name asked about, and the top passages cover enough of the rest."""
    if not hits or not question.required <= set(hits[0].matched_terms) | _title_terms(hits[0]):
        return False
    return coverage(question, hits, weight) >= min_coverage


def _title_terms(hit: Hit) -> set[str]:
    return set(tokenize(hit.title))


def _sentences(question: Question, hits: Sequence[Hit], weight: TermWeight) -> list[_Sentence]:
    terms = set(question.terms)
    top_score = max((h.score for h in hits), default=0.0) or 1.0
    out = []
    for rank, hit in enumerate(hits):
        topic = terms & _title_terms(hit)  # every sentence of "Mount Etna" is about Mount Etna, "Its height" too
        for start, end in sentence_spans(hit.text):
            present = terms & set(tokenize(hit.text[start:end])) | topic
            score = sum(weight(t) for t in present) + 0.5 * max(hit.score, 0.0) / top_score
            out.append(_Sentence(rank, hit, start, end, score))
    return out


def _word_positions(text: str) -> list[tuple[int, int, set[str]]]:
    """(start, end, terms) for every word of a sentence, stopwords included, for distances."""
    words = []
    for m in re.finditer(r"\S+", text):
        words.append((m.start(), m.end(), {t for t, _, _ in iter_terms(m.group())}))
    return words


def _initials(text: str) -> str:
    """"United Nations" -> "un"; "" for one word, whose abbreviation would be ambiguous."""
    words = [w for w in re.split(r"[\s-]+", text) if w[:1].isupper()]
    return "".join(w[0] for w in words).casefold() if len(words) > 1 else ""


def _next_word_terms(words: list[tuple[int, int, set[str]]], index: int) -> set[str]:
    """Terms of the first word after `index` that has any (stopwords are skipped)."""
    for _, _, terms in words[index + 1 : index + 3]:
        if terms:
            return terms
    return set()


def _clause_of(text: str, pos: int) -> tuple[int, int]:
    """The clause around `pos`; a clause of under three words is joined to the one before it, or, at the
    start of the sentence, to the one after it ("Cuba, the only communist country ..." is one clause).
    A parenthesis of one or two words ("Díaz-Canel(left)", "the UN (United Nations)") is an aside, not a
    clause break."""
    masked = _SHORT_ASIDE.sub(lambda m: " " * len(m.group()), text)  # same length: offsets stay valid
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(masked)] + [len(text)]
    spans: list[tuple[int, int]] = []

    def short(span: tuple[int, int]) -> bool:
        return len(text[span[0] : span[1]].split()) < 3

    for a, b in zip(cuts, cuts[1:]):
        if spans and (short((a, b)) or (len(spans) == 1 and short(spans[0]))):
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    for a, b in spans:
        if a <= pos < b:
            return a, b
    return 0, len(text)


def _score_candidate(cand: Candidate, sentence: str, question: Question, weight: TermWeight,
                     kind: str | None) -> float | None:
    terms = set(question.terms)
    cand_terms = set(tokenize(cand.text))
    if not cand_terms or cand_terms <= terms or _initials(cand.text) in terms:
        return None  # the question's own words are not its answer, nor is what it abbreviates ("UN")
    words = _word_positions(sentence)
    cand_words = [i for i, (s, e, _) in enumerate(words) if s < cand.end and e > cand.start]
    if not cand_words:
        return None
    first, last = cand_words[0], cand_words[-1]
    proximity = 0.0
    for term in terms - cand_terms:
        dists = [max(first - i, i - last, 0) for i, (_, _, ts) in enumerate(words) if term in ts]
        if dists:
            proximity += weight(term) / (1 + min(dists))
    a, b = _clause_of(sentence, cand.start)
    clause_terms = terms & set(tokenize(sentence[a:b])) - cand_terms
    clause = sum(weight(t) for t in clause_terms)
    score = clause + proximity + cand.specificity
    if question.unit_terms and _next_word_terms(words, last) & question.unit_terms:
        score += weight.maximum  # it fills the question's slot: "the how-manyth country" <- "the 193rd country"
    if kind in (PERSON, PLACE, NAME):
        # Names are rare words: a run of common corpus words ("Visits North Korea") is less likely one.
        score += sum(weight(t) for t in cand_terms) / len(cand_terms) / max(weight.maximum, 1e-9)
    return score


def _best_typed(sentences: list[_Sentence], question: Question, weight: TermWeight
                ) -> tuple[_Sentence, Candidate] | None:
    if not question.answer_type or not sentences:
        return None
    best_score = sentences[0].score
    best: tuple[float, _Sentence, Candidate] | None = None
    for sentence in sentences:
        if sentence.score < _NEAR_BEST * best_score:
            break
        for cand in candidates(sentence.text, question.answer_type):
            score = _score_candidate(cand, sentence.text, question, weight, question.answer_type)
            # How well the sentence matches the question and how well the candidate fits it, together: a
            # full date in an equally good sentence beats a bare weekday in the first one.
            if score is not None and (best is None or sentence.score + score > best[0]):
                best = (sentence.score + score, sentence, cand)
    return (best[1], best[2]) if best else None


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
        if idx is not None:
            s0, e0 = spans[idx]
            if idx + 1 < len(spans) and spans[idx + 1][1] - s0 <= _SNIPPET_CHARS:
                e0 = spans[idx + 1][1]
            elif idx > 0 and e0 - spans[idx - 1][0] <= _SNIPPET_CHARS:
                s0 = spans[idx - 1][0]
            start, end = min(s0, start), max(e0, end)
        body = text[start:end]
    body = body.replace("\n", " ")  # one character for one keeps the highlight offsets valid
    prefix = "\u2026 " if start > 0 else ""
    suffix = " \u2026" if end < len(text.rstrip()) and not body.endswith("\u2026") else ""
    shifted = tuple((a + len(prefix), b + len(prefix)) for a, b in highlight(body, terms))
    return Snippet(prefix + body + suffix, shifted)


def _best_sentence_in(hit: Hit, terms: set[str], weight: TermWeight) -> tuple[int, int]:
    spans = sentence_spans(hit.text) or [(0, len(hit.text))]
    return max(spans, key=lambda se: sum(weight(t) for t in terms & set(tokenize(hit.text[se[0]:se[1]]))))


def build_answer(question: Question, hits: Sequence[Hit], weight: TermWeight, *, min_coverage: float,
                 max_citations: int = 3) -> Answer:
    """Pick the answer and its citations; below the coverage threshold, only closest matches."""
    terms = set(question.terms)
    if not hits:
        return Answer(question.text, False, None, None, (), question.answer_type)
    found = answers_question(question, hits[:max_citations], weight, min_coverage)
    if not found:
        citations = tuple(
            Citation(n, hit, make_snippet(hit.text, _best_sentence_in(hit, terms, weight), terms))
            for n, hit in enumerate(hits[:max_citations], start=1)
        )
        return Answer(question.text, False, None, None, citations, question.answer_type)

    sentences = sorted(_sentences(question, hits[:max_citations], weight), key=lambda s: (-s.score, s.hit_rank))
    typed = _best_typed(sentences, question, weight)
    best = typed[0] if typed else sentences[0]
    short = typed[1].text if typed else None

    # The answer's passage first, then the other hits, preferring other documents (two sources agreeing).
    ordered = [best.hit] + sorted((h for h in hits if h.passage_id != best.hit.passage_id),
                                  key=lambda h: (h.doc_id == best.hit.doc_id, -h.score))
    citations = []
    for n, hit in enumerate(ordered[:max_citations], start=1):
        focus = (best.start, best.end) if hit is best.hit else _best_sentence_in(hit, terms, weight)
        citations.append(Citation(n, hit, make_snippet(hit.text, focus, terms)))
    return Answer(question.text, True, short, best.text, tuple(citations), question.answer_type)


def positive_idf(df: int, n: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
