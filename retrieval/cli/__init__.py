"""The console: `python -m retrieval ask|chat|ingest|remove|refresh|sources|list|stats|show|feedback|eval|eval-qa|copy-db`.

Thin over `Corpus`; this is the only place (with the bot) where errors become messages. Everything printed
that a document or a user wrote goes through `render.clean_text` here, at the output edge (`escape` for
rich markup, `echo` for plain text, `render.json_text` for JSON): no escape sequence, control or bidi
control reaches the terminal.
"""

from __future__ import annotations

from . import database, documents, evaluation, questions, web  # noqa: F401 - each registers its commands on the group
from .app import cli


def main() -> None:
    cli(prog_name="python -m retrieval")


__all__ = ["cli", "main"]
