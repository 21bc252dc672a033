"""Documents: ingest, remove, refresh, list, stats, show a passage, and the feedback given on Discord."""

from __future__ import annotations

from pathlib import Path

import click

from .app import Context, cli, pass_ctx
from .output import echo, echo_json, escape, friendly, out
from .web import ingest_addresses, is_address, refresh_addresses, remove_address


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--site", is_flag=True, help="For an address: also the pages under it (its sitemap, or its links).")
@click.option("--max-pages", type=click.IntRange(1), default=None, help="For --site: at most this many pages.")
@click.option("--depth", type=click.IntRange(0), default=None, help="For --site: links followed this deep.")
@pass_ctx
@friendly
def ingest(ctx: Context, paths: tuple[str, ...], site: bool, max_pages: int | None, depth: int | None) -> None:
    """Add or update documents: files (.txt .md .html .pdf) or folders of them, all or nothing; or web
    addresses (http, https), kept as sources that `refresh --web` re-syncs."""
    urls = [p for p in paths if is_address(p)]
    files = [Path(p) for p in paths if not is_address(p)]
    if files:
        report = ctx.corpus.ingest(files)
        echo(f"ingested: {report.summary()} ({report.passages} passages written)")
    if urls:
        ingest_addresses(ctx.corpus, urls, site, max_pages, depth)


@cli.command()
@click.argument("doc")
@pass_ctx
@friendly
def remove(ctx: Context, doc: str) -> None:
    """Remove a document by id or exact title, or a web source (#N or its address) with its pages."""
    if remove_address(ctx.corpus, doc):
        return
    removed = ctx.corpus.remove(doc)
    echo(f"removed: {removed.id} ({removed.title})")


@cli.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--web", is_flag=True, help="Re-sync the web sources instead: new, changed and vanished pages.")
@pass_ctx
@friendly
def refresh(ctx: Context, folder: Path | None, web: bool) -> None:
    """Re-sync a folder (default: the bundled corpus/): new, changed and deleted files."""
    if web:
        refresh_addresses(ctx.corpus)
        return
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
    rows = ctx.corpus.feedback(server, limit=limit)
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


@cli.command()
@click.option("--server", default=None, help="Only this Discord server's questions (its id).")
@click.option("-n", "--limit", default=15, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def gaps(ctx: Context, server: str | None, limit: int, as_json: bool) -> None:
    """Questions asked on Discord that the documents did not answer (or whose answer got a 👎), grouped."""
    found = ctx.corpus.gaps(server, limit)
    if as_json:
        echo_json([{"question": g.question, "times": g.times, "voted_down": g.voted_down, "last_asked": g.last_asked}
                   for g in found])
        return
    for g in found:
        echo(f"{g.times:>3} unanswered {g.voted_down:>2} voted down  last {g.last_asked}  {g.question}")
    echo(f"{len(found)} gaps" if found else "No gaps: every question asked was answered.")
