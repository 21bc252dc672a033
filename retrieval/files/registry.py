"""Which reader reads which file type, and the checks every file passes first. A new file type is a
reader module in this folder (bytes and a name -> Extracted, raising BadDocument) and one line in
FILE_TYPES."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import BadDocument
from .document import Extracted
from .markup import read_html, read_markdown
from .pdf import read_pdf
from .plain import read_text

Reader = Callable[[bytes, str], Extracted]
FILE_TYPES: dict[str, Reader] = {
    ".txt": read_text, ".md": read_markdown, ".markdown": read_markdown, ".html": read_html, ".htm": read_html,
    ".pdf": read_pdf,
}


def supported_suffixes() -> tuple[str, ...]:
    return tuple(FILE_TYPES)


def check_file(name: str, size: int, max_bytes: int) -> str:
    """Refuse a file by its name and size alone (before reading or downloading it); its lowercase suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in FILE_TYPES:
        raise BadDocument(f"{name}: unsupported file type {suffix or '(none)'}; use {', '.join(FILE_TYPES)}")
    if size > max_bytes:
        raise BadDocument(f"{name}: too big ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
    if size == 0:
        raise BadDocument(f"{name}: the file is empty")
    return suffix


def extract(data: bytes, name: str, max_bytes: int) -> Extracted:
    """Bytes of a file called `name` -> text and title; raises BadDocument for anything unusable."""
    suffix = check_file(name, len(data), max_bytes)
    if not data.strip():
        raise BadDocument(f"{name}: the file is empty")
    result = FILE_TYPES[suffix](data, name)
    if not result.text.strip():
        raise BadDocument(f"{name}: no text could be extracted")
    return result
