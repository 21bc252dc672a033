"""Notices to each server's moderators' channel (/config set notices_channel): the periodic summary of the
questions its documents did not answer (retrieval/notices.py decides when and what)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from retrieval import notices
from retrieval.community import scope_of

from . import embeds
from .common import NO_PINGS, embed, log, settings_of

if TYPE_CHECKING:
    from bot import CorpusBot

CHECKS_PER_PERIOD = 24  # look this often per summary period (hourly for a weekly summary)


class NoticesCog(commands.Cog):
    def __init__(self, bot: "CorpusBot") -> None:
        self.bot = bot
        self.every = timedelta(hours=bot.config.gaps_summary_hours)
        if self.every > timedelta(0):
            self.check.change_interval(seconds=max(1.0, self.every.total_seconds() / CHECKS_PER_PERIOD))
            self.check.start()

    async def cog_unload(self) -> None:
        self.check.cancel()

    @tasks.loop(hours=1)
    async def check(self) -> None:
        for guild in list(self.bot.guilds):
            try:
                await self._summarise(guild)
            except Exception:  # one server's failure never stops the others' notices
                log.exception("gaps summary failed guild=%s", guild.id)

    @check.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()

    async def _summarise(self, guild: discord.Guild) -> None:
        here = scope_of(guild.id)
        channel_id = (await settings_of(self.bot, here)).notices_channel
        if channel_id is None:
            return
        store = self.bot.corpus.store
        summary = await asyncio.to_thread(notices.gaps_summary_due, store, here, self.every)
        if summary is None:
            return
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("gaps summary: no channel %s in guild=%s", channel_id, guild.id)
            return
        data = embeds.gaps_embed(summary.gaps)
        data["title"] = f"Questions the documents did not answer since {summary.since[:10]}"
        try:
            await channel.send(embed=embed(data), allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            log.warning("gaps summary not posted guild=%s channel=%s: %s", guild.id, channel_id, exc)
            return
        await asyncio.to_thread(notices.mark_posted, store, here)
        log.info("gaps summary posted guild=%s (%d questions)", guild.id, len(summary.gaps))


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(NoticesCog(bot))
