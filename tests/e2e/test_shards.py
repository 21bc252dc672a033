"""Two bot processes, each running one of two Discord shards, over one PostgreSQL store (issue 14): each gets
only its shard's servers from the gateway, and a document the operator adds through one is cited by the other
within a second, with the same scores. (Two CorpusBot objects in one test process stand for the two processes:
each has its own gateway connection, its own store connections, index files and follower thread.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pg_server
from bot import BotSettings, CorpusBot, _shards
from discord_standin import GUILD_ID, DiscordStandin, make_guild
from retrieval.config import Settings
from retrieval.errors import BadSetting
from test_bot import GUILD_B, MANAGE_GUILD, ask, corpus_dir, guilds  # noqa: F401, F811
from test_web_discord import command

import pytest

postgres_server = pg_server.postgres_server
postgres_dsn = pg_server.postgres_dsn
GUILD_C = GUILD_ID + (1 << 22)  # Discord's shard of a server is (id >> 22) % shard count: C is on the other one
ETNA = "Mount Etna\n\nMount Etna is a volcano in Sicily. Its last big eruption began in March 2021."


def test_shard_settings_are_checked() -> None:
    assert _shards(None, None) == {}
    assert _shards(4, "0,1") == {"shard_count": 4, "shard_ids": (0, 1)}
    assert _shards(4, "2-3") == {"shard_count": 4, "shard_ids": (2, 3)}
    assert _shards(2, None) == {"shard_count": 2, "shard_ids": (0, 1)}
    for count, ids in ((None, "0"), (0, None), (2, "2"), (2, "0,0"), (2, "a")):
        with pytest.raises(BadSetting):
            _shards(count, ids)


async def test_two_shard_processes_share_one_store(leak_check: None, postgres_dsn: str, tmp_path: Path,
                                                   corpus_dir: Path) -> None:
    assert (GUILD_ID >> 22) % 2 != (GUILD_C >> 22) % 2 and (GUILD_B >> 22) % 2 == (GUILD_ID >> 22) % 2
    async with DiscordStandin(guilds=guilds() + [make_guild(GUILD_C, "Server C")]) as standin:

        def process(shard: int) -> CorpusBot:
            config = BotSettings(token=standin.token, moderator_role="Librarian", cooldown_questions=1000,
                                 health_file=tmp_path / f"health-{shard}", shard_count=2, shard_ids=(shard,))
            retrieval = Settings(db_url=postgres_dsn, db_path=tmp_path / f"shard-{shard}" / "corpus.db",
                                 corpus_dir=corpus_dir, operator_guilds=frozenset({GUILD_ID}))
            return CorpusBot(config, retrieval, guild_ready_timeout=0.1)

        mine, other = (GUILD_ID >> 22) % 2, (GUILD_C >> 22) % 2
        first, second = process(mine), process(other)
        async with standin.running(first), standin.running(second):
            assert {g.id for g in first.guilds} == {GUILD_ID, GUILD_B} and {g.id for g in second.guilds} == {GUILD_C}
            before = await ask(standin, "When did Etna's last big eruption begin?", guild_id=GUILD_C)
            assert "2021" not in str(before["data"].get("embeds"))
            (corpus_dir / "etna.txt").write_text(ETNA, encoding="utf-8")
            done = await command(standin, "refresh", {"bundled": True}, permissions=MANAGE_GUILD)  # in server A
            assert done.startswith("Refresh done: 1 added"), done
            started = time.monotonic()
            while True:  # asked in server C, answered by the other process
                reply = await ask(standin, "When did Etna's last big eruption begin?", guild_id=GUILD_C)
                if "March 2021" in str(reply["data"].get("embeds")):
                    break
                assert time.monotonic() - started < 1.0, "the other shard's process did not cite it within a second"
                await asyncio.sleep(0.02)
            question = "when did the Etna eruption begin"
            assert [(h.passage_id, h.score) for h in second.corpus.search(question, scope=str(GUILD_C))] == \
                [(h.passage_id, h.score) for h in first.corpus.search(question, scope=str(GUILD_ID))]
            assert first.corpus.keeper.retriever.header["generation"] == \
                second.corpus.keeper.retriever.header["generation"]


async def test_two_bot_processes_with_their_own_shards(leak_check: None, postgres_dsn: str, tmp_path: Path,
                                                       corpus_dir: Path) -> None:
    """The same, with two real OS processes running bot.py's main() (tests/bot_process.py points discord.py
    at the stand-in): each process gets its shard's servers, and the operator's document added through one
    process is cited by the other within a second."""
    import os
    import signal
    import subprocess
    import sys

    from discord_standin import StandinTimeout
    from paths import ROOT

    async with DiscordStandin(guilds=guilds() + [make_guild(GUILD_C, "Server C")]) as standin:
        def start(shard: int) -> subprocess.Popen:
            env = {**os.environ, "DISCORD_TOKEN": standin.token, "RETRIEVAL_DB": postgres_dsn,
                   "RETRIEVAL_INDEX_DIR": str(tmp_path / f"index-{shard}"), "RETRIEVAL_CORPUS_DIR": str(corpus_dir),
                   "RETRIEVAL_OPERATOR_GUILDS": str(GUILD_ID), "SHARD_COUNT": "2", "SHARD_IDS": str(shard),
                   "HEALTH_FILE": str(tmp_path / f"health-{shard}"), "MODERATOR_ROLE": "Librarian",
                   "ASK_COOLDOWN_QUESTIONS": "1000", "LOG_LEVEL": "WARNING"}
            return subprocess.Popen([sys.executable, str(ROOT / "tests" / "bot_process.py"), standin.base_url],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        processes = [start(0), start(1)]
        try:
            for guild in (GUILD_ID, GUILD_C):  # each process answers once it is ready
                started = time.monotonic()
                while True:
                    try:
                        await ask(standin, "when did Cuba recognize South Korea?", guild_id=guild)
                        break
                    except (StandinTimeout, RuntimeError):
                        dead = [p.communicate()[1][-2000:] for p in processes if p.poll() is not None]
                        assert not dead, dead  # a bot process ended: its last words
                        assert time.monotonic() - started < 60
                        await asyncio.sleep(0.2)
            shards = sorted(tuple(p["shard"]) for p in standin.identify_payloads)
            assert shards == [(0, 2), (1, 2)]  # one connection per process, each with its own shard
            (corpus_dir / "etna.txt").write_text(ETNA, encoding="utf-8")
            done = await command(standin, "refresh", {"bundled": True}, permissions=MANAGE_GUILD)
            assert done.startswith("Refresh done: 1 added"), done
            started = time.monotonic()
            while "March 2021" not in str((await ask(standin, "When did Etna's last big eruption begin?",
                                                     guild_id=GUILD_C))["data"].get("embeds")):
                assert time.monotonic() - started < 1.0, "the other process did not cite it within a second"
                await asyncio.sleep(0.02)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:  # stopped as docker stop does (SIGTERM), then killed if it lingers
                try:
                    process.communicate(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
