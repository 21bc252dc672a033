"""The database: `copy-db` moves the SQLite database into PostgreSQL (issue 14), the step from the embedded
default to the store several bot processes share; `worker` takes the heavy changes queued there."""

from __future__ import annotations

import click

from ..config import is_postgres_url
from ..errors import BadSetting
from .app import Context, cli, pass_ctx
from .output import echo, friendly


@cli.command(name="copy-db")
@click.argument("target")
@pass_ctx
@friendly
def copy_db(ctx: Context, target: str) -> None:
    """Copy this SQLite database (--db / RETRIEVAL_DB) into an empty PostgreSQL database (postgresql://...)."""
    from ..store import Store, open_store  # here: only this command loads psycopg
    from ..store.copy import copy_database

    if not is_postgres_url(target):
        raise BadSetting(f"the target must be a postgresql:// address, not {target!r}")
    if ctx.settings.db_url:
        raise BadSetting("the source is already PostgreSQL; give the SQLite file with --db")
    if not ctx.settings.db_path.is_file():
        raise BadSetting(f"{ctx.settings.db_path}: no SQLite database here")
    source, destination = Store(ctx.settings.db_path), open_store(target)
    try:
        copied = copy_database(source, destination)
    finally:
        source.close()
        destination.close()
    echo(f"copied into {destination.path}: " + ", ".join(f"{n} {table}" for table, n in copied.items() if n))


@cli.command()
@click.option("--once", is_flag=True, help="Stop when no job is queued (for scripts and tests).")
@pass_ctx
@friendly
def worker(ctx: Context, once: bool) -> None:
    """Take uploads, web sources and re-syncs queued in the PostgreSQL store (RETRIEVAL_JOBS=worker), one at a
    time; run one or more, on any machine. SIGTERM (docker stop) stops it after the job in hand; Ctrl-C at
    once, and the job in hand is queued again for the next worker."""
    import signal
    import threading

    from ..jobs import work

    if not ctx.settings.db_url:
        raise BadSetting("the worker takes jobs from a PostgreSQL store: set RETRIEVAL_DB=postgresql://...")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        done = work(ctx.corpus, stop, once=once)
    except KeyboardInterrupt:
        stop.set()
        done = None
    echo(f"worker stopped{'' if done is None else f' after {done} jobs'}")
