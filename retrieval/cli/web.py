"""Web sources on the console: `ingest URL` (a page, or with --site the section under it), `sources`, and the
URL half of `refresh --web` and `remove`. The console's server is the bundled corpus's (scope "")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from ..scopes import GLOBAL_SCOPE
from .app import Context, cli, pass_ctx
from .output import echo, echo_json, friendly

if TYPE_CHECKING:  # a question never loads the web client (aiohttp): these are imported where used
    from ..corpus import Corpus
    from ..web.sync import SyncReport


def is_address(arg: str) -> bool:
    """An ingest argument that is a web address (any scheme: the guard names the ones refused)."""
    return "://" in arg


@contextmanager
def progress_bar(label: str) -> Iterator:
    """A progress callback drawing a bar on a terminal (tqdm; nothing when the output is piped)."""
    from tqdm import tqdm  # here: only a crawl pays its import

    with tqdm(desc=label, unit="page", disable=None, leave=False) as bar:
        def update(done: int, total: int, url: str) -> None:
            bar.total = max(total, done)
            bar.n = done
            bar.set_postfix_str(url[-40:], refresh=False)
            bar.refresh()

        yield update


def show_report(report: "SyncReport") -> None:
    echo(f"{report.source.url}: {report.summary()} ({report.passages} passages written)")
    for line in report.details(limit=50):
        echo(f"  {line}")


def ingest_addresses(corpus: "Corpus", urls: list[str], site: bool, max_pages: int | None, depth: int | None) -> None:
    from ..web.sources import add_source  # here: a question never loads the web client

    for url in urls:
        with progress_bar("fetch") as progress:
            report = add_source(corpus, url, GLOBAL_SCOPE, site=site, max_pages=max_pages, max_depth=depth,
                                added_by="console", progress=progress)
        show_report(report)


def refresh_addresses(corpus: "Corpus") -> None:
    from ..web.sources import refresh_sources

    with progress_bar("re-sync") as progress:
        results = refresh_sources(corpus, GLOBAL_SCOPE, progress)
    if not results:
        echo("no web sources (add one with: ingest URL)")
    for source, report, error in results:
        if report is not None:
            show_report(report)
        else:
            echo(f"{source.url}: failed: {error}", err=True)


def remove_address(corpus: "Corpus", key: str) -> bool:
    """Remove the web source named by `key` (its number as #N, or its address); False when none is."""
    from ..web.sources import names_source, remove_source

    if not names_source(key):
        return False
    source, removed = remove_source(corpus, GLOBAL_SCOPE, key)
    echo(f"removed web source #{source.id} ({source.url}) and {removed} documents")
    return True


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def sources(ctx: Context, as_json: bool) -> None:
    """The web sources (re-synced by `refresh --web`), with their last sync."""
    found = ctx.corpus.store.web_sources(GLOBAL_SCOPE)
    if as_json:
        echo_json([{"id": s.id, "url": s.url, "site": s.site, "pages": s.pages, "max_pages": s.max_pages,
                    "max_depth": s.max_depth, "added_by": s.added_by, "added_at": s.added_at,
                    "synced_at": s.synced_at, "summary": s.summary} for s in found])
        return
    for s in found:
        echo(f"#{s.id} {s.url} ({'section' if s.site else 'page'}, {s.pages} pages) synced {s.synced_at}: {s.summary}")
    echo(f"{len(found)} web sources")
