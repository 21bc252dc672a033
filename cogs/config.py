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

SettingName = Literal["moderator_role", "answer_channels", "cooldown_questions", "cooldown_seconds", "reply_style",
                      "forum_channels", "forum_replies", "notices_channel"]
HELP = {
    "moderator_role": "a role that counts as moderator besides Manage Server",
    "answer_channels": "where @mentions are answered (#channels, comma separated; default: every channel)",
    "cooldown_questions": "questions a member may ask ...",
    "cooldown_seconds": "... per this many seconds",
    "reply_style": "reply (in the channel) or thread (a mention is answered in a new thread; ask follow-ups there)",
    "forum_channels": "forums whose new posts are answered (#forums, comma separated; default: none)",
    "forum_replies": "confident (reply in a post only when sure) or always (also say not sure / not found)",
    "notices_channel": "where moderators get notices: the weekly summary of unanswered questions, web re-syncs",
    "web_sync_hours": "how often web sources re-sync by themselves, in hours (0: only with /corpus refresh)",
}
FORUM_OFF = ("Forum auto-answer is off on this bot: it needs the Message Content intent, which the bot's "
             "operator has not turned on (MESSAGE_CONTENT_INTENT).")


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
        lines.append("\n" + ("Forum auto-answer is available on this bot (Message Content intent on)."
                             if self.bot.config.message_content else FORUM_OFF))
        data = embeds.hits_embed("Settings of this server", [], "\n".join(lines))
        await send(interaction, embed=embed(data), ephemeral=True)

    @app_commands.command(name="set", description="Moderators: change one of this server's settings")
    @app_commands.describe(setting="Which setting", value="Its new value, or 'default' to go back to the default")
    @app_commands.guild_only()
    @moderator_only()
    async def set_(self, interaction: discord.Interaction, setting: SettingName, value: str) -> None:
        who = f"{interaction.user} ({interaction.user.id})"
        book = self.bot.server_settings
        parsed = book.parse(setting, value)  # a bad value is one line, before anything is written
        if setting == "forum_channels" and (not_forums := self._not_forums(interaction, parsed)):
            await tell(interaction, f"Not a forum channel: {', '.join(f'<#{c}>' for c in not_forums)}.")
            return
        if setting == "notices_channel" and parsed is not None and not self._is_text_channel(interaction, parsed):
            await tell(interaction, f"<#{parsed}> is not a text channel of this server.")
            return
        await asyncio.to_thread(book.change, scope(interaction), setting, value, who)
        log.info("config %s = %r %s", setting, value, where(interaction))
        shown = dict((name, text) for name, text, _ in book.describe(scope(interaction)))[setting]
        note = f" {FORUM_OFF}" if setting == "forum_channels" and not self.bot.config.message_content else ""
        await tell(interaction, f"{setting} is now {shown}.{note}")

    @staticmethod
    def _not_forums(interaction: discord.Interaction, channels: frozenset[int] | None) -> list[int]:
        guild = interaction.guild
        return [c for c in sorted(channels or ()) if guild is None
                or not isinstance(guild.get_channel(c), discord.ForumChannel)]

    @staticmethod
    def _is_text_channel(interaction: discord.Interaction, channel_id: int) -> bool:
        guild = interaction.guild
        return guild is not None and isinstance(guild.get_channel(channel_id), discord.TextChannel)


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(ConfigCog(bot))
