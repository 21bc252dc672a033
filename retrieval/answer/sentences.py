"""The sentences an answer may come from, scored for a question: its words there (IDF-weighted, positive
IDF: rank-bm25's can be zero or negative on a tiny corpus), what the passage is about (title and section
headings), the passage's rank; for "how do I" the sentence naming the code, for "why" one giving a reason.
Also the one-line form of an answer and the code line that goes with a "how to" sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .candidates import candidates, proper_words
from ..models import Hit
from .question import HOWTO, REASON, Question
from ..text.sentences import sentence_spans
from ..text.tokenize import tokenize
from .weights import TermWeight

FENCE = "```"
_ANSWER_CHARS = 400
LEAD_BONUS = 0.1  # a share of the top term weight
_SENTENCE_KIND_BONUS = 0.25  # "how do I": a sentence naming a command or code; "why": one giving a reason
_REASON = re.compile(r"\b(because|since|so that|in order to|to avoid|to prevent|to allow|to make|allows?|"
                     r"otherwise|as a result|due to|the reason|so as to|this means|which means)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    hit_rank: int
    hit: Hit
    start: int  # offsets into hit.text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.hit.text[self.start : self.end]


def about_terms(hit: Hit) -> set[str]:
    """What the passage is about beyond its own words: its document's title and its section's headings."""
    return set(tokenize(hit.title)) | set(tokenize(hit.heading))


_LONG_SENTENCE_WORDS = 60


def answer_spans(text: str) -> list[tuple[int, int]]:
    """Sentences to answer from. A "sentence" of more than 60 words that runs over line breaks is a table or
    a list without full stops (a PDF's rows, a changelog's bullets): its lines are read one by one, so a
    row does not gather the question's words from the whole table."""
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if "\n" in text[start:end] and len(text[start:end].split()) > _LONG_SENTENCE_WORDS:
            position = start
            for line in text[start:end].split("\n"):
                if line.strip():
                    offset = text.index(line, position)
                    spans.append((offset, offset + len(line)))
                    position = offset + len(line)
        else:
            spans.append((start, end))
    return spans


# Bounds said in other words: "requires 3.7 or newer" states a minimum, "at most 60 characters" a maximum.
_IMPLIED_TERMS = [
    (re.compile(r"\bor (?:newer|later|higher|above|greater|more)\b|\bat least\b", re.IGNORECASE),
     frozenset(tokenize("minimum least lowest oldest earliest"))),
    (re.compile(r"\bor (?:older|earlier|lower|below|less|fewer)\b|\bat most\b|\bno (?:more|longer) than\b",
                re.IGNORECASE), frozenset(tokenize("maximum most highest longest largest"))),
    (re.compile(r"\b(?:in the range|ranges? from|from) [\w.+-]+ (?:to|through) [\w.+-]+", re.IGNORECASE),
     frozenset(tokenize("minimum maximum lowest highest smallest largest"))),
]


def implied_terms(text: str) -> set[str]:
    """Question words a sentence states without writing them: a bound written as "X or newer"."""
    return set().union(*(terms for pattern, terms in _IMPLIED_TERMS if pattern.search(text)))


def scored_sentences(question: Question, hits: Sequence[Hit], weight: TermWeight) -> list[Sentence]:
    terms = set(question.terms)
    top_score = max((h.score for h in hits), default=0.0) or 1.0
    proper = proper_words(h.text for h in hits) if question.answer_type in (HOWTO,) else set()
    out = []
    for rank, hit in enumerate(hits):
        topic = terms & about_terms(hit)  # every sentence of "Mount Etna" is about Mount Etna, "Its height" too
        spans = answer_spans(hit.text)
        for i, (start, end) in enumerate(spans):
            text = hit.text[start:end]
            present = terms & (set(tokenize(text)) | implied_terms(text)) | topic
            score = sum(weight(t) for t in present) + 0.5 * max(hit.score, 0.0) / top_score
            if text.rstrip().endswith("?"):
                score *= 0.5  # a question does not answer: a FAQ's question is not its reply
            if FENCE in text and question.answer_type in (None, REASON):
                score *= 0.5  # code is shown in the snippet; a sentence says the answer
            if question.answer_type == HOWTO:
                score += _instruction_credit(text, question, proper, spans, hit, i, weight)
            elif question.answer_type == REASON and _REASON.search(text):
                score += _SENTENCE_KIND_BONUS * weight.maximum
            elif question.answer_type is None and i == 0 and topic:
                score += LEAD_BONUS * weight.maximum  # a section's opening sentence says what its heading asks
            out.append(Sentence(rank, hit, start, end, score))
    return out


def _instruction_credit(text: str, question: Question, proper: set[str], spans: list[tuple[int, int]], hit: Hit,
                        i: int, weight: TermWeight) -> float:
    """How much a sentence reads as the instruction asked for: it names a command, option or code the
    question does not, or leads into a code block ("Run this:"); more when that code is named after what
    is asked ("make options mutually exclusive" <- `add_mutually_exclusive_group()`)."""
    asked = set(question.terms)
    credit = 0.0
    for cand in candidates(text, "tech", proper):
        terms = set(tokenize(cand.text))
        if not terms <= asked:
            credit = max(credit, _SENTENCE_KIND_BONUS * weight.maximum + 0.5 * sum(weight(t) for t in terms & asked))
    if not credit and text.rstrip().endswith(":") and i + 1 < len(spans) and \
            hit.text[spans[i + 1][0]:].startswith(FENCE):
        credit = _SENTENCE_KIND_BONUS * weight.maximum
    return credit


def one_line(text: str, limit: int = _ANSWER_CHARS) -> str:
    """An answer is one line: code fences dropped, whitespace collapsed, long sentences cut at a word."""
    text = " ".join(text.replace(FENCE, " ").split())
    if len(text) > limit:
        text = text[: text.rfind(" ", 0, limit) if " " in text[:limit] else limit].rstrip(",;: ") + " \u2026"
    return text


_POINTS_BACK = re.compile(r"(?:This|That|These|The (?:above|example|code) )\b")


def _code_lines(block: str) -> list[str]:
    return [ln.strip() for ln in block.split("\n") if ln.strip() and not ln.strip().startswith(FENCE)]


def _best_line(lines: list[str], terms: set[str]) -> str:
    """The code line sharing most words with the question (the first one on a tie)."""
    return max(lines, key=lambda ln: (len(terms & set(tokenize(ln))), -lines.index(ln)))


def with_code(sentence: Sentence, terms: set[str]) -> str:
    """A "how to" sentence next to a code block is answered with the code's line: one that leads into it
    ("Run this:") gets the block's line after it, one that points back at it ("This will copy everything
    except .pyc files.") gets the block's line before it."""
    text, hit = sentence.text.rstrip(), sentence.hit.text
    if text.endswith(":"):
        rest = hit[sentence.end :].lstrip()
        if rest.startswith(FENCE):
            closing = rest.find(FENCE, len(FENCE))  # the passage may end inside the block
            lines = _code_lines(rest[len(FENCE) : closing if closing >= 0 else len(rest)])
            if lines:
                return f"{text} {_best_line(lines, terms)}"
    elif _POINTS_BACK.match(text):
        before = hit[: sentence.start].rstrip()
        if before.endswith(FENCE):
            opening = before.rfind(FENCE, 0, len(before) - len(FENCE))
            lines = _code_lines(before[opening + len(FENCE) : len(before) - len(FENCE)]) if opening >= 0 else []
            if lines:
                return f"{_best_line(lines, terms)} \u2014 {text}"
    return text


