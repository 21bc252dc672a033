"""An unanswered question asked again in other words: one phrase the best passages lack swapped for a
WordNet synonym (thesaurus.py), "cut off" read as "severed".

A reworded question has bent the asker's words, so it must be covered halfway between the usual bar and
fully (0.75 by default; "climate change" read as "climate exchange" reaches 0.61), and the answer's passage
must contain the synonym. Names, the kind of answer asked for ("which city") and the thing counted are
never swapped: a rewording must not drop the rules they bring. Every word is weighed over the passages
the asker sees, as in the scores.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import BadQuestion
from ..models import Answer, Hit
from ..text.tokenize import normalize_term, tokenize
from .build import build_answer
from .question import Question, parse_question
from .thesaurus import rephrasings
from .weights import term_share

if TYPE_CHECKING:
    from ..search import Searcher

# The rewordings of one unanswered question may score this many postings in all (a few ms at 1M passages,
# BENCHMARKS.md): a question over common words is not re-asked eight times. Counted, not timed, so the same
# corpus gives the same answers on any machine.
REWORDING_POSTINGS = 150_000


def ask_in_other_words(question: Question, hits: Sequence[Hit], answer: Answer, searcher: Searcher,
                       scopes: Iterable[str] | None, asked: str, settings: Settings) -> Answer:
    """The answer to the first rewording that is answered with its synonym in the answer's passage;
    `answer` (the unanswered one) when none is. `asked`: the question as typed, kept in the reply."""
    weight, doc_freq = searcher.weight_for(scopes), searcher.doc_freq_for(scopes)  # what this server sees
    postings = searcher.doc_freq_for(None)  # what a search scores: every posting of its terms
    matched = set().union(*(h.matched_terms for h in hits[: settings.top_k]))
    kept = question.required | question.type_terms | question.unit_terms
    missing = set(question.terms) - matched
    bar = (1 + settings.min_coverage) / 2

    def in_corpus(synonym: str) -> bool:  # the answer's passage must contain it: no search otherwise
        terms = tokenize(synonym)
        return bool(terms) and all(doc_freq(t) for t in terms)

    def could_pass(reworded: Question) -> bool:  # even if every term the corpus has were matched
        present = {t for t in reworded.terms if doc_freq(t)}
        return term_share(reworded, present, weight) >= bar

    def reworded_questions() -> Iterator[tuple[Question, str]]:
        budget = REWORDING_POSTINGS
        for text, _, synonym in rephrasings(question.text, missing, normalize_term, in_corpus, kept):
            try:
                reworded = parse_question(text, settings.max_question_chars)
            except BadQuestion:
                continue
            rules = reworded.required | reworded.type_terms | reworded.unit_terms
            if reworded.answer_type != question.answer_type or not kept <= rules:
                continue  # the synonym changed what is asked ("which city" -> "which metropolis")
            cost = sum(postings(t) for t in reworded.terms)  # postings the search scores
            if cost <= budget and could_pass(reworded):
                budget -= cost
                yield reworded, synonym

    for reworded, synonym in itertools.islice(reworded_questions(), settings.synonyms):
        # only the cited passages decide: fetch no more (each try is a search: the budget is small)
        again = build_answer(reworded, searcher.search_terms(reworded.terms, settings.top_k, scopes),
                             weight, min_coverage=bar, max_citations=settings.top_k, k1=settings.k1)
        if again.found and set(tokenize(synonym)) <= set(again.citations[0].hit.matched_terms):
            return dataclasses.replace(again, question=asked, read_as=reworded.text)
    return answer
