"""Answers and the bot's other replies as Discord embed dicts, within Discord's limits: highlights in bold,
markdown escaped, mentions defused, controls removed. No discord import: unit-tested without Discord;
the cogs only wrap these dicts in discord.Embed."""

from __future__ import annotations

import re

from retrieval.models import NOT_SURE, Answer, Document, Hit
from retrieval.render import NOT_FOUND, NOT_SURE_NOTE, clean_text, mark, place, read_as_note

# Discord's limits (characters).
EMBED_TITLE, EMBED_DESCRIPTION, EMBED_FIELD_NAME, EMBED_FIELD_VALUE, EMBED_TOTAL = 256, 4096, 256, 1024, 6000
EMBED_FOOTER, EMBED_FIELDS = 2048, 25
MESSAGE_CONTENT = 2000
# A document's title or source inside a message or a field's footer is shortened to this many characters.
SHOWN_TITLE, SHOWN_SOURCE = 200, 200
# Channel mentions (<#id>) are left as links: they ping nobody and show only channels the reader can see.
_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def discord_text(text: str) -> str:
    """Text for Discord: controls and bidi controls removed, mentions defused."""
    return defuse_mentions(clean_text(text))


def short_title(title: str, limit: int = SHOWN_TITLE) -> str:
    """A document title for a Discord message or embed: cleaned, shortened with "…", markdown escaped
    (a title "[click](http://evil)" is no link), mentions defused."""
    return discord_text(_escape_markdown(_cut(clean_text(title), limit)))


def message_text(text: str, limit: int = MESSAGE_CONTENT) -> str:
    """A whole Discord message's content: cleaned, mentions defused, within Discord's 2,000 characters."""
    return _cut(discord_text(text), limit)


def defuse_mentions(text: str) -> str:
    """Break @everyone/@here and user/role mentions with a zero-width space (allowed_mentions is the real guard)."""
    return _MENTION.sub(lambda m: m.group().replace("@", "@\u200b"), text)


_ADDRESS = re.compile(r"https?://[^\s<>]+")  # greedy and linear; trailing punctuation is given back below


def web_report(text: str, limit: int = 1900) -> str:
    """A web sync's report as a message: mentions defused, markdown shown as typed, and each address in <...> so
    Discord shows no preview card for every page listed; cut at a line end within `limit`."""
    parts, last = [], 0
    for m in _ADDRESS.finditer(text):
        address = m.group().rstrip(":,;.)")
        parts += [_escape_markdown(text[last:m.start()]), f"<{clean_text(address)}>"]
        last = m.start() + len(address)
    text = defuse_mentions("".join(parts) + _escape_markdown(text[last:]))
    if len(text) <= limit:
        return text
    return text[: text.rfind("\n", 0, limit - 2) if "\n" in text[:limit] else limit - 2] + "\n…"


def _escape_markdown(text: str) -> str:
    """Discord markdown shown as typed: `[click](http://evil)` is no masked link, `**` no bold. Cleaned
    first: removing a control after escaping could take an escaping backslash with it."""
    return re.sub(r"([\\*_`~|>\[\]])", r"\\\1", clean_text(text))


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, "…" where cut; never ending in a lone (escaping) backslash."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)].rstrip()
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    return cut + "\u2026"


def to_embed(answer: Answer, title_prefix: str = "") -> dict:
    """A Discord embed (as a dict) within Discord's limits; highlights in bold, mentions defused.

    Mentions are defused before cutting (defusing adds characters). A question longer than a title
    also goes whole into the footer, so the buttons can re-run it (see `question_of`).
    """
    question = defuse_mentions(title_prefix + answer.question)
    if answer.found:
        description = f"**{_escape_markdown(answer.answer or '')}**"
        if answer.short_answer and answer.sentence:
            description += f"\n> {_escape_markdown(answer.sentence)}"
    elif answer.confidence == NOT_SURE and answer.citations:
        description = NOT_SURE_NOTE
    else:
        description = NOT_FOUND + (" Closest matches below, not answers." if answer.citations else "")
    if answer.read_as:  # a corrected spelling or a synonym: the reader can judge the reading
        description += f"\n*{_escape_markdown(read_as_note(answer))}*"
    fields = [_field(f"[{c.n}] {_escape_markdown(place(c.hit))}",
                     mark(c.snippet, "**", "**", _escape_markdown),
                     f"\n\u2014 {_shown_source(c.hit.source)} \u00b7 `{c.hit.passage_id}`")
              for c in answer.citations]
    color = 0x2E86C1 if answer.found else 0xE1A12B if answer.confidence == NOT_SURE else 0x95A5A6
    return _embed(question, description, fields, color,
                  footer=question if len(question) > EMBED_TITLE else None)


def _embed_size(embed: dict) -> int:
    return (len(embed["title"]) + len(embed["description"]) + len(embed.get("footer", {}).get("text", ""))
            + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"]))


# -- the bot's other replies (embeds as dicts; cogs/ only wraps them in discord.Embed) ---------------
_PASSAGE_ID = re.compile(r"`([^`\s]+#\d+)`")


def _embed(title: str, description: str = "", fields: list[dict] | None = None, color: int = 0x2E86C1,
           footer: str | None = None) -> dict:
    """An embed dict within Discord's limits: controls removed and mentions defused before cutting
    (defusing adds characters), fields dropped from the end while the whole is too big, then the
    description shortened if it still is."""
    embed = {"title": _cut(discord_text(title), EMBED_TITLE),
             "description": _cut(discord_text(description), EMBED_DESCRIPTION), "fields": [], "color": color}
    for f in (fields or [])[:EMBED_FIELDS]:
        embed["fields"].append({"name": _cut(discord_text(f["name"]), EMBED_FIELD_NAME),
                                "value": _cut(discord_text(f["value"]), EMBED_FIELD_VALUE), "inline": False})
    if footer:
        embed["footer"] = {"text": _cut(discord_text(footer), EMBED_FOOTER)}
    while _embed_size(embed) > EMBED_TOTAL and embed["fields"]:
        embed["fields"].pop()
    if (excess := _embed_size(embed) - EMBED_TOTAL) > 0:
        embed["description"] = _cut(embed["description"], max(1, len(embed["description"]) - excess))
    return embed


def _field(name: str, body: str, footer: str) -> dict:
    """A field whose body is cut so that its footer (source, passage id) always shows whole."""
    footer = discord_text(footer)
    return {"name": name, "value": _cut(discord_text(body), EMBED_FIELD_VALUE - len(footer)) + footer}


def _shown_source(source: str) -> str:
    """A source in a field's footer: short enough that the footer (and its passage id) always fits."""
    return _escape_markdown(_cut(clean_text(source), SHOWN_SOURCE))


def _hit_field(rank: int, hit: Hit) -> dict:
    return _field(f"[{rank}] {_escape_markdown(hit.title)}", _escape_markdown(" ".join(hit.text.split())),
                  f"\n\u2014 {_shown_source(hit.source)} \u00b7 `{hit.passage_id}` \u00b7 score {hit.score:.2f}")


def hits_embed(title: str, hits: list[Hit], empty: str = "No passage matches these words.", start: int = 1) -> dict:
    """Ranked passages with their scores, no answer extraction (/search and "More sources")."""
    if not hits:
        return _embed(title, empty, color=0x95A5A6)
    return _embed(title, "", [_hit_field(start + i, h) for i, h in enumerate(hits)])


# A passage longer than this (escaped) is shown in pages: the description also holds the source line.
PASSAGE_PAGE = EMBED_DESCRIPTION - SHOWN_SOURCE - 100


def passage_pages(text: str, size: int = PASSAGE_PAGE) -> list[str]:
    """A long passage cut into pages of at most `size` characters once escaped for Discord, at a sentence
    end or a space when one is near, so no word is split."""
    pages: list[str] = []
    while len(_escape_markdown(text)) > size:
        cut = size
        while len(_escape_markdown(text[:cut])) > size:  # escaping can lengthen the text
            cut -= max(1, (len(_escape_markdown(text[:cut])) - size))
        window = text[:cut]
        sentence_end = max(window.rfind(". ", cut // 2), window.rfind("\n", cut // 2))
        space = window.rfind(" ", cut // 2)
        end = sentence_end + 1 if sentence_end > 0 else space if space > 0 else cut
        pages.append(text[:end].rstrip())
        text = text[end:].lstrip()
    return pages + [text] if text or not pages else pages


def context_embed(passage_text: str, before: str, after: str, title: str, source: str, passage_id: str,
                  page: int = 0) -> tuple[dict, int]:
    """The passage in bold inside the text around it, and how many pages it takes: a passage too long
    for one embed is shown one page at a time (`page` from 0), with what comes before it on the first
    and what comes after on the last."""
    pages = passage_pages(passage_text)
    page = min(max(page, 0), len(pages) - 1)
    part = pages[page]
    before = ("\u2026" + before.lstrip()) if before and page == 0 else ""
    after = (after.rstrip() + "\u2026") if after and page == len(pages) - 1 else ""
    body = f"{_escape_markdown(before)}**{_escape_markdown(part)}**{_escape_markdown(after)}"
    if len(body) > PASSAGE_PAGE:  # keep the passage whole; trim the surroundings
        room = max(0, PASSAGE_PAGE - len(_escape_markdown(part)) - 8) // 2
        body = f"\u2026{_escape_markdown(before[-room:]) if room else ''}**{_escape_markdown(part)}**" \
               f"{_escape_markdown(after[:room]) if room else ''}\u2026"
    label = f" \u00b7 page {page + 1} of {len(pages)}" if len(pages) > 1 else ""
    shown = _cut(discord_text(_escape_markdown(title)), EMBED_TITLE - len(passage_id) - len(label) - 3)
    return _embed(f"{shown} \u00b7 {passage_id}{label}", body + f"\n\n\u2014 {_shown_source(source)}"), len(pages)


def documents_embed(title: str, docs: list[Document], scope: str) -> dict:
    lines = [f"`{clean_text(d.id)}` \u2014 {_escape_markdown(_cut(clean_text(d.title), SHOWN_TITLE))}"
             + (" *(bundled)*" if d.scope != scope else "") for d in docs]
    shown, size = [], 0
    for line in lines:
        if size + len(line) + 1 > EMBED_DESCRIPTION - 40:
            shown.append(f"\u2026 and {len(lines) - len(shown)} more")
            break
        shown.append(line)
        size += len(line) + 1
    return _embed(title, "\n".join(shown) or "No documents yet.")


def sources_embed(sources: list) -> dict:
    """/corpus sources: each web source with its pages, bounds, who added it and its last sync."""
    fields = [{"name": _cut(f"#{s.id} {clean_text(s.url)}", 256),
               "value": _cut(f"{'Section' if s.site else 'Page'}, {s.pages} pages"
                             + (f" (up to {s.max_pages}, links {s.max_depth} deep)" if s.site else "")
                             + f"\nAdded by {_escape_markdown(clean_text(s.added_by) or '?')} on {s.added_at[:10]}; "
                             f"last sync {s.synced_at[:16].replace('T', ' ')} UTC: {_escape_markdown(s.summary)}", 1024)}
              for s in sources[:25]]
    text = ("" if sources else "No web sources yet; moderators add one with `/corpus add url:`.") + (
        f"\n\u2026 and {len(sources) - 25} more" if len(sources) > 25 else "")
    return _embed("Web sources", text, fields)


def feedback_embed(rows: list[dict]) -> dict:
    fields = [{"name": f"{'👍' if r['vote'] > 0 else '👎'} {_escape_markdown(r['question'])}",
               "value": f"{_escape_markdown(r['answer'] or '(no answer)')}\n\u2014 {r['created_at']}"
                        + (f" \u00b7 `{r['passage_ids'].split()[0]}`" if r["passage_ids"] else "")}
              for r in rows]
    return _embed("Recent feedback", "" if rows else "No feedback yet.", fields)


def question_of(embed: dict) -> str:
    """The question an answer embed was for (its footer when too long for the title), to re-run it."""
    return ((embed.get("footer") or {}).get("text") or embed.get("title") or "").replace("\u200b", "")


def passage_ids_of(embed: dict) -> list[str]:
    """The passage ids an answer embed cites, in order (each field ends with `doc#n`)."""
    ids = []
    for f in embed.get("fields") or []:
        for line in reversed(f.get("value", "").splitlines()):
            m = _PASSAGE_ID.search(line)
            if m:
                ids.append(m.group(1))
                break
    return ids


def gaps_embed(gaps: list) -> dict:
    """What the server's documents did not answer, most asked first (retrieval/gaps.py)."""
    fields = [{"name": _escape_markdown(g.question),
               "value": f"not answered {g.times}x" + (f", voted down {g.voted_down}x" if g.voted_down else "")
                        + f" \u00b7 last {g.last_asked}"} for g in gaps]
    return _embed("Questions the documents did not answer",
                  "" if gaps else "No gaps: every question asked here was answered.", fields)


def thread_name(question: str) -> str:
    """A thread's name: the question, cleaned and shortened (Discord allows 100 characters)."""
    return _cut(" ".join(clean_text(question).split()), 90) or "Question"
