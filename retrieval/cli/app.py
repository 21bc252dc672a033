"""The console's command group and its shared state (the settings, the corpus opened on first use)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..config import Settings
from ..corpus import Corpus
from ..errors import BadSetting
from .output import EXIT_BAD_INPUT, fail


class Context:
    def __init__(self, db: Path | None, seed: bool = True) -> None:
        self.settings = Settings.from_env(db_path=db)
        self._corpus: Corpus | None = None

    @property
    def corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = Corpus(self.settings)
        return self._corpus


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="RETRIEVAL_DB",
              help="SQLite database file (env RETRIEVAL_DB). Created from corpus/ on first use.")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
@click.version_option(package_name="corpus-qa-bot")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, verbose: bool) -> None:
    """Answer questions over a corpus of documents, citing the passages."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        ctx.obj = Context(db)
    except BadSetting as exc:  # RETRIEVAL_K1=abc: one line, before any work
        fail(str(exc), EXIT_BAD_INPUT)
