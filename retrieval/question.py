"""Questions: validation (one clear message per bad input) and the expected answer type."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import BadQuestion
from .tokenize import tokenize

DATE, NUMBER, ORDINAL, PERSON, PLACE, NAME = "date", "number", "ordinal", "person", "place", "name"

_PERSON_NOUNS = ("person|people|man|woman|minister|president|leader|king|queen|prime minister|chancellor|"
                 "author|writer|founder|ceo|chairman|chair|director|head|secretary|ambassador|governor|mayor|"
                 "spokesman|spokeswoman|spokesperson|official|scientist|player|actor|singer|journalist|reporter|"
                 "anchor|envoy|diplomat|dictator|emperor|general|commander|ruler|inventor|artist|politician")
_PLACE_NOUNS = ("country|countries|nation|state|city|town|capital|place|region|province|continent|island|"
                "location|territory|member state|village|port|venue|hemisphere")
_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bhow[\s-]*many[\s-]*th\b|\bwhat (rank|place|position)\b|\bwhich (rank|position)\b"), ORDINAL),
    (re.compile(r"\bwhen\b|\b(what|which) (year|date|day|month|time|decade|century)\b|\bwhat year\b|\bsince when\b"), DATE),
    (re.compile(r"\bhow (many|much|long|old|far|big|large)\b|\bwhat (number|amount|percentage|share)\b"), NUMBER),
    (re.compile(rf"\b(who|whom|whose)\b|\b(which|what)( \w+){{0,2}} ({_PERSON_NOUNS})s?\b"), PERSON),
    (re.compile(rf"\bwhere\b|\b(which|what)( \w+){{0,2}} ({_PLACE_NOUNS})\b|\bin which (\w+ )?(country|city|state)\b"), PLACE),
    (re.compile(r"\b(which|what) (is|was|are|were)? ?the name\b|\bname the\b|\bwhich\b"), NAME),
]
# Words that only say what kind of answer is wanted; they are not searched for.
_TYPE_MARKERS = re.compile(r"\bhow[\s-]*many[\s-]*th\b|\b(what|which) (year|date|day|month|decade|century|number|"
                           r"amount|rank|position)\b", re.IGNORECASE)
# A leading imperative is not a name ("Name the minister ...", "List the ...").
_LEADING_VERBS = frozenset("name list tell give describe explain define show find please say".split())
_CAPITALISED = re.compile(r"(?<![\w-])[A-Z\u00c0-\u00de][\w\u00c0-\u024f.'\u2019-]*")
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


@dataclass(frozen=True)
class Question:
    text: str
    terms: tuple[str, ...]
    answer_type: str | None
    # Terms of the question's proper names: a passage that lacks one of them does not answer it.
    required: frozenset[str] = frozenset()


def clean_question(raw: str, max_chars: int) -> str:
    """Normalise and bound a question; raises BadQuestion with a message fit for the user."""
    if raw is None:
        raise BadQuestion("Ask a question: the text is empty.")
    if len(raw) > max_chars * 4:
        raise BadQuestion(f"The question is too long ({len(raw):,} characters; the limit is {max_chars:,}).")
    text = unicodedata.normalize("NFKC", raw)
    text = _CONTROL.sub(" ", _ANSI_ESCAPE.sub(" ", text))
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("Ask a question: the text is empty.")
    if len(text) > max_chars:
        raise BadQuestion(f"The question is too long ({len(text):,} characters; the limit is {max_chars:,}).")
    return text


def answer_type(text: str) -> str | None:
    lowered = text.lower().replace("\u2019", "'")
    for pattern, kind in _TYPE_RULES:
        if pattern.search(lowered):
            return kind
    return None


def parse_question(raw: str, max_chars: int = 1000) -> Question:
    text = clean_question(raw, max_chars)
    terms = tuple(tokenize(_TYPE_MARKERS.sub(" ", text))) or tuple(tokenize(text))
    if not terms:
        raise BadQuestion("The question has no words to search for (only very common words or symbols); "
                          "add the names or terms you are asking about.")
    return Question(text, terms, answer_type(text), _required_terms(text))


def _required_terms(text: str) -> frozenset[str]:
    required: set[str] = set()
    for i, m in enumerate(_CAPITALISED.finditer(text)):
        word = m.group()
        if i == 0 and m.start() == 0 and word.lower() in _LEADING_VERBS:
            continue
        required.update(tokenize(word))
    return frozenset(required)
