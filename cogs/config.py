"""/config show for everyone, /config set for moderators: this server's settings (retrieval/server_settings.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from . import embeds
from .common import embed, log, moderator_only, scope, send, tell, where

if TYPE_CHECKING:
    from bot import CorpusBot

SettingName = Literal["moderator_role", "answer_channels", "cooldown_questions", "cooldown_seconds", "reply_style"]
HELP = {
    "moderator_role": "a role that counts as moderator besides Manage Server",
    "answer_channels": "where @mentions are answered (#channels, comma separated; default: every channel)",
    "cooldown_questions": "questions a member may ask ...",
    "cooldown_seconds": "... per this many seconds",
    "reply_style": "reply (in the channel) or thread (a mention is answered in a new thread; ask follow-ups there)",
}


class ConfigCog(commands.GroupCog, group_name="config", group_description="This server's settings for the bot"):
    def __init__(self, bot: "CorpusBot") -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="show", description="This server's settings and their recent changes")
    @app_commands.guild_only()
    async def show(self, interaction: discord.Interaction) -> None:
        book, here = self.bot.server_settings, scope(interaction)
        rows = await asyncio.to_thread(book.describe, here)
        changes = await asyncio.to_thread(book.history, here, 5)
        lines = [f"**{name}**: {embeds.discord_text(shown)}{' *(default)*' if default else ''}\n{HELP[name]}"
                 for name, shown, default in rows]
        if changes:
            lines.append("\n**Recent changes**")
            lines += [f"{c['changed_at']} {embeds.short_title(c['changed_by'], 60)}: {c['name']} = "
                      f"{embeds.short_title(c['value'] or 'default', 100)}" for c in changes]
        lines.append("\nForum auto-answer needs the Message Content intent, which this bot does not ask for.")
        data = embeds.hits_embed("Settings of this server", [], "\n".join(lines))
        await send(interaction, embed=embed(data), ephemeral=True)

    @app_commands.command(name="set", description="Moderators: change one of this server's settings")
    @app_commands.describe(setting="Which setting", value="Its new value, or 'default' to go back to the default")
    @app_commands.guild_only()
    @moderator_only()
    async def set_(self, interaction: discord.Interaction, setting: SettingName, value: str) -> None:
        who = f"{interaction.user} ({interaction.user.id})"
        await asyncio.to_thread(self.bot.server_settings.change, scope(interaction), setting, value, who)
        log.info("config %s = %r %s", setting, value, where(interaction))
        shown = dict((name, text) for name, text, _ in self.bot.server_settings.describe(scope(interaction)))[setting]
        await tell(interaction, f"{setting} is now {shown}.")


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(ConfigCog(bot))
