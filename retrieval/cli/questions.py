"""Questions: `ask` (one question, or - for standard input) and `chat` (one after another)."""

from __future__ import annotations

import click

from ..errors import BadQuestion

from .app import Context, cli, pass_ctx
from .output import err, escape, friendly, out, print_answer, read_question


@cli.command()
@click.argument("question", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option("-k", "--top", default=10, show_default=True, help="Passages considered.")
@pass_ctx
@friendly
def ask(ctx: Context, question: tuple[str, ...], as_json: bool, top: int) -> None:
    """Answer QUESTION (use - to read it from standard input)."""
    print_answer(ctx.corpus.ask(read_question(question), k=top), as_json)


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
            print_answer(corpus.ask(question), as_json=False)
        except BadQuestion as exc:
            err.print(f"error: {escape(str(exc))}")
        out.print()
