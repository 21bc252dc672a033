"""The stand-in itself: state, the aiohttp server on 127.0.0.1, discord.py's URLs pointed at it, running a bot.

The jobs are in the other modules, mixed into :class:`DiscordStandin`: the gateway (:mod:`.gateway`), the REST
routes (:mod:`.rest`), the message store (:mod:`.messages`), the interaction builders (:mod:`.interactions`)
and the request recorder (:mod:`.recorder`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import time
from typing import Any, AsyncIterator, Iterator, Optional, Sequence

import discord
import discord.asset
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from .gateway import GatewayConnection, GatewaySide
from .interactions import InteractionBuilders
from .messages import MessageStore
from .payloads import BOT_ID, CHANNEL_ID, DISCORD_EPOCH_MS, GUILD_ID, Json, make_guild, make_member, make_user
from .recorder import RecordedFile, RecordedRequest, RequestRecorder, StandinTimeout, parse_multipart
from .rest import InjectedFailure, RestRoutes, error_response

API_PREFIX = "/api/v10"


@contextlib.contextmanager
def patch_discord_urls(base_url: str) -> Iterator[None]:
    """Point discord.py's REST base, gateway URL and CDN base at ``base_url`` (``http://host:port``); restore after.

    A plain ``Client``/``Bot`` never asks ``/gateway/bot``; it connects to ``DEFAULT_GATEWAY``
    directly, so both must be patched (the stand-in also answers ``/gateway/bot`` for AutoSharded).
    """
    ws_url = yarl.URL(base_url.replace("http://", "ws://", 1) + "/")
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
    discord.http.Route.BASE = base_url + API_PREFIX
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = ws_url
    discord.asset.Asset.BASE = base_url + "/cdn"
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE = saved


class DiscordStandin(GatewaySide, RestRoutes, MessageStore, InteractionBuilders, RequestRecorder):
    """Fake Discord for one bot: gateway + REST on 127.0.0.1, with request recording and payload builders.

    Args:
        bot_id: the bot user's id (also the application id unless ``application_id`` is given).
        bot_name: the bot's username.
        application_id: the application id (modern apps: same as the bot id).
        token: the token the bot must log in with; other tokens get 401 / gateway close 4004.
        guilds: GUILD_CREATE payloads (see :func:`make_guild`); default: one guild ``GUILD_ID``.
        heartbeat_interval_ms: sent in HELLO.
        compress: honour ``compress=zlib-stream`` from the bot's gateway URL (binary zlib frames);
            if False, or for zstd-stream, frames are plain text, which discord.py also accepts.
        simulate_message_content_intent: like Discord, blank out content/embeds/attachments of guild
            MESSAGE_CREATEs that don't mention the bot when the bot did not IDENTIFY with the
            message_content intent.
        patch: point discord.py's URLs at this server while it runs (see :func:`patch_discord_urls`).

    Payload builders (``make_*``) default to the default guild's first text channel and USER_ID
    ("alice").  Their ``guild_id`` defaults to the sentinel -1 = "the channel's guild, else the default
    guild"; ``guild_id=None`` builds a DM payload.
    """

    def __init__(
        self,
        *,
        bot_id: int = BOT_ID,
        bot_name: str = "standin-bot",
        application_id: Optional[int] = None,
        token: str = "standin-token",
        guilds: Optional[Sequence[Json]] = None,
        heartbeat_interval_ms: int = 41_250,
        compress: bool = True,
        simulate_message_content_intent: bool = True,
        patch: bool = True,
    ) -> None:
        self.bot_id = bot_id
        self.application_id = application_id or bot_id
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.compress = compress
        self.simulate_message_content_intent = simulate_message_content_intent
        self.patch = patch
        self.bot_user: Json = make_user(bot_id, bot_name, bot=True)
        self.bot_user.update({"verified": True, "mfa_enabled": False, "locale": "en-US"})

        self.guilds: dict[int, Json] = {}
        for g in copy.deepcopy(list(guilds) if guilds is not None else [make_guild()]):
            if not any(int(m["user"]["id"]) == bot_id for m in g.setdefault("members", [])):
                g["members"].append(make_member(make_user(bot_id, bot_name, bot=True)))
                g["member_count"] = g.get("member_count", len(g["members"]) - 1) + 1
            g.setdefault("member_count", len(g["members"]))
            self.guilds[int(g["id"])] = g
        self.default_guild_id: int = next(iter(self.guilds), GUILD_ID)

        self.users: dict[int, Json] = {bot_id: self.bot_user}
        self.channels: dict[int, Json] = {}
        self.threads_started: list[Json] = []  # threads the bot started (POST .../messages/{id}/threads)
        for g in self.guilds.values():
            for m in g["members"]:
                self.users.setdefault(int(m["user"]["id"]), m["user"])
            for c in g["channels"]:
                c.setdefault("guild_id", g["id"])
                self.channels[int(c["id"])] = c
        first_guild = self.guilds.get(self.default_guild_id)
        text_channels = [c for c in (first_guild or {}).get("channels", []) if c.get("type") == 0]
        self.default_channel_id: int = int(text_channels[0]["id"]) if text_channels else CHANNEL_ID

        # Recorded traffic and simulated server state.
        self.requests: list[RecordedRequest] = []
        self.gateway_received: list[Json] = []  # every payload the bot sent on the gateway
        self.identify_payloads: list[Json] = []
        self.messages: dict[int, Json] = {}  # every message known: pushed and bot-created
        self.bot_messages: list[Json] = []  # messages the bot created, in order (live objects; edits apply)
        self.interactions: dict[int, Json] = {}
        self.synced_commands: dict[Optional[int], list[Json]] = {}  # None = global
        self.attachments: dict[int, tuple[str, bytes, str]] = {}  # id -> (filename, data, content type)

        self.internal_errors: list[str] = []  # exceptions raised while serving; should stay empty

        self._responded: set[int] = set()
        self._originals: dict[str, int] = {}  # interaction token -> original response message id
        self._by_token: dict[str, Json] = {}
        self._failures: list[InjectedFailure] = []
        self._conns: list[GatewayConnection] = []
        self._seq = 0
        self._session_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self._cond: Optional[asyncio.Condition] = None
        self._ready_sent: Optional[asyncio.Event] = None
        self._runner: Optional[web.AppRunner] = None
        self._patcher: Optional[contextlib.ExitStack] = None
        self.port: int = 0

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        """``ws://127.0.0.1:PORT/`` once started (also sent as READY's resume_gateway_url)."""
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> "DiscordStandin":
        """Bind a random free port on 127.0.0.1, start serving and (if ``patch``) repoint discord.py."""
        self._cond = asyncio.Condition()
        self._ready_sent = asyncio.Event()
        app = web.Application(client_max_size=1 << 28)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        if self.patch:
            self._patcher = contextlib.ExitStack()
            self._patcher.enter_context(patch_discord_urls(self.base_url))
        return self

    async def stop(self) -> None:
        """Close gateway sockets, stop the server, restore discord.py's URLs."""
        for conn in self._conns:
            if not conn.ws.closed:
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._patcher is not None:
            self._patcher.close()
            self._patcher = None

    async def __aenter__(self) -> "DiscordStandin":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.asynccontextmanager
    async def running(self, bot: discord.Client, *, timeout: float = 5.0) -> AsyncIterator[discord.Client]:
        """Log ``bot`` in, connect it, wait for on_ready; on exit ``bot.close()`` and await the connect task.

        Login is awaited directly (not via ``bot.start``) because ``wait_until_ready`` returns at once
        if called before login has created the client's ready event.
        """
        try:
            await asyncio.wait_for(bot.login(self.token), timeout)
        except BaseException:
            await bot.close()  # login opened an aiohttp session; don't leak it
            raise
        task = asyncio.create_task(bot.connect(reconnect=False), name="standin-bot-connect")
        try:
            ready = asyncio.create_task(bot.wait_until_ready())
            done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if ready not in done:
                ready.cancel()
                if task in done:
                    task.result()  # re-raise why the connection ended
                    raise StandinTimeout("bot.connect() returned before the bot became ready")
                raise StandinTimeout(f"bot not ready after {timeout}s; gateway saw {self.gateway_received!r}")
            yield bot
        finally:
            await bot.close()
            try:
                await asyncio.wait_for(task, timeout)
            except (asyncio.CancelledError, discord.ConnectionClosed):
                pass

    # -- ids ---------------------------------------------------------------------------------

    def snowflake(self) -> int:
        """A fresh snowflake for the current time (unique within this stand-in)."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._id_counter) & 0x3FFFFF)

    def dm_channel_id(self, user_id: int) -> int:
        """The (stable) id of the DM channel between the bot and ``user_id``; registered on first use."""
        cid = (user_id ^ 0x5A5A5A) | 1
        if cid not in self.channels:
            self.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "recipients": [self._user(user_id)],
                "flags": 0,
            }
        return cid

    @property
    def bot_mention(self) -> str:
        """``<@BOT_ID>``, to start a message that mentions the bot."""
        return f"<@{self.bot_id}>"

    def _user(self, user_id: int) -> Json:
        if user_id not in self.users:
            self.users[user_id] = make_user(user_id, f"user{user_id % 10000}")
        return self.users[user_id]

    def _member(self, guild_id: int, user_id: int) -> Json:
        g = self.guilds.get(guild_id)
        for m in (g or {}).get("members", []):
            if int(m["user"]["id"]) == user_id:
                return m
        return make_member(self._user(user_id))

    def _guild_of_channel(self, channel_id: int) -> Optional[int]:
        gid = self.channels.get(channel_id, {}).get("guild_id")
        return int(gid) if gid else None

    # -- HTTP entry ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._gateway(request)

        raw_path = request.path
        path = raw_path[len(API_PREFIX):] if raw_path.startswith(API_PREFIX + "/") else raw_path
        body = await request.read()
        parsed: Any = None
        files: list[RecordedFile] = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            parsed, files = parse_multipart(ctype, body)
        elif body and "json" in ctype:
            parsed = json.loads(body)
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=dict(request.headers),
            json=parsed,
            files=files,
            body=body,
        )
        try:
            response = self._injected_failure(rec) or await self._route(rec, api=raw_path.startswith(API_PREFIX + "/"))
        except Exception as exc:  # a stand-in bug: 400 (not 500, which discord.py retries with sleeps)
            self.internal_errors.append(f"{rec.method} {rec.path}: {exc!r}")
            response = error_response(400, 0, f"stand-in error: {exc!r}")
        rec.response_status = response.status
        if isinstance(response, web.Response) and response.body and response.content_type == "application/json":
            rec.response_json = json.loads(response.body)
        await self._record(rec)
        return response
