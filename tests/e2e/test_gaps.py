"""Gaps: what a server's documents did not answer, grouped by what was asked (issue 12, item 5)."""

from __future__ import annotations

import asyncio

from discord_standin import GUILD_ID
from test_bot import MANAGE_GUILD, ask, corpus_dir, env, guilds, make_bot  # noqa: F401

from retrieval import gaps
from retrieval.community import VOTE_DOWN, record_feedback


def test_unanswered_questions_are_grouped_by_what_they_ask(corpus) -> None:
    for question in ("What is the capital of Australia?", "capital of australia", "Who won the 1998 World Cup?"):
        assert corpus.record_unanswered("s", corpus.ask(question, scope="s"))
    answered = corpus.ask("when did Cuba recognize South Korea?", scope="s")
    assert not corpus.record_unanswered("s", answered)  # answered questions are not kept
    record_feedback(corpus, "s", 7, "when did Cuba recognize South Korea?", "1949", ["x#0"], VOTE_DOWN, 99)
    found = corpus.gaps("s")
    counts = [(g.times, g.voted_down) for g in found]  # most asked first; ties by last time (to the second)
    assert counts[0] == (2, 0) and sorted(counts[1:]) == [(0, 1), (1, 0)]
    assert found[0].question == "capital of australia"  # the latest wording
    assert corpus.gaps("other") == []  # per server


def test_two_wordings_share_a_key() -> None:
    assert gaps.terms_key("When did Etna erupt?") == gaps.terms_key("etna erupted when")
    assert gaps.terms_key("When did Etna erupt?") != gaps.terms_key("When did Vesuvius erupt?")


async def test_moderators_see_the_servers_gaps_in_discord(env) -> None:
    standin, bot = env
    for _ in range(2):
        await ask(standin, "What is the capital of Australia?")
    await ask(standin, "What is the capital of Australia?", guild_id=guilds()[1]["id"])  # another server's
    for _ in range(200):  # recorded just after each reply is sent
        if [g.times for g in bot.corpus.gaps(str(GUILD_ID))] == [2]:
            break
        await asyncio.sleep(0.01)
    member = (await standin.interact(standin.make_slash_interaction("corpus", subcommand="gaps"))).json["data"]
    assert member["content"].startswith("Only moderators")
    shown = (await standin.interact(standin.make_slash_interaction("corpus", subcommand="gaps",
                                                                   permissions=MANAGE_GUILD))).json["data"]
    fields = shown["embeds"][0]["fields"]
    assert len(fields) == 1 and "capital of Australia" in fields[0]["name"] and "2x" in fields[0]["value"]
    assert [g.times for g in bot.corpus.gaps(str(GUILD_ID))] == [2]


async def test_the_gaps_summary_is_posted_in_the_notices_channel(leak_check: None, make_bot) -> None:
    from discord_standin import OTHER_CHANNEL_ID, DiscordStandin
    from retrieval import notices
    from test_bot import MANAGE_GUILD, ask, guilds
    from test_server_config import config_set

    async with DiscordStandin(guilds=guilds()) as standin:
        bot = make_bot(standin.token, gaps_summary_hours=2 / 3600)  # a two-second period, checked every second
        async with standin.running(bot):
            shown = await config_set(standin, "notices_channel", f"<#{OTHER_CHANNEL_ID}>", permissions=MANAGE_GUILD)
            assert shown == f"notices_channel is now <#{OTHER_CHANNEL_ID}>."
            for _ in range(300):  # the bot's first look starts the server's period
                if bot.corpus.store.last_notice(str(GUILD_ID), notices.GAPS_SUMMARY):
                    break
                await asyncio.sleep(0.01)
            mark = standin.mark()
            await ask(standin, "what is the warranty on the printer toner?")
            posted = await standin.wait_for_channel_message(OTHER_CHANNEL_ID, timeout=8, after=mark)
            summary = posted.json["embeds"][0]
            assert summary["title"].startswith("Questions the documents did not answer since")
            assert "toner" in summary["fields"][0]["name"] and posted.json["allowed_mentions"]["parse"] == []
