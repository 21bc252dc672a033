"""One focused test per extraction rule (retrieval/extract.py, html_text.py, pdf_text.py, passages.py), each on
a small document made here, asserting what the rule removes AND what it must keep."""

from __future__ import annotations

import io
from pathlib import Path


from retrieval.files import Extracted, extract
from retrieval.text.passages import split_passages

MAX = 10_000_000


def _html(body: str, title: str = "") -> Extracted:
    head = f"<head><title>{title}</title></head>" if title else ""
    return extract(f"<html>{head}<body>{body}</body></html>".encode(), "page.html", MAX)


def _headings(doc: Extracted) -> list[tuple[str, int]]:
    return [(doc.text[h.start : h.end], h.level) for h in doc.headings]


def _pdf(pages: list[list[str]], title: str = "") -> bytes:
    """A PDF with one line of text per string, top down; Vera (shipped with reportlab) can draw "ﬁ"."""
    import reportlab
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("Vera", str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    if title:
        pdf.setTitle(title)
    for lines in pages:
        pdf.setFont("Vera", 11)
        for i, line in enumerate(lines):
            pdf.drawString(72, 800 - 16 * i, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


# -- HTML: Sphinx-like furniture ----------------------------------------------------------------------------
def test_role_navigation_bar_is_dropped() -> None:
    """Sphinx's prev/next bars are <div role="navigation">, with words that are not links."""
    doc = _html('<div role="navigation"><h3>Navigation</h3><p>Previous topic: Installing the widget</p></div>'
                "<p>The widget reads widget.toml at startup.</p>")
    assert "Previous topic" not in doc.text and "Navigation" not in doc.text
    assert "reads widget.toml at startup" in doc.text


def test_sphinxsidebar_class_is_dropped() -> None:
    """The sidebar has no ARIA role in older themes: its class name alone must mark it."""
    doc = _html('<div class="sphinxsidebar"><p>This page. Show source. Quick search words.</p></div>'
                "<p>Retries back off exponentially.</p>")
    assert "Show source" not in doc.text and "Retries back off exponentially." in doc.text


def test_footer_class_is_dropped() -> None:
    """A <div class="footer"> copyright line is no answer to anything."""
    doc = _html('<p>Timeouts are in seconds.</p><div class="footer">© Copyright 2024, Widget authors. '
                "Created using Sphinx 7.2.6.</div>")
    assert "Copyright" not in doc.text and "Sphinx" not in doc.text and "Timeouts are in seconds." in doc.text


def test_heading_permalink_is_dropped() -> None:
    """The "¶" anchor after each heading would otherwise end up in the heading and in citations."""
    doc = _html('<h1>Configuring<a class="headerlink" href="#configuring" title="Link to this heading">¶</a></h1>'
                "<p>Edit the file.</p>")
    assert _headings(doc) == [("Configuring", 1)] and "¶" not in doc.text and doc.title == "Configuring"


def test_title_loses_site_suffix() -> None:
    """"Page — Project 2.0 documentation" names the page "Page" when no heading repeats it."""
    doc = _html("<p>Some text about proxies.</p>", title="Proxy settings — Widget 2.0 documentation")
    assert doc.title == "Proxy settings"


def test_related_section_id_is_kept() -> None:
    """An id is a section's slug: "...-related-..." is content, while class="related" is Sphinx's nav bar."""
    doc = _html('<div class="related"><p>Next topic: Upgrading</p></div>'
                '<section id="handling-security-related-bugs"><h2>Handling security bugs</h2>'
                "<p>Report them privately to the security team.</p></section>")
    assert "Report them privately" in doc.text and ("Handling security bugs", 2) in _headings(doc)
    assert "Next topic" not in doc.text


# -- HTML: DocBook-like furniture ---------------------------------------------------------------------------
_DOCBOOK = """<html><head><title>Chapter 3. Package configuration</title></head><body>
<div class="navheader"><table width="100%" summary="Navigation header">
<tr><th colspan="3" align="center">Chapter 3. Package configuration</th></tr>
<tr><td align="left"><a accesskey="p" href="ch02.html">Prev</a> </td><th> </th>
<td align="right"> <a accesskey="n" href="ch03s01.html">Next</a></td></tr></table><hr></div>
<div class="chapter"><div class="titlepage">
<h1 class="title"><a name="cfg"></a>Chapter 3. Package configuration</h1></div>
<div class="toc"><p><b>Table of Contents</b></p><dl class="toc">
<dt><span class="section"><a href="ch03s01.html">3.1. The control file</a></span></dt>
<dt><span class="section"><a href="ch03s02.html">3.2. The rules file</a></span></dt></dl></div>
<div class="section"><h2 class="title">3.1. The control file</h2>
<p>Run <span class="command"><strong>dpkg-buildpackage</strong></span> to build the package.</p></div></div>
<div class="navfooter"><hr><table width="100%" summary="Navigation footer">
<tr><td><a accesskey="p" href="ch02.html">Prev</a> </td><td><a accesskey="u" href="index.html">Up</a></td>
<td> <a accesskey="n" href="ch03s01.html">Next</a></td></tr>
<tr><td>Chapter 2. Getting started </td><td><a accesskey="h" href="index.html">Home</a></td>
<td> 3.1. The control file</td></tr></table></div></body></html>"""


def test_docbook_navigation_and_toc_are_dropped() -> None:
    """navheader/navfooter tables and the chapter's link TOC repeat titles and would outrank the body."""
    doc = extract(_DOCBOOK.encode(), "ch03.html", MAX)
    assert doc.text.count("Chapter 3. Package configuration") == 1  # the heading, not the navheader's copy
    assert doc.text.count("3.1. The control file") == 1  # the section heading, not the TOC or navfooter
    for furniture in ("Prev", "Next", "Home", "Table of Contents", "3.2. The rules file", "Getting started"):
        assert furniture not in doc.text
    assert "Run `dpkg-buildpackage` to build the package." in doc.text  # DocBook class="command"
    assert doc.title == "Chapter 3. Package configuration"


def test_link_dense_menu_is_dropped_but_prose_links_kept() -> None:
    """A list that is all links is a menu even without a furniture name; a link in a sentence is text."""
    menu = "".join(f'<li><a href="/{w}">{w}</a></li>' for w in ("Home", "Blog", "Pricing", "Careers", "Contact"))
    doc = _html(f'<ul>{menu}</ul><p>See the <a href="/faq">FAQ</a> for refunds.</p>')
    assert "Pricing" not in doc.text and "Careers" not in doc.text and "See the FAQ for refunds." in doc.text


# -- HTML: main region, structure ---------------------------------------------------------------------------
def test_main_region_wins_over_unmarked_furniture() -> None:
    """Text outside a <main> (or role=main, or a single <article>) is page chrome, whatever its markup."""
    for open_, close in (("<main>", "</main>"), ('<div role="main">', "</div>"), ("<article>", "</article>")):
        doc = _html(f"<div><p>Subscribe to our newsletter.</p></div>{open_}<p>Bees make honey.</p>{close}"
                    "<div><p>More posts you may like.</p></div>")
        assert doc.text == "Bees make honey.", open_


def test_aside_kept_inside_main_only() -> None:
    """Inside the main region an <aside> is a note of the text; outside it is a sidebar."""
    inside = _html("<main><p>Back up first.</p><aside><p>Note: restores need the same version.</p></aside></main>")
    assert "restores need the same version" in inside.text
    outside = _html("<aside><p>Popular posts this week.</p></aside><p>Back up first.</p>")
    assert "Popular posts" not in outside.text and "Back up first." in outside.text


def test_table_rows_as_cells() -> None:
    """Each row one line "cell | cell", so a row is a fact: the option and its default stay together."""
    doc = _html("<table><tr><th>Option</th><th>Default</th></tr><tr><td>timeout</td><td>30 s</td></tr></table>")
    assert "Option | Default" in doc.text and "timeout | 30 s" in doc.text


def test_pre_kept_verbatim_and_fenced() -> None:
    """Code keeps its line breaks and indentation (whitespace folding would make Python unreadable)."""
    doc = _html("<p>Example:</p><pre>\ndef area(r):\n    return 3.14 * r * r\n</pre>")
    assert "```\ndef area(r):\n    return 3.14 * r * r\n```" in doc.text


def test_inline_code_marked_with_backticks() -> None:
    """<code>, <kbd> and DocBook literal spans read as `code`, as Markdown and Discord write it."""
    doc = _html('<p>Set <code>retries</code> then press <kbd>Ctrl+C</kbd> in <span class="literal">'
                "/etc/widget</span>.</p>")
    assert "Set `retries` then press `Ctrl+C` in `/etc/widget`." in doc.text


def test_definition_term_leads_its_first_paragraph() -> None:
    """A <dt> alone ("nocheck") is a useless passage; "nocheck: This tag ..." is one searchable sentence."""
    doc = _html("<dl><dt><code>nocheck</code></dt><dd><p>This tag says not to run tests.</p>"
                "<p>It is set by CI.</p></dd></dl>")
    assert "`nocheck`: This tag says not to run tests." in doc.text
    assert "`nocheck`: It is set by CI." not in doc.text and "It is set by CI." in doc.text


def test_sphinx_api_entry_is_not_one_code_span() -> None:
    """Sphinx wraps API entries in <dl class="py function">: a block, though "function" is a DocBook inline
    class; its description must stay prose and its example a fenced block."""
    doc = _html('<dl class="py function"><dt id="w.connect">w.connect(host)</dt><dd><p>Open a connection.</p>'
                "<p>Fails after 30 seconds.</p><pre>w.connect(h)</pre></dd></dl>")
    assert "w.connect(host): Open a connection." in doc.text and "```\nw.connect(h)\n```" in doc.text


def test_nfkc_folds_ligatures_in_html() -> None:
    """"ﬁle" is stored as "file", so the word found by search is the word shown."""
    assert "The config file" in _html("<p>The conﬁg ﬁle</p>").text


def test_deeply_nested_html_does_not_recurse() -> None:
    """Generated pages can nest thousands of divs: the walk must be iterative, not recursive."""
    depth = 50_000
    doc = _html("<div>" * depth + "<p>Deep text survives.</p>" + "</div>" * depth)
    assert "Deep text survives." in doc.text


def test_markdown_deeply_nested_list_keeps_its_text() -> None:
    """An outline or a file tree as nested Markdown lists must not lose its deeper items."""
    text = extract("".join("  " * i + f"- level{i}\n" for i in range(12)).encode(), "tree.md", MAX).text
    assert [i for i in range(12) if f"level{i}" not in text] == []


# -- Markdown and plain text --------------------------------------------------------------------------------
def test_markdown_setext_heading_is_the_title() -> None:
    """A README underlined with === is titled by that heading, not by a later "# ..." heading."""
    md = "Widget Toolkit\n==============\n\nA toolkit.\n\nUsage\n-----\n\nRun it.\n\n# Installation\n\npip it.\n"
    doc = extract(md.encode(), "README.md", MAX)
    assert doc.title == "Widget Toolkit"
    assert _headings(doc) == [("Widget Toolkit", 1), ("Usage", 2), ("Installation", 1)]


def test_plain_text_setext_headings() -> None:
    """Plain .txt files underline headings too; the underline itself is not text."""
    doc = extract(b"User guide\n==========\n\nIntro.\n\nBackups\n-------\n\nRun backups nightly.\n", "g.txt", MAX)
    assert _headings(doc) == [("User guide", 1), ("Backups", 2)] and "---" not in doc.text and "===" not in doc.text


_NEWS = """widget (2.0-1) unstable; urgency=medium

  * The configuration file moved to /etc/widget/widget.toml.
    Old files are migrated automatically.

 -- Jane Doe <jane@example.org>  Mon, 01 Jan 2024 12:00:00 +0000

widget (1.5-1) unstable; urgency=low

  * The daemon no longer starts by default; enable it with systemctl.
    This avoids surprises on upgrade.

 -- Jane Doe <jane@example.org>  Sun, 01 Oct 2023 12:00:00 +0000
"""


def test_news_margin_lines_are_headings() -> None:
    """In a NEWS.Debian the body is indented: lines at the margin are version headings for their entries."""
    doc = extract(_NEWS.encode(), "NEWS.Debian.txt", MAX)  # only known suffixes are accepted
    assert [t for t, _ in _headings(doc)] == ["widget (2.0-1) unstable; urgency=medium",
                                             "widget (1.5-1) unstable; urgency=low"]
    passages = split_passages("news", doc.text, headings=doc.headings, title=doc.title)
    daemon = next(p for p in passages if "daemon no longer starts" in p.text)
    assert daemon.heading == "widget (1.5-1) unstable; urgency=low"


def test_prose_at_margin_has_no_margin_headings() -> None:
    """Ordinary unindented prose must not turn every line into a heading."""
    doc = extract(b"First line of prose.\nSecond line of prose.\n\nThird paragraph here.\n", "notes.txt", MAX)
    assert doc.headings == ()


# -- PDF ----------------------------------------------------------------------------------------------------
def test_pdf_layout_rules() -> None:
    """Running heads and bare page numbers are dropped, dot-leader TOC lines too; numbered headings get
    their depth as level; the "ﬁ" ligature is folded."""
    head = "Widget Manual - Release 2.0"
    toc = ["Contents", "1. Introduction ........................ 2", "2.1. Error handling ..................... 3"]
    pages = [[head, *toc, "1"], [head, "1. Introduction", "The widget is a small daemon for ﬁle syncing.", "2"],
             [head, "2. Configuration", "The default timeout is 30 seconds.", "2.1. Error handling",
              "Failed syncs are retried ﬁve times.", "3"], [head, "Appendix notes are kept here.", "4"]]
    doc = extract(_pdf(pages, title="Widget Manual"), "manual.pdf", MAX)
    assert head not in doc.text
    assert not [line for line in doc.text.splitlines() if line.strip().isdigit()]
    assert "...." not in doc.text and doc.text.count("Introduction") == 1 and doc.text.count("Error handling") == 1
    assert _headings(doc) == [("1. Introduction", 1), ("2. Configuration", 1), ("2.1. Error handling", 2)]
    assert "for file syncing" in doc.text and "retried five times" in doc.text and "ﬁ" not in doc.text
    assert "The default timeout is 30 seconds." in doc.text and "Appendix notes are kept here." in doc.text


def test_pdf_bare_page_numbers_dropped_on_short_documents() -> None:
    """With under 3 pages nothing counts as running: "Page 1 of 2" and "2" go by their shape alone."""
    doc = extract(_pdf([["Alpha is the first letter.", "Page 1 of 2"], ["Beta is the second one.", "2"]]), "a.pdf", MAX)
    assert doc.text == "Alpha is the first letter.\n\nBeta is the second one."


# -- Passages: heading paths --------------------------------------------------------------------------------
_MANUAL = "\n\n".join([
    "# Widget manual", "Welcome to the manual.", "## Chapter 2. Configuration", "Settings live in one file.",
    "### 2.1 Timeouts", "The connect timeout defaults to 30 seconds.", "## Chapter 3. FAQ",
    "### How do I rotate my API token?", "Open Settings, choose Security and press Regenerate.",
    "### Why are uploads slow on Mondays?", "Backups run then and share the bandwidth."])


def test_passage_heading_paths() -> None:
    """Each passage carries "chapter › section", the title left out; a heading is never a passage itself."""
    doc = extract(_MANUAL.encode(), "manual.md", MAX)
    passages = split_passages("m", doc.text, max_words=60, headings=doc.headings, title=doc.title)
    by_text = {p.text: p.heading for p in passages}
    assert by_text["The connect timeout defaults to 30 seconds."] == "Chapter 2. Configuration › 2.1 Timeouts"
    assert by_text["Settings live in one file."] == "Chapter 2. Configuration"
    assert by_text["Welcome to the manual."] == ""  # the title heading is not in any path
    headings = {doc.text[h.start : h.end] for h in doc.headings}
    assert not headings & {p.text.strip() for p in passages}
    assert all(p.text.strip() and "Widget manual" not in p.heading for p in passages)


def test_faq_question_is_searched_with_its_answer(empty_corpus, tmp_path: Path) -> None:
    """The question's words are only in the heading: a search for them must find the answer passage."""
    (tmp_path / "faq.md").write_text(_MANUAL, encoding="utf-8")
    empty_corpus.ingest([tmp_path / "faq.md"])
    hit = empty_corpus.search("rotate API token")[0]
    assert "press Regenerate" in hit.text and hit.heading.endswith("How do I rotate my API token?")


def test_heading_code_marks_do_not_reach_titles() -> None:
    """A heading that names a module in <code> gives a plain title and heading path."""
    page = ("<html><head><title>zipfile — Work with ZIP archives — Manual</title></head><body><main>"
            "<h1><code>zipfile</code> — Work with ZIP archives</h1><p>Body text here.</p></main></body></html>")
    got = extract(page.encode(), "zip.html", 10**6)
    assert got.title == "zipfile — Work with ZIP archives" and "`" not in got.text.split("\n")[0]


def test_a_document_of_headings_only_still_has_a_passage() -> None:
    """An outline or a contents page (its link list dropped as a menu) is not refused as empty."""
    from retrieval.config import Settings
    from retrieval.ingest import prepare

    outline = prepare(b"# Install\n\n## Configure\n", "outline.md", Settings())
    assert [p.text for p in outline.passages] == ["Install\n\nConfigure"]
    contents = prepare(b"<h1>Contents</h1><ul>" + b"".join(b"<li><a href=x>Part</a></li>" for _ in range(4))
                       + b"</ul>", "index.html", Settings())
    assert [p.text for p in contents.passages] == ["Contents"]


def test_a_dotted_line_without_a_page_number_is_kept() -> None:
    from retrieval.files.lines import pdf_blocks

    blocks = pdf_blocks(["Signature . . . . . . . . . . (sign here)\nBody text of the form."])
    assert "Signature" in blocks[0].text
    assert pdf_blocks(["Intro . . . . . . . . 12\nBody."])[0].text == "Body."


def test_pdf_chapter_lines_are_headings() -> None:
    from retrieval.files.lines import heading_level

    assert heading_level("Chapter 3. The Root Filesystem") == 1 and heading_level("Appendix B") == 1
    assert heading_level("Chapter 3 explains the layout.") == 0  # a sentence, not a heading
    assert heading_level("12 January 2020") == 0 and heading_level("3.6. zlib compatibility functions") == 2


def test_a_faq_question_term_heads_its_answer(empty_corpus) -> None:
    """Asciidoc and DocBook FAQs put each question in a <dt>: it becomes the heading of its answer, so the
    answer is searched with it and the reply gives the answer, not the question back."""
    page = ("<html><head><title>Tool FAQ</title></head><body><h1>Tool FAQ</h1><h2>Configuration</h2><dl><dt>What should I put in <code>user.name</code>?</dt>"
            "<dd><p>You should put your personal name, as people call you.</p></dd>"
            "<dt>How do I change the editor?</dt><dd><p>Set the <code>core.editor</code> variable.</p></dd>"
            "</dl></body></html>")
    got = extract(page.encode(), "faq.html", 10**6)
    assert [got.text[h.start:h.end] for h in got.headings][2:] == ["What should I put in user.name?",
                                                                   "How do I change the editor?"]
    empty_corpus.add_bytes(page.encode(), "faq.html")
    answer = empty_corpus.ask("What should I put in user.name?")
    assert answer.citations[0].hit.heading == "Configuration \u203a What should I put in user.name?"
    assert not (answer.guess or "").endswith("?")
