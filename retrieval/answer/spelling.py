"""Typos in questions ("acording", "conection", "releas"): a word whose term the corpus never uses is read
as the most frequent corpus term one edit away (a letter dropped, added, changed or two swapped).

By hand (Norvig's edit-distance-1 candidates): the dictionary must be this corpus' own index terms, which
no spelling library knows, and the candidates are a few hundred stems per unknown word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..text.tokenize import normalize_term

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_VOWEL = re.compile(r"[aeiouy]")
_WORD = re.compile(r"(?<![\w.-])[A-Za-z]{4,}(?![\w.-])")
_MAX_STEM_CUT = 2  # a correction's stem may be this much shorter than the typed word's, no more
MIN_DF = 2  # a correction must be a term that at least this many passages use
MAX_TRIED = 4  # unknown words tried per question: a line of gibberish costs a few ms, not a second
MAX_WORD = 24  # longer "words" are not typos


def _edits(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | replaces | inserts


def correct_word(word: str, doc_freq: Callable[[str], int]) -> str | None:
    """The corpus' most frequent spelling one edit from `word`, or None when the word is known or has none."""
    term = normalize_term(word)
    if term is None or doc_freq(term) > 0:
        return None
    best, best_df = None, MIN_DF - 1
    candidates = sorted(_edits(word.lower()))
    stopword = next((c for c in candidates if len(c) > 2 and normalize_term(c) is None), None)
    if stopword:  # "wich", "whats", "dont": a common word mistyped, not a term to search for
        return stopword
    for candidate in candidates:
        candidate_term = normalize_term(candidate)
        if candidate_term is None or len(candidate_term) < len(term) - _MAX_STEM_CUT:
            continue  # "adress" is not "adness", whose stem "ad" every "add" shares
        df = doc_freq(candidate_term)
        if df > best_df:
            best, best_df = candidate, df
    return best


def correct_question(text: str, doc_freq: Callable[[str], int]) -> str:
    """The question with each lowercase unknown word replaced by its correction. Capitalised words are left
    alone: a name the corpus lacks is a reason not to answer, not a typo."""
    tried = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal tried
        word = match.group()
        if not word.islower() or len(word) > MAX_WORD or tried >= MAX_TRIED or not _VOWEL.search(word):
            return word  # names, gibberish and vowelless commands ("sshfs") are not typos
        term = normalize_term(word)
        if term is None or doc_freq(term) > 0:
            return word
        tried += 1
        return correct_word(word, doc_freq) or word

    return _WORD.sub(fix, text)
