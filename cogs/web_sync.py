"""Each server's web sources re-synced on its schedule (/config set web_sync_hours, 24 by default, never more
often than the operator's WEB_SYNC_MIN_HOURS), unattended; what changed or failed is posted to the server's
notices channel when it has one. The work is retrieval/web/sources.py's; this only schedules and posts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from retrieval.community import scope_of
from retrieval.errors import CorpusBusy, RetrievalError
from retrieval import jobs
from retrieval.web import sources as web_sources

from . import embeds
from .common import NO_PINGS, log, settings_of

if TYPE_CHECKING:
    from bot import CorpusBot

MAX_CHECK_SECONDS = 300.0  # a due server waits at most this long past its time


class WebSyncCog(commands.Cog):
    def __init__(self, bot: "CorpusBot") -> None:
        self.bot = bot
        self.minimum = timedelta(hours=bot.config.web_sync_min_hours)
        self.running: dict[str, asyncio.Task] = {}  # one scheduled sync per server at a time
        self.check.change_interval(seconds=max(1.0, min(MAX_CHECK_SECONDS, self.minimum.total_seconds() / 12)))
        self.check.start()

    async def cog_unload(self) -> None:
        self.check.cancel()
        for task in self.running.values():
            task.cancel()

    @tasks.loop(minutes=5)
    async def check(self) -> None:
        with_sources = await asyncio.to_thread(lambda: {s.scope for s in self.bot.corpus.store.web_sources()})
        for guild in list(self.bot.guilds):
            here = scope_of(guild.id)
            if here in with_sources and here not in self.running:
                try:
                    await self._maybe_start(guild, here)
                except Exception:  # one server's failure never stops the others' syncs
                    log.exception("scheduled web sync failed guild=%s", guild.id)

    @check.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()

    async def _maybe_start(self, guild: discord.Guild, here: str) -> None:
        hours = (await settings_of(self.bot, here)).web_sync_hours
        if hours <= 0:
            return
        every = max(timedelta(hours=hours), self.minimum)
        if not await asyncio.to_thread(web_sources.sources_due, self.bot.corpus, here, every):
            return
        task = asyncio.ensure_future(self._sync(guild, here))
        self.running[here] = task
        task.add_done_callback(lambda _: self.running.pop(here, None))

    async def _sync(self, guild: discord.Guild, here: str) -> None:
        try:
            result = await asyncio.to_thread(jobs.run, self.bot.corpus, "web_refresh", here, {})
        except CorpusBusy:
            return  # a moderator's change is running; the next check tries again
        except RetrievalError as exc:
            log.warning("scheduled web sync guild=%s: %s", guild.id, exc)
            return
        except Exception:  # logged with its traceback for the operator; the next period tries again
            log.exception("scheduled web sync failed guild=%s", guild.id)
            return
        log.info("scheduled web sync guild=%s: %d sources%s", guild.id, result["sources"],
                 ", changes" if result["changed"] else "")
        if result["changed"]:
            await self._post(guild, here, result["text"])

    async def _post(self, guild: discord.Guild, here: str, text: str) -> None:
        channel_id = (await settings_of(self.bot, here)).notices_channel
        channel = guild.get_channel(channel_id) if channel_id is not None else None
        if not isinstance(channel, discord.abc.Messageable):
            return
        body = "**Web sources re-synced**\n" + embeds.web_report(text)
        try:
            await channel.send(body, allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            log.warning("web sync summary not posted guild=%s channel=%s: %s", guild.id, channel_id, exc)


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(WebSyncCog(bot))
