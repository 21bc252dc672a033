"""Thread reply style (issue 12, item 1): a mention is answered in a new thread started from the question,
and a follow-up asked in that thread is read with the thread's earlier question."""

from __future__ import annotations

import asyncio
import json

from discord_standin import CHANNEL_ID
from test_bot import MANAGE_GUILD, corpus_dir, env, guilds, make_bot  # noqa: F401
from test_server_config import config_set

GUILD_B = guilds()[1]["id"]


async def _wait_for_message_in(standin, channel_id: int, after: int) -> dict:
    for _ in range(300):
        found = standin.find_requests("POST", f"/channels/{channel_id}/messages", after=after)
        if found:
            return found[-1].json
        await asyncio.sleep(0.01)
    raise AssertionError(f"no message in {channel_id}")


async def test_a_mention_is_answered_in_a_thread_and_follow_ups_continue_there(env) -> None:
    standin, bot = env
    assert "is now thread" in await config_set(standin, "reply_style", "thread", permissions=MANAGE_GUILD)
    mark = standin.mark()
    question = standin.make_message(f"{standin.bot_mention} when did Cuba and South Korea establish diplomatic relations?")
    await standin.dispatch("MESSAGE_CREATE", question)
    answer = await _wait_for_message_in(standin, int(question["id"]), mark)  # the thread's id is the message's
    assert standin.threads_started and standin.threads_started[-1]["parent_id"] == str(CHANNEL_ID)
    assert "when did Cuba" in standin.threads_started[-1]["name"] and answer.get("embeds")
    assert not standin.find_requests("POST", f"/channels/{CHANNEL_ID}/messages", after=mark)  # not in the channel
    for _ in range(200):  # the thread's question is recorded just after the answer is sent
        if bot.corpus.store.last_question_in(question["id"], str(guilds()[0]["id"])):
            break
        await asyncio.sleep(0.01)
    mark = standin.mark()
    follow = standin.make_message(f"{standin.bot_mention} and when did it happen?", channel_id=int(question["id"]))
    await standin.dispatch("MESSAGE_CREATE", follow)
    reply = await _wait_for_message_in(standin, int(question["id"]), mark)
    text = json.dumps(reply)
    assert "2009" in text or "1949" in text or "diplomatic" in text  # answered about the earlier subject
    assert "Cuba" in reply["embeds"][0]["description"]  # says how it was read: with the thread's words


async def test_without_the_setting_a_mention_is_a_reply_in_the_channel(env) -> None:
    standin, _ = env
    mark = standin.mark()
    await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} who is Díaz-Canel?"))
    reply = await standin.wait_for_channel_message(CHANNEL_ID, after=mark)
    assert reply.json.get("embeds") and not standin.threads_started


async def test_a_thread_discord_refuses_falls_back_to_a_reply(env, caplog) -> None:
    standin, _ = env
    await config_set(standin, "reply_style", "thread", permissions=MANAGE_GUILD)
    standin.fail_next("POST", r"/channels/\d+/messages/\d+/threads", 403, {"message": "Missing Permissions", "code": 50013})
    mark = standin.mark()
    await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} who is Díaz-Canel?"))
    reply = await standin.wait_for_channel_message(CHANNEL_ID, after=mark)
    assert reply.json.get("embeds") and reply.json.get("message_reference")  # a reply to the question
    assert any("no thread for an answer" in r.getMessage() for r in caplog.records)


async def test_an_ask_answer_starts_a_follow_up_thread_from_its_button(env) -> None:
    standin, bot = env
    from test_bot import ask

    await ask(standin, "when did Cuba and South Korea establish diplomatic relations?")
    answer = standin.last_bot_message(CHANNEL_ID)
    for _ in range(200):
        if bot.corpus.reply(str(answer["id"])):
            break
        await asyncio.sleep(0.01)
    click = await standin.interact(standin.make_component_interaction("qa:thread", answer))
    assert click.json["data"]["content"].startswith("Thread started") and click.json["data"]["flags"] & 64
    thread_id = int(standin.threads_started[-1]["id"])
    mark = standin.mark()
    follow = standin.make_message(f"{standin.bot_mention} and when did it happen?", channel_id=thread_id)
    await standin.dispatch("MESSAGE_CREATE", follow)
    reply = await _wait_for_message_in(standin, thread_id, mark)
    assert "Cuba" in reply["embeds"][0]["description"]  # read with the answer's question
    again = await standin.interact(standin.make_component_interaction("qa:thread", answer))
    assert "already has a thread" in again.json["data"]["content"]


async def test_the_context_menu_answers_in_a_thread_from_the_message_asked_about(env) -> None:
    standin, bot = env
    await config_set(standin, "reply_style", "thread", permissions=MANAGE_GUILD)
    target = standin.make_message("when did Cuba recognize South Korea?")
    await standin.dispatch("MESSAGE_CREATE", target)  # no mention: the bot stays quiet
    mark = standin.mark()
    pointer_itx = standin.make_message_context_interaction("Ask the corpus", target)
    pointer = await standin.interact(pointer_itx)
    assert pointer.json["data"]["flags"] & 64  # private to the asker
    answer = await _wait_for_message_in(standin, int(target["id"]), mark)  # in the thread from the message
    assert "1949" in json.dumps(answer["embeds"]) and standin.threads_started[-1]["id"] == target["id"]
    if pointer.json["type"] == 5:  # deferred on a busy machine: the pointer is the deferral's follow-up
        pointer = await standin.wait_for_webhook(pointer_itx, None)
    assert f"Answered in a thread: <#{target['id']}>" in json.dumps(pointer.json)
    assert not standin.find_requests("POST", f"/channels/{CHANNEL_ID}/messages", after=mark)
