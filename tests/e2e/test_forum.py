"""Forum auto-answer (issue 12, item 2), end to end: a member opens a post in a forum the server chose; the
bot (with the operator's Message Content intent) answers in the post only when it is confident."""

from __future__ import annotations

import asyncio
import json
from typing import AsyncIterator

import pytest_asyncio

from discord_standin import CHANNEL_ID, GUILD_ID, DiscordStandin, make_forum_channel, make_text_channel
from test_bot import MANAGE_GUILD, corpus_dir, guilds, make_bot, text_of  # noqa: F401
from test_server_config import config_set

FORUM_ID = GUILD_ID + 20
OTHER_FORUM_ID = GUILD_ID + 21
HERE = str(GUILD_ID)


def forum_guilds() -> list[dict]:
    servers = guilds()
    servers[0]["channels"] = [make_text_channel(CHANNEL_ID, GUILD_ID, "general", 0),
                              make_forum_channel(FORUM_ID, GUILD_ID, "help"),
                              make_forum_channel(OTHER_FORUM_ID, GUILD_ID, "ideas", 3)]
    return servers


async def _running(make_bot, message_content: bool) -> AsyncIterator[tuple[DiscordStandin, object]]:
    async with DiscordStandin(guilds=forum_guilds()) as standin:
        bot = make_bot(standin.token, message_content=message_content)
        async with standin.running(bot):
            yield standin, bot
    assert not standin.internal_errors, standin.internal_errors


@pytest_asyncio.fixture
async def forum_env(leak_check: None, make_bot) -> AsyncIterator[tuple[DiscordStandin, object]]:
    async for pair in _running(make_bot, True):
        yield pair


@pytest_asyncio.fixture
async def plain_env(leak_check: None, make_bot) -> AsyncIterator[tuple[DiscordStandin, object]]:
    async for pair in _running(make_bot, False):
        yield pair


async def _gap_recorded(bot, question_words: str) -> None:
    for _ in range(300):
        if any(question_words in g.question for g in bot.corpus.gaps(HERE)):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no gap recorded for {question_words!r}")


async def _message_in(standin, channel_id: int, after: int, wait: float = 3.0) -> dict | None:
    for _ in range(int(wait / 0.01)):
        found = standin.find_requests("POST", f"/channels/{channel_id}/messages", after=after)
        if found:
            return found[-1].json
        await asyncio.sleep(0.01)
    return None


async def test_a_post_in_a_chosen_forum_is_answered_in_the_post(forum_env) -> None:
    standin, bot = forum_env
    assert "is now <#" in await config_set(standin, "forum_channels", f"<#{FORUM_ID}>", permissions=MANAGE_GUILD)
    mark = standin.mark()
    post = await standin.open_forum_post(FORUM_ID, "When did Cuba recognize South Korea?",
                                         "I read about the diplomatic relations and wondered about the year.")
    reply = await _message_in(standin, int(post["id"]), mark)
    assert reply is not None and "1949" in text_of(reply)
    assert reply["allowed_mentions"]["parse"] == [] and reply["components"]  # no pings; feedback buttons
    mark = standin.mark()  # a mention in the post is a follow-up, read with the post's question
    for _ in range(200):
        if bot.corpus.store.last_question_in(post["id"], HERE):
            break
        await asyncio.sleep(0.01)
    await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} and North Korea?",
                                                                  channel_id=int(post["id"])))
    follow = await _message_in(standin, int(post["id"]), mark)
    assert follow is not None and "Cuba" in json.dumps(follow["embeds"])


async def test_a_post_the_documents_do_not_answer_gets_no_reply_unless_asked(forum_env) -> None:
    standin, bot = forum_env
    await config_set(standin, "forum_channels", str(FORUM_ID), permissions=MANAGE_GUILD)
    mark = standin.mark()
    post = await standin.open_forum_post(FORUM_ID, "Printer jams on tray two", "What is the warranty on the toner?")
    await _gap_recorded(bot, "toner")  # read and judged: moderators see it in /corpus gaps
    assert await _message_in(standin, int(post["id"]), mark, wait=0.5) is None
    assert "always" in await config_set(standin, "forum_replies", "always", permissions=MANAGE_GUILD)
    mark = standin.mark()
    post = await standin.open_forum_post(FORUM_ID, "Printer jams on tray three", "What is the warranty on the ink?")
    reply = await _message_in(standin, int(post["id"]), mark)
    assert reply is not None and reply["embeds"]


async def test_only_chosen_forums_and_only_forums(forum_env) -> None:
    standin, bot = forum_env
    await config_set(standin, "forum_channels", str(FORUM_ID), permissions=MANAGE_GUILD)
    refused = await config_set(standin, "forum_channels", f"<#{CHANNEL_ID}>", permissions=MANAGE_GUILD)
    assert refused.startswith("Not a forum channel")
    assert bot.server_settings.get(HERE).forum_channels == frozenset({FORUM_ID})  # unchanged by the refusal
    mark = standin.mark()
    post = await standin.open_forum_post(OTHER_FORUM_ID, "When did Cuba recognize South Korea?", "Just curious.")
    assert await _message_in(standin, int(post["id"]), mark, wait=0.5) is None
    member = await config_set(standin, "forum_channels", str(OTHER_FORUM_ID))
    assert member.startswith("Only moderators")


async def test_without_the_intent_the_bot_works_and_says_forums_are_off(plain_env) -> None:
    standin, bot = plain_env
    assert not bot.intents.message_content
    answer = await config_set(standin, "forum_channels", str(FORUM_ID), permissions=MANAGE_GUILD)
    assert "Message Content intent" in answer
    mark = standin.mark()
    post = await standin.open_forum_post(FORUM_ID, "When did Cuba recognize South Korea?", "Just curious.")
    assert await _message_in(standin, int(post["id"]), mark, wait=0.5) is None
    shown = await standin.interact(standin.make_slash_interaction("config", {}, subcommand="show"))
    assert "Forum auto-answer is off" in text_of(shown.json["data"])
    mention = standin.make_message(f"{standin.bot_mention} when did Cuba recognize South Korea?")
    await standin.dispatch("MESSAGE_CREATE", mention)
    reply = await standin.wait_for_channel_message(CHANNEL_ID, after=mark)
    assert "1949" in text_of(reply.json)
