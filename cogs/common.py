"""What every cog needs: embeds from dicts, one way to refuse, the moderator rule, and the cooldowns."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands

from retrieval.errors import DatabaseFailure, RetrievalError
from retrieval.community import scope_of
from retrieval.server_settings import ServerSettings
from . import embeds

log = logging.getLogger("bot")
NO_PINGS = discord.AllowedMentions.none()


def embed(data: dict) -> discord.Embed:
    return discord.Embed.from_dict(data)


def scope(interaction: discord.Interaction) -> str:
    return scope_of(interaction.guild_id)


async def tell(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral one-line message, whether or not the interaction was answered or deferred already."""
    text = embeds.message_text(text)
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
    elif interaction.extras.get("deferred") == "private":  # our own "thinking…" message: replace it
        await interaction.edit_original_response(content=text, embed=None, view=None, allowed_mentions=NO_PINGS)
    else:
        if interaction.extras.get("deferred") == "public":  # don't leave a public "thinking…" behind
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                pass
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


# Discord allows 3 s from the interaction's creation (not from when our handler starts: under load it
# starts late). Work not done this long after creation is deferred and followed up; a late handler
# defers at once.
DEFER_BY_SECONDS = 1.0


def age(interaction: discord.Interaction) -> float:
    """Seconds since Discord created the interaction (its id is a timestamp)."""
    return (discord.utils.utcnow() - interaction.created_at).total_seconds()


async def run_or_defer(interaction: discord.Interaction, func, *args, ephemeral: bool = False):
    """Run retrieval work off the event loop; defer unless it is done within DEFER_BY_SECONDS of creation."""
    task = asyncio.ensure_future(asyncio.to_thread(func, *args))
    budget = min(DEFER_BY_SECONDS - age(interaction), DEFER_BY_SECONDS)  # a clock behind Discord's: no more
    done = (await asyncio.wait({task}, timeout=budget))[0] if budget > 0 else set()
    if not done:
        await defer(interaction, ephemeral=ephemeral)
    return await task


async def send(interaction: discord.Interaction, **kwargs) -> int | None:
    """The reply, as the first response or as the follow-up of a deferral; the id of the message sent."""
    if interaction.response.is_done():
        message = await interaction.followup.send(allowed_mentions=NO_PINGS, wait=True, **kwargs)
        return message.id
    response = await interaction.response.send_message(allowed_mentions=NO_PINGS, **kwargs)
    return getattr(response, "message_id", None)


async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Acknowledge now (Discord's 3-second window) and remember how, so errors can replace it properly."""
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    interaction.extras["deferred"] = "private" if ephemeral else "public"


class NotModerator(app_commands.CheckFailure):
    """A moderator command from someone who is not one."""


def is_moderator(interaction: discord.Interaction, role_name: str | None) -> bool:
    """Manage Server (or Administrator) in this server, or the configured moderator role."""
    perms = interaction.permissions
    if perms.manage_guild or perms.administrator:
        return True
    roles = getattr(interaction.user, "roles", [])
    return bool(role_name) and any(r.name.casefold() == role_name.casefold() for r in roles)


async def settings_of(client: discord.Client, here: str) -> "ServerSettings":
    """A server's settings (its own values over the operator's defaults); read from the database once per
    server, off the event loop."""
    book = client.server_settings
    return book.cached(here) or await asyncio.to_thread(book.get, here)


def moderator_only():
    """The run-time check behind the moderator commands (Discord's default permissions only hide them)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        role = (await settings_of(interaction.client, scope(interaction))).moderator_role
        if interaction.guild_id is None or not is_moderator(interaction, role):
            needed = "the Manage Server permission" + (f" or the {role!r} role" if role else "")
            raise NotModerator(f"Only moderators can do this ({needed}).")
        return True

    return app_commands.check(predicate)


def where(interaction: discord.Interaction) -> str:
    """Log context: which server, channel, user and command."""
    name = interaction.command.qualified_name if interaction.command else interaction.data.get("custom_id", "?")
    return f"guild={interaction.guild_id} channel={interaction.channel_id} user={interaction.user.id} cmd={name}"


def user_message(exc: RetrievalError, context: str) -> str:
    """The line a Discord user reads for one of retrieval's named failures. A database failure (read-only,
    full, locked, damaged) is the operator's business: logged with the file's path, told without it."""
    if isinstance(exc, DatabaseFailure):
        log.warning("database failure %s: %s", context, exc)
        return exc.public
    return str(exc)


async def on_app_command_error(interaction: discord.Interaction, error: Exception) -> None:
    """Every refusal or failure becomes one ephemeral line; unexpected ones are logged with context."""
    original = getattr(error, "original", error)
    if isinstance(original, RetrievalError):
        message = user_message(original, where(interaction))
    elif isinstance(error, app_commands.CommandOnCooldown):
        message = f"Slow down a little: try again in {error.retry_after:.0f} s."
    elif isinstance(error, app_commands.NoPrivateMessage):
        message = "This command works in a server, not in direct messages."
    elif isinstance(error, app_commands.CheckFailure):
        message = str(error) or "You cannot use this command here."
    else:
        log.error("error in %s", where(interaction), exc_info=original)
        message = "Something went wrong on my side; it has been logged. Please try again."
    if isinstance(original, RetrievalError) or isinstance(error, app_commands.CheckFailure):
        log.info("refused %s: %s", where(interaction), message)
    try:
        await tell(interaction, message)
    except discord.HTTPException:
        log.warning("could not send the error message for %s", where(interaction))


class Cooldowns:
    """Per-user token buckets shared by every way of asking (slash, mention, DM, context menu), at the rate
    each server chose (/config); a server's new rate applies to its users' next buckets."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, int], app_commands.Cooldown] = {}

    def retry_after(self, scope: str, user_id: int, rate: int, per: float) -> float | None:
        if len(self._buckets) > 10_000:  # forget idle users
            self._buckets = {k: b for k, b in self._buckets.items() if b.get_tokens() < b.rate}
        bucket = self._buckets.get((scope, user_id))
        if bucket is None or (bucket.rate, bucket.per) != (rate, per):
            bucket = self._buckets[(scope, user_id)] = app_commands.Cooldown(rate, per)
        return bucket.update_rate_limit()
