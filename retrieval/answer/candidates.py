"""Typed answer candidates in a sentence: dates, numbers with their units, ordinals, versions, names and
technical terms (commands, options, modules, paths, addresses, `inline code`).

Hand-written patterns: the product's own idea of a "short answer"; no NER model can be shipped here
(no model downloads), and these shapes cover news, reference and documentation text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .question import DATE, NAME, NUMBER, ORDINAL, PERSON, PLACE, TECH, VALUE, VERSION
from ..text.tokenize import STOPWORDS

# Shapes of candidate, and how well each fits a kind of question (1 = what was asked for).
D, N, O, V, NM, T, L, DT = "date", "number", "ordinal", "version", "name", "tech", "literal", "term"
SHAPE_FIT: dict[str, dict[str, float]] = {
    DATE: {D: 1.0},
    NUMBER: {N: 1.0},
    ORDINAL: {O: 1.0},
    VERSION: {V: 1.0},
    PERSON: {NM: 1.0},
    PLACE: {NM: 1.0},
    NAME: {NM: 1.0, DT: 1.0, T: 0.8, V: 0.3},
    VALUE: {N: 1.0, L: 1.0, T: 0.6, NM: 0.5, V: 0.6},
    TECH: {T: 1.0, NM: 0.8, DT: 0.8},
}

# What the thing asked for looks like, by the noun that names it: "which *address*" is answered by an
# address, "which *directory*" by a path, "which *option*" by a dashed flag, "which *port*" by a number.
NOUN_FORMS: list[tuple[frozenset[str], re.Pattern[str]]] = [
    (frozenset({"address"}), re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|[\w.+-]+@[\w.-]+|https?://\S+")),
    (frozenset({"directori", "dir", "folder", "path", "file"}), re.compile(r"/\w")),
    (frozenset({"option", "flag", "switch"}), re.compile(r"^--?\w")),
    (frozenset({"port", "uid", "gid", "id", "number"}), re.compile(r"^\d[\d,]*$")),
    (frozenset({"share", "percentag", "proport", "fraction", "percent"}), re.compile(r"\d\s?(?:%|percent\b)")),
    (frozenset({"command", "program", "tool", "util", "packag", "modul", "function", "method"}),
     re.compile(r"^[a-z_][\w.+-]*(?:\(\d?\))?$")),
]


def fits_noun(text: str, type_terms: frozenset[str]) -> bool:
    """The candidate has the form of what the question's type noun names."""
    return any(nouns & type_terms and form.search(text) for nouns, form in NOUN_FORMS)


_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
           "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_DATE_PATTERNS = [
    re.compile(rf"\b(?:{_MONTHS})\.?\s?\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s{_YEAR})?\b"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?(?:{_MONTHS})\.?(?:,?\s{_YEAR})?\b"),
    re.compile(rf"\b{_YEAR}-[01]\d-[0-3]\d\b"),
    re.compile(rf"\b(?:{_MONTHS})\.?,?\s{_YEAR}\b"),
    re.compile(rf"(?<![\d.])(?:the\s)?{_YEAR}s?(?![\d.]\d)\b"),
    re.compile(rf"\b(?:{_WEEKDAYS})(?:\s(?:morning|afternoon|evening|night))?\b"),
]
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                 "fifty|sixty|hundred|thousand|dozen")
_AMOUNT = rf"(?:0x[0-9a-fA-F]+|\d+(?:,\d{{3}})*(?:\.\d+)?|(?:{_NUMBER_WORDS})(?:[- ](?:{_NUMBER_WORDS}))?)"
# A number, maybe a range ("10-60", "100 to 999"), and its unit: a symbol or the word after it ("3700 kbytes").
_NUMBER = re.compile(
    rf"(?<![\w.\-/#])(?<!\w\(){_AMOUNT}(?:\s?(?:-|\u2013|to)\s?{_AMOUNT})?"
    r"(?:\s?(?:%|percent\b|million\b|billion\b|thousand\b|hundred\b))?"
    r"(?:\s?(?P<unit>[A-Za-z][A-Za-z/]{0,15})\b)?(?![\w.]?\d)", re.IGNORECASE)
# Literal values: a tuple of numbers "(80, 24)" is a number; a quoted word "no" or a constant True/False/None
# is a literal of code.
_NUMBER_TUPLE = re.compile(r"\(\s*-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?)+\s*\)")
_QUOTED = re.compile(r"(?<![\w\"'])[\"'\u201c][\w.:/+-]{1,40}[\"'\u201d](?![\w\"'])|\b(?:True|False|None)\b")
_ORDINAL = re.compile(r"\b\d+(?:st|nd|rd|th)\b|\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
                      r"tenth|last)\b", re.IGNORECASE)
_VERSION = re.compile(r"(?<![\w.\-/])v?\d+\.\d+(?:\.\d+)?(?:p\d+|[a-z]\d?|-\d+)?(?![\w]|\.\d)"
                      r"|(?<=\bversion )\d+\b|(?<=\brelease )\d+\b", re.IGNORECASE)
# A capitalised word, possibly hyphenated with lower-case parts ("Byung-se") or accented ("Díaz-Canel").
_CAP_WORD = r"(?:[A-Z](?:\.[A-Z])+\.?|[A-Z\u00c0-\u00de][\w\u00c0-\u024f]*(?:[-\u2010][\w\u00c0-\u024f]+)*)"
_CAP_RUN = re.compile(rf"(?<![\w\u00c0-\u024f])(?<![\w\u00c0-\u024f][-.]){_CAP_WORD}(?:\s(?:{_CAP_WORD}|(?:of|de|da|del|van|von|bin|al|la|le)(?=\s[A-Z])))*")
_CODE_NAME = re.compile(r"\b[A-Z]{2,}[a-z]?(?:-| )?\d+\b")  # RFC 4880, PEP 405, DEP-5, CP437
_TITLES = frozenset(
    "mr mrs ms dr prof president minister leader king queen prince princess chancellor general secretary "
    "ambassador governor mayor senator sen rep representative judge justice pope sir lord lady chairman ceo "
    "foreign prime deputy vice former then anchor report photo".split()
)
_NOT_NAMES = frozenset(m.lower() for m in (_MONTHS + "|" + _WEEKDAYS).split("|"))
_INLINE_CODE = re.compile(r"`([^`\n]{1,80})`")
# A word that looks like code: an option, a dotted/namespaced/path name, a call, key=value, snake_case,
# camelCase or CamelCase with inner capitals, letters with digits, a man page reference, an address.
_TECH_WORD = re.compile(
    r"(?<![\w./:@-])(?:"
    r"--?[A-Za-z][\w-]*(?:=\S+)?"
    r"|(?:https?://|www\.)\S+"
    r"|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}"
    r"|~?/[\w.+-]+(?:/[\w.+-]*)*"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?:/\d+)?"
    r"|[A-Za-z_][\w-]*(?:(?:\.|::)[A-Za-z_][\w-]*)+(?:\(\))?"
    r"|[A-Za-z_]\w*\(\)"
    r"|[A-Za-z_]\w*=[\w\"'.-]+"
    r"|[A-Za-z][A-Za-z0-9]*_\w*"
    r"|[a-z]+[A-Z]\w*|[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}[a-z]\w*"
    r"|[A-Za-z]+\d\w*"
    r"|[a-z][\w+-]*\(\d\w?\)"
    r")(?![\w@/-])"
)
# A glossary entry: "sponsor: a person who helps ...", "mentor - a person who ...": the term it defines
# (one to four words at the start of the line) names what the definition describes.
_DEFINED_TERM = re.compile(r"^[ \t]*(?:[*\u2022-][ \t]+)?([\w`][\w`.'/+-]*(?: [\w`.'/+()-]+){0,3}?)"
                           r"[ \t]*(?::|[ \t][-\u2013\u2014])[ \t]+(?:an?|the|one|someone|something|any)\b",
                           re.IGNORECASE | re.MULTILINE)
_NOT_TECH = frozenset("e.g i.e etc. e.g. i.e. vs. and/or".split())
_LINE_START = re.compile(r"(?:^|\n|[:;]\s|[\u2022*\u2013\u2014]\s|\(|[\"'\u201c\u2018])\s*$")


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    specificity: float  # prefer a full date to a bare weekday, a two-word name to one word
    before_title: bool = False  # "Cuban" in "Cuban President X": it describes the title, it is not a person
    shape: str = ""


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
            found.append(Candidate(start, m.end(), text, 1.0 - rank * 0.1, shape=D))
    return found


def _numbers(sentence: str, dates: list[Candidate]) -> list[Candidate]:
    """Numbers with their range and unit; a unit that is a stopword or a capitalised name is left off."""
    out = []
    for m in _NUMBER.finditer(sentence):
        start, end = m.start(), m.end()
        unit = m.group("unit")
        glued = unit is not None and m.start("unit") > 0 and not sentence[m.start("unit") - 1].isspace()
        if unit and not _is_unit(unit, glued, sentence[start : m.start("unit")]):
            end = m.start("unit")
            unit = None
        text = sentence[start:end].strip()
        if not text or any(d.start <= start < d.end and d.specificity > 0.65 for d in dates):
            continue
        if text.isalpha() and re.match(r"[-\u2010][A-Za-z]", sentence[start + len(text) :]):
            continue  # a spelled-out number in a compound ("a one-character string", "two-way") is no value
        out.append(Candidate(start, start + len(text), text, 1.0 if unit else 0.8, shape=N))
    return out


def _is_unit(word: str, glued: bool, amount: str) -> bool:
    """The word after a number is its unit when it looks like one: glued to it ("800Kib/sec"), an
    abbreviation ("MB", "ms"), a rate ("MB/s"), or a plural ("seconds", "kbytes"; singular after one:
    "one year"); not an adjective ("six switchable consoles") nor a stopword or a name."""
    if word.lower() in STOPWORDS:
        return False
    if glued or "/" in word or (len(word) <= 3 and word.isalpha()):
        return True
    if word[0].isupper() and not word.isupper():
        return False
    return word.endswith("s") or amount.strip().lower() in ("1", "one", "a")


def _is_sentence_initial(sentence: str, start: int) -> bool:
    return _LINE_START.search(sentence, 0, start) is not None


def _names(sentence: str, proper: Iterable[str] = ()) -> list[Candidate]:
    """Capitalised runs, split at titles ("President Miguel Díaz-Canel" -> "Miguel Díaz-Canel"). One
    capitalised word opening a sentence ("Note", "Currently") is not a name unless it is written
    capitalised elsewhere too (`proper`), or has inner capitals or digits ("OpenSSH")."""
    proper = set(proper)
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
                text = sentence[start:end]
                plain = len(run) == 1 and text[1:].islower()
                if len(text) > 1 and not (plain and _is_sentence_initial(sentence, start) and text not in proper):
                    out.append(Candidate(start, end, text, min(len(run), 2) / 2, before_title=key in _TITLES,
                                         shape=NM))
            run = []
    for m in _CODE_NAME.finditer(sentence):
        out = [c for c in out if not (m.start() <= c.start < m.end() or c.start <= m.start() < c.end)]
        out.append(Candidate(m.start(), m.end(), m.group(), 1.0, shape=NM))
    return out


def proper_words(texts: Iterable[str]) -> set[str]:
    """Capitalised words written inside sentences (not at their start): the corpus' own proper nouns."""
    found: set[str] = set()
    for text in texts:
        for m in re.finditer(r"(?<=[a-z,] )[A-Z][a-z]+\b", text):
            found.add(m.group())
    return found


def _inline_code(sentence: str) -> list[Candidate]:
    return [Candidate(m.start(1), m.end(1), m.group(1), 1.0, shape=T) for m in _INLINE_CODE.finditer(sentence)]


def _literals(sentence: str) -> list[Candidate]:
    return [Candidate(m.start(), m.end(), m.group(), 1.0, shape=L) for m in _QUOTED.finditer(sentence)]


def _tech(sentence: str) -> list[Candidate]:
    out = _inline_code(sentence)
    for m in _TECH_WORD.finditer(sentence):
        text = m.group().rstrip(".,;:")
        if text.lower() in _NOT_TECH or any(c.start <= m.start() < c.end for c in out):
            continue
        out.append(Candidate(m.start(), m.start() + len(text), text, 0.9, shape=T))
    return out


def _defined_terms(sentence: str) -> list[Candidate]:
    out = []
    for m in _DEFINED_TERM.finditer(sentence):
        text = m.group(1).strip("`")
        if text.lower() not in STOPWORDS:
            start = sentence.index(text, m.start(1))
            out.append(Candidate(start, start + len(text), text, 1.0, shape=DT))
    return out


def _versions(sentence: str) -> list[Candidate]:
    return [Candidate(m.start(), m.end(), m.group(), 1.0, shape=V) for m in _VERSION.finditer(sentence)]


MAX_SENTENCE_CHARS = 2_000  # candidates are looked for this far into a sentence: bounded work per question


def candidates(sentence: str, kind: str | None, proper: Iterable[str] = ()) -> list[Candidate]:
    """Every candidate of a shape that can answer a question of `kind`."""
    shapes = SHAPE_FIT.get(kind or "", {})
    sentence = sentence[:MAX_SENTENCE_CHARS]
    out: list[Candidate] = []
    dates = _dates(sentence) if D in shapes or N in shapes else []
    versions = _versions(sentence) if V in shapes or N in shapes else []
    if D in shapes:
        out += dates
    if O in shapes:
        out += [Candidate(m.start(), m.end(), m.group(), 1.0, shape=O) for m in _ORDINAL.finditer(sentence)]
    if V in shapes:
        out += versions
    if N in shapes:
        out += [c for c in _numbers(sentence, dates) if not any(v.start <= c.start < v.end for v in versions)]
        out += [Candidate(m.start(), m.end(), m.group(), 1.0, shape=N) for m in _NUMBER_TUPLE.finditer(sentence)]
    if NM in shapes:
        names = _names(sentence, proper)
        if kind == PERSON:
            # a person's name is not an acronym, a code, one CamelCase word ("BaseDir"), nor a run of more
            # than four words or with an all-capitals word ("ACAP Media Type")
            names = [c for c in names if not re.fullmatch(r"[A-Z.]+", c.text) and not c.before_title
                     and not any(ch.isdigit() for ch in c.text)
                     and not (" " not in c.text and re.search(r"[a-z][A-Z]", c.text))
                     and len(c.text.split()) <= 4 and not re.search(r"\b[A-Z]{2,}\b", c.text)]
        out += names
    if DT in shapes:
        out += _defined_terms(sentence)
    if T in shapes:
        out += _tech(sentence)
    if L in shapes:
        out += [c for c in _literals(sentence) if not any(t.start <= c.start < t.end for t in out if t.shape == T)]
    # A code token is one thing: no name or number inside it ("Acquire" in "APT::Acquire::http::Dl-Limit").
    tokens = [c for c in out if c.shape == T]
    out = [c for c in out if c.shape == T or not any(t.start <= c.start and c.end <= t.end and
                                                      (t.start, t.end) != (c.start, c.end) for t in tokens)]
    # One span, one candidate: the shape that fits the question best.
    best: dict[tuple[int, int], Candidate] = {}
    for cand in out:
        key = (cand.start, cand.end)
        if key not in best or shapes.get(cand.shape, 0.0) > shapes.get(best[key].shape, 0.0):
            best[key] = cand
    return sorted(best.values(), key=lambda c: c.start)
