"""Typed answer candidates in a sentence: dates, numbers, ordinals, and capitalised names.

Hand-written patterns: the product's own idea of a "short answer"; no NER model can be shipped here
(no model downloads), and these few shapes cover news and reference text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .question import DATE, NAME, NUMBER, ORDINAL, PERSON, PLACE
from .tokenize import STOPWORDS

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_DATE_PATTERNS = [
    re.compile(rf"\b(?:{_MONTHS})\.?\s?\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s{_YEAR})?\b"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?(?:{_MONTHS})\.?(?:,?\s{_YEAR})?\b"),
    re.compile(rf"\b(?:{_MONTHS})\.?,?\s{_YEAR}\b"),
    re.compile(rf"\b(?:the\s)?{_YEAR}s?\b"),
    re.compile(rf"\b(?:{_WEEKDAYS})(?:\s(?:morning|afternoon|evening|night))?\b"),
]
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|million|billion|thousand|hundred))?(?![\w])"
                     r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                     r"fifty|hundred|dozen)\b", re.IGNORECASE)
_ORDINAL = re.compile(r"\b\d+(?:st|nd|rd|th)\b|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
                      r"tenth|last)\b", re.IGNORECASE)
# A capitalised word, possibly hyphenated with lower-case parts ("Byung-se") or accented ("Díaz-Canel").
_CAP_WORD = r"(?:[A-Z](?:\.[A-Z])+\.?|[A-Z\u00c0-\u00de][\w\u00c0-\u024f]*(?:[-\u2010][\w\u00c0-\u024f]+)*)"
_CAP_RUN = re.compile(rf"{_CAP_WORD}(?:\s(?:{_CAP_WORD}|(?:of|de|da|del|van|von|bin|al|la|le)(?=\s[A-Z])))*")
_TITLES = frozenset(
    "mr mrs ms dr prof president minister leader king queen prince princess chancellor general secretary "
    "ambassador governor mayor senator sen rep representative judge justice pope sir lord lady chairman ceo "
    "foreign prime deputy vice former then anchor report photo".split()
)
_NOT_NAMES = frozenset(m.lower() for m in (_MONTHS + "|" + _WEEKDAYS).split("|"))


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    specificity: float  # prefer a full date to a bare weekday, a two-word name to one word
    before_title: bool = False  # "Cuban" in "Cuban President X": it describes the title, it is not a person


def _dates(sentence: str) -> list[Candidate]:
    found: list[Candidate] = []
    for rank, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(sentence):
            if any(c.start <= m.start() < c.end or m.start() <= c.start < m.end() for c in found):
                continue
            text = m.group()
            if text.lower().startswith("the "):
                text, start = text[4:], m.start() + 4
            else:
                start = m.start()
            found.append(Candidate(start, m.end(), text, 1.0 - rank * 0.1))
    return found


def _names(sentence: str) -> list[Candidate]:
    """Capitalised runs, split at titles ("President Miguel Díaz-Canel" -> "Miguel Díaz-Canel")."""
    out: list[Candidate] = []
    for m in _CAP_RUN.finditer(sentence):
        words = [(w.start() + m.start(), w.end() + m.start(), w.group()) for w in re.finditer(r"\S+", m.group())]
        run: list[tuple[int, int, str]] = []
        for word in words + [(0, 0, "")]:
            key = word[2].lower().rstrip(".")
            if word[2] and key not in _TITLES and key not in STOPWORDS and key not in _NOT_NAMES:
                run.append(word)
                continue
            if run:
                start, end = run[0][0], run[-1][1]
                out.append(Candidate(start, end, sentence[start:end], min(len(run), 2) / 2,
                                     before_title=key in _TITLES))
            run = []
    return out


def candidates(sentence: str, kind: str | None) -> list[Candidate]:
    if kind == DATE:
        return _dates(sentence)
    if kind == ORDINAL:
        return [Candidate(m.start(), m.end(), m.group(), 1.0) for m in _ORDINAL.finditer(sentence)]
    if kind == NUMBER:
        dates = _dates(sentence)
        return [Candidate(m.start(), m.end(), m.group(), 1.0) for m in _NUMBER.finditer(sentence)
                if not any(d.start <= m.start() < d.end and d.specificity > 0.65 for d in dates)]
    if kind in (PERSON, PLACE, NAME):
        names = _names(sentence)
        if kind == PERSON:
            return [c for c in names if not re.fullmatch(r"[A-Z.]+", c.text) and not c.before_title]
        return names
    return []
