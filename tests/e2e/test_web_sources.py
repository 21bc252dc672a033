"""Web sources against a real HTTP server on loopback (tests/web_site.py): what is added, skipped and why,
what a re-sync costs and changes, and that a failure leaves the rest as it was (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.config import Settings
from retrieval.corpus import Corpus
from retrieval.errors import BadDocument, UnknownDocument
from retrieval.web.address_guard import RefusedAddress, parse_networks
from retrieval.web.client import USER_AGENT
from retrieval.web.sources import add_source, refresh_sources, remove_source
from web_site import SiteServer, docs_site, html

SERVER = "1234567890"


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    # The loopback allowance exists only here: the product's default refuses 127.0.0.1.
    return Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=tmp_path / "none",
                    web_allow_networks=parse_networks("127.0.0.1"), web_request_interval=0.0,
                    web_timeout_seconds=1.0, max_file_bytes=1_000_000)


@pytest.fixture
def web_corpus(web_settings: Settings):
    corpus = Corpus(web_settings)
    yield corpus
    corpus.close()


@pytest.fixture
def site():
    with SiteServer(docs_site(), slow_seconds=3.0) as running:
        yield running


def cited_sources(corpus: Corpus, question: str) -> list[str]:
    answer = corpus.ask(question, scope=SERVER)
    return [c.hit.source for c in answer.citations]


def test_a_section_is_added_from_its_links_with_every_refusal_said(web_corpus: Corpus, site) -> None:
    report = add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True, added_by="mod")
    added = {url.removeprefix(site.base) for url in report.added}
    assert added == {"/docs/index.html", "/docs/a.html", "/docs/b.html", "/docs/sub/c.html", "/docs/sub/deeper.html",
                     "/docs/notes.md"}
    skipped = {url.removeprefix(site.base): why for url, why in report.skipped}
    assert "robots.txt" in skipped["/docs/private/secret.html"]
    assert "private network" in skipped["/docs/evil.html"]  # a redirect to the metadata address
    failed = {url.removeprefix(site.base): why for url, why in report.failed}
    assert "HTTP 500" in failed["/docs/broken.html"]
    assert "too big" in failed["/docs/big.html"] and "no complete answer" in failed["/docs/slow.html"]
    for path in ("/docs/private/secret.html", "/outside.html", "/docs/image.png"):
        assert site.hits(path) == [], path  # refused or out of the section: never requested
    assert {agent for _, agent, _ in site.requests} == {USER_AGENT}
    assert all("\n" not in why for _, why in report.skipped + report.failed)
    # The pages answer questions, cited by their address, in this server only.
    assert cited_sources(web_corpus, "Where does the Zephyr configuration file live?")[0] == site.url("/docs/b.html")
    assert not web_corpus.ask("Where does the Zephyr configuration file live?", scope="999").citations
    source = web_corpus.store.web_sources(SERVER)[0]
    assert (source.url, source.added_by, source.pages, source.site) == (site.url("/docs/index.html"), "mod", 6, True)


def test_a_resync_costs_a_304_per_unchanged_page_and_reports_changed_and_vanished(web_corpus: Corpus, site) -> None:
    add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True)
    before = len(site.requests)
    site.put("/docs/b.html", html("Configuring Zephyr", "The configuration file moved to /srv/zephyr/main.toml."))
    del site.pages["/docs/sub/c.html"]
    [(_, report, error)] = refresh_sources(web_corpus, SERVER)
    assert error is None
    assert [u.removeprefix(site.base) for u in report.changed] == ["/docs/b.html"]
    # c.html is gone (404); deeper.html, linked only from it, is asked for again and kept while it is served
    assert [u.removeprefix(site.base) for u in report.removed] == ["/docs/sub/c.html"]
    assert report.added == () and report.unchanged == 4
    again = site.requests[before:]
    assert sorted(p for p, _, status in again if status == 304) == ["/docs/a.html", "/docs/index.html",
                                                                   "/docs/notes.md", "/docs/sub/deeper.html"]
    assert cited_sources(web_corpus, "Where did the Zephyr configuration file move?")[0] == site.url("/docs/b.html")
    assert "main.toml" in web_corpus.ask("Where did the Zephyr configuration file move?", scope=SERVER).citations[0].hit.text
    assert cited_sources(web_corpus, "How do I upgrade Zephyr?") == [] or \
        site.url("/docs/sub/c.html") not in cited_sources(web_corpus, "How do I upgrade Zephyr?")
    # Nothing changed since: no page is read again, nothing is written.
    generation = web_corpus.store.generation
    [(_, quiet, _)] = refresh_sources(web_corpus, SERVER)
    assert not quiet.changed_anything and quiet.unchanged == 5
    assert web_corpus.store.generation == generation + 1  # only the sync's time and summary


def test_a_failing_page_keeps_its_previous_version(web_corpus: Corpus, site) -> None:
    add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True)
    site.put("/docs/a.html", b"", "text/html")  # now unreadable
    site.pages.pop("/docs/b.html")
    site.retry_after_once.add("/docs/index.html")  # a 429 with Retry-After: 1, then the page
    [(_, report, _)] = refresh_sources(web_corpus, SERVER)
    assert site.hits("/docs/index.html")[-2:] == [429, 304]
    assert [u.removeprefix(site.base) for u, _ in report.failed if u.endswith("a.html")] == ["/docs/a.html"]
    assert cited_sources(web_corpus, "How long does installing Zephyr take?")[0] == site.url("/docs/a.html")
    assert site.url("/docs/b.html") in report.removed


def test_a_sitemap_lists_the_section_and_bounds_stop_a_pass_without_losing_pages(web_corpus: Corpus, site) -> None:
    site.sitemap = True
    report = add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True, max_pages=3)
    assert report.stopped and "page limit (3)" in report.stopped and len(report.added) == 3
    assert site.hits("/docs/sitemap.xml") == [200]
    full = add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True, max_pages=50)
    listed = {p for p, (kind, _) in site.pages.items() if p.startswith("/docs/") and kind == "text/html"}
    kept = {u.removeprefix(site.base) for u in web_corpus.store.web_pages(full.source.id)}
    assert kept == listed - {"/docs/private/secret.html"} and full.unchanged == 3  # robots.txt still applies
    assert site.hits("/outside.html") == []  # links are not followed when a sitemap lists the section
    assert full.removed == ()  # the first, cut short, pass removed nothing either
    assert len(web_corpus.store.web_sources(SERVER)) == 1  # the same address is one source, synced again


def test_one_page_alone_and_refusals_leave_nothing_behind(web_corpus: Corpus, site) -> None:
    report = add_source(web_corpus, site.url("/docs/a.html"), SERVER)
    assert [u.removeprefix(site.base) for u in report.added] == ["/docs/a.html"]
    assert site.hits("/docs/b.html") == []
    generation = web_corpus.store.generation
    with pytest.raises(BadDocument, match="not found"):
        add_source(web_corpus, site.url("/docs/missing.html"), SERVER)
    with pytest.raises(BadDocument, match="not a document"):
        add_source(web_corpus, site.url("/docs/data.bin"), SERVER)
    with pytest.raises(RefusedAddress, match="private network"):
        add_source(web_corpus, "http://10.0.0.7/wiki/", SERVER)
    with pytest.raises(RefusedAddress, match="Only http and https"):
        add_source(web_corpus, "file:///etc/passwd", SERVER)
    assert web_corpus.store.generation == generation and len(web_corpus.store.web_sources(SERVER)) == 1


def test_without_the_allowance_loopback_is_refused(tmp_path: Path, site) -> None:
    corpus = Corpus(Settings(db_path=tmp_path / "plain.db", corpus_dir=tmp_path / "none"))
    try:
        with pytest.raises(RefusedAddress):
            add_source(corpus, site.url("/docs/a.html"), SERVER)
        assert site.requests == []
    finally:
        corpus.close()


def test_robots_unavailable_means_nothing_is_fetched_and_noindex_is_honoured(web_corpus: Corpus, site) -> None:
    site.put("/docs/hidden.html", html("Hidden", "Not for bots.", ("a.html",),
                                       head='<meta name="robots" content="noindex">'))
    report = add_source(web_corpus, site.url("/docs/hidden.html"), SERVER, site=True)
    assert [u.removeprefix(site.base) for u in report.added] == ["/docs/a.html", "/docs/b.html"]  # links followed
    assert any("noindex" in why for _, why in report.skipped)
    with pytest.raises(BadDocument, match="noindex"):
        add_source(web_corpus, site.url("/docs/hidden.html"), "555")  # the page alone, in another server
    site.robots_status = 503
    with pytest.raises(BadDocument, match="robots.txt could not be read"):
        add_source(web_corpus, site.url("/docs/b.html"), "777")
    assert site.hits("/docs/b.html") == [200]  # only the first pass's request


def test_removing_a_source_removes_its_pages_but_not_anothers(web_corpus: Corpus, site) -> None:
    add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True)
    add_source(web_corpus, site.url("/docs/a.html"), SERVER)  # the same page in a second source
    source, removed = remove_source(web_corpus, SERVER, "1")
    assert source.url == site.url("/docs/index.html") and removed == 5
    assert cited_sources(web_corpus, "How long does installing Zephyr take?")[0] == site.url("/docs/a.html")
    assert site.url("/docs/b.html") not in cited_sources(web_corpus, "Where does the Zephyr configuration file live?")
    with pytest.raises(UnknownDocument):
        remove_source(web_corpus, SERVER, "1")
    with pytest.raises(UnknownDocument):
        remove_source(web_corpus, "999", site.url("/docs/a.html"))  # another server's source


def test_a_name_resolving_inside_is_refused_when_connecting_and_a_gzip_bomb_is_capped(web_corpus, site) -> None:
    import asyncio
    import time

    from retrieval.web.client import FetchFailed, Limits, WebClient

    async def get(url: str, allowed=()):
        async with WebClient(Limits(max_bytes=1_000_000, timeout_seconds=5, interval_seconds=0, allowed=allowed)) as c:
            return await c.get(url, accept=None, deadline=time.monotonic() + 30)

    # check_url is not asked to resolve names here: the connection's own resolver refuses "localhost"
    with pytest.raises(RefusedAddress, match="private network"):
        asyncio.run(get(f"http://localhost:{site.port}/docs/a.html"))
    assert site.requests == []
    with pytest.raises(FetchFailed, match="too big"):
        asyncio.run(get(site.url("/docs/bomb.html"), parse_networks("127.0.0.1")))
    assert asyncio.run(get(site.url("/docs/a.html"), parse_networks("127.0.0.1"))).status == 200


def test_web_pages_count_towards_the_servers_quota(web_corpus: Corpus, site) -> None:
    from retrieval.errors import QuotaExceeded

    web_corpus.settings = web_corpus.settings.with_(server_max_documents=3)
    generation = web_corpus.store.generation
    with pytest.raises(QuotaExceeded, match="the limit is 3"):
        add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True)
    assert web_corpus.store.generation == generation and web_corpus.store.web_sources(SERVER) == []
    assert len(add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True, max_pages=3).added) == 3


def test_one_page_of_a_source_is_not_removed_alone(web_corpus: Corpus, site) -> None:
    from retrieval.errors import NotAllowed

    report = add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True)
    page = report.documents.added[1]
    with pytest.raises(NotAllowed, match="web source #1"):
        web_corpus.remove(page, SERVER)
    assert web_corpus.document(page) is not None


def test_a_site_that_is_down_or_without_its_sitemap_loses_no_page(web_corpus: Corpus, site) -> None:
    """Only a page the site says is gone is removed: an unreadable robots.txt, a vanished sitemap or a page no
    longer linked keeps what was read."""
    site.sitemap = True
    first = add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True)
    kept = set(web_corpus.store.web_pages(first.source.id))
    site.robots_status = 500
    [(_, down, _)] = refresh_sources(web_corpus, SERVER)
    assert down.removed == () and down.failed and all("robots.txt could not be read" in w for _, w in down.failed)
    site.robots_status, site.sitemap = 200, False
    site.put("/docs/index.html", html("Handbook", "The handbook, without links now."))
    [(_, unlinked, _)] = refresh_sources(web_corpus, SERVER)
    assert unlinked.removed == () and set(web_corpus.store.web_pages(first.source.id)) == kept
    assert unlinked.changed == (site.url("/docs/index.html"),)


def test_a_redirect_to_a_page_linked_later_and_hostile_answers_fail_one_page_only(web_corpus: Corpus, site) -> None:
    site.put("/docs/index.html", html("Handbook", "Zephyr.", ("moved.html", "a.html", "odd.html", "busy.html")))
    site.put("/docs/odd.html", b"", "text/html")
    site.redirects["/docs/odd.html"] = "http://[::1"  # not an address
    site.retry_after_once.add("/docs/busy.html")
    site.retry_after_value = "\u00b2"  # a digit to str.isdigit, not to float()
    site.put("/docs/busy.html", html("Busy", "Answered after a while."))
    report = add_source(web_corpus, site.url("/docs/index.html"), SERVER, site=True)
    added = sorted(u.removeprefix(site.base) for u in report.added)
    assert added == ["/docs/a.html", "/docs/b.html", "/docs/busy.html", "/docs/index.html"]
    assert [u.removeprefix(site.base) for u, _ in report.failed] == ["/docs/odd.html"]
    assert site.hits("/docs/a.html") == [200]  # read once, through the redirect


def test_a_source_that_fails_waits_a_period_before_it_is_due_again(web_corpus: Corpus, site) -> None:
    from datetime import timedelta

    from retrieval.web.sources import sources_due

    add_source(web_corpus, site.url("/docs/a.html"), SERVER)
    web_corpus.settings = web_corpus.settings.with_(server_max_documents=0, server_max_chars=10)  # now over quota
    site.put("/docs/a.html", html("Installing Zephyr", "Zephyr installs itself now, in one longer sentence."))
    [(_, report, error)] = refresh_sources(web_corpus, SERVER)
    assert report is None and "characters of text" in error
    assert not sources_due(web_corpus, SERVER, timedelta(hours=1))
    assert web_corpus.store.web_sources(SERVER)[0].summary.startswith("failed: ")
    assert remove_source(web_corpus, SERVER, site.url("/docs/a.html#top").replace("http://", "HTTP://"))[1] == 1
