"""HTML -> blocks of main text (headings, paragraphs, table rows, code), without the page furniture.

Written by hand over BeautifulSoup because documentation pages are the product's main input and the
main-content libraries measured worse on them (BENCHMARKS.md, Extraction): they drop code blocks, tables
or whole sections of reference pages. The rules are generic, not per site:
- furniture: <nav>/<aside>/<footer>/<form>, ARIA landmark roles (navigation, banner, contentinfo, search,
  complementary), class or id names that say what the block is (sidebar, breadcrumb, navheader, toc, ...),
  heading permalinks (the "¶" anchors), and lists or tables that are nearly all link text (menus, tables
  of contents);
- the main region (<main>, role="main", or a single <article>) when the page marks one;
- tables as one line a row ("cell | cell"), <pre> kept verbatim as code, inline code (<code>, <kbd>,
  DocBook's command/filename/option spans) marked with backticks, the way Markdown and Discord write it;
- a definition term leads its definition's first paragraph ("`nocheck`: This tag says ..."), so the two are
  one sentence to search and answer from; a term that is a question (a FAQ) heads its answer instead.
One pass over the tree with an explicit stack: linear in the page, whatever its nesting depth.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .blocks import CODE, HEADING, ROW, TEXT, Block

_DROP_TAGS = frozenset("script style noscript template nav svg head title form button iframe object embed "
                       "select textarea header footer canvas dialog".split())
_INLINE_CODE_TAGS = frozenset("code kbd samp tt var".split())
_INLINE_TAGS = frozenset("span a em strong b i u small sub sup abbr cite".split())
_INLINE_CODE_CLASSES = frozenset("command literal filename option parameter varname package function classname "
                                 "systemitem envar userinput computeroutput".split())
_DROP_ROLES = frozenset("navigation banner contentinfo search complementary menu menubar toolbar "
                        "doc-toc".split())
# Class or id words that name page furniture in common generators (Sphinx, DocBook, MediaWiki, blogs).
_FURNITURE_WORDS = re.compile(
    r"(?:^|[-_])(?:sidebar|sphinxsidebar|breadcrumbs?|navbar|navheader|navfooter|navigation|nav|menu|toc|"
    r"headerlink|skip-?link|masthead|footer|cookies?|share|social|related|printfooter|catlinks|editsection|"
    r"noprint|banner)(?:$|[-_])", re.IGNORECASE)
_FURNITURE_IDS = frozenset("sidebar navigation nav navbar menu toc breadcrumbs breadcrumb footer header masthead "
                           "site-header site-footer page-footer page-header skip-link cookie-banner".split())
_PERMALINK_TEXT = frozenset("¶ § # 🔗 ⚓ link permalink".split())
_BLOCK_TAGS = frozenset("p div li dt dd blockquote section article main header figure figcaption caption "
                        "address ul ol dl hr center details summary body html".split())
_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
_QUESTION_LEVEL = 7  # a question term of a FAQ list sits below every <h1>-<h6> of its page
_MIN_LINKS_FOR_MENU = 4
_MENU_LINK_SHARE = 0.8


def _is_inline_code(tag: Tag) -> bool:
    """<code>, <kbd>, ... or an inline element whose class says code (DocBook's <span class="command">); a
    block with such a class (Sphinx's <dl class="py function">) holds prose, not code."""
    if tag.name in _INLINE_CODE_TAGS:
        return True
    return tag.name in _INLINE_TAGS and not _INLINE_CODE_CLASSES.isdisjoint(tag.get("class") or ())


def _code_span(tag: Tag) -> str:
    text = " ".join(tag.get_text().split())
    return f"`{text}`" if text and "`" not in text else text


def _words(tag: Tag) -> str:
    """A subtree's text on one line, inline code marked."""
    parts: list[str] = []
    stack: list[object] = [tag]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node is not tag and _is_inline_code(node):
                parts.append(_code_span(node))
            else:
                parts.append(" " if node.name in _BLOCK_TAGS or node.name in ("td", "th", "br") else "")
                stack.extend(reversed(list(node.children)))
        elif type(node) is NavigableString:
            parts.append(str(node))
    return " ".join("".join(parts).split())


def _is_furniture(tag: Tag, in_main: bool) -> bool:
    if tag.name in _DROP_TAGS or (tag.name == "aside" and not in_main):  # inside a main region: an aside note
        return True
    if (tag.get("role") or "").lower() in _DROP_ROLES:
        return True
    for name in tag.get("class") or ():
        match = _FURNITURE_WORDS.search(name)
        # a "sidebar" box inside the main region is the author's own aside (docutils' sidebar directive)
        if match and not (in_main and match.group().strip("-_").lower() == "sidebar"):
            return True
    # An id is often a section's slug ("handling-security-related-bugs"): only a whole furniture id counts.
    element_id = tag.get("id")
    return isinstance(element_id, str) and element_id.lower() in _FURNITURE_IDS


def _link_stats(root: Tag) -> dict[int, tuple[int, int, int]]:
    """Per list/table/div: (characters of text, characters inside links, number of links), in one
    post-order pass."""
    stats: dict[int, tuple[int, int, int]] = {}
    stack: list[tuple[Tag, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children if isinstance(child, Tag))
            continue
        text = links = count = 0
        for child in node.children:
            if isinstance(child, Tag):
                t, l, c = stats.get(id(child), (0, 0, 0))
                text, links, count = text + t, links + l, count + c
            elif isinstance(child, NavigableString) and not isinstance(child, Comment):
                text += len(child.strip())
        if node.name == "a" and node.get("href"):
            links, count = text, count + 1
        stats[id(node)] = (text, links, count)
    return stats


def _is_menu(tag: Tag, stats: dict[int, tuple[int, int, int]]) -> bool:
    """A list that is nearly all link text: a menu or a table of contents. (A paragraph or a table of links,
    such as a list of package names or of standards, is content.)"""
    if tag.name not in ("ul", "ol", "dl"):
        return False
    text, links, count = stats.get(id(tag), (0, 0, 0))
    return count >= _MIN_LINKS_FOR_MENU and text > 0 and links / text >= _MENU_LINK_SHARE


def _drop_permalinks(soup: BeautifulSoup) -> None:
    for a in soup.find_all("a"):
        if a.get_text(strip=True).lower() in _PERMALINK_TEXT and str(a.get("href", "")).startswith("#"):
            a.decompose()


def _main_region(soup: BeautifulSoup) -> tuple[Tag, bool]:
    """The region the page marks as its main content, or the whole body (False)."""
    mains = soup.find_all("main") or soup.find_all(attrs={"role": "main"})
    if len(mains) == 1:
        return mains[0], True
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0], True
    return soup.body or soup, False


MAX_TABLE_CELLS = 100_000  # per page: more is a generated dump, not a document (and 400k unique terms)


class PageTooLarge(ValueError):
    """The page holds more than a document should (one line, for the file's error message)."""


def _table_rows(table: Tag, budget: list[int]) -> list[str]:
    """`budget`: the page's remaining table cells, shared by its tables."""
    rows = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue  # a nested table's rows are in its cell's text
        found = tr.find_all(["td", "th"], recursive=False)
        budget[0] -= len(found)
        if budget[0] < 0:
            raise PageTooLarge(f"its tables hold more than {MAX_TABLE_CELLS:,} cells; refused")
        cells = [_words(cell) for cell in found]
        cells = [c for c in cells if c]
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _code_text(pre: Tag) -> str:
    lines = pre.get_text().replace("\r\n", "\n").expandtabs(4).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def page_title(soup: BeautifulSoup, first_heading: str) -> str:
    """The page's own title: the <title> without a site suffix (" — Python 3.11 documentation", " | Site"),
    the first heading when the <title> holds it or there is no <title>."""
    title = " ".join(soup.title.get_text(" ").split()) if soup.title else ""
    if first_heading and (not title or first_heading.casefold() in title.casefold()):
        return first_heading
    parts = re.split(r"\s+(?:[\u2014\u2013|·»:]{1,2}|-)\s+", title)
    return parts[0] if len(parts) > 1 and len(parts[0]) >= 3 else title


def _end_definition() -> None:
    """Marks the end of a <dd> on the walk's stack."""


def _end_list() -> None:
    """Marks the end of a <dl> on the walk's stack."""


def html_blocks(html: str) -> tuple[list[Block], str]:
    """The page's main text as blocks, and its title."""
    soup = BeautifulSoup(html, "html.parser")
    _drop_permalinks(soup)
    root, in_main = _main_region(soup)
    stats = _link_stats(root)
    blocks: list[Block] = []
    inline: list[str] = []
    label: list[str] = []  # a definition term waiting for its definition's first paragraph
    cell_budget = [MAX_TABLE_CELLS]

    def flush() -> None:
        text = " ".join("".join(inline).split())
        inline.clear()
        if text and label:
            term = label.pop()
            text = f"{term} {text}" if term.endswith((":", "?", ".", "!")) else f"{term}: {text}"
        if text:
            blocks.append(Block(TEXT, text))

    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if node is flush:
            flush()
            continue
        if node is _end_list:  # a term left without a definition stands alone
            if label:
                blocks.append(Block(TEXT, label.pop()))
            continue
        if node is _end_definition:  # a definition with no paragraph of its own: the term stands alone
            if label:
                blocks.append(Block(TEXT, label.pop()))
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, Comment) and type(node) is NavigableString:
                inline.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if node is not root and (_is_furniture(node, in_main) or _is_menu(node, stats)):
            if name == "header" and node.find_parent(["article", "main"]) is not None:
                pass  # an article's own header holds its title: keep it
            else:
                continue
        if name == "br":
            inline.append("\n")
        elif _is_inline_code(node):
            inline.append(_code_span(node))
        elif name == "dt":
            flush()
            term = _words(node)
            if term.endswith("?"):  # a FAQ's question: the heading of its answer, never the answer itself
                label.clear()
                blocks.append(Block(HEADING, term.replace("`", ""), _QUESTION_LEVEL))
            elif label:  # several terms for one definition: "-v, --verbose"
                label[-1] = f"{label[-1]}, {term}"
            elif term:
                label.append(term)
        elif name == "dl":
            flush()
            if label:  # a definition that opens with a list of its own: the outer term stands alone
                blocks.append(Block(TEXT, label.pop()))
            stack.append(_end_list)
            stack.extend(reversed(list(node.children)))
        elif name == "dd":
            flush()
            stack.append(_end_definition)
            stack.append(flush)
            stack.extend(reversed(list(node.children)))
        elif name in _HEADING_TAGS:
            flush()
            label.clear()  # a term without a definition does not lead the next section
            text = _words(node).replace("`", "")  # a title, not code: "json — JSON encoder and decoder"
            if text:
                blocks.append(Block(HEADING, text, _HEADING_TAGS[name]))
        elif name == "pre":
            flush()
            code = _code_text(node)
            if code.strip():
                blocks.append(Block(CODE, code))
        elif name == "table":
            flush()
            blocks.extend(Block(ROW, row) for row in _table_rows(node, cell_budget))
        else:
            block = name in _BLOCK_TAGS
            if block:
                flush()
                stack.append(flush)
            stack.extend(reversed(list(node.children)))
    flush()
    first_heading = next((b.text for b in blocks if b.kind == HEADING), "")
    return blocks, page_title(soup, first_heading)
