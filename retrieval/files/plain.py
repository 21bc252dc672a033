"""Plain text files: bytes -> str (UTF-8, BOM-marked UTF-16/32, or a confident guess at a legacy code page;
binary data refused), terminal escape sequences dropped, then line rules (lines.py) find the headings."""

from __future__ import annotations

import codecs
import re

from ..errors import BadDocument
from .document import Extracted, assemble, first_line
from .lines import text_blocks

def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (or a BOM-marked UTF-16/32); otherwise a confident charset guess; refuse binary data."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                          (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise BadDocument(f"{name}: not valid {encoding} text ({exc.reason} at byte {exc.start})") from None
    if b"\x00" in data[:8192]:
        raise BadDocument(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Legacy files: Windows-1252 first (the common case), then charset-normalizer's guess; either must
    # read as text, since any byte string "decodes" in some single-byte code page.
    guesses = []
    try:
        guesses.append(data.decode("cp1252"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is not None:
        guesses.append(data.decode(best.encoding, errors="replace"))
    for text in guesses:
        if _looks_like_text(text):
            return text
    raise BadDocument(f"{name}: cannot be decoded as text (not UTF-8, and no encoding gives readable text); "
                      "save it as UTF-8")


_WORDLIKE = re.compile(r"[(\"'\u201c\u2018\[]*(?:[^\W\d_]+(?:[-'\u2019.][^\W\d_]+)*|[\d.,:/%-]+)[.,;:!?)\"'\u201d\u2019\]]*")


def _looks_like_text(text: str) -> bool:
    """Most whitespace-separated tokens are words or numbers, as in any prose."""
    tokens = text[:200_000].split()
    if not tokens or "\ufffd" in text[:200_000]:
        return False
    return sum(1 for t in tokens if _WORDLIKE.fullmatch(t)) / len(tokens) >= 0.6


# ESC/CSI/OSC sequences (a pasted terminal log): dropped whole, not left as "[5m" in the text.
_TERMINAL_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,2000}(?:\x07|\x1b\\)|[@-Z\\-_])")


def read_text(data: bytes, name: str) -> Extracted:
    raw = decode(data, name)
    result = assemble(text_blocks(raw), "")
    return Extracted(result.text, first_line(raw), result.headings)


def decode(data: bytes, name: str) -> str:
    """Text of a text-based file (plain, Markdown, HTML), without terminal escape sequences."""
    return _TERMINAL_SEQUENCE.sub("", decode_text(data, name))  # "\x1b[5m" is a terminal's markup, not text
