"""Ranked passages -> an Answer: the best sentence, a typed short answer, cited snippets.

Sentences and candidates are weighted with a positive IDF (Lucene's log(1 + (N-df+.5)/(df+.5))):
rank-bm25's IDF can be negative or zero on a tiny corpus, which would make common question terms
count against a sentence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .candidates import SHAPE_FIT, Candidate, candidates, fits_noun, proper_words
from .confidence import Signals, decide
from .weights import TermWeight
from .models import ANSWERED, NOT_FOUND, Answer, Citation, Hit, Snippet
from .question import DATE, HOWTO, NAME, PERSON, PLACE, REASON, VERSION, Question
from .sentences import sentence_spans
from .tokenize import iter_terms, tokenize

_CLAUSE_BREAK = re.compile(r"[,;:]\s|\s[-\u2013\u2014]\s|\(|\)")
_SHORT_ASIDE = re.compile(r"\(\s*[^()\s]+(?:\s+[^()\s]+)?\s*\)")
_SNIPPET_CHARS = 320
_NEAR_BEST = 0.6  # a typed answer may come from a sentence scoring at least this share of the best one
SENTENCE_HITS = 5  # the answer is looked for in this many of the best passages
_ANSWER_CHARS = 400
_SHAPE_MISFIT = 0.5  # a candidate of a less fitting shape loses this share of the top term weight per unit of misfit
_SENTENCE_KIND_BONUS = 0.25  # "how do I": a sentence naming a command or code; "why": one giving a reason
_REASON = re.compile(r"\b(because|since|so that|in order to|to avoid|to prevent|to allow|to make|allows?|"
                     r"otherwise|as a result|due to|the reason|so as to|this means|which means)\b", re.IGNORECASE)
_FENCE = "```"
_CONTEXT_PENALTY = 0.25  # a candidate from the passage's heading or lead sentence, not the answer sentence
_FOLLOWING_SENTENCES = 2  # the sentences after the matching one that may state its value
# "MAXYEAR is 9999", "timeout defaults to 5.0", "Dl-Limit: 800": a value stated for a question term.
_COPULA = frozenset("is are was were be been equals equal = : defaults default to set".split())
_VERSION_WORDS = frozenset("version versions release releases v".split())


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


def _title_terms(hit: Hit) -> set[str]:
    """What the passage is about beyond its own words: its document's title and its section's headings."""
    return set(tokenize(hit.title)) | set(tokenize(hit.heading))


def passage_terms(question: Question, hit: Hit) -> set[str]:
    """The question's terms this passage holds, in its text, title or heading."""
    return (set(hit.matched_terms) | _title_terms(hit)) & set(question.terms)


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


def _sentences(question: Question, hits: Sequence[Hit], weight: TermWeight) -> list[_Sentence]:
    terms = set(question.terms)
    top_score = max((h.score for h in hits), default=0.0) or 1.0
    proper = proper_words(h.text for h in hits) if question.answer_type in (HOWTO,) else set()
    out = []
    for rank, hit in enumerate(hits):
        topic = terms & _title_terms(hit)  # every sentence of "Mount Etna" is about Mount Etna, "Its height" too
        spans = answer_spans(hit.text)
        for i, (start, end) in enumerate(spans):
            text = hit.text[start:end]
            present = terms & set(tokenize(text)) | topic
            score = sum(weight(t) for t in present) + 0.5 * max(hit.score, 0.0) / top_score
            if _FENCE in text and question.answer_type in (None, REASON):
                score *= 0.5  # code is shown in the snippet; a sentence says the answer
            if question.answer_type == HOWTO:
                score += _instruction_credit(text, question, proper, spans, hit, i, weight)
            elif question.answer_type == REASON and _REASON.search(text):
                score += _SENTENCE_KIND_BONUS * weight.maximum
            out.append(_Sentence(rank, hit, start, end, score))
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
            hit.text[spans[i + 1][0]:].startswith(_FENCE):
        credit = _SENTENCE_KIND_BONUS * weight.maximum
    return credit


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
    if kind in (PERSON, PLACE, NAME) or cand.shape == "name":
        # Names are rare words: a run of common corpus words ("Visits North Korea") is less likely one.
        score += sum(weight(t) for t in cand_terms) / len(cand_terms) / max(weight.maximum, 1e-9)
    if _stated_for(words, first, terms - cand_terms, sentence, punctuation=cand.shape != "name"):
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


_VERSION_WORDS_TERMS = frozenset(t for w in _VERSION_WORDS for t in tokenize(w)) | {"version", "releas"}


def _stated_for(words: list[tuple[int, int, set[str]]], first: int, terms: set[str], sentence: str,
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


def _best_typed(sentences: list[_Sentence], question: Question, weight: TermWeight
                ) -> tuple[_Sentence, Candidate, float] | None:
    """The best (sentence, candidate) for a typed question, with the candidate's own score."""
    if question.answer_type not in SHAPE_FIT or not sentences:
        return None
    best_score = sentences[0].score
    proper = proper_words({s.hit.text for s in sentences})
    best: tuple[float, _Sentence, Candidate, float] | None = None

    def consider(sentence: _Sentence, text: str, penalty: float, own: bool) -> bool:
        nonlocal best
        seen = False
        # A candidate from a context (the next sentences, the lead, the heading) is judged as if that text
        # followed the matching sentence, so that the question's words there count for it.
        reading = text if own else f"{sentence.text} {text}"
        shift = 0 if own else len(sentence.text) + 1
        for cand in candidates(text, question.answer_type, proper):
            placed = cand if own else dataclasses.replace(cand, start=cand.start + shift, end=cand.end + shift)
            score = _score_candidate(placed, reading, question, weight, question.answer_type)
            if score is None:
                continue
            seen = True
            # How well the sentence matches the question and how well the candidate fits it, together: a
            # full date in an equally good sentence beats a bare weekday in the first one.
            total = sentence.score + score - penalty
            if best is None or total > best[0]:
                shown = cand if own else dataclasses.replace(cand, start=0, end=0)
                best = (total, sentence, shown, score - penalty)
        return seen

    for sentence in sentences:
        if sentence.score < _NEAR_BEST * best_score:
            break
        if consider(sentence, sentence.text, 0.0, own=True):
            continue
        # The sentence that matches states no value; the next one may ("... the database is locked. Default
        # five seconds."), and a changelog's bullet has its version or date in its entry's lead or heading.
        spans = answer_spans(sentence.hit.text)
        text = sentence.hit.text
        following = [(a, b) for a, b in spans if a >= sentence.end][:_FOLLOWING_SENTENCES]
        # ... in the same paragraph: "Default five seconds." two sentences after the parameter it belongs to
        following = [(a, b) for a, b in following if "\n\n" not in text[sentence.end : a]]
        contexts = [(text[a:b], _CONTEXT_PENALTY * (n + 1)) for n, (a, b) in enumerate(following)]
        if question.answer_type in (VERSION, DATE):
            contexts += [(sentence.hit.text[spans[0][0] : spans[0][1]], _CONTEXT_PENALTY),
                         (sentence.hit.heading, 2 * _CONTEXT_PENALTY)]
        for context, penalty in contexts:
            if context and context != sentence.text:
                consider(sentence, context, penalty * weight.maximum, own=False)
    return (best[1], best[2], best[3]) if best else None


def _one_line(text: str, limit: int = _ANSWER_CHARS) -> str:
    """An answer is one line: code fences dropped, whitespace collapsed, long sentences cut at a word."""
    text = " ".join(text.replace(_FENCE, " ").split())
    if len(text) > limit:
        text = text[: text.rfind(" ", 0, limit) if " " in text[:limit] else limit].rstrip(",;: ") + " \u2026"
    return text


_POINTS_BACK = re.compile(r"(?:This|That|These|The (?:above|example|code) )\b")


def _code_lines(block: str) -> list[str]:
    return [ln.strip() for ln in block.split("\n") if ln.strip() and not ln.strip().startswith(_FENCE)]


def _best_line(lines: list[str], terms: set[str]) -> str:
    """The code line sharing most words with the question (the first one on a tie)."""
    return max(lines, key=lambda ln: (len(terms & set(tokenize(ln))), -lines.index(ln)))


def _with_code(sentence: _Sentence, terms: set[str]) -> str:
    """A "how to" sentence next to a code block is answered with the code's line: one that leads into it
    ("Run this:") gets the block's line after it, one that points back at it ("This will copy everything
    except .pyc files.") gets the block's line before it."""
    text, hit = sentence.text.rstrip(), sentence.hit.text
    if text.endswith(":"):
        rest = hit[sentence.end :].lstrip()
        if rest.startswith(_FENCE):
            lines = _code_lines(rest[len(_FENCE) : rest.find(_FENCE, len(_FENCE))])
            if lines:
                return f"{text} {_best_line(lines, terms)}"
    elif _POINTS_BACK.match(text):
        before = hit[: sentence.start].rstrip()
        if before.endswith(_FENCE):
            opening = before.rfind(_FENCE, 0, len(before) - len(_FENCE))
            lines = _code_lines(before[opening + len(_FENCE) : len(before) - len(_FENCE)]) if opening >= 0 else []
            if lines:
                return f"{_best_line(lines, terms)} \u2014 {text}"
    return text


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


def build_answer(question: Question, hits: Sequence[Hit], weight: TermWeight, *, min_coverage: float = 0.0,
                 max_citations: int = 3) -> Answer:
    """Pick the answer sentence and short answer from the best passages, judge how sure it is, and cite
    the answer's passage first, then the others in ranking order. `min_coverage` is a floor under the
    confidence rule: below it the question is not answered whatever the other signals say."""
    terms = set(question.terms)
    if not hits:
        return Answer(question.text, False, None, None, (), question.answer_type, confidence=NOT_FOUND)
    pool = hits[: max(SENTENCE_HITS, max_citations)]
    sentences = sorted(_sentences(question, pool, weight), key=lambda s: (-s.score, s.hit_rank))
    typed = _best_typed(sentences, question, weight)
    best = typed[0] if typed else sentences[0]
    short = _one_line(typed[1].text) if typed else None
    sentence = _one_line(_with_code(best, set(question.terms)) if question.answer_type == HOWTO else best.text)

    from_context = typed is not None and typed[1].end == 0  # a candidate placed outside the sentence
    signals = Signals.of(question, hits, best.hit, best.text, weight, typed[2] if typed else None, from_context)
    confidence = decide(signals, floor=min_coverage)
    # The answer's passage first (also when not sure: it is the one to check), then the ranking's order.
    ordered = list(hits) if confidence == NOT_FOUND else \
        [best.hit] + [h for h in hits if h.passage_id != best.hit.passage_id]
    citations = []
    for n, hit in enumerate(ordered[:max_citations], start=1):
        focus = (best.start, best.end) if hit is best.hit else _best_sentence_in(hit, terms, weight)
        citations.append(Citation(n, hit, make_snippet(hit.text, focus, terms)))
    if confidence != ANSWERED:
        return Answer(question.text, False, None, None, tuple(citations), question.answer_type,
                      confidence=confidence, signals=signals.as_dict(), guess=short or sentence)
    return Answer(question.text, True, short, sentence, tuple(citations), question.answer_type,
                  confidence=confidence, signals=signals.as_dict(), guess=short or sentence)
