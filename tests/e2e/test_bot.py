"""The real bot (bot.py + cogs/, unmodified discord.py) end to end against the loopback Discord stand-in.

Each test starts the stand-in, runs `CorpusBot` on a fresh SQLite database seeded from the bundled
corpus, sends interactions and messages, and asserts on what the bot POSTed back.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import AsyncIterator

import discord
import pytest
import pytest_asyncio

import bot as bot_module
from bot import BotSettings, CorpusBot
from discord_standin import (
    CHANNEL_ID,
    GUILD_ID,
    OTHER_USER_ID,
    USER_ID,
    DiscordStandin,
    make_guild,
    make_member,
    make_role,
    make_user,
)
from retrieval.config import BUNDLED_CORPUS, Settings
from retrieval.render import NOT_FOUND

from conftest import DATA, load_jsonl

GUILD_B = GUILD_ID + 50
CHANNEL_B = GUILD_B + 1
ROLE_ID = GUILD_ID + 7
MANAGE_GUILD = str(1 << 5)
EPHEMERAL = 1 << 6
SEED_QA = load_jsonl(DATA / "seed_qa.jsonl")
ETNA = (b"Mount Etna\n\nMount Etna is an active volcano on the east coast of Sicily. It erupted in 2021 and "
        b"again in 2023. Its height is about 3,357 metres.")


def guilds() -> list[dict]:
    librarian = make_role(ROLE_ID, "Librarian", "0", 1)
    everyone = make_role(GUILD_ID, "@everyone", "0")
    members = [make_member(make_user(USER_ID, "alice")), make_member(make_user(OTHER_USER_ID, "bob"), roles=[ROLE_ID])]
    return [make_guild(GUILD_ID, "Server A", roles=[everyone, librarian], members=members),
            make_guild(GUILD_B, "Server B")]


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, folder)
    return folder


@pytest.fixture
def make_bot(tmp_path: Path, corpus_dir: Path):
    def make(token: str, **config: object) -> CorpusBot:
        settings = BotSettings(token=token, moderator_role="Librarian", health_file=tmp_path / "health",
                               **{"cooldown_questions": 1000, **config})
        retrieval = Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=corpus_dir)
        return CorpusBot(settings, retrieval, guild_ready_timeout=0.1)

    return make


def assert_every_message_was_sendable(standin: DiscordStandin) -> None:
    """What real Discord would enforce and the stand-in does not: sizes; and what we promise: no pings."""
    for r in standin.requests:
        creates = r.method in ("POST", "PATCH") and (r.path.startswith(("/webhooks/", "/channels/"))
                                                     or (r.path.endswith("/callback") and r.json["type"] in (4, 7)))
        if not creates or not isinstance(r.json, dict) or r.path.endswith(("/typing", "/threads")):
            if r.path.endswith("/threads"):  # starting a thread sends no message; its name is within 100
                assert len(r.json.get("name", "")) <= 100, r
            continue
        message = r.message
        assert message.get("allowed_mentions", {}).get("parse") == [], r
        assert len(message.get("content") or "") <= 2000, r
        for e in message.get("embeds") or []:
            size = len(e.get("title", "")) + len(e.get("description", "")) + len(e.get("footer", {}).get("text", ""))
            assert len(e.get("title", "")) <= 256 and len(e.get("description", "")) <= 4096, r
            assert len(e.get("fields", [])) <= 25, r
            for f in e.get("fields", []):
                assert len(f["name"]) <= 256 and len(f["value"]) <= 1024, r
                size += len(f["name"]) + len(f["value"])
            assert size <= 6000, r


@pytest_asyncio.fixture
async def env(leak_check: None, make_bot) -> AsyncIterator[tuple[DiscordStandin, CorpusBot]]:
    async with DiscordStandin(guilds=guilds()) as standin:
        bot = make_bot(standin.token)
        async with standin.running(bot):
            yield standin, bot
    assert not standin.internal_errors, standin.internal_errors
    assert_every_message_was_sendable(standin)


def text_of(message: dict) -> str:
    """Everything a user would read in a message: content plus embed title, description and fields."""
    parts = [message.get("content") or ""]
    for e in message.get("embeds") or []:
        parts += [e.get("title", ""), e.get("description", "")]
        parts += [f["name"] + "\n" + f["value"] for f in e.get("fields", [])]
    return "\n".join(parts)


def assert_no_pings(message: dict) -> None:
    assert message["allowed_mentions"]["parse"] == []
    assert not message["allowed_mentions"].get("users") and not message["allowed_mentions"].get("roles")


async def ask(standin: DiscordStandin, question: str, **kw) -> dict:
    req = await standin.interact(standin.make_slash_interaction("ask", {"question": question}, **kw))
    return req.json


# -- startup ----------------------------------------------------------------------------------------
async def test_startup_syncs_commands_and_asks_only_needed_intents(env) -> None:
    standin, bot = env
    commands = {c["name"]: c for c in standin.synced_commands[None]}
    assert {"ask", "search", "corpus", "Ask the corpus"} <= commands.keys()
    assert commands["Ask the corpus"]["type"] == 3
    subs = {o["name"] for o in commands["corpus"]["options"]}
    assert subs == {"list", "stats", "sources", "add", "remove", "refresh", "feedback", "gaps"}
    intents = discord.Intents._from_value(standin.identify_payloads[0]["intents"])
    assert intents.guilds and intents.guild_messages and intents.dm_messages
    assert not (intents.message_content or intents.members or intents.presences)


async def test_dev_guild_sync(leak_check: None, make_bot) -> None:
    async with DiscordStandin(guilds=guilds()) as standin:
        async with standin.running(make_bot(standin.token, dev_guild_id=GUILD_ID)):
            assert {c["name"] for c in standin.synced_commands[GUILD_ID]} >= {"ask", "corpus"}


# -- asking -----------------------------------------------------------------------------------------
async def test_ask_answers_every_seed_question(env) -> None:
    standin, _ = env
    for case in SEED_QA:
        reply = await ask(standin, case["q"])
        assert reply["type"] == 4, case
        message = reply["data"]
        assert_no_pings(message)
        embed = message["embeds"][0]
        if case["answers"]:
            first = embed["description"] + "\n" + embed["fields"][0]["value"]
            assert any(a.lower() in first.lower() for a in case["answers"]), (case, embed)
            assert "#" in embed["fields"][0]["value"]  # the passage id is cited
        else:
            assert embed["description"].startswith(NOT_FOUND), (case, embed)
        buttons = [c["custom_id"] for row in message["components"] for c in row["components"]]
        assert buttons == ["qa:more", "qa:context", "qa:up", "qa:down", "qa:thread"]


async def test_ask_example_from_the_readme(env) -> None:
    standin, _ = env
    embed = (await ask(standin, "when did Cuba recognize South Korea?"))["data"]["embeds"][0]
    assert embed["description"].startswith("**1949**")
    assert "Although **Cuba** officially **recognized** **South** **Korea** in 1949" in embed["fields"][0]["value"]


async def test_with_ask_workers_the_answers_come_from_other_processes(leak_check: None, tmp_path: Path,
                                                                        corpus_dir: Path) -> None:
    """RETRIEVAL_ASK_WORKERS=2: the bot's questions are answered by spawned worker processes, the same
    answers, and a document a moderator adds is in the next answer."""
    async with DiscordStandin(guilds=guilds()) as standin:
        settings = BotSettings(token=standin.token, moderator_role="Librarian", health_file=tmp_path / "health",
                               cooldown_questions=1000)
        retrieval = Settings(db_path=tmp_path / "db" / "corpus.db", corpus_dir=corpus_dir, ask_workers=2)
        bot = CorpusBot(settings, retrieval, guild_ready_timeout=0.1)
        async with standin.running(bot):
            assert bot.corpus.pool is not None
            await asyncio.to_thread(bot.corpus.ask, "warm up")  # the workers have opened their corpus
            embed = (await ask(standin, "when did Cuba recognize South Korea?"))["data"]["embeds"][0]
            assert embed["description"].startswith("**1949**")
            here = await asyncio.to_thread(bot.corpus.answer, "when did Cuba recognize South Korea?",
                                           str(GUILD_ID))
            assert here.short_answer == "1949" and here.citations[0].hit.passage_id in embed["fields"][0]["value"]
            await asyncio.to_thread(bot.corpus.add_bytes, ETNA, "etna.txt", str(GUILD_ID))
            embed = (await ask(standin, "How high is Mount Etna?"))["data"]["embeds"][0]
            assert "3,357" in embed["description"] + embed["fields"][0]["value"]
    assert not standin.internal_errors, standin.internal_errors


async def test_slow_work_is_deferred_then_followed_up(env, monkeypatch) -> None:
    import cogs.common

    standin, _ = env
    monkeypatch.setattr(cogs.common, "DEFER_BY_SECONDS", 0.0)  # as if the corpus were huge
    itx = standin.make_slash_interaction("ask", {"question": "when did Cuba recognize South Korea?"})
    mark = standin.mark()
    first = await standin.interact(itx)
    assert first.json["type"] == 5 and not first.json.get("data", {}).get("flags")  # public "thinking…"
    follow = await standin.wait_for_webhook(itx, "POST", after=mark)
    assert follow.json["embeds"][0]["description"].startswith("**1949**")
    assert_no_pings(follow.json)


async def test_search_lists_scored_passages(env) -> None:
    standin, _ = env
    message = (await standin.interact(standin.make_slash_interaction("search", {"query": "Cuba embassy"}))).json["data"]
    fields = message["embeds"][0]["fields"]
    assert 1 <= len(fields) <= 5 and all("score" in f["value"] for f in fields)
    scores = [float(f["value"].rsplit("score ", 1)[1]) for f in fields]
    assert scores == sorted(scores, reverse=True)


async def test_mention_and_dm_are_answered_as_replies(env) -> None:
    standin, _ = env
    mark = standin.mark()
    msg = standin.make_message(f"{standin.bot_mention} when did Cuba recognize South Korea?")
    await standin.dispatch("MESSAGE_CREATE", msg)
    reply = (await standin.wait_for_channel_message(CHANNEL_ID, after=mark)).json
    assert str(reply["message_reference"]["message_id"]) == msg["id"]
    assert reply["embeds"][0]["description"].startswith("**1949**")
    assert_no_pings(reply)

    mark = standin.mark()
    dm = standin.make_dm_message("who is the president of Cuba?")
    await standin.dispatch("MESSAGE_CREATE", dm)
    reply = (await standin.wait_for_channel_message(standin.dm_channel_id(USER_ID), after=mark)).json
    assert "Díaz-Canel" in text_of(reply)


async def test_messages_without_a_direct_mention_are_ignored(env) -> None:
    standin, _ = env
    mark = standin.mark()
    await standin.dispatch("MESSAGE_CREATE", standin.make_message("@everyone when did Cuba recognize South Korea?"))
    answer = standin.last_bot_message(CHANNEL_ID) or standin.make_message("earlier", author_id=OTHER_USER_ID)
    reply_ping = standin.make_message("thanks, that helps", reference=answer, mentions=[standin.bot_id])
    await standin.dispatch("MESSAGE_CREATE", reply_ping)  # a reply that pings the bot is not a question
    await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} ping"))
    await standin.wait_for_channel_message(CHANNEL_ID, after=mark)  # the second one only
    assert len(standin.find_requests("POST", rf"/channels/{CHANNEL_ID}/messages", after=mark)) == 1


async def test_everyone_in_a_question_never_pings(env) -> None:
    standin, _ = env
    question = "@everyone <@&123> when did Cuba recognize South Korea? @here"
    message = (await ask(standin, question))["data"]
    assert_no_pings(message)
    shown = text_of(message)
    assert "@everyone" not in shown and "@here" not in shown and "<@&123>" not in shown
    mark = standin.mark()
    await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} {question}"))
    reply = (await standin.wait_for_channel_message(CHANNEL_ID, after=mark)).json
    assert_no_pings(reply)
    assert "@everyone" not in text_of(reply)


async def test_context_menu_asks_with_the_message_text(env) -> None:
    standin, _ = env
    target = standin.make_message("when did Cuba recognize South Korea?", author_id=OTHER_USER_ID)
    reply = await standin.interact(standin.make_message_context_interaction("Ask the corpus", target))
    assert reply.json["data"]["embeds"][0]["description"].startswith("**1949**")


async def test_bad_questions_get_one_ephemeral_line(env) -> None:
    standin, bot = env
    for question in ("   ", "x" * 5000, "the of and", "\x00\x07"):
        reply = (await ask(standin, question))["data"]
        assert reply["flags"] & EPHEMERAL, question
        assert "\n" not in reply["content"] and "Traceback" not in reply["content"], reply
        assert not reply.get("embeds")


async def test_cooldown_refuses_with_the_wait(leak_check: None, make_bot) -> None:
    async with DiscordStandin(guilds=guilds()) as standin:
        async with standin.running(make_bot(standin.token, cooldown_questions=2, cooldown_seconds=60)):
            for _ in range(2):
                assert (await ask(standin, "when did Cuba recognize South Korea?"))["type"] == 4
            refused = (await ask(standin, "when did Cuba recognize South Korea?"))["data"]
            assert refused["flags"] & EPHEMERAL and "again in" in refused["content"]
            other = await ask(standin, "when did Cuba recognize South Korea?", user_id=OTHER_USER_ID)
            assert "embeds" in other["data"]  # cooldowns are per user
            mark = standin.mark()  # and shared by every way of asking
            await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} who is Díaz-Canel?"))
            reply = (await standin.wait_for_channel_message(CHANNEL_ID, after=mark)).json
            assert "again in" in reply["content"] and not reply.get("embeds")


# -- buttons ----------------------------------------------------------------------------------------
async def test_buttons_more_sources_context_and_feedback(env) -> None:
    standin, bot = env
    await ask(standin, "when did Cuba recognize South Korea?")
    answer = standin.last_bot_message(CHANNEL_ID)
    cited = [f["value"].rsplit("`", 2)[1] for f in answer["embeds"][0]["fields"]]

    more = (await standin.interact(standin.make_component_interaction("qa:more", answer))).json["data"]
    assert more["flags"] & EPHEMERAL
    listed = [f["value"].split("`")[-2] for f in more["embeds"][0]["fields"]]
    assert listed and not set(listed) & set(cited)

    ctx = (await standin.interact(standin.make_component_interaction("qa:context", answer))).json["data"]
    assert ctx["flags"] & EPHEMERAL
    assert cited[0] in ctx["embeds"][0]["title"]
    shown = ctx["embeds"][0]["description"]
    assert "Although Cuba officially recognized South Korea in 1949" in shown.split("**")[1]  # the passage, in bold
    assert shown.startswith("…")  # with the text before it

    down = await standin.interact(standin.make_component_interaction("qa:down", answer, user_id=OTHER_USER_ID))
    assert down.json["data"]["flags"] & EPHEMERAL
    again = await standin.interact(standin.make_component_interaction("qa:down", answer, user_id=OTHER_USER_ID))
    assert "already voted" in again.json["data"]["content"]  # one vote per user and answer, kept in the database
    rows = bot.corpus.store.feedback(str(GUILD_ID))
    assert len(rows) == 1 and rows[0]["vote"] == -1 and rows[0]["user_id"] == str(OTHER_USER_ID)
    assert rows[0]["question"] == "when did Cuba recognize South Korea?" and rows[0]["answer"] == "1949"
    assert rows[0]["passage_ids"].split()[0] == cited[0]
    assert bot.corpus.store.feedback(str(GUILD_B)) == []  # feedback is per server

    listed = await standin.interact(standin.make_slash_interaction(
        "corpus", subcommand="feedback", permissions=MANAGE_GUILD))
    assert "when did Cuba recognize South Korea?" in text_of(listed.json["data"])


# -- moderators ---------------------------------------------------------------------------------------
async def add_document(standin: DiscordStandin, name: str, data: bytes, **kw) -> str:
    """/corpus add; returns the text of the final reply (deferred and edited, or refused at once)."""
    itx = standin.make_slash_interaction("corpus", subcommand="add",
                                         attachments={"file": standin.add_attachment(name, data, "text/plain")}, **kw)
    mark = standin.mark()
    first = await standin.interact(itx)
    if first.json["type"] == 4:
        return first.json["data"]["content"]
    assert first.json["type"] == 5 and first.json["data"]["flags"] & EPHEMERAL  # deferred, privately
    for _ in range(100):
        edits = [r for r in standin.find_requests("PATCH", after=mark) if r.is_webhook_for(itx)]
        if edits and not edits[-1].json["content"].endswith(("…", "meanwhile)")):  # not a progress edit
            return edits[-1].json["content"]
        await standin.wait_for_webhook(itx, "PATCH", after=edits[-1].index + 1 if edits else mark)
    raise AssertionError("no final edit")


async def test_moderator_adds_and_removes_a_document_seen_only_in_that_server(env) -> None:
    standin, bot = env
    done = await add_document(standin, "etna.txt", ETNA, permissions=MANAGE_GUILD)
    assert "Added **Mount Etna**" in done, done

    reply = (await ask(standin, "how high is Mount Etna?"))["data"]["embeds"][0]
    assert "3,357" in text_of({"embeds": [reply]}) and "Mount Etna" in reply["fields"][0]["name"]
    in_b = (await ask(standin, "when did Mount Etna erupt?", guild_id=GUILD_B))["data"]["embeds"][0]
    assert in_b["description"].startswith(NOT_FOUND)
    assert all("etna" not in (f["name"] + f["value"]).lower() for f in in_b["fields"])

    choices = await standin.interact(standin.make_autocomplete_interaction(
        "corpus", {"document": "etn"}, "document", subcommand="remove", permissions=MANAGE_GUILD))
    assert [c["name"] for c in choices.json["data"]["choices"]] == ["Mount Etna"]
    doc_id = choices.json["data"]["choices"][0]["value"]
    b_choices = await standin.interact(standin.make_autocomplete_interaction(
        "corpus", {"document": ""}, "document", subcommand="remove", guild_id=GUILD_B, permissions=MANAGE_GUILD))
    assert b_choices.json["data"]["choices"] == []

    itx = standin.make_slash_interaction("corpus", {"document": doc_id}, subcommand="remove", permissions=MANAGE_GUILD)
    mark = standin.mark()
    await standin.interact(itx)
    edit = await standin.wait_for_webhook(itx, "PATCH", after=mark)
    assert "Removed **Mount Etna**" in edit.json["content"]
    gone = (await ask(standin, "when did Mount Etna erupt?"))["data"]["embeds"][0]
    assert gone["description"].startswith(NOT_FOUND)
    assert all("Etna" not in f["name"] + f["value"] for f in gone["fields"])
    assert bot.corpus.store.documents([str(GUILD_ID)]) == []


def pdf_bytes(tmp_path: Path, lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "doc.pdf"), pagesize=A4)
    for i, line in enumerate(lines):
        pdf.drawString(72, 800 - 16 * i, line)
    pdf.save()
    return (tmp_path / "doc.pdf").read_bytes()


async def test_documents_of_server_a_never_reach_server_b(env, tmp_path: Path) -> None:
    standin, _ = env
    uploads = {
        "etna.md": b"# Mount Etna\n\nMount **Etna** is an active volcano on the east coast of Sicily.",
        "okapi.html": b"<html><head><title>Okapi</title></head><body><h1>Okapi</h1><p>The okapi is a giraffid "
                      b"native to the Congo rainforest.</p><script>var x = 1;</script></body></html>",
        "lighthouses.pdf": pdf_bytes(tmp_path, ["Lighthouses of Norway", "The Lindesnes lighthouse was first lit in 1656."]),
    }
    for name, data in uploads.items():
        assert "Added" in await add_document(standin, name, data, permissions=MANAGE_GUILD), name
    a_docs = f"`{GUILD_ID}/"
    questions = ["where is Mount Etna?", "where is the okapi native to?", "when was the Lindesnes lighthouse first lit?"]
    for question, expected in zip(questions, ("Sicily", "Congo", "1656")):
        in_a = (await ask(standin, question))["data"]
        assert expected in in_a["embeds"][0]["description"] and a_docs in text_of(in_a), question
        in_b = (await ask(standin, question, guild_id=GUILD_B))["data"]
        assert a_docs not in text_of(in_b) and expected not in text_of(in_b), question
        found_b = await standin.interact(standin.make_slash_interaction("search", {"query": question},
                                                                         guild_id=GUILD_B))
        assert a_docs not in text_of(found_b.json["data"])
        answer_b = standin.last_bot_message(CHANNEL_B) or {}
        more_b = await standin.interact(standin.make_component_interaction("qa:more", answer_b, guild_id=GUILD_B))
        assert a_docs not in text_of(more_b.json["data"])
        mark = standin.mark()
        await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} {question}",
                                                                       channel_id=CHANNEL_B))
        mention_b = (await standin.wait_for_channel_message(CHANNEL_B, after=mark)).json
        assert a_docs not in text_of(mention_b) and expected not in text_of(mention_b)
    assert "script" not in text_of((await ask(standin, "okapi giraffid"))["data"]).lower()  # parsed, not raw


async def test_a_long_question_survives_in_buttons_and_feedback(env) -> None:
    standin, bot = env
    question = "when did Cuba recognize South Korea, " + "and what happened after that in the relations, " * 8
    await ask(standin, question)
    answer = standin.last_bot_message(CHANNEL_ID)
    assert len(answer["embeds"][0]["title"]) <= 256 < len(question)
    await standin.interact(standin.make_component_interaction("qa:up", answer))
    assert bot.corpus.store.feedback(str(GUILD_ID))[0]["question"] == question.strip()


async def test_server_b_cannot_remove_bundled_or_others_documents(env) -> None:
    standin, bot = env
    await add_document(standin, "etna.txt", ETNA, permissions=MANAGE_GUILD)
    before = bot.corpus.store.counts()
    for guild, key in ((GUILD_B, "Mount Etna"), (GUILD_ID, "South Korea and Cuba establish diplomatic relations")):
        itx = standin.make_slash_interaction("corpus", {"document": key}, subcommand="remove", guild_id=guild,
                                             permissions=MANAGE_GUILD)
        mark = standin.mark()
        await standin.interact(itx)
        edit = await standin.wait_for_webhook(itx, "PATCH", after=mark)
        assert "No document" in edit.json["content"] or "bundled corpus" in edit.json["content"], edit.json
    assert bot.corpus.store.counts() == before


async def test_non_moderator_is_refused_and_nothing_changes(env) -> None:
    standin, bot = env
    before = bot.corpus.store.counts()
    refused = await add_document(standin, "etna.txt", ETNA)  # alice: no Manage Server, no Librarian role
    assert refused.startswith("Only moderators")
    for sub, options in (("remove", {"document": "x"}), ("refresh", None), ("feedback", None)):
        reply = await standin.interact(standin.make_slash_interaction("corpus", options, subcommand=sub))
        assert reply.json["data"]["flags"] & EPHEMERAL and reply.json["data"]["content"].startswith("Only moderators")
    assert bot.corpus.store.counts() == before
    # bob has the configured moderator role
    assert "Added" in await add_document(standin, "etna.txt", ETNA, user_id=OTHER_USER_ID)


async def test_bad_uploads_are_refused_clearly_and_change_nothing(env) -> None:
    standin, bot = env
    before = bot.corpus.store.counts()
    cases = [("tool.exe", b"MZ\x90\x00binary", "unsupported file type"), ("empty.txt", b"", "empty"),
             ("blob.txt", bytes(range(256)) * 40, "etna"), ("huge.md", b"a " * (bot.corpus.settings.max_file_bytes // 2 + 1),
                                                            "too big")]
    for name, data, expected in cases:
        text = await add_document(standin, name, data, permissions=MANAGE_GUILD)
        assert "\n" not in text and "Traceback" not in text, text
        assert name in text and (expected in text or "binary" in text or "decode" in text), text
    assert bot.corpus.store.counts() == before


async def test_list_and_stats_for_everyone(env) -> None:
    standin, _ = env
    listed = (await standin.interact(standin.make_slash_interaction("corpus", subcommand="list"))).json["data"]
    assert listed["flags"] & EPHEMERAL and "South Korea" in text_of(listed)
    stats = (await standin.interact(standin.make_slash_interaction("corpus", subcommand="stats"))).json["data"]
    assert "**2** documents answer questions here: 2 bundled, 0 added" in text_of(stats)


async def test_refresh_runs_while_questions_are_answered(env, corpus_dir: Path) -> None:
    standin, bot = env
    sentence = "The {n}th archive note records shipments of sugar, nickel and tobacco from Havana. "
    for n in range(400):
        (corpus_dir / f"note_{n:03d}.txt").write_text(f"Archive note {n}\n\n" + sentence.format(n=n) * 60)
    itx = standin.make_slash_interaction("corpus", {"bundled": True}, subcommand="refresh", permissions=MANAGE_GUILD)
    mark = standin.mark()
    await standin.interact(itx)
    for _ in range(200):  # the refresh starts in a worker thread just after the deferral
        if bot.corpus.busy:
            break
        await asyncio.sleep(0.01)
    answered_while_busy = 0
    # a server's own upload during the refresh waits for it (queued, not refused) and lands after it
    upload = asyncio.ensure_future(add_document(standin, "etna.txt", ETNA, permissions=MANAGE_GUILD))
    second_refresh = None
    while bot.corpus.busy:
        reply = await ask(standin, "when did Cuba recognize South Korea?")
        answered_while_busy += bot.corpus.busy and reply["data"]["embeds"][0]["description"].startswith("**1949**")
        if second_refresh is None and bot.corpus.busy:  # a second change of the same corpus is refused at once
            again = standin.make_slash_interaction("corpus", {"bundled": True}, subcommand="refresh", permissions=MANAGE_GUILD)
            second_refresh = (await standin.interact(again)).json["data"].get("content", "")
        await asyncio.sleep(0.05)
    assert answered_while_busy >= 1
    assert second_refresh is None or "being changed right now; try again" in second_refresh
    assert "Added" in await upload
    edit = await standin.wait_for_request(lambda r: r.is_webhook_for(itx, "PATCH") and "done" in r.json["content"],
                                          timeout=60, after=mark)
    progress = [r.json["content"] for r in standin.find_requests("PATCH", after=mark) if r.is_webhook_for(itx)]
    assert "400 added" in edit.json["content"]
    assert all("Refreshing" in p for p in progress[:-1])  # progress edits, then what changed
    assert len(bot.corpus.documents(str(GUILD_ID))) >= 402


# -- process ----------------------------------------------------------------------------------------
def test_without_a_token_bot_py_exits_with_a_hint(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert bot_module.main([]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN" in err and "python -m retrieval ask" in err and len(err.strip().splitlines()) == 1


async def test_health_file_is_written_while_connected(env, tmp_path: Path) -> None:
    standin, bot = env
    await bot.heartbeat()  # one beat now, as the 30-second loop does
    assert bot_module.healthy(tmp_path / "health")
    assert not bot_module.healthy(tmp_path / "health", now=(tmp_path / "health").stat().st_mtime + 600)
    await bot.close()
    assert not bot_module.healthy(tmp_path / "health")


async def test_only_the_operator_changes_the_bundled_corpus(env) -> None:
    """A server's administrator manages its own uploads, not the corpus every server is answered from."""
    standin, bot = env
    itx = standin.make_slash_interaction("corpus", {"bundled": True}, subcommand="refresh", user_id=OTHER_USER_ID, permissions=MANAGE_GUILD)
    reply = (await standin.interact(itx)).json["data"]
    assert reply["flags"] & EPHEMERAL and reply["content"].startswith("Only the bot's operator"), reply
    bot.corpus.settings = bot.corpus.settings.with_(operator_guilds=frozenset({GUILD_ID}))  # listed by the operator
    itx = standin.make_slash_interaction("corpus", {"bundled": True}, subcommand="refresh", user_id=OTHER_USER_ID, permissions=MANAGE_GUILD)
    mark = standin.mark()
    assert (await standin.interact(itx)).json["type"] == 5  # deferred: the refresh runs
    edit = await standin.wait_for_request(lambda r: r.is_webhook_for(itx, "PATCH") and "done" in r.json["content"],
                                          timeout=60, after=mark)
    assert edit.json["content"].startswith("Refresh done")


async def test_a_server_at_its_quota_is_refused_and_nothing_changes(env) -> None:
    standin, bot = env
    bot.corpus.settings = bot.corpus.settings.with_(server_max_documents=1)
    assert "Added" in await add_document(standin, "etna.txt", ETNA, permissions=MANAGE_GUILD)
    before = bot.corpus.store.counts()
    refused = await add_document(standin, "vesuvius.txt", b"Vesuvius erupted in 79 AD.", permissions=MANAGE_GUILD)
    assert "the limit is 1" in refused and "\n" not in refused, refused
    assert bot.corpus.store.counts() == before
    # updating the document it already has is not a new one
    assert "Updated" in await add_document(standin, "etna.txt", ETNA + b" It is 3,357 m high.", permissions=MANAGE_GUILD)


async def test_questions_are_acknowledged_within_3_s_while_a_big_upload_is_read(env) -> None:
    """Discord's rule, measured from each interaction's creation: every question is answered or deferred
    within 3 s while a 4 MB upload is parsed (in its child process), written and indexed."""
    standin, bot = env
    big = "".join(f"Entry {n} says the relay{n % 997} carries load{n % 991} at noon. " for n in range(70_000))
    upload = asyncio.ensure_future(add_document(standin, "relays.txt", big.encode(), permissions=MANAGE_GUILD))
    sent: list[tuple[float, dict]] = []
    for n in range(40):
        question = f"when did Cuba recognize South Korea? ({n})"  # a new question each time: no cached answer
        itx = standin.make_slash_interaction("ask", {"question": question})
        sent.append((time.monotonic(), itx))
        await standin.dispatch("INTERACTION_CREATE", itx)
        await asyncio.sleep(0.05)
    late = []
    for created, itx in sent:
        callback = await standin.wait_for_callback(itx, timeout=30)
        if callback.at - created >= 3.0:
            late.append(round(callback.at - created, 2))
    assert "Added" in await upload
    assert not late, late


async def test_a_handler_that_starts_late_defers_at_once(env, monkeypatch) -> None:
    """The 3 s count from the interaction's creation: a handler that starts 1.9 s late (a busy loop) does
    not wait another 1.5 s for slow work before acknowledging."""
    standin, bot = env
    original = bot.corpus.ask

    def slow_ask(*args, **kwargs):  # as if the corpus were huge
        time.sleep(2.0)
        return original(*args, **kwargs)

    monkeypatch.setattr(bot.corpus, "ask", slow_ask)
    itx = standin.make_slash_interaction("ask", {"question": "when did Cuba recognize South Korea?"})
    created = time.monotonic()
    await asyncio.sleep(1.9)  # Discord created it; our handler gets it late
    await standin.dispatch("INTERACTION_CREATE", itx)
    callback = await standin.wait_for_callback(itx, timeout=10)
    assert callback.json["type"] == 5 and callback.at - created < 3.0  # deferred at once: within Discord's 3 s (3.4 s before)
    reply = await standin.wait_for_request(lambda r: r.is_webhook_for(itx) and r.method in ("POST", "PATCH"), timeout=10)
    assert "1949" in json.dumps(reply.json)


async def test_a_question_asked_again_is_answered_at_once_until_the_documents_change(env, monkeypatch) -> None:
    standin, bot = env
    first = await ask(standin, "when did Cuba recognize South Korea?")
    calls = []
    original = bot.corpus.ask
    monkeypatch.setattr(bot.corpus, "ask", lambda *a, **k: calls.append(1) or original(*a, **k))
    again = await ask(standin, "When did Cuba  recognize South Korea?")
    assert again["type"] == 4 and again["data"]["embeds"][0]["description"] == first["data"]["embeds"][0]["description"]
    assert calls == []  # from the cache: no thread, no search
    assert "Added" in await add_document(standin, "etna.txt", ETNA, permissions=MANAGE_GUILD)
    await ask(standin, "when did Cuba recognize South Korea?")
    assert calls == [1]  # the documents changed: asked again


async def test_buttons_act_on_what_was_recorded_not_on_the_embeds_text(env) -> None:
    """The buttons' state is kept by message id: a reply whose layout changed (here: stripped of its
    fields and retitled) still gets its own question's next sources, context and vote."""
    standin, bot = env
    await ask(standin, "when did Cuba recognize South Korea?")
    answer = standin.last_bot_message(CHANNEL_ID)
    cited = [f["value"].rsplit("`", 2)[1] for f in answer["embeds"][0]["fields"]]
    for _ in range(200):  # recorded just after the reply is sent
        if bot.corpus.store.reply(str(answer["id"])):
            break
        await asyncio.sleep(0.01)
    relaid = {**answer, "embeds": [{**answer["embeds"][0], "title": "Answer", "fields": [], "footer": None}]}
    more = (await standin.interact(standin.make_component_interaction("qa:more", relaid))).json["data"]
    listed = [f["value"].split("`")[-2] for f in more["embeds"][0]["fields"]]
    assert listed and not set(listed) & set(cited) and "when did Cuba" in more["embeds"][0]["title"]
    ctx = (await standin.interact(standin.make_component_interaction("qa:context", relaid))).json["data"]
    assert cited[0] in ctx["embeds"][0]["title"]
    await standin.interact(standin.make_component_interaction("qa:up", relaid))
    row = bot.corpus.store.feedback(str(GUILD_ID))[0]
    assert row["question"] == "when did Cuba recognize South Korea?" and row["passage_ids"].split() == cited


async def test_more_sources_pages_with_previous_and_next(env) -> None:
    """Long results are paged, not cut: Next shows the following passages, Previous the earlier ones."""
    standin, bot = env
    notes = "\n\n".join(f"Note {n}. The embassy of Cuba in Seoul reported on diplomatic relations with South Korea, "
                         f"trade missions, cultural exchanges and consular matters in week {n}. " * 3 for n in range(14))
    assert "Added" in await add_document(standin, "embassy.txt", notes.encode(), permissions=MANAGE_GUILD)
    await ask(standin, "Cuba South Korea diplomatic relations embassy")
    answer = standin.last_bot_message(CHANNEL_ID)
    for _ in range(200):  # recorded just after the reply is sent
        if bot.corpus.reply(str(answer["id"])):
            break
        await asyncio.sleep(0.01)
    first = await standin.interact(standin.make_component_interaction("qa:more", answer))
    page1 = first.json["data"]
    ids1 = [f["value"].split("`")[-2] for f in page1["embeds"][0]["fields"]]
    buttons = [c for row in page1["components"] for c in row["components"]]
    assert [b["label"] for b in buttons] == ["Previous", "Next"] and buttons[0].get("disabled")
    shown = first.response_json["resource"]["message"]
    second = await standin.interact(standin.make_component_interaction(buttons[1]["custom_id"], shown))
    assert second.json["type"] == 7  # the same message, edited
    page2 = second.json["data"]
    ids2 = [f["value"].split("`")[-2] for f in page2["embeds"][0]["fields"]]
    assert ids2 and not set(ids2) & set(ids1) and page2["embeds"][0]["fields"][0]["name"].startswith(f"[{len(ids1) + 4}]")
    back = [c for row in page2["components"] for c in row["components"]][0]
    again = await standin.interact(standin.make_component_interaction(back["custom_id"], shown))
    assert [f["value"].split("`")[-2] for f in again.json["data"]["embeds"][0]["fields"]] == ids1


async def test_show_context_walks_the_document_passage_by_passage(env) -> None:
    standin, _ = env
    await ask(standin, "when did Cuba recognize South Korea?")
    answer = standin.last_bot_message(CHANNEL_ID)
    cited = answer["embeds"][0]["fields"][0]["value"].rsplit("`", 2)[1]
    first = await standin.interact(standin.make_component_interaction("qa:context", answer))
    buttons = [c for row in first.json["data"]["components"] for c in row["components"]]
    assert [b["label"] for b in buttons] == ["Previous passage", "Next passage"]
    shown = first.response_json["resource"]["message"]
    doc, ordinal = cited.rsplit("#", 1)
    step = buttons[1] if not buttons[1].get("disabled") else buttons[0]
    moved = await standin.interact(standin.make_component_interaction(step["custom_id"], shown))
    assert moved.json["type"] == 7
    title = moved.json["data"]["embeds"][0]["title"]
    assert title.endswith(f"{doc}#{int(ordinal) + (1 if step is buttons[1] else -1)}")


async def test_show_context_pages_a_passage_longer_than_an_embed(env) -> None:
    standin, bot = env
    hashes = " ".join(f"sha256-{i:04d}{'ab' * 15}" for i in range(110))  # 110 forty-character words, one passage
    text = f"Release checksums\n\nThe release archives have these checksums: {hashes}.\n".encode()
    assert "Added" in await add_document(standin, "checksums.txt", text, permissions=MANAGE_GUILD)
    (long_passage,) = [h for h in bot.corpus.search("release archives checksums", 5, str(GUILD_ID))
                       if len(h.text) > 4000]
    await ask(standin, "which checksums do the release archives have?")
    answer = standin.last_bot_message(CHANNEL_ID)
    assert f"`{long_passage.passage_id}`" in answer["embeds"][0]["fields"][0]["value"]  # cited first
    click = standin.make_component_interaction("qa:context", answer)
    first = await standin.interact(click)
    if first.json["type"] == 5:  # deferred on a busy machine: the page is the deferral's edit
        first = await standin.wait_for_webhook(click, "PATCH")
        data, shown = first.json, first.response_json
    else:
        data, shown = first.json["data"], first.response_json["resource"]["message"]
    buttons = [c for row in data["components"] for c in row["components"]]
    assert [b["label"] for b in buttons][:2] == ["Previous page", "Next page"] and buttons[0].get("disabled")
    assert "page 1 of 2" in data["embeds"][0]["title"] and "sha256-0000" in data["embeds"][0]["description"]
    second = await standin.interact(standin.make_component_interaction(buttons[1]["custom_id"], shown))
    page2 = second.json["data"]["embeds"][0]
    assert "page 2 of 2" in page2["title"] and "sha256-0109" in page2["description"]
    assert "sha256-0000" not in page2["description"] and len(page2["description"]) <= 4096
