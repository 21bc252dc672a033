"""The console's output edge: every line printed goes through here, cleaned of terminal controls
(`escape` for rich markup, `echo` for plain text, `echo_json` for JSON), and failures become one line
and an exit code instead of a traceback."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from .. import render
from ..errors import DatabaseFailure, RetrievalError
from ..models import Answer

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

            class QuietOnClosedPipe(Console):
                def on_broken_pipe(self) -> None:  # rich exits 1 there; `| head` is no failure
                    _quiet_exit()

            self._console = QuietOnClosedPipe(**self._options)
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


def fail(message: str, code: int) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    err.print(f"error: {escape(first_line)}", markup=True, style="red" if err.is_terminal else None)
    sys.exit(code)


def _quiet_exit() -> None:
    """The reader closed the pipe: exit 0 with no message (and no second error when Python flushes)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(0)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """One-line messages and exit codes instead of tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DatabaseFailure as exc:  # not the input's fault: the database (read-only, full, locked, ...)
            logging.getLogger(__name__).debug("database failure", exc_info=True)
            fail(str(exc), EXIT_FAILURE)
        except RetrievalError as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except sqlite3.Error as exc:  # store.py names its failures; anything else that slips through
            logging.getLogger(__name__).debug("database failure", exc_info=True)
            fail(f"database error: {exc}", EXIT_FAILURE)
        except BrokenPipeError:  # `... | head`: the reader has what it wanted; stop quietly, like other tools
            _quiet_exit()
        except (OSError, ValueError, RuntimeError) as exc:
            logging.getLogger(__name__).debug("failure", exc_info=True)
            fail(f"{type(exc).__name__}: {exc}", EXIT_FAILURE)

    return wrapper


# The terminal's marks for the one answer layout (render.to_plain); pipes get it plain.
_TERMINAL = render.Markup(found=("[bold green]", "[/]"), not_found=("[bold yellow]", "[/]"),
                          sentence=("[italic]", "[/]"), note=("[dim]", "[/]"), label=("[bold cyan]", "[/]"),
                          place=("[bold]", "[/]"), meta=("[dim]", "[/]"), highlight=("[bold yellow]", "[/]"),
                          escape=lambda text: escape(render.clean_text(text)))


def print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        echo_json(render.to_json(answer))
    elif out.is_terminal:
        out.print(render.to_plain(answer, _TERMINAL))
    else:
        echo(render.to_plain(answer))


def read_question(words: tuple[str, ...]) -> str:
    if words == ("-",):
        return sys.stdin.read()
    return " ".join(words)
