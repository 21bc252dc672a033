"""The general rules of web sources, one by one: address spelling, sections, links, sitemaps, Retry-After,
document ids and a source's bounds (issue 13)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from retrieval.config import Settings
from retrieval.web.client import retry_after_seconds
from retrieval.web.crawl import Response, content_type_for
from retrieval.web.discover import in_section, normalise, page_links, parse_sitemap, section_of, worth_requesting
from retrieval.web.sync import new_source, web_doc_id


def test_one_spelling_per_page() -> None:
    assert normalise("HTTPS://Docs.Example.org:443/guide/a.html#install") == "https://docs.example.org/guide/a.html"
    assert normalise("http://example.org") == "http://example.org/"
    assert normalise("http://example.org:8080/x?q=1") == "http://example.org:8080/x?q=1"
    assert normalise("http://[::1]:80/a") == "http://[::1]/a"


def test_a_section_is_the_start_addresss_folder() -> None:
    assert section_of("https://h.org/docs/guide/intro.html") == "https://h.org/docs/guide/"
    assert section_of("https://h.org/docs/guide/") == "https://h.org/docs/guide/"
    assert section_of("https://h.org") == "https://h.org/"
    assert in_section("https://h.org/docs/guide/sub/x.html", "https://h.org/docs/guide/")
    assert not in_section("https://h.org/docs/other.html", "https://h.org/docs/guide/")
    assert not in_section("https://evil.org/docs/guide/x", "https://h.org/docs/guide/")
    assert not in_section("http://h.org/docs/guide/x", "https://h.org/docs/guide/")


def test_links_are_absolute_once_each_without_fragments_nofollow_or_files() -> None:
    page = (b'<html><head><base href="/docs/v2/"><meta name="robots" content="noindex"></head><body>'
            b'<a href="a.html#top">A</a><a href="a.html">A again</a><a href="../b.html">B</a>'
            b'<a rel="nofollow" href="c.html">C</a><a href="logo.PNG">logo</a><a href="mailto:x@y.org">mail</a>'
            b'<a href="https://other.org/z">Z</a></body></html>')
    found = page_links(page, "https://h.org/docs/index.html")
    assert found.links == ["https://h.org/docs/v2/a.html", "https://h.org/docs/b.html", "https://other.org/z"]
    assert not found.index and found.follow
    assert page_links(b'<meta name="robots" content="none"><a href="x">', "https://h.org/").follow is False
    assert not worth_requesting("https://h.org/file.tar.gz") and worth_requesting("https://h.org/guide")


def test_hopeless_markup_gives_what_was_read() -> None:
    assert page_links(b"<a href='ok.html'>ok</a><" + b"!" * 10_000 + b"<a href", "http://h.org/").links == [
        "http://h.org/ok.html"]


def test_sitemaps_and_indexes_are_read_and_entity_tricks_refused() -> None:
    urlset = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              b"<url><loc> https://h.org/a </loc></url><url><loc>https://h.org/b</loc><lastmod>2026-01-01</lastmod>"
              b"</url></urlset>")
    assert parse_sitemap(urlset).pages == ("https://h.org/a", "https://h.org/b")
    index = b"<sitemapindex><sitemap><loc>https://h.org/s1.xml</loc></sitemap></sitemapindex>"
    assert parse_sitemap(index).sitemaps == ("https://h.org/s1.xml",)
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<urlset><url><loc>&lol2;</loc></url></urlset>")
    assert parse_sitemap(bomb) is None
    assert parse_sitemap(b"<html><body>not a sitemap</body></html>") is None
    assert parse_sitemap(b"\x00\x01 binary") is None


def test_retry_after_is_seconds_or_a_date() -> None:
    assert retry_after_seconds("120") == 120.0
    when = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("Sun, 06 Dec 2026 12:00:30 GMT", now=when.timestamp()) == 30.0
    assert retry_after_seconds("Sun, 06 Dec 2026 11:00:00 GMT", now=when.timestamp()) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_markdown_served_as_plain_text_is_read_as_markdown() -> None:
    assert content_type_for(Response("https://h.org/NEWS.md", 200, "text/plain")) == "text/markdown"
    assert content_type_for(Response("https://h.org/notes.txt", 200, "text/plain")) == "text/plain"


def test_page_ids_are_readable_stable_and_per_server() -> None:
    one = web_doc_id("https://h.org/docs/Install%20Guide.html", "42")
    assert one.startswith("42/install-20guide-") and one == web_doc_id("https://h.org/docs/Install%20Guide.html", "42")
    assert web_doc_id("https://h.org/", "") .startswith("h-org-")
    assert web_doc_id("https://h.org/a", "1") != web_doc_id("https://h.org/a?x=1", "1")


def test_a_sources_bounds_are_the_askers_within_the_operators() -> None:
    settings = Settings(web_max_pages=50, web_max_depth=2)
    assert new_source("https://h.org/docs/", "1", settings, site=True, max_pages=500, max_depth=9).max_pages == 50
    assert new_source("https://h.org/docs/", "1", settings, site=True, max_depth=9).max_depth == 2
    assert new_source("https://h.org/docs/", "1", settings, site=True, max_pages=5).max_pages == 5
    assert new_source("https://h.org/docs/a.html", "1", settings, site=False, max_pages=5).max_pages == 1


def test_sources_are_due_when_the_oldest_sync_is_old_enough(empty_corpus) -> None:
    from retrieval.store.web_records import WebSource
    from retrieval.web.sources import sources_due

    every = timedelta(hours=24)
    assert not sources_due(empty_corpus, "7", every)  # no sources
    empty_corpus.store.apply_web_sync(WebSource(None, "7", "https://h.org/", False, 1, 0), [], [], [], [], "")
    now = datetime.now(timezone.utc)
    assert not sources_due(empty_corpus, "7", every, now)
    assert sources_due(empty_corpus, "7", every, now + timedelta(hours=25))
    assert not sources_due(empty_corpus, "7", timedelta(0), now + timedelta(days=9))  # 0: never


def test_links_are_found_in_linear_time_on_hostile_markup() -> None:
    """Inputs on which the standard library's HTMLParser takes minutes; here each is one pass."""
    for body in (b"<a" * 131_072, b"</" * 1_000_000, b"<!" * 1_000_000, b"<" * 2_000_000):
        assert page_links(body, "http://h.org/d/").links == []
    mixed = b'1 < 2 and <a href="y.html">y</a> <a\nhref=z.html>z</a> <A HREF="w.html?a=1&amp;b=2">'
    assert page_links(mixed, "http://h.org/d/").links == ["http://h.org/d/y.html", "http://h.org/d/z.html",
                                                          "http://h.org/d/w.html?a=1&b=2"]


def test_long_addresses_and_bad_ones_are_dropped_not_multiplied() -> None:
    huge_base = b'<base href="http://h.org/' + b"x" * 3000 + b'/">' + b"<a href=y.html>" * 5000
    found = page_links(huge_base, "http://h.org/d/")
    assert found.links == ["http://h.org/d/y.html"]  # the overlong <base> is ignored; 5,000 links are one
    assert page_links(b'<a href="http://[::1">x</a><a href="http://h.org:99999/">y</a>', "http://h.org/").links == []
    assert normalise("http://[::1") == "" and normalise("http://h.org/docs/../admin/./x") == "http://h.org/admin/x"
    assert not in_section("http://h.org/docs/../admin", "http://h.org/docs/")
