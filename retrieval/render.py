"""Answer -> console text or JSON, and the one cleaning rule for anything a document or a user wrote
(terminal escapes, controls, bidi). Discord's embeds are laid out next to the cogs (cogs/embeds.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from .models import NOT_SURE, Answer, Hit, Snippet

NOT_FOUND = "The corpus does not answer this."
NOT_SURE_NOTE = "Not sure: the best passage below may not answer this."

# What a document's title, source or text, or a user's question, could smuggle into a terminal or a chat:
# escape sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-character escapes) and their 8-bit C1 forms; every
# other C0/C1 control and DEL (newline and tab stay); and the bidirectional embeddings, overrides, isolates
# and marks (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C) that make text read unlike what it is.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: parameters, intermediates, final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS...: up to BEL/ST
    r"|\x1b[ -/]*[0-~]?"  # any other escape: intermediates, final byte
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """`text` without terminal escape sequences, control characters (but newline and tab) and bidi
    controls: what the console prints and the bot sends of anything a document or a user wrote."""
    return _CONTROLS.sub("", _ESCAPE_SEQUENCE.sub("", text))


def json_text(data: object) -> str:
    """JSON for the console: json.dumps escapes C0 controls; C1 controls, DEL and bidi controls are
    escaped too (\\uXXXX), so the data stays whole and a terminal showing it reads no control."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def mark(snippet: Snippet, open_: str, close: str, escape: Callable[[str], str] = lambda s: s) -> str:
    out, pos = [], 0
    for start, end in snippet.spans:
        out.append(escape(snippet.text[pos:start]))
        out.append(open_ + escape(snippet.text[start:end]) + close)
        pos = end
    out.append(escape(snippet.text[pos:]))
    return "".join(out)


def to_json(answer: Answer) -> dict:
    """The console's `--json` shape, a stable interface for scripts; "read_as" only when the question was
    searched as read with a corrected spelling or a synonym."""
    data = {
        "question": answer.question,
        "found": answer.found,
        "confidence": answer.confidence,
        "answer": answer.answer,
        "citations": [
            {"n": c.n, "doc_id": c.hit.doc_id, "title": c.hit.title, "section": c.hit.heading,
             "source": c.hit.source,
             "passage_id": c.hit.passage_id, "snippet": c.snippet.text, "score": round(c.hit.score, 6),
             "highlights": [list(span) for span in c.snippet.spans]}
            for c in answer.citations
        ],
    }
    if answer.read_as:
        data["read_as"] = answer.read_as
    return data


def heading(answer: Answer) -> str:
    if answer.found:
        return answer.answer or ""
    if answer.confidence == NOT_SURE and answer.citations:
        return NOT_SURE_NOTE
    return NOT_FOUND + (" Closest matches:" if answer.citations else "")


def place(hit: Hit) -> str:
    """Where a passage sits: its document's title and, when it has one, its section path."""
    return f"{hit.title} \u203a {hit.heading}" if hit.heading else hit.title


@dataclass(frozen=True)
class Markup:
    """How the console's one answer layout is marked: plain for pipes and logs, rich's tags on a terminal."""

    found: tuple[str, str] = ("", "")
    not_found: tuple[str, str] = ("", "")
    sentence: tuple[str, str] = ("", "")
    note: tuple[str, str] = ("", "")
    label: tuple[str, str] = ("", "")
    place: tuple[str, str] = ("", "")
    meta: tuple[str, str] = ("", "")
    highlight: tuple[str, str] = ("*", "*")
    escape: Callable[[str], str] = lambda s: s


PLAIN = Markup()


def to_plain(answer: Answer, markup: Markup = PLAIN) -> str:
    """The console's answer: the short answer or why there is none, the sentence it came from, how the
    question was read, then each citation with its place, source, passage id and score."""
    e = markup.escape

    def wrap(style: tuple[str, str], text: str) -> str:
        return f"{style[0]}{e(text)}{style[1]}"

    lines = [wrap(markup.found if answer.found else markup.not_found, heading(answer))]
    if answer.found and answer.short_answer and answer.sentence:
        lines.append("  " + wrap(markup.sentence, f"\u201c{answer.sentence}\u201d"))
    if answer.read_as:
        lines.append("  " + wrap(markup.note, f"({read_as_note(answer)})"))
    for c in answer.citations:
        meta = f"\u2014 {c.hit.source}, passage {c.hit.passage_id} (score {c.hit.score:.2f})"
        lines += ["", f"{wrap(markup.label, f'[{c.n}]')} {wrap(markup.place, place(c.hit))} {wrap(markup.meta, meta)}",
                  "   " + mark(c.snippet, *markup.highlight, e)]
    return "\n".join(lines)


def read_as_note(answer: Answer) -> str:
    """Say how the question was read (typos corrected, a synonym): the reader can judge whether it fits."""
    return f"{'answered' if answer.found else 'searched'} as: \u201c{answer.read_as}\u201d"
