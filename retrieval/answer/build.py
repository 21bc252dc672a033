"""Ranked passages -> an Answer: the answer sentence (answer_sentences.py), a typed short answer
(short_answer.py), how sure it is (confidence.py) and cited snippets (snippets.py), the answer's passage first.
"""

from __future__ import annotations

from collections.abc import Sequence

from .sentences import one_line, scored_sentences, with_code
from .confidence import Signals, decide
from ..models import ANSWERED, NOT_FOUND, Answer, Citation, Hit
from .question import HOWTO, Question
from .short_answer import best_typed
from .snippets import best_sentence_in, make_snippet
from .weights import TermWeight

SENTENCE_HITS = 5  # the answer is looked for in this many of the best passages


def build_answer(question: Question, hits: Sequence[Hit], weight: TermWeight, *, min_coverage: float = 0.0,
                 max_citations: int = 3, k1: float = 1.2) -> Answer:
    """Pick the answer sentence and short answer from the best passages, judge how sure it is, and cite
    the answer's passage first, then the others in ranking order. `min_coverage` is a floor under the
    confidence rule: below it the question is not answered whatever the other signals say."""
    terms = set(question.terms)
    if not hits:
        return Answer(question.text, False, None, None, (), question.answer_type, confidence=NOT_FOUND)
    pool = hits[: max(SENTENCE_HITS, max_citations)]
    sentences = sorted(scored_sentences(question, pool, weight), key=lambda s: (-s.score, s.hit_rank))
    typed = best_typed(sentences, question, weight)
    best = typed.sentence if typed else sentences[0]
    short = one_line(typed.candidate.text) if typed else None
    sentence = one_line(with_code(best, set(question.terms)) if question.answer_type == HOWTO else best.text)

    signals = Signals.of(question, hits, best.hit, best.text, weight, typed.score if typed else None,
                         typed is not None and typed.from_context, k1=k1)
    confidence = decide(signals, floor=min_coverage)
    # The answer's passage first (also when not sure: it is the one to check), then the ranking's order.
    ordered = list(hits) if confidence == NOT_FOUND else \
        [best.hit] + [h for h in hits if h.passage_id != best.hit.passage_id]
    citations = []
    for n, hit in enumerate(ordered[:max_citations], start=1):
        focus = (best.start, best.end) if hit is best.hit else best_sentence_in(hit, terms, weight)
        citations.append(Citation(n, hit, make_snippet(hit.text, focus, terms)))
    found = confidence == ANSWERED  # only then are the short answer and the sentence given as the answer
    return Answer(question.text, found, short if found else None, sentence if found else None, tuple(citations),
                  question.answer_type, confidence=confidence, signals=signals.as_dict(), guess=short or sentence)
