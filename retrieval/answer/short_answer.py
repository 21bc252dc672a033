"""The short answer: among the candidates of the asked type in the best sentences (candidates.py), the one
that stands closest to the question's words, in the same clause, fits the type best and is stated for a
question word; a sentence that states none may take it from the next sentences of its paragraph, and a
changelog bullet from its entry's lead or heading."""

from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple

from .sentences import Sentence, answer_spans, implied_terms
from .candidates import SHAPE_FIT, Candidate, candidates, fits_noun, proper_words
from .question import DATE, NAME, PERSON, PLACE, VERSION, Question
from ..text.tokenize import iter_terms, tokenize
from .weights import TermWeight

_NEAR_BEST = 0.6  # a typed answer may come from a sentence scoring at least this share of the best one
_SHAPE_MISFIT = 0.5  # a candidate of a less fitting shape loses this share of the top term weight per unit of misfit
_CONTEXT_PENALTY = 0.25  # a candidate from the passage's heading or lead sentence, not the answer sentence
_FOLLOWING_SENTENCES = 2  # the sentences after the matching one that may state its value
_CLAUSE_BREAK = re.compile(r"[,;:]\s|\s[-\u2013\u2014]\s|\(|\)")
_SHORT_ASIDE = re.compile(r"\(\s*[^()\s]+(?:\s+[^()\s]+)?\s*\)")
# "MAXYEAR is 9999", "timeout defaults to 5.0", "Dl-Limit: 800": a value stated for a question term.
_COPULA = frozenset("is are was were be been equals equal = : defaults default to set".split())
_VERSION_WORDS = frozenset("version versions release releases v".split())


def word_positions(text: str) -> list[tuple[int, int, set[str]]]:
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


def score_candidate(cand: Candidate, sentence: str, question: Question, weight: TermWeight,
                    kind: str | None, words: list[tuple[int, int, set[str]]] | None = None,
                    whole_clause: bool = False) -> float | None:
    """How well a candidate answers, from where it stands in `sentence` (`words`: its word_positions, when
    the caller scores several candidates of one sentence; `whole_clause`: the candidate is said of the
    whole sentence, as an entry's version is of each of its bullets)."""
    terms = set(question.terms)
    cand_terms = set(tokenize(cand.text))
    if not cand_terms or cand_terms <= terms or _initials(cand.text) in terms:
        return None  # the question's own words are not its answer, nor is what it abbreviates ("UN")
    words = word_positions(sentence) if words is None else words
    cand_words = [i for i, (s, e, _) in enumerate(words) if s < cand.end and e > cand.start]
    if not cand_words:
        return None
    first, last = cand_words[0], cand_words[-1]
    proximity = 0.0
    for term in terms - cand_terms:
        dists = [max(first - i, i - last, 0) for i, (_, _, ts) in enumerate(words) if term in ts]
        if dists:
            proximity += weight(term) / (1 + min(dists))
    # A glossary entry's term is said of its whole definition ("sponsor: a person who helps ...").
    defined = cand.shape == "term"
    a, b = (0, len(sentence)) if whole_clause or defined else _clause_of(sentence, cand.start)
    clause_terms = terms & (set(tokenize(sentence[a:b])) | implied_terms(sentence[a:b])) - cand_terms
    clause = sum(weight(t) for t in clause_terms)
    score = clause + proximity + cand.specificity
    if question.unit_terms and _next_word_terms(words, last) & question.unit_terms:
        score += weight.maximum  # it fills the question's slot: "the how-manyth country" <- "the 193rd country"
    if kind in (PERSON, PLACE, NAME) or cand.shape == "name":
        # Names are rare words: a run of common corpus words ("Visits North Korea") is less likely one.
        score += sum(weight(t) for t in cand_terms) / len(cand_terms) / max(weight.maximum, 1e-9)
    if defined or stated_for(words, first, terms - cand_terms, sentence, punctuation=cand.shape != "name"):
        score += _SHAPE_MISFIT * weight.maximum
    if kind == "version" and first > 0 and words[first - 1][2] & _VERSION_WORDS_TERMS:
        score += _SHAPE_MISFIT * weight.maximum  # "since version 3.6": the number the text calls a version
    if cand.shape == "tech":  # a key named after what it does: "limits the bandwidth" <- "Dl-Limit"
        score += 0.5 * sum(weight(t) for t in cand_terms & terms - question.type_terms)
    if cand_terms & question.type_terms:
        score += 2 * _SHAPE_MISFIT * weight.maximum  # it names itself as what was asked: "which RFC" <- "RFC 7159"
    elif fits_noun(cand.text, question.type_terms):
        score += _SHAPE_MISFIT * weight.maximum  # it has the form of what was asked: "which address" <- 127.0.1.1
    fit = SHAPE_FIT.get(kind or "", {}).get(cand.shape, 1.0)
    return score - (1.0 - fit) * _SHAPE_MISFIT * weight.maximum


_VERSION_WORDS_TERMS = frozenset(t for w in _VERSION_WORDS for t in tokenize(w))


def stated_for(words: list[tuple[int, int, set[str]]], first: int, terms: set[str], sentence: str,
                punctuation: bool = True) -> bool:
    """The candidate follows a question term and a copula: "MAXYEAR is 9999", "timeout defaults to 5", and
    unless it is a name (a caption's "Photo : YONHAP News" is a credit), "maxsize=128", "Default: 5"."""
    i, linking = first - 1, 0
    while i >= 0 and linking < 3:
        start, end, word_terms = words[i]
        if word_terms & terms:
            return linking > 0 or (punctuation and sentence[end:words[first][0]].strip() in ("=", ":"))
        word = sentence[start:end].strip("`\"'").lower()
        if word not in _COPULA or (not punctuation and word in ("=", ":")):
            return False
        linking += 1
        i -= 1
    return False


class TypedAnswer(NamedTuple):
    sentence: Sentence  # the sentence answered from
    candidate: Candidate
    score: float  # the candidate's own score (less the penalty for standing outside the sentence)
    from_context: bool  # the candidate stands in a sentence near the matching one, its lead or heading


def best_typed(sentences: list[Sentence], question: Question, weight: TermWeight) -> TypedAnswer | None:
    """The best candidate for a typed question, with the sentence it answers."""
    if question.answer_type not in SHAPE_FIT or not sentences:
        return None
    best_score = sentences[0].score
    proper = proper_words({s.hit.text for s in sentences})
    spans_of: dict[str, list[tuple[int, int]]] = {}
    best: tuple[float, TypedAnswer] | None = None

    def consider(sentence: Sentence, text: str, penalty: float, own: bool, before: bool = False) -> bool:
        nonlocal best
        seen = False
        # A candidate from a context is judged with the matching sentence beside it, so that the question's
        # words there count for it: the next sentences follow the sentence; an entry's lead or heading names
        # the version or date of the whole entry, so the sentence is read right after that candidate.
        if own:
            reading, shift = text, 0
        else:
            reading, shift = f"{sentence.text} {text}", len(sentence.text) + 1
        words = word_positions(reading)
        for cand in candidates(text, question.answer_type, proper):
            if before:  # the whole sentence is the candidate's clause: the entry's version is the sentence's
                reading = f"{text[: cand.end]} {sentence.text}"
                placed, words = cand, word_positions(reading)
            else:
                placed = cand if own else dataclasses.replace(cand, start=cand.start + shift, end=cand.end + shift)
            score = score_candidate(placed, reading, question, weight, question.answer_type, words,
                                    whole_clause=before)
            if score is None:
                continue
            seen = True
            # How well the sentence matches the question and how well the candidate fits it, together: a
            # full date in an equally good sentence beats a bare weekday in the first one.
            total = sentence.score + score - penalty
            if best is None or total > best[0]:
                best = (total, TypedAnswer(sentence, cand, score - penalty, not own))
        return seen

    for sentence in sentences:
        if sentence.score < _NEAR_BEST * best_score:
            break
        if consider(sentence, sentence.text, 0.0, own=True):
            continue
        # The sentence that matches states no value; the next one may ("... the database is locked. Default
        # five seconds."), and a changelog's bullet has its version or date in its entry's lead or heading.
        text = sentence.hit.text
        spans = spans_of.setdefault(sentence.hit.passage_id, answer_spans(text))
        following = [(a, b) for a, b in spans if a >= sentence.end][:_FOLLOWING_SENTENCES]
        # ... in the same paragraph: "Default five seconds." two sentences after the parameter it belongs to
        following = [(a, b) for a, b in following if "\n\n" not in text[sentence.end : a]]
        contexts = [(text[a:b], _CONTEXT_PENALTY * (n + 1), False) for n, (a, b) in enumerate(following)]
        if question.answer_type in (VERSION, DATE):
            contexts += [(text[spans[0][0] : spans[0][1]], _CONTEXT_PENALTY, True),
                         (sentence.hit.heading, 2 * _CONTEXT_PENALTY, True)]
        for context, penalty, before in contexts:
            if context and context != sentence.text:
                # A lead or heading heads an entry when it names what is asked about ("OpenSSH 7.6 includes
                # ..."); a bare "New in version 3.5." is the end of the item before, read as a next sentence.
                heads = before and bool(set(tokenize(context)) & set(question.terms) - _VERSION_WORDS_TERMS)
                consider(sentence, context, penalty * weight.maximum, own=False, before=heads)
    return best[1] if best else None
