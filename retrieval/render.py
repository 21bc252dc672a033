"""Answer -> console text, JSON, or a Discord embed dict; each chooses its own markup for highlights."""

from __future__ import annotations

import re
from collections.abc import Callable

from .models import Answer, Citation, Snippet

NOT_FOUND = "The corpus does not answer this."
# Discord's limits (characters).
EMBED_TITLE, EMBED_DESCRIPTION, EMBED_FIELD_NAME, EMBED_FIELD_VALUE, EMBED_TOTAL = 256, 4096, 256, 1024, 6000
_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def defuse_mentions(text: str) -> str:
    """Break @everyone/@here and user/role mentions with a zero-width space (allowed_mentions is the real guard)."""
    return _MENTION.sub(lambda m: m.group().replace("@", "@\u200b").replace("<#", "<#\u200b"), text)


def mark(snippet: Snippet, open_: str, close: str, escape: Callable[[str], str] = lambda s: s) -> str:
    out, pos = [], 0
    for start, end in snippet.spans:
        out.append(escape(snippet.text[pos:start]))
        out.append(open_ + escape(snippet.text[start:end]) + close)
        pos = end
    out.append(escape(snippet.text[pos:]))
    return "".join(out)


def to_json(answer: Answer) -> dict:
    """The console's `--json` shape, a stable interface for scripts."""
    return {
        "question": answer.question,
        "found": answer.found,
        "answer": answer.answer,
        "citations": [
            {"n": c.n, "doc_id": c.hit.doc_id, "title": c.hit.title, "source": c.hit.source,
             "passage_id": c.hit.passage_id, "snippet": c.snippet.text, "score": round(c.hit.score, 6),
             "highlights": [list(span) for span in c.snippet.spans]}
            for c in answer.citations
        ],
    }


def heading(answer: Answer) -> str:
    if answer.found:
        return answer.answer or ""
    return NOT_FOUND + (" Closest matches:" if answer.citations else "")


def to_plain(answer: Answer) -> str:
    """Plain text, for pipes and logs: highlights as *word*."""
    lines = [heading(answer)]
    if answer.found and answer.short_answer and answer.sentence:
        lines.append(f"  \u201c{answer.sentence}\u201d")
    for c in answer.citations:
        lines.append("")
        lines.append(citation_line(c))
        lines.append("   " + mark(c.snippet, "*", "*"))
    return "\n".join(lines)


def citation_line(c: Citation) -> str:
    return f"[{c.n}] {c.hit.title} \u2014 {c.hit.source}, passage {c.hit.passage_id} (score {c.hit.score:.2f})"


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\*_`~|>\[\]])", r"\\\1", text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def to_embed(answer: Answer, title_prefix: str = "") -> dict:
    """A Discord embed (as a dict) within Discord's limits; highlights in bold, mentions defused."""
    title = _cut(defuse_mentions(title_prefix + answer.question), EMBED_TITLE)
    if answer.found:
        description = f"**{_escape_markdown(answer.answer or '')}**"
        if answer.short_answer and answer.sentence:
            description += f"\n> {_escape_markdown(answer.sentence)}"
    else:
        description = NOT_FOUND + (" Closest matches below, not answers." if answer.citations else "")
    fields = []
    for c in answer.citations:
        name = _cut(defuse_mentions(f"[{c.n}] {c.hit.title}"), EMBED_FIELD_NAME)
        footer = f"\n\u2014 {_escape_markdown(c.hit.source)} \u00b7 `{c.hit.passage_id}`"
        body = mark(c.snippet, "**", "**", _escape_markdown)
        value = _cut(body, EMBED_FIELD_VALUE - len(footer)) + footer
        fields.append({"name": name, "value": defuse_mentions(_cut(value, EMBED_FIELD_VALUE)), "inline": False})
    embed = {"title": title, "description": defuse_mentions(_cut(description, EMBED_DESCRIPTION)), "fields": fields,
             "color": 0x2E86C1 if answer.found else 0x95A5A6}
    while _embed_size(embed) > EMBED_TOTAL and embed["fields"]:
        embed["fields"].pop()
    return embed


def _embed_size(embed: dict) -> int:
    return len(embed["title"]) + len(embed["description"]) + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
