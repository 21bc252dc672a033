"""Loopback stand-in of Discord's REST API and gateway, for end-to-end tests of a real discord.py bot.

A small aiohttp server on 127.0.0.1 (random free port) that speaks just enough of Discord's
gateway (HELLO / IDENTIFY / READY / GUILD_CREATE / heartbeats / RESUME) and REST API
(login, command sync, interaction callbacks, follow-up webhooks, channel messages,
attachment downloads) for an *unmodified* ``commands.Bot`` to run against it.  Every HTTP
request the bot makes is recorded so a test can assert on it.  Written against discord.py 2.7.1.

Usage::

    from discord_standin import DiscordStandin

    async with DiscordStandin() as standin:      # starts the server and points discord.py at it
        bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)
        ...                                        # add commands / cogs
        async with standin.running(bot):           # login + connect, waits for on_ready, closes on exit
            itx = standin.make_slash_interaction("ping")
            req = await standin.interact(itx)      # push INTERACTION_CREATE, await its callback POST
            assert req.json["data"]["content"] == "pong"

Leaving ``async with DiscordStandin()`` restores discord.py's real URLs (``Route.BASE``,
``DiscordWebSocket.DEFAULT_GATEWAY``, ``Asset.BASE``) and stops the server.

One module a job:

- ``payloads``: users, members, channels, roles, guilds as Discord sends them; the fixed ids.
- ``server``: :class:`DiscordStandin`, its state and lifecycle, the HTTP entry, discord.py's URLs.
- ``gateway``: the websocket (HELLO, IDENTIFY, heartbeats, RESUME, dispatching events).
- ``rest``: the REST routes and injected failures (``fail_next``).
- ``messages``: message objects, the users' (``make_message``) and the bot's, and attachments.
- ``interactions``: INTERACTION_CREATE builders (slash, autocomplete, context menus, components, modals).
- ``recorder``: the recorded requests, finding them and waiting for them.
"""

from .payloads import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    OTHER_USER_ID,
    USER_ID,
    make_forum_channel,
    make_guild,
    make_member,
    make_role,
    make_text_channel,
    make_user,
)
from .recorder import RecordedFile, RecordedRequest, StandinTimeout
from .server import DiscordStandin, patch_discord_urls

__all__ = [
    "DiscordStandin",
    "RecordedRequest",
    "RecordedFile",
    "StandinTimeout",
    "patch_discord_urls",
    "make_user",
    "make_member",
    "make_text_channel",
    "make_forum_channel",
    "make_role",
    "make_guild",
    "BOT_ID",
    "GUILD_ID",
    "CHANNEL_ID",
    "OTHER_CHANNEL_ID",
    "USER_ID",
    "OTHER_USER_ID",
]
