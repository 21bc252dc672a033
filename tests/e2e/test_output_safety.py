"""What documents and users wrote, shown safely: no terminal escape sequence, control or bidi control reaches
the console (titles, sources, snippets, answers, document lists, errors); in Discord, titles and sources are
escaped (a masked link is no link), bidi controls are gone, and every message and embed is within limits.
"""

from __future__ import annotations

from paths import ROOT as PROJECT_ROOT

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from retrieval import render
from retrieval.models import Answer, Citation, Document, Hit, Snippet
from retrieval.store import Store

from discord_standin import CHANNEL_ID, DiscordStandin
from test_bot import GUILD_ID, MANAGE_GUILD, ask, corpus_dir, env, guilds, make_bot, text_of  # noqa: F401
from cogs import embeds

ROOT = PROJECT_ROOT
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A hyperlink (OSC 8) that hides its target, a window title (OSC 0), clear screen, colour, 8-bit CSI, a
# right-to-left override, bell, backspace, carriage return, DEL.
HOSTILE = ("\x1b]8;;http://evil.example\x07click me\x1b]8;;\x07 \x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m "
           "\x9b31mC1\x9b0m \u202eexe.txt\u202c \u2066iso\u2069 \u200fmark \x07\x08\r\x7f")
MASKED_LINK = "[click](http://evil.example)"
QUESTION = "how big is the Jostedal glacier?"
GLACIER = ("Glaciers of Norway\n\nThe Jostedal glacier covers 474 square kilometres; it is the largest in mainland "
           "Europe.\n")


def unsafe(text: str) -> list[str]:
    """Control characters (but newline and tab) and bidi controls in `text`."""
    return [c for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in BIDI]


def unescaped_link(text: str) -> bool:
    return re.search(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\(", text) is not None


# -- the one sanitising function ---------------------------------------------------------------------
def test_clean_text_removes_sequences_controls_and_bidi_and_keeps_the_words() -> None:
    cleaned = render.clean_text("Title " + HOSTILE + "\n\tnext line")
    assert unsafe(cleaned) == []
    assert "pwned" not in cleaned and "evil.example" not in cleaned and "[2J" not in cleaned and "31m" not in cleaned
    for word in ("Title", "click me", "red", "C1", "exe.txt", "iso", "mark", "\n\tnext line"):
        assert word in cleaned, word


def test_json_keeps_the_data_but_escapes_every_control() -> None:
    data = {"title": HOSTILE, "n": 1}
    text = render.json_text(data)
    assert unsafe(text) == [] and json.loads(text) == data


# -- the console, as a user runs it ------------------------------------------------------------------
def run(args: list[str], db: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "RETRIEVAL_DB": str(db), **env}
    full_env.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "retrieval", *args], cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """A corpus with a document whose title, source and text carry escape sequences and bidi controls."""
    folder = tmp_path_factory.mktemp("hostile")
    docs = folder / "docs"
    docs.mkdir()
    (docs / "glacier.txt").write_text(GLACIER.replace("largest", "largest \u202e\u2067"), encoding="utf-8")
    (docs / "metadata.json").write_text(json.dumps({"glacier.txt": {"title": "Glacier " + HOSTILE,
                                                                    "source": "src " + HOSTILE}}), encoding="utf-8")
    db = folder / "corpus.db"
    result = run(["ingest", str(docs)], db)
    assert result.returncode == 0, result.stderr
    store = Store(db)  # a Discord user's vote, with their question and the answer it got, for `feedback`
    store.add_feedback("1", "2", "question " + HOSTILE, "answer " + HOSTILE, ["glacier#0"], -1)
    store.close()
    return db


def without_rich_styles(text: str) -> str:
    """The terminal output minus rich's own colour sequences (SGR), which are ours, not the document's."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("args", [["ask", QUESTION], ["list"], ["show", "glacier#0"], ["remove", "Nothing " + HOSTILE],
                                  ["feedback"]])
@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_the_console_prints_no_control_from_documents_or_users(hostile_db, args, terminal) -> None:
    result = run(args, hostile_db, **({"FORCE_COLOR": "1"} if terminal else {}))
    assert "Traceback" not in result.stderr
    shown = without_rich_styles(result.stdout + result.stderr)
    assert unsafe(shown) == [], (args, shown)
    if args[0] in ("ask", "list", "show", "feedback"):
        assert "pwned" not in shown and "evil.example" not in shown  # the sequences' contents are gone too
        assert result.returncode == 0 and "click me" in shown, result.stderr
    if args[0] == "remove":
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_the_console_json_is_whole_and_terminal_safe(hostile_db) -> None:
    for args in (["ask", "--json", QUESTION], ["list", "--json"]):
        result = run(args, hostile_db)
        assert result.returncode == 0 and unsafe(result.stdout) == [], result.stdout
        data = json.loads(result.stdout)
        titles = [c["title"] for c in data["citations"]] if args[0] == "ask" else [d["title"] for d in data]
        assert "Glacier " + HOSTILE in titles  # escaped for the terminal, not altered for scripts


# -- Discord embeds ----------------------------------------------------------------------------------
LONG_TITLE = MASKED_LINK + " \u202egnp.exe\u202c " + "Glacier " * 400  # 3,000+ characters
LONG_SOURCE = MASKED_LINK + " \u2067" + "source " * 400


def hostile_hit(n: int = 0, text: str = "The Jostedal glacier covers 474 square kilometres.") -> Hit:
    return Hit(passage_id=f"glacier#{n}", doc_id="glacier", score=3.5, text=text, title=LONG_TITLE,
               source=LONG_SOURCE, ordinal=n, matched_terms=("glacier",), heading="Size \u202e" + MASKED_LINK)


def assert_safe_embed(embed: dict, title_is_the_question: bool = False) -> None:
    """No control, no masked link, within limits. An answer's title is the asker's own question, kept as
    typed (the buttons re-run it; Discord shows no links in titles): only cleaned of controls."""
    parts = [embed["description"], embed.get("footer", {}).get("text", "")]
    parts += [f["name"] + "\n" + f["value"] for f in embed["fields"]]
    for part in parts + ([] if title_is_the_question else [embed["title"]]):
        assert unsafe(part) == [] and not unescaped_link(part), part
    assert unsafe(embed["title"]) == []
    assert len(embed["title"]) <= embeds.EMBED_TITLE and len(embed["description"]) <= embeds.EMBED_DESCRIPTION
    assert all(len(f["name"]) <= embeds.EMBED_FIELD_NAME and len(f["value"]) <= embeds.EMBED_FIELD_VALUE
               for f in embed["fields"])
    assert embeds._embed_size(embed) <= embeds.EMBED_TOTAL


def test_embeds_escape_titles_and_sources_drop_bidi_and_keep_limits() -> None:
    hits = [hostile_hit(i, "word " * 400) for i in range(3)]
    answer = Answer(question="how big is it? \u202e" + MASKED_LINK, found=True, short_answer="474 km²",
                    sentence="It covers 474 square kilometres " + MASKED_LINK,
                    citations=tuple(Citation(i + 1, h, Snippet(h.text, ((0, 4),))) for i, h in enumerate(hits)),
                    confidence="answered")
    embed = embeds.to_embed(answer)
    assert_safe_embed(embed, title_is_the_question=True)
    assert embeds.passage_ids_of(embed) == ["glacier#0", "glacier#1", "glacier#2"]  # the buttons still work
    assert "\\[click\\](http://evil.example)" in embed["fields"][0]["name"]

    assert_safe_embed(embeds.hits_embed("Search: glacier", hits * 10))
    context = embeds.context_embed("The Jostedal glacier covers 474 square kilometres.", "before " * 500,
                                   "after " * 500, LONG_TITLE, LONG_SOURCE, "glacier#0")[0]
    assert_safe_embed(context)
    assert context["title"].endswith("glacier#0")  # a long title is shortened, the passage id kept
    docs = [Document(id=f"glacier-{i}", title=LONG_TITLE, source=LONG_SOURCE, content_hash="", added_at="",
                     updated_at="", scope="1") for i in range(5)]
    listed = embeds.documents_embed("5 documents", docs, "1")
    assert_safe_embed(listed)
    assert all(f"glacier-{i}" in listed["description"] for i in range(5))  # every document shown, shortened
    feedback = embeds.feedback_embed([{"vote": -1, "question": MASKED_LINK + "\u202e" + "q" * 3000,
                                       "answer": MASKED_LINK, "created_at": "now", "passage_ids": "glacier#0"}])
    assert_safe_embed(feedback)


def test_messages_and_titles_in_them_fit_discord() -> None:
    title = embeds.short_title(LONG_TITLE)
    assert len(title) <= 2 * embeds.SHOWN_TITLE and title.endswith("\u2026")
    assert unsafe(title) == [] and not unescaped_link(title)
    reply = f"Added **{title}** (`glacier`): 1 passages, searchable now."
    assert len(reply) <= embeds.MESSAGE_CONTENT
    text = embeds.message_text("x" * 5000 + "\u202e @everyone")
    assert len(text) <= embeds.MESSAGE_CONTENT and unsafe(text) == []
    assert "@everyone" not in embeds.message_text("\u202e @everyone")


# -- through the bot ---------------------------------------------------------------------------------
async def test_the_bot_shows_a_hostile_document_safely(env) -> None:
    standin, bot = env
    bot.corpus.add_bytes(GLACIER.encode(), "glacier.txt", scope=str(GUILD_ID), title=LONG_TITLE, source=LONG_SOURCE)
    answer = (await ask(standin, QUESTION))["data"]
    search = (await standin.interact(standin.make_slash_interaction("search", {"query": "Jostedal glacier"}))).json
    message = standin.last_bot_message(CHANNEL_ID)
    context = (await standin.interact(standin.make_component_interaction("qa:context", message))).json
    listed = (await standin.interact(standin.make_slash_interaction("corpus", subcommand="list"))).json
    for data in (answer, search["data"], context["data"], listed["data"]):
        shown = text_of(data)
        assert "Glacier" in shown and unsafe(shown) == [] and not unescaped_link(shown), shown
    # sizes: checked on every message by the env fixture (assert_every_message_was_sendable)


async def test_a_refused_mention_is_one_clean_line(env) -> None:
    """A question by mention that cannot be searched: the reply is the refusal, cleaned and within limits."""
    standin, _ = env
    for question in ("\u202e the of and \u2066\x07", "x" * 5000):
        mark = standin.mark()
        await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} {question}"))
        reply = (await standin.wait_for_channel_message(CHANNEL_ID, after=mark)).json
        content = reply["content"]
        assert content and "\n" not in content and unsafe(content) == [] and len(content) <= embeds.MESSAGE_CONTENT
        assert not reply.get("embeds")


async def test_the_added_reply_shortens_a_long_title(leak_check, make_bot) -> None:
    """A 3,000-character title made the "Added" reply 3,067 characters, which Discord rejects after the change
    was made. (Not on the `env` fixture: its size check would fail at teardown, outside the xfail.)"""
    async with DiscordStandin(guilds=guilds()) as standin:
        async with standin.running(make_bot(standin.token)):
            file = standin.add_attachment("glacier.txt", GLACIER.encode(), "text/plain")
            itx = standin.make_slash_interaction("corpus", {"title": LONG_TITLE}, subcommand="add",
                                                 permissions=MANAGE_GUILD, attachments={"file": file})
            mark = standin.mark()
            await standin.interact(itx)
            edits: list = []
            for _ in range(100):
                edits = [r for r in standin.find_requests("PATCH", after=mark) if r.is_webhook_for(itx)]
                if edits and not edits[-1].json["content"].endswith("\u2026"):
                    break
                await standin.wait_for_webhook(itx, "PATCH", after=edits[-1].index + 1 if edits else mark)
    final = edits[-1].json["content"]
    assert final.startswith("Added") and len(final) <= embeds.MESSAGE_CONTENT, len(final)
    assert unsafe(final) == [] and not unescaped_link(final)


def test_user_and_role_mentions_are_defused_but_channel_links_stay_links() -> None:
    from cogs.embeds import message_text

    text = message_text("see <#123456789012345678>, ask <@123456789012345678> or <@&223456789012345678> @everyone")
    assert "<#123456789012345678>" in text  # a link to a channel pings nobody
    assert "<@1" not in text and "<@&2" not in text and "@everyone" not in text
