"""Synonyms from WordNet, for re-reading a question the corpus answers in other words.

BM25 matches words, not meanings: "when were exchanges cut off" misses "exchanges were severed". When a
question is not answered, the question is asked again with one phrase swapped for a WordNet synonym,
only phrases whose words the best passages lack, a bounded number of times. The table is
retrieval/data/wordnet_synonyms.tsv.gz (scripts/make_thesaurus.py builds it from WordNet 3.0).
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..text.tokenize import stem_word

DATA = Path(__file__).parent.parent / "data" / "wordnet_synonyms.tsv.gz"
MAX_PHRASE_WORDS = 3
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_lock = threading.Lock()
_table: dict[str, tuple[str, ...]] | None = None


def phrase_key(words: Iterable[str]) -> str:
    """How a phrase is looked up: each word folded and stemmed as the index does, stopwords kept."""
    return " ".join(stem_word(w) for w in words)


def synonyms(key: str) -> tuple[str, ...]:
    """WordNet's other words for a phrase key, most frequent sense first; () when it has none."""
    return (_table if _table is not None else _load()).get(key, ())


def _load() -> dict[str, tuple[str, ...]]:
    """The table, read once on first use (about 0.3 s), not at startup: most questions never need it."""
    global _table
    with _lock:
        if _table is None:
            table: dict[str, tuple[str, ...]] = {}
            if DATA.is_file():
                with gzip.open(DATA, "rt", encoding="utf-8") as f:
                    for line in f:
                        key, _, values = line.rstrip("\n").partition("\t")
                        table[key] = tuple(values.split("|"))
            _table = table
        return _table


def rephrasings(text: str, missing: set[str], term_of: Callable[[str], str | None],
                usable: Callable[[str], bool] = lambda synonym: True,
                kept: frozenset[str] = frozenset()) -> Iterator[tuple[str, str, str]]:
    """(new question text, phrase, synonym): `text` with one phrase replaced by a usable synonym, for
    phrases holding a missing term and no kept term (term_of(word) gives a word's index term), longest
    phrases first."""
    words = list(_WORD.finditer(text))
    for size in range(MAX_PHRASE_WORDS, 0, -1):
        for i in range(len(words) - size + 1):
            span = words[i : i + size]
            terms = {term_of(m.group()) for m in span}
            if not terms & missing or terms & kept:
                continue
            phrase = text[span[0].start() : span[-1].end()]
            for synonym in synonyms(phrase_key(m.group() for m in span)):
                if usable(synonym):
                    yield text[: span[0].start()] + synonym + text[span[-1].end() :], phrase, synonym
