"""When does a reply hold an expected answer: the rule of `eval-qa` and of the development set's README."""

from __future__ import annotations

import re
import unicodedata


def _fold(text: str) -> str:
    """Case, accents and ligatures folded (NFKD without combining marks), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def contains_answer(text: str | None, answers: list[str]) -> bool:
    """An expected answer occurs in `text` at word edges: no letter, digit or `_` just before or after it
    ("9999" is not found in "999999", "rg" not in "org"); a line break counts as a space."""
    folded = _fold(text or "")
    for answer in answers:
        wanted = _fold(answer)
        if wanted and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", folded):
            return True
    return False
