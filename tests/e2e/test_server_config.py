"""Per-server settings (issue 12, item 3) end to end: /config set by moderators only, each server's own,
recorded with who and when, and taking effect: the moderator role, the cooldown, the answered channels."""

from __future__ import annotations

import asyncio

from discord_standin import CHANNEL_ID, GUILD_ID, OTHER_CHANNEL_ID, OTHER_USER_ID
from test_bot import ETNA, MANAGE_GUILD, add_document, ask, corpus_dir, env, guilds, make_bot  # noqa: F401

from retrieval.errors import BadSetting
from retrieval.server_settings import ServerSettings, ServerSettingsBook

GUILD_B = guilds()[1]["id"]


async def config_set(standin, setting: str, value: str, **kw) -> str:
    itx = standin.make_slash_interaction("config", {"setting": setting, "value": value}, subcommand="set", **kw)
    return (await standin.interact(itx)).json["data"]["content"]


async def test_only_moderators_change_settings_and_each_server_has_its_own(env) -> None:
    standin, bot = env
    refused = await config_set(standin, "cooldown_questions", "1")  # alice: not a moderator
    assert refused.startswith("Only moderators")
    assert (await config_set(standin, "cooldown_questions", "1", permissions=MANAGE_GUILD)) == \
        "cooldown_questions is now 1."
    assert "embeds" in (await ask(standin, "when did Cuba recognize South Korea?"))["data"]
    again = await ask(standin, "when did Cuba recognize South Korea?")
    assert "again in" in again["data"]["content"]  # one question per minute in this server now
    other = await ask(standin, "when did Cuba recognize South Korea?", guild_id=GUILD_B)
    assert "embeds" in other["data"]  # server B keeps the operator's default
    changes = bot.server_settings.history(str(GUILD_ID))
    assert changes[0]["name"] == "cooldown_questions" and changes[0]["value"] == "1" and "alice" in changes[0]["changed_by"]
    assert bot.server_settings.history(str(GUILD_B)) == []


async def test_the_moderator_role_is_the_servers_choice(env) -> None:
    standin, _ = env
    assert "Added" in await add_document(standin, "etna.txt", ETNA, user_id=OTHER_USER_ID)  # bob: the default role
    assert "is now Curators" in await config_set(standin, "moderator_role", "Curators", permissions=MANAGE_GUILD)
    refused = await add_document(standin, "etna2.txt", ETNA, user_id=OTHER_USER_ID)
    assert refused.startswith("Only moderators") and "Curators" in refused
    await config_set(standin, "moderator_role", "default", permissions=MANAGE_GUILD)
    assert "Added" in await add_document(standin, "etna3.txt", ETNA, user_id=OTHER_USER_ID)


async def test_mentions_are_answered_only_in_the_chosen_channels(env) -> None:
    standin, _ = env
    reply = await config_set(standin, "answer_channels", f"<#{CHANNEL_ID}>", permissions=MANAGE_GUILD)
    assert reply.startswith("answer_channels is now")
    mark = standin.mark()
    await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} who is Díaz-Canel?",
                                                                  channel_id=OTHER_CHANNEL_ID))
    await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} who is Díaz-Canel?"))
    answered = await standin.wait_for_channel_message(CHANNEL_ID, after=mark)
    assert answered.json.get("embeds")
    await asyncio.sleep(0.2)
    assert not standin.find_requests("POST", f"/channels/{OTHER_CHANNEL_ID}/messages", after=mark)


async def test_show_lists_every_setting_and_bad_values_are_one_line(env) -> None:
    standin, _ = env
    shown = (await standin.interact(standin.make_slash_interaction("config", subcommand="show"))).json["data"]
    text = shown["embeds"][0]["description"]
    assert all(name in text for name in ("moderator_role", "answer_channels", "cooldown_questions", "cooldown_seconds"))
    bad = await config_set(standin, "cooldown_seconds", "forever", permissions=MANAGE_GUILD)
    assert bad == "cooldown_seconds must be a number of seconds from 1 to 3600"


def test_values_are_parsed_and_stored_per_server(empty_corpus) -> None:
    book = ServerSettingsBook(empty_corpus.store, ServerSettings(moderator_role="Librarian"))
    book.change("1", "answer_channels", "<#123456789012345678>, 223456789012345678", "mod")
    assert book.get("1").answer_channels == {123456789012345678, 223456789012345678}
    assert book.get("2") == book.defaults
    for name, value in (("answer_channels", "general"), ("cooldown_questions", "0"), ("nope", "1")):
        try:
            book.change("1", name, value, "mod")
        except BadSetting as exc:
            assert "\n" not in str(exc)
        else:
            raise AssertionError(f"{name}={value!r} accepted")
    fresh = ServerSettingsBook(empty_corpus.store, ServerSettings(moderator_role="Librarian"))  # as after a restart
    assert fresh.get("1").answer_channels == {123456789012345678, 223456789012345678}
