"""The console: `python -m retrieval ask|chat|ingest|remove|refresh|list|stats|show|feedback|eval|eval-qa`.

Thin over `Corpus`; this is the only place (with the bot) where errors become messages. Everything printed
that a document or a user wrote goes through `render.clean_text` here, at the output edge (`escape` for
rich markup, `echo` for plain text, `render.json_text` for JSON): no escape sequence, control or bidi
control reaches the terminal.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from . import render
from .config import Settings
from .corpus import Corpus
from .errors import BadQuestion, BadSetting, DatabaseFailure, RetrievalError
from .models import Answer

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


class _LazyConsole:
    """A rich Console made on first use: importing rich costs ~30 ms of every start, and `ask --json`,
    `stats` or `ingest` never print through it."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def escape(text: str) -> str:
    """Text for rich markup: cleaned of terminal controls, then rich.markup.escape (imported on first use,
    as the consoles are)."""
    from rich.markup import escape as rich_escape

    return rich_escape(render.clean_text(str(text)))


def echo(text: str = "", err: bool = False) -> None:
    """click.echo of plain text, cleaned of terminal controls."""
    click.echo(render.clean_text(text), err=err)


def echo_json(data: object) -> None:
    click.echo(render.json_text(data))


out = _LazyConsole(highlight=False, soft_wrap=True)
err = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    err.print(f"error: {escape(first_line)}", markup=True, style="red" if err.is_terminal else None)
    sys.exit(code)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """One-line messages and exit codes instead of tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DatabaseFailure as exc:  # not the input's fault: the database (read-only, full, locked, ...)
            logging.getLogger(__name__).debug("database failure", exc_info=True)
            _fail(str(exc), EXIT_FAILURE)
        except RetrievalError as exc:
            _fail(str(exc), EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except sqlite3.Error as exc:  # store.py names its failures; anything else that slips through
            logging.getLogger(__name__).debug("database failure", exc_info=True)
            _fail(f"database error: {exc}", EXIT_FAILURE)
        except (OSError, ValueError, RuntimeError) as exc:
            logging.getLogger(__name__).debug("failure", exc_info=True)
            _fail(f"{type(exc).__name__}: {exc}", EXIT_FAILURE)

    return wrapper


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
        _fail(str(exc), EXIT_BAD_INPUT)


# The terminal's marks for the one answer layout (render.to_plain); pipes get it plain.
_TERMINAL = render.Markup(found=("[bold green]", "[/]"), not_found=("[bold yellow]", "[/]"),
                          sentence=("[italic]", "[/]"), note=("[dim]", "[/]"), label=("[bold cyan]", "[/]"),
                          place=("[bold]", "[/]"), meta=("[dim]", "[/]"), highlight=("[bold yellow]", "[/]"),
                          escape=lambda text: escape(render.clean_text(text)))


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        echo_json(render.to_json(answer))
    elif out.is_terminal:
        out.print(render.to_plain(answer, _TERMINAL))
    else:
        echo(render.to_plain(answer))


def _read_question(words: tuple[str, ...]) -> str:
    if words == ("-",):
        return sys.stdin.read()
    return " ".join(words)


@cli.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option("-k", "--top", default=10, show_default=True, help="Passages considered.")
@pass_ctx
@friendly
def ask(ctx: Context, question: tuple[str, ...], as_json: bool, top: int) -> None:
    """Answer QUESTION (use - to read it from standard input)."""
    _print_answer(ctx.corpus.ask(_read_question(question), k=top), as_json)


@cli.command()
@pass_ctx
@friendly
def chat(ctx: Context) -> None:
    """Ask questions one after another (empty line or Ctrl-D to quit)."""
    corpus = ctx.corpus
    out.print("[dim]Ask a question; an empty line or Ctrl-D quits.[/]")
    while True:
        try:
            question = out.input("[bold]? [/]") if out.is_terminal else input()
        except EOFError:
            return
        if not question.strip():
            return
        try:
            _print_answer(corpus.ask(question), as_json=False)
        except BadQuestion as exc:
            err.print(f"error: {escape(str(exc))}")
        out.print()


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_ctx
@friendly
def ingest(ctx: Context, paths: tuple[Path, ...]) -> None:
    """Add or update documents (.txt .md .html .pdf, or folders of them); all or nothing."""
    report = ctx.corpus.ingest(list(paths))
    echo(f"ingested: {report.summary()} ({report.passages} passages written)")


@cli.command()
@click.argument("doc")
@pass_ctx
@friendly
def remove(ctx: Context, doc: str) -> None:
    """Remove a document by id or exact title."""
    removed = ctx.corpus.remove(doc)
    echo(f"removed: {removed.id} ({removed.title})")


@cli.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
@friendly
def refresh(ctx: Context, folder: Path | None) -> None:
    """Re-sync a folder (default: the bundled corpus/): new, changed and deleted files."""
    result = ctx.corpus.refresh(folder)
    r = result.report
    echo(f"refreshed: {r.summary()}")
    for label, ids in (("added", r.added), ("changed", r.changed), ("removed", r.removed)):
        for doc_id in ids:
            echo(f"  {label}: {doc_id}")
    for message in result.failed:
        echo(f"  skipped: {message}", err=True)


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def list_(ctx: Context, as_json: bool) -> None:
    """The documents in the corpus."""
    docs = ctx.corpus.documents()
    if as_json:
        echo_json([{"id": d.id, "title": d.title, "source": d.source, "scope": d.scope, "updated_at": d.updated_at}
                   for d in docs])
        return
    from rich.table import Table

    table = Table("id", "title", "source", "updated", box=None, header_style="bold")
    for d in docs:
        table.add_row(escape(d.id), escape(d.title), escape(d.source), escape(d.updated_at))
    out.print(table)
    out.print(f"[dim]{len(docs)} documents[/]")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def stats(ctx: Context, as_json: bool) -> None:
    """Counts and settings."""
    data = ctx.corpus.stats()
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        echo(f"{key}: {value}")


@cli.command()
@click.argument("passage_id")
@pass_ctx
@friendly
def show(ctx: Context, passage_id: str) -> None:
    """A passage inside its document (text before and after it)."""
    c = ctx.corpus.context(passage_id)
    out.print(f"[bold]{escape(c.document.title)}[/] [dim]\u2014 {escape(c.document.source)}, passage "
              f"{escape(c.passage.id)} (characters {c.passage.start}-{c.passage.end})[/]")
    before = ("\u2026" if c.passage.start > len(c.before) else "") + c.before
    after = c.after + ("\u2026" if c.passage.end + len(c.after) < len(c.document.text) else "")
    if out.is_terminal:
        out.print(f"[dim]{escape(before)}[/][bold]{escape(c.passage.text)}[/][dim]{escape(after)}[/]")
    else:
        echo(f"{before}>>>{c.passage.text}<<<{after}")


@cli.command()
@click.option("--server", default=None, help="Only this Discord server's feedback (its id).")
@click.option("-n", "--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def feedback(ctx: Context, server: str | None, limit: int, as_json: bool) -> None:
    """👍/👎 given to answers on Discord, newest first: which questions failed."""
    rows = ctx.corpus.store.feedback(server, limit=limit)
    if as_json:
        echo_json(rows)
        return
    from rich.table import Table

    table = Table("vote", "server", "question", "answer", "cited", "when", box=None, header_style="bold")
    for r in rows:
        table.add_row("+1" if r["vote"] > 0 else "-1", escape(r["scope"] or "-"), escape(r["question"]),
                      escape(r["answer"] or ""), escape((r["passage_ids"] or "").split(" ")[0]),
                      escape(r["created_at"]))
    out.print(table)
    out.print(f"[dim]{len(rows)} votes[/]")


@cli.command(name="eval")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to score.")
@click.option("--whole-documents", is_flag=True, help="Index each document as one passage, to compare.")
@click.option("--k1", type=float, help="Override BM25 k1.")
@click.option("--b", type=float, help="Override BM25 b.")
@click.option("--passage-words", type=int, help="Override the passage size bound.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def eval_(ctx: Context, folder: Path, split: str, whole_documents: bool, k1: float | None, b: float | None,
          passage_words: int | None, as_json: bool) -> None:
    """Retrieval quality on a BEIR folder: nDCG@10, Recall@100, MRR@10, queries/s."""
    from .evaluate import run_beir

    overrides = {k: v for k, v in (("k1", k1), ("b", b), ("passage_words", passage_words)) if v is not None}
    result = run_beir(folder, ctx.settings.with_(**overrides), split, whole_documents, show_progress=not as_json)
    if as_json:
        echo_json(result)
        return
    for key, value in result.items():
        echo(f"{key}: {value}")


@cli.command(name="eval-qa")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def eval_qa(ctx: Context, file: Path, as_json: bool) -> None:
    """Answer quality on a JSONL of {"q": ..., "answers": [...]} ([] = must say not found)."""
    from .evaluate import run_qa

    report = run_qa(file, ctx.corpus).as_dict()
    if as_json:
        echo_json(report)
        return
    for failure in report["failures"]:
        kind = f"[{failure['kind']}] " if failure.get("kind") else ""
        echo(f"FAIL {kind}{failure['q']!r}: expected {failure['expected']}, got {failure['got']!r}")
        if failure.get("first_snippet"):
            echo(f"     first cited ({failure['first_source']}): {failure['first_snippet'][:200]!r}")
    rows = [("all", report)] + list(report.get("kinds", {}).items())
    for name, c in rows:
        answerable = c["answerable"] or 1
        unanswerable = c["unanswerable"] or 1
        echo(f"{name}: short answer right {c['answer_right']}/{c['answerable']} "
                   f"({c['answer_right'] / answerable:.0%}), answer or first snippet "
                   f"{c['answer_or_snippet_right']}/{c['answerable']} ({c['answer_or_snippet_right'] / answerable:.0%}), "
                   f"first snippet {c['snippet_right']}/{c['answerable']}, top 3 {c['top3_right']}/{c['answerable']}, "
                   f"not-found right {c['not_found_right']}/{c['unanswerable']} "
                   f"({c['not_found_right'] / unanswerable:.0%})")


def main() -> None:
    cli(prog_name="python -m retrieval")
