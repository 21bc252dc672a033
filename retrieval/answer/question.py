"""Questions: validation (one clear message per bad input) and the expected answer type."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..errors import BadQuestion
from ..text.tokenize import tokenize

DATE, NUMBER, ORDINAL, PERSON, PLACE, NAME = "date", "number", "ordinal", "person", "place", "name"
# Documentation questions: a version, a value (a port, a limit, an address: a number or a literal), a
# technical name (command, option, module, function, file); "how do I" and "why" are answered by a sentence.
VERSION, VALUE, TECH, HOWTO, REASON = "version", "value", "tech", "howto", "reason"

_PERSON_NOUNS = ("person|people|man|woman|minister|president|leader|king|queen|prime minister|chancellor|"
                 "author|writer|founder|ceo|chairman|chair|director|head|secretary|ambassador|governor|mayor|"
                 "spokesman|spokeswoman|spokesperson|official|scientist|player|actor|singer|journalist|reporter|"
                 "anchor|envoy|diplomat|dictator|emperor|general|commander|ruler|inventor|artist|politician")
_PLACE_NOUNS = ("country|countries|nation|state|city|town|capital|place|region|province|continent|island|"
                "location|territory|member state|village|port|venue|hemisphere")
_TECH_NOUNS = ("command|commands|program|tool|utility|package|module|function|method|class|handler|option|flag|"
               "parameter|argument|variable|field|setting|directive|file|directory|dir|folder|path|key|attribute|"
               "constant|address|format|library|script|keyword|tag|hook|encoding|extension|header|"
               "exception|error|algorithm|protocol|standard|specification|rfc|pep|dep|"
               "target|backend|language|editor|shell|daemon|field name")
_VALUE_NOUNS = "value|level|default|setting"
_COUNT_NOUNS = ("port|uid|gid|id|number|size|limit|timeout|delay|range|length|count|amount|percentage|share|proportion|fraction|"
                "exit code|exit status|status code|error code|return code|return value")
# "Where" asked about something a computer keeps: answered by a path or a name in code, not by a place.
_WHERE_STORED = re.compile(r"\bwhere\b.*\b(file|directory|dir|folder|path|log|socket|cache|config|configuration|"
                           r"database|binary|executable|script)s?\b")
_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:and |so |but )?(?:how (?:do|can|could|should|would|shall|must|may) (?:i|you|we|one|they)|"
                r"how to|what(?:'s| is) the (?:best |right |easiest )?way to|is there a way to)\b"), HOWTO),
    (re.compile(r"^(?:and |so |but )?(?:why|for what reason|what is the reason)\b"), REASON),
    (re.compile(r"\bhow[\s-]*many[\s-]*th\b|\bwhat (rank|place|position)\b|\bwhich (rank|position)\b"), ORDINAL),
    # "when" asks at the start ("when did ...", "and when ...") or at the end ("... when?"); inside, it joins a
    # clause ("a replacement for grep when scanning a tree")
    (re.compile(r"^(?:and |so |but |since |until |till |from )?when\b|\bwhen\W*$|\b(?:since|until|till) when\b"
                r"|\b(what|which) (year|date|day|month|time|decade|century)\b|\bwhat year\b|\bsince when\b"
                r"|\bwhat (is|was) the (publication |release )?date\b"), DATE),
    (re.compile(r"\b(which|what)( [\w.-]+){0,2} (version|releas\w*)s?\b|\bin which [\w.-]+ releas"), VERSION),
    (re.compile(r"\bhow (many|much|long|old|far|big|large|high|tall|deep|wide|heavy)\b|"
                rf"\b(which|what)( [\w.-]+){{0,2}} ({_COUNT_NOUNS})s?\b|\bwhat (is|are) the( [\w.-]+){{0,3}} ({_COUNT_NOUNS})s?\b"),
     NUMBER),
    (re.compile(rf"\b(who|whom|whose)\b|\b(which|what)( \w+){{0,2}} ({_PERSON_NOUNS})s?\b"), PERSON),
    (re.compile(rf"\b(which|what)( [\w.-]+){{0,2}} ({_VALUE_NOUNS})s?\b|\bwhat (is|are) the( [\w.-]+){{0,3}} ({_VALUE_NOUNS})s?\b|"
                rf"\bwhat (is|are) the value\b"), VALUE),
    (re.compile(rf"\b(which|what)( [\w.-]+){{0,3}} ({_TECH_NOUNS})s?\b|\bname (of|for) the\b"), TECH),
    (_WHERE_STORED, TECH),  # "where does the config file live?": a path answers, not a place name
    (re.compile(rf"\bwhere\b|\b(which|what)( \w+){{0,2}} ({_PLACE_NOUNS})\b|\bin which (\w+ )?(country|city|state)\b"), PLACE),
    (re.compile(r"\b(which|what) (is|was|are|were)? ?the name\b|\bname the\b|\bwhich\b"), NAME),
]
# Questions about a thing, not for one: "what does X do / mean", "what is the sqlite3 module?" (the type noun
# ends the question: it is the subject).
_DESCRIPTIVE = re.compile(rf"^(?:what|which)\b.*\b(?:do|does|did|mean|means)\W*$"
                          rf"|^what (?:is|are|was|were) (?:a |an |the )?(?:[\w.-]+ ){{0,3}}(?:{_TECH_NOUNS})s?\W*$")
# A question typed as keywords: one of its first three words names what is asked for.
_KEYWORD_QUESTION = re.compile(rf"^(?:[\w.-]+ ){{0,2}}({_COUNT_NOUNS}|{_VALUE_NOUNS}|{_TECH_NOUNS})s?\b(?! (?:is|are|was|does|do)\b)")
# Words that only say what kind of answer is wanted; they are not searched for.
_TYPE_MARKERS = re.compile(r"\bhow[\s-]*many[\s-]*th\b|\bhow (many|much)\b|\b(what|which) (year|date|day|month|decade|"
                           r"century|number|amount|rank|position)\b", re.IGNORECASE)
# The noun saying what kind of thing is asked for: "which *city*", "what *country*", "which foreign *minister*".
# "How high" is answered by a height: texts state a measure with its noun ("Its height is 3,357 metres").
_MEASURES = {"high": "height", "tall": "height", "long": "length", "far": "distance", "deep": "depth",
             "wide": "width", "old": "age", "big": "size", "large": "size", "heavy": "weight"}
_MEASURE = re.compile(rf"\bhow ({'|'.join(_MEASURES)})\b")
# "Who wrote X" is answered by X's author line ("Author: Larry Hastings"): the agent noun is searched too.
# (and the passive form: "X was written by")
_AGENTS = {"wrote": "author written", "written": "author wrote", "write": "author written",
           "writes": "author written", "authored": "author",
           "maintains": "maintainer", "maintained": "maintainer", "translated": "translator",
           "founded": "founder", "invented": "inventor", "designed": "designer"}
_AGENT = re.compile(rf"\b({'|'.join(_AGENTS)})\b")
# The thing counted or ranked: "how many *tourists*", "the how-manyth *country*". A passage that never names
# it cannot give its count, and the answer is the number written next to it ("the 193rd country").
_UNIT = re.compile(r"\bhow[\s-]*(?:many|much)(?:[\s-]*th)? ((?!of\b|did\b|do\b|does\b|is\b|are\b|was\b|were\b|has\b|have\b|had\b)[a-z][\w-]*)")
_TYPE_NOUN = re.compile(rf"\b(?:which|what)(?: (?:is|are|was|were) the)?(?: \w+){{0,3}}? ({_PERSON_NOUNS}|{_PLACE_NOUNS}|{_VALUE_NOUNS}|{_COUNT_NOUNS}|"
                        rf"{_TECH_NOUNS})s?\b")
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
    # Terms of the answer-type noun ("which city"): searched for, but a passage need not contain them.
    type_terms: frozenset[str] = frozenset()
    # Terms of the counted noun ("how many tourists"): required, and the answer should stand next to them.
    unit_terms: frozenset[str] = frozenset()


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
    """The kind of answer the first question phrase asks for: in "how long does apt wait when it is not
    connected", "how long" asks, "when" only joins a clause."""
    lowered = text.lower().replace("\u2019", "'")
    if _DESCRIPTIVE.search(lowered):  # "what does the --force option do?": a sentence, not a name
        return None
    found = [(m.start(), i, kind) for i, (pattern, kind) in enumerate(_TYPE_RULES) if (m := pattern.search(lowered))]
    if found:
        return min(found)[2]
    keyword = _KEYWORD_QUESTION.match(lowered)  # "uid range for system users", "dir for temp files"
    if keyword:
        noun = keyword.group(1)
        return NUMBER if re.fullmatch(_COUNT_NOUNS, noun) else VALUE if re.fullmatch(_VALUE_NOUNS, noun) else TECH
    return None


# "whats", "what's" -> "what is": typed without the apostrophe the word is not a stopword, and neither form
# matches the type rules' "what is the name".
_CONTRACTED = re.compile(r"\b(what|who|where|how|which|that|there)(?:'|\u2019)?s\b", re.IGNORECASE)


def spelled_out(text: str) -> str:
    return _CONTRACTED.sub(r"\1 is", text)


def parse_question(raw: str, max_chars: int = 1000) -> Question:
    shown = clean_question(raw, max_chars)
    text = spelled_out(shown)
    terms = tuple(tokenize(_TYPE_MARKERS.sub(" ", text))) or tuple(tokenize(text))
    if not terms:
        raise BadQuestion("The question has no words to search for (only very common words or symbols); "
                          "add the names or terms you are asking about.")
    unit = _unit_terms(text)
    type_terms = _type_terms(text)
    kind = answer_type(text)
    measure = _MEASURE.search(text.lower())
    agent = _AGENT.search(text.lower()) if kind == PERSON else None
    for word, noun in ((measure, _MEASURES), (agent, _AGENTS)):
        if word:  # search for the measure's or the agent's noun too; neither word is needed in the passage
            extra = tuple(tokenize(noun[word.group(1)]))
            terms += tuple(t for t in extra if t not in terms)
            type_terms |= frozenset(tokenize(word.group(1))) | frozenset(extra)
    return Question(shown, terms, kind, _required_terms(text) | unit, type_terms, unit)


def _unit_terms(text: str) -> frozenset[str]:
    match = _UNIT.search(text.lower().replace("\u2019", "'"))
    return frozenset(tokenize(match.group(1))) if match else frozenset()


def _type_terms(text: str) -> frozenset[str]:
    lowered = text.lower().replace("\u2019", "'")
    match = _TYPE_NOUN.search(lowered) or _KEYWORD_QUESTION.match(lowered) or _WHERE_STORED.search(lowered)
    return frozenset(tokenize(match.group(1))) if match else frozenset()


def _required_terms(text: str) -> frozenset[str]:
    required: set[str] = set()
    for i, m in enumerate(_CAPITALISED.finditer(text)):
        word = m.group()
        if i == 0 and m.start() == 0 and word.lower() in _LEADING_VERBS:
            continue
        required.update(tokenize(word))
    return frozenset(required)
