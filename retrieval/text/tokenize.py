"""One tokenizer for passages and questions, so both sides of BM25 see the same terms.

Unicode NFKC + accent folding + casefold, British -> American spellings, NLTK English stopwords
(as bm25s ships them, copied into retrieval/stopwords.py), Porter stemming (PyStemmer; Lucene's EnglishAnalyzer uses Porter too, and unlike
Snowball it stems acronym plurals: "RXRs" -> "rxr"; "boycott" meets "boycotting"). Numbers and ordinals stay whole ("1949", "193rd",
"1,000" -> "1000", but "3,4-biphosphate" keeps 3 and 4 apart), acronyms join ("U.N." -> "un"), a Greek
letter used as a symbol is spelled out ("TNF-α" = "TNF-alpha"), and a hyphenated word counts whole and by
part ("Díaz-Canel" -> "diaz-canel", "diaz", "canel"). Choices measured on SciFact: see BENCHMARKS.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import Stemmer

from .stopwords import STOPWORDS_EN_PLUS

# Bump whenever the terms produced for a text change: stored tokens and index files are then rebuilt.
TOKENIZER_VERSION = "6"
# A term is at most this long (Lucene's tokenizer caps tokens too): a 19 MB "word" must not become a 19 MB
# vocabulary entry. Longer words are cut, the same way in passages and questions, so they still match.
MAX_TERM_CHARS = 64

# NLTK's list stops "with", "no" and the other prepositions but, by omission, not "without".
STOPWORDS: frozenset[str] = frozenset(w.replace("'", "") for w in STOPWORDS_EN_PLUS) | {"without"}

# A "word" is letters/digits joined by hyphens, apostrophes, dots or commas; each joiner is judged below.
_WORD = re.compile(r"[^\W_]+(?:[-\u2010\u2011'\u2019.,][^\W_]+)*")
_JOINER = re.compile(r"[-\u2010\u2011'\u2019.,]")
_HYPHENS = re.compile(r"[-\u2010\u2011]")
_BRITISH = [  # hand-written: no maintained library maps British to American spelling for search.
    (re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{2})ys(e|ed|es|ing)$"), r"yz\1"),
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|ite|ites|able)?$"), r"or\1"),
    (re.compile(r"(?<=[a-z]{3})tre(s)?$"), r"ter\1"),
]

_THOUSANDS = re.compile(r"\d{1,3}(?:\d{3})*")  # digits glued so far, then ",ddd": a thousands separator
_GREEK_NAMES = dict(zip("αβγδεζηθικλμνξοπρστυφχψω", "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda "
                        "mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega".split()))

_stemmer = Stemmer.Stemmer("porter")


@lru_cache(maxsize=200_000)
def _fold(word: str) -> str:
    """Accent-free, case-free form of one word."""
    decomposed = unicodedata.normalize("NFKD", word)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("ς", "σ")
    greek = sum(c in _GREEK_NAMES for c in folded)
    if greek and (greek == 1 or greek < len(folded)):
        # A lone Greek letter or one inside a Latin word is a symbol ("α", "κB", "β1"): spell it as texts do.
        # Words written wholly in Greek stay as they are.
        folded = "".join(_GREEK_NAMES.get(c, c) for c in folded)
    return folded


@lru_cache(maxsize=200_000)
def normalize_term(word: str) -> str | None:
    """One plain word (no joiners) -> its index term, or None for a stopword."""
    folded = _fold(word)
    if not folded or folded in STOPWORDS:
        return None
    return stem_word(word)


@lru_cache(maxsize=50_000)
def stem_word(word: str) -> str:
    """A word's stem as normalize_term makes it, stopwords included (for looking up phrases like "cut off")."""
    folded = _fold(word)
    if not folded or folded.isdigit() or not folded.isascii() or any(c.isdigit() for c in folded):
        return folded  # numbers, ordinals ("193rd"), codes and non-Latin words are kept as they are
    for pattern, repl in _BRITISH:
        folded = pattern.sub(repl, folded)
    return _undouble(_stemmer.stemWord(folded))


def _undouble(stem: str) -> str:
    """Porter's own rule, applied to bare words too: it strips a doubled final consonant after "-ed"/"-ing"
    ("boycotting" -> "boycot", "added" -> "ad") but keeps it in the base form ("boycott", "add")."""
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiouylsz" and stem.isalpha() \
            and any(c in "aeiouy" for c in stem[:-2]):
        return stem[:-1]
    return stem


def _pieces(word: str, start: int) -> Iterator[tuple[str, int, int]]:
    """Split a joined word at the joiners that do not bind it (sentence dots, list commas)."""
    parts = _JOINER.split(word)
    joiners = _JOINER.findall(word)
    if all(len(p) == 1 and p.isalpha() for p in parts) and set(joiners) == {"."}:
        yield "".join(parts), start, start + len(word)  # U.N. -> UN
        return
    # Glue digits across "." (3.5) and thousands commas (1,000 but not 3,4); keep hyphens and apostrophes.
    current, cur_start, pos = parts[0], start, start + len(parts[0])
    for joiner, part in zip(joiners, parts[1:]):
        binds = (
            _HYPHENS.match(joiner) is not None
            or (joiner in "'\u2019" and current and part)
            or (joiner == "." and current[-1:].isdigit() and part[:1].isdigit())
            or (joiner == "," and _THOUSANDS.fullmatch(current) is not None and len(part) == 3 and part.isdigit())
        )
        if binds:
            current += ("" if joiner == "," else joiner) + part
        else:
            yield current, cur_start, pos
            current, cur_start = part, pos + 1
        pos += 1 + len(part)
    yield current, cur_start, pos


def iter_terms(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield (term, start, end) with offsets into `text`, for indexing and for highlighting."""
    for match in _WORD.finditer(text):
        for piece, start, end in _pieces(match.group(), match.start()):
            piece = piece.replace("\u2019", "'")
            if "'" in piece:
                head, _, tail = piece.partition("'")
                piece = head if tail.lower() in {"s", "t", "ll", "re", "ve", "d", "m"} else head + tail.replace("'", "")
            hyphen_parts = _HYPHENS.split(piece)
            if len(hyphen_parts) > 1:
                whole = "-".join(_fold(p) for p in hyphen_parts if p)
                if whole and whole not in STOPWORDS:
                    yield whole[:MAX_TERM_CHARS], start, end
                offset = start
                for part in hyphen_parts:
                    term = normalize_term(part) if part else None
                    if term:
                        yield term[:MAX_TERM_CHARS], offset, offset + len(part)
                    offset += len(part) + 1
                continue
            term = normalize_term(piece.replace(".", "")) if "." in piece and not piece[0].isdigit() else normalize_term(piece)
            if term:
                yield term[:MAX_TERM_CHARS], start, end


def tokenize(text: str) -> list[str]:
    """The terms of a text, in order, duplicates kept (BM25 needs term frequencies)."""
    return [term for term, _, _ in iter_terms(text)]
