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
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as _dt
import itertools
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Iterator, Mapping, Optional, Sequence, Union

import discord
import discord.asset
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

__all__ = [
    "DiscordStandin",
    "RecordedRequest",
    "RecordedFile",
    "StandinTimeout",
    "patch_discord_urls",
    "make_user",
    "make_member",
    "make_text_channel",
    "make_role",
    "make_guild",
    "BOT_ID",
    "GUILD_ID",
    "CHANNEL_ID",
    "OTHER_CHANNEL_ID",
    "USER_ID",
    "OTHER_USER_ID",
]

# Fixed, realistic-looking snowflakes (they decode to dates in 2024) so tests can refer to them.
BOT_ID = 1_200_000_000_000_000_001
GUILD_ID = 1_200_000_000_000_000_100
CHANNEL_ID = 1_200_000_000_000_000_200
OTHER_CHANNEL_ID = 1_200_000_000_000_000_201
USER_ID = 1_200_000_000_000_000_300
OTHER_USER_ID = 1_200_000_000_000_000_301

DISCORD_EPOCH_MS = 1_420_070_400_000
API_PREFIX = "/api/v10"
MESSAGE_CONTENT_INTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Permissions Discord gives @everyone in a new server; a sensible default for "a normal user".
DEFAULT_EVERYONE_PERMISSIONS = "2248473465835073"
ALL_PERMISSIONS = str((1 << 53) - 1)

Json = dict[str, Any]


class StandinTimeout(AssertionError):
    """An awaited request/event did not arrive in time (an AssertionError, so pytest reports a failure)."""


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def _json_response(data: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> web.Response:
    """JSON response whose Content-Type is exactly ``application/json``.

    discord.py only parses bodies whose content type is exactly that string; aiohttp's
    ``json_response`` would append ``; charset=utf-8`` and the bot would receive a str.
    """
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=hdrs)


def _error(status: int, code: int, message: str) -> web.Response:
    return _json_response({"message": message, "code": code}, status=status)


# ---------------------------------------------------------------------------------------------
# Payload builders that need no stand-in state
# ---------------------------------------------------------------------------------------------


def make_user(user_id: int, username: str, *, bot: bool = False, global_name: Optional[str] = None) -> Json:
    """A user object as Discord sends it (new username system: discriminator "0")."""
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
    }


def make_member(user: Json, *, roles: Sequence[int] = (), nick: Optional[str] = None) -> Json:
    """A guild member object (with its user) as in GUILD_CREATE."""
    return {
        "user": user,
        "roles": [str(r) for r in roles],
        "nick": nick,
        "avatar": None,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def make_text_channel(channel_id: int, guild_id: int, name: str = "general", position: int = 0) -> Json:
    """A guild text channel (type 0) with no permission overwrites."""
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def make_role(role_id: int, name: str, permissions: Union[str, int] = "0", position: int = 0) -> Json:
    """A role; the @everyone role must have ``role_id == guild_id``."""
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def make_guild(
    guild_id: int = GUILD_ID,
    name: str = "Standin Guild",
    *,
    channels: Optional[Sequence[Json]] = None,
    members: Optional[Sequence[Json]] = None,
    roles: Optional[Sequence[Json]] = None,
    owner_id: int = USER_ID,
    everyone_permissions: str = DEFAULT_EVERYONE_PERMISSIONS,
) -> Json:
    """A full GUILD_CREATE payload.  The bot's member is added by the stand-in if missing.

    Defaults: two text channels (#general = CHANNEL_ID, #other = OTHER_CHANNEL_ID when the guild is
    GUILD_ID), an @everyone role and two human members (USER_ID "alice", OTHER_USER_ID "bob").
    """
    if channels is None:
        channels = [make_text_channel(CHANNEL_ID if guild_id == GUILD_ID else guild_id + 1, guild_id, "general", 0)]
        if guild_id == GUILD_ID:
            channels.append(make_text_channel(OTHER_CHANNEL_ID, guild_id, "other", 1))
    if roles is None:
        roles = [make_role(guild_id, "@everyone", everyone_permissions)]
    if members is None:
        members = [make_member(make_user(USER_ID, "alice")), make_member(make_user(OTHER_USER_ID, "bob"))]
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": list(roles),
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "large": False,
        "unavailable": False,
        "member_count": len(members),
        "voice_states": [],
        "members": list(members),
        "channels": list(channels),
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "lazy": True,
    }


# ---------------------------------------------------------------------------------------------
# URL patching
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------


@dataclass
class RecordedFile:
    """One uploaded file part of a multipart request (``files[n]``)."""

    field_name: str
    filename: Optional[str]
    content_type: Optional[str]
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the bot made.  ``json`` is the JSON body, or the ``payload_json`` part of a multipart body."""

    method: str
    path: str  # without the /api/v10 prefix for API routes, e.g. "/channels/1/messages"
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[RecordedFile]
    body: bytes
    response_status: int = 0
    response_json: Any = None
    index: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def message(self) -> Json:
        """The message-ish part: ``data`` of an interaction callback, the body otherwise (``{}`` if none)."""
        body = self.json if isinstance(self.json, dict) else {}
        if self.path.endswith("/callback"):
            return body.get("data") or {}
        return body

    @property
    def content(self) -> Optional[str]:
        """Shortcut for ``message.get("content")``."""
        return self.message.get("content")

    def is_callback_for(self, interaction: Union[Json, int, str]) -> bool:
        """True for ``POST /interactions/{id}/{token}/callback`` of that interaction (payload or id)."""
        iid = str(interaction["id"] if isinstance(interaction, dict) else interaction)
        return self.method == "POST" and bool(re.fullmatch(rf"/interactions/{iid}/[^/]+/callback", self.path))

    def is_webhook_for(self, interaction: Json, method: Optional[str] = None) -> bool:
        """True for any request on the interaction's follow-up webhook (optionally of one method)."""
        prefix = f"/webhooks/{interaction['application_id']}/{interaction['token']}"
        return (self.path == prefix or self.path.startswith(prefix + "/")) and (method is None or self.method == method)

    def __repr__(self) -> str:  # compact for failure messages
        body = json.dumps(self.json)[:200] if self.json is not None else ""
        return f"<{self.method} {self.path} -> {self.response_status} {body}>"


# ---------------------------------------------------------------------------------------------
# The stand-in
# ---------------------------------------------------------------------------------------------


class _GatewayConnection:
    """One gateway websocket.  Serialises sends because zlib-stream frames share one compressor."""

    def __init__(self, ws: web.WebSocketResponse, compress: Optional[str]) -> None:
        self.ws = ws
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._lock = asyncio.Lock()
        self.identify: Optional[Json] = None
        self.session_id: Optional[str] = None

    @property
    def intents(self) -> int:
        return int((self.identify or {}).get("intents", 0))

    async def send(self, payload: Json) -> None:
        text = json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is not None:
                await self.ws.send_bytes(self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH))
            else:
                await self.ws.send_str(text)


@dataclass
class _Failure:
    method: str
    path_regex: str
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int


Predicate = Callable[[RecordedRequest], bool]


class DiscordStandin:
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
        self._failures: list[_Failure] = []
        self._conns: list[_GatewayConnection] = []
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

    # -- gateway -----------------------------------------------------------------------------

    @property
    def connection(self) -> Optional[_GatewayConnection]:
        """The most recent identified, open gateway connection."""
        for conn in reversed(self._conns):
            if conn.identify is not None and not conn.ws.closed:
                return conn
        return None

    async def wait_until_identified(self, timeout: float = 5.0) -> None:
        """Wait until a bot has IDENTIFYed and been sent READY."""
        assert self._ready_sent is not None, "stand-in not started"
        try:
            await asyncio.wait_for(self._ready_sent.wait(), timeout)
        except asyncio.TimeoutError:
            raise StandinTimeout(f"no IDENTIFY within {timeout}s") from None

    async def dispatch(self, event: str, data: Json) -> int:
        """Send a dispatch event (op 0) to the bot; returns its sequence number.

        INTERACTION_CREATE payloads are remembered so their callbacks/webhooks know channel and type;
        MESSAGE_CREATE payloads are stored so the bot can fetch/reply to them.
        """
        conn = self.connection
        if conn is None:
            raise RuntimeError("no identified gateway connection; is the bot running?")
        data = copy.deepcopy(data)
        if event == "INTERACTION_CREATE":
            self.interactions[int(data["id"])] = data
            self._by_token[data["token"]] = data
        elif event == "MESSAGE_CREATE":
            self.messages[int(data["id"])] = copy.deepcopy(data)
            if self.simulate_message_content_intent and not conn.intents & MESSAGE_CONTENT_INTENT:
                mentioned = any(int(u["id"]) == self.bot_id for u in data.get("mentions", []))
                if data.get("guild_id") and not mentioned and int(data["author"]["id"]) != self.bot_id:
                    data.update(content="", embeds=[], attachments=[], components=[])
        return await self.send_op(0, data, event=event)

    async def send_op(self, op: int, data: Any, *, event: Optional[str] = None) -> int:
        """Send a raw gateway payload (e.g. op 7 RECONNECT, op 9 INVALID_SESSION); returns the seq (0 if none)."""
        conn = self.connection
        if conn is None:
            raise RuntimeError("no identified gateway connection")
        seq = 0
        payload: Json = {"op": op, "d": data, "s": None, "t": event}
        if op == 0:
            self._seq += 1
            seq = payload["s"] = self._seq
        await conn.send(payload)
        return seq

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        requested = request.query.get("compress")
        conn = _GatewayConnection(ws, requested if self.compress and requested == "zlib-stream" else None)
        self._conns.append(conn)
        await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            payload = json.loads(msg.data)
            assert self._cond is not None
            async with self._cond:
                self.gateway_received.append(payload)
                self._cond.notify_all()
            await self._on_gateway_payload(conn, payload)
        return ws

    async def _on_gateway_payload(self, conn: _GatewayConnection, payload: Json) -> None:
        op, d = payload.get("op"), payload.get("d")
        if op == 1:  # HEARTBEAT
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # IDENTIFY
            if d.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            conn.identify = d
            self.identify_payloads.append(d)
            conn.session_id = f"standin-session-{next(self._session_counter)}"
            self._seq = 0
            shard = d.get("shard") or [0, 1]
            ready = {
                "v": 10,
                "user": self.bot_user,
                "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
                "session_id": conn.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "shard": shard,
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "guild_join_requests": [],
                "user_settings": {},
                "auth_session_id_hash": "",
            }
            await self.send_op(0, ready, event="READY")
            for g in self.guilds.values():
                await self.send_op(0, g, event="GUILD_CREATE")
            assert self._ready_sent is not None
            self._ready_sent.set()
        elif op == 6:  # RESUME
            if d.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            old = next((c for c in self._conns if c.session_id == d.get("session_id")), None)
            conn.identify = old.identify if old else {}
            conn.session_id = d.get("session_id")
            await self.send_op(0, {}, event="RESUMED")
        elif op == 8:  # REQUEST_GUILD_MEMBERS: answer with every member we know
            gid = int(d["guild_id"]) if not isinstance(d["guild_id"], list) else int(d["guild_id"][0])
            g = self.guilds.get(gid, {"members": []})
            chunk = {
                "guild_id": str(gid),
                "members": g["members"],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "presences": [],
            }
            if d.get("nonce"):
                chunk["nonce"] = d["nonce"]
            await self.send_op(0, chunk, event="GUILD_MEMBERS_CHUNK")
        # op 3 (presence), 4 (voice state) ...: recorded in gateway_received, nothing to answer.

    # -- request recording and waiting -------------------------------------------------------

    def mark(self) -> int:
        """Current number of recorded requests; pass as ``after=`` to only wait for newer ones."""
        return len(self.requests)

    def find_requests(
        self, method: Optional[str] = None, path_regex: str = ".*", *, after: int = 0
    ) -> list[RecordedRequest]:
        """Recorded requests matching an HTTP method and a full-match regex on the path (no /api/v10)."""
        return [
            r
            for r in self.requests[after:]
            if (method is None or r.method == method) and re.fullmatch(path_regex, r.path)
        ]

    async def wait_for_request(self, predicate: Predicate, timeout: float = 5.0, *, after: int = 0) -> RecordedRequest:
        """The first recorded request (index >= ``after``) matching ``predicate``, waiting up to ``timeout``."""
        assert self._cond is not None, "stand-in not started"

        def find() -> Optional[RecordedRequest]:
            return next((r for r in self.requests[after:] if predicate(r)), None)

        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: find() is not None), timeout)
            except asyncio.TimeoutError:
                raise StandinTimeout(
                    f"no matching request within {timeout}s; recorded: {self.requests[after:]!r}"
                ) from None
        found = find()
        assert found is not None
        return found

    async def wait_for_gateway(
        self, predicate: Callable[[Json], bool], timeout: float = 5.0, *, after: int = 0
    ) -> Json:
        """The first payload the bot sent on the gateway (index >= ``after``) matching ``predicate``."""
        assert self._cond is not None, "stand-in not started"

        def find() -> Optional[Json]:
            return next((p for p in self.gateway_received[after:] if predicate(p)), None)

        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: find() is not None), timeout)
            except asyncio.TimeoutError:
                ops = [p.get("op") for p in self.gateway_received[after:]]
                raise StandinTimeout(f"no matching gateway payload within {timeout}s; ops seen: {ops}") from None
        found = find()
        assert found is not None
        return found

    async def wait_for_callback(self, interaction: Json, timeout: float = 5.0) -> RecordedRequest:
        """The interaction's ``POST .../callback`` request."""
        return await self.wait_for_request(lambda r: r.is_callback_for(interaction), timeout)

    async def wait_for_webhook(
        self, interaction: Json, method: Optional[str] = "POST", timeout: float = 5.0, *, after: int = 0
    ) -> RecordedRequest:
        """A request on the interaction's follow-up webhook (POST = follow-up, PATCH = edit original...)."""
        return await self.wait_for_request(lambda r: r.is_webhook_for(interaction, method), timeout, after=after)

    async def wait_for_channel_message(
        self, channel_id: Optional[int] = None, timeout: float = 5.0, *, after: int = 0
    ) -> RecordedRequest:
        """A ``POST /channels/{id}/messages`` (any channel if ``channel_id`` is None)."""
        cid = r"\d+" if channel_id is None else str(channel_id)
        return await self.wait_for_request(
            lambda r: r.method == "POST" and re.fullmatch(rf"/channels/{cid}/messages", r.path) is not None,
            timeout,
            after=after,
        )

    async def interact(self, interaction: Json, timeout: float = 5.0) -> RecordedRequest:
        """Push an INTERACTION_CREATE and return its callback request."""
        await self.dispatch("INTERACTION_CREATE", interaction)
        return await self.wait_for_callback(interaction, timeout)

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: Any = None,
        *,
        headers: Optional[Mapping[str, str]] = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` matching requests fail with ``status`` (JSON ``body``).

        429s get a ``retry_after`` body and a ``Via`` header by default (without ``Via``, discord.py
        takes a 429 for a Cloudflare ban and raises instead of retrying).
        """
        hdrs = dict(headers or {})
        if status == 429:
            if body is None:
                body = {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}
            hdrs.setdefault("Via", "1.1 google")
            hdrs.setdefault("Retry-After", "1")
        elif body is None:
            body = {"message": f"{status} error injected by stand-in", "code": 0}
        self._failures.append(_Failure(method.upper(), path_regex, status, body, hdrs, times))

    def add_attachment(self, filename: str, data: bytes, content_type: str = "application/octet-stream") -> Json:
        """Register bytes served at ``/attachments/{id}/{filename}``; returns the attachment object."""
        aid = self.snowflake()
        self.attachments[aid] = (filename, data, content_type)
        url = f"{self.base_url}/attachments/{aid}/{filename}"
        return {
            "id": str(aid),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    # -- HTTP --------------------------------------------------------------------------------

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
            parsed, files = self._parse_multipart(ctype, body)
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
            response = _error(400, 0, f"stand-in error: {exc!r}")
        rec.response_status = response.status
        if isinstance(response, web.Response) and response.body and response.content_type == "application/json":
            rec.response_json = json.loads(response.body)
        await self._record(rec)
        return response

    @staticmethod
    def _parse_multipart(content_type: str, body: bytes) -> tuple[Any, list[RecordedFile]]:
        """Split a multipart/form-data body into its ``payload_json`` (parsed) and file parts."""
        mt = re.search(r'boundary="?([^";]+)"?', content_type)
        if not mt:
            return None, []
        payload: Any = None
        files: list[RecordedFile] = []
        for chunk in body.split(b"--" + mt[1].encode())[1:]:
            if chunk.startswith(b"--"):
                break  # closing delimiter
            head, _, data = chunk.partition(b"\r\n\r\n")
            if data.endswith(b"\r\n"):
                data = data[:-2]
            headers = {}
            for line in head.decode("utf-8", "replace").split("\r\n"):
                if ":" in line:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
            disp = headers.get("content-disposition", "")
            name = re.search(r'(?<![a-z*])name="([^"]*)"', disp)
            filename = re.search(r'filename="([^"]*)"', disp)
            field_name = name[1] if name else ""
            if field_name == "payload_json":
                payload = json.loads(data)
            else:
                fname = filename[1] if filename else None
                files.append(RecordedFile(field_name, fname, headers.get("content-type"), data))
        return payload, files

    async def _record(self, rec: RecordedRequest) -> None:
        assert self._cond is not None
        async with self._cond:
            rec.index = len(self.requests)
            self.requests.append(rec)
            self._cond.notify_all()

    def _injected_failure(self, rec: RecordedRequest) -> Optional[web.Response]:
        for f in self._failures:
            if f.remaining > 0 and f.method == rec.method and re.fullmatch(f.path_regex, rec.path):
                f.remaining -= 1
                return _json_response(f.body, status=f.status, headers=f.headers)
        return None

    async def _route(self, rec: RecordedRequest, *, api: bool) -> web.StreamResponse:
        m, p = rec.method, rec.path
        if not api:
            mt = re.fullmatch(r"/attachments/(\d+)/[^/]+", p)
            if m == "GET" and mt and int(mt[1]) in self.attachments:
                filename, data, ctype = self.attachments[int(mt[1])]
                return web.Response(body=data, headers={"Content-Type": ctype})
            if p.startswith("/attachments/"):
                return web.Response(status=404, text="not found")
            return _json_response({})

        def match(method: str, pattern: str) -> Optional[re.Match[str]]:
            return re.fullmatch(pattern, p) if m == method else None

        # Interaction callbacks and webhooks authenticate with their token, not the bot token.
        if mt := match("POST", r"/interactions/(\d+)/([^/]+)/callback"):
            return self._interaction_callback(int(mt[1]), mt[2], rec)
        if mt := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(@original|\d+))?", p):
            return self._webhook(mt[2], mt[3], rec)

        if rec.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")

        if match("GET", r"/users/@me"):
            return _json_response(self.bot_user)
        if mt := match("GET", r"/users/(\d+)"):
            uid = int(mt[1])
            return _json_response(self.users[uid]) if uid in self.users else _error(404, 10013, "Unknown User")
        if match("POST", r"/users/@me/channels"):
            uid = int((rec.json or {})["recipient_id"])
            return _json_response(self.channels[self.dm_channel_id(uid)])
        if match("GET", r"(?:/oauth2)?/applications/@me"):
            return _json_response(self._application_info())
        if match("GET", r"/gateway") or match("GET", r"/gateway/bot"):
            return _json_response(
                {
                    "url": self.gateway_url.rstrip("/"),
                    "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
                }
            )
        if mt := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands(?:/(\d+))?", p):
            return self._commands(int(mt[2]) if mt[2] else None, int(mt[3]) if mt[3] else None, rec)
        if mt := re.fullmatch(r"/channels/(\d+)(/.*)?", p):
            return self._channel(int(mt[1]), mt[2] or "", rec)
        if mt := match("GET", r"/guilds/(\d+)"):
            gid = int(mt[1])
            return _json_response(self.guilds[gid]) if gid in self.guilds else _error(404, 10004, "Unknown Guild")
        if mt := match("GET", r"/guilds/(\d+)/members/(\d+)"):
            return _json_response(self._member(int(mt[1]), int(mt[2])))
        if mt := match("GET", r"/guilds/(\d+)/channels"):
            return _json_response(self.guilds.get(int(mt[1]), {}).get("channels", []))
        return _json_response({})

    def _application_info(self) -> Json:
        """GET /oauth2/applications/@me: discord.py 2.7.1 calls it on every login (Client.login -> application_info)."""
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self._user(USER_ID),
            "team": None,
            "bot": self.bot_user,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
        }

    # -- messages ----------------------------------------------------------------------------

    def _build_message(
        self,
        body: Json,
        files: Sequence[RecordedFile],
        *,
        channel_id: int,
        guild_id: Optional[int],
        msg_type: int = 0,
        extra_flags: int = 0,
        webhook: bool = False,
        previous: Optional[Json] = None,
    ) -> Json:
        """A message object from a create/edit body, as Discord would return it (and store it)."""
        msg: Json = copy.deepcopy(previous) if previous else {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": msg_type,
            "flags": 0,
        }
        if guild_id is not None and not previous:
            msg["guild_id"] = str(guild_id)
        if webhook:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
        for key in ("content", "embeds", "components", "tts", "poll", "sticker_ids"):
            if key in body and body[key] is not None:
                msg[key] = body[key]
        if previous:
            msg["edited_timestamp"] = _now_iso()
            msg["flags"] = int(msg.get("flags", 0)) & ~LOADING
        if "flags" in body and body["flags"] is not None:
            msg["flags"] = int(body["flags"])
        msg["flags"] = int(msg.get("flags", 0)) | extra_flags
        if "attachments" in body or files:
            msg["attachments"] = self._attachments_for(body.get("attachments"), files, previous)
        ref = body.get("message_reference")
        if ref and not previous:
            # discord.py sends ints; Discord answers with string snowflakes.
            msg["message_reference"] = {k: str(v) if k.endswith("_id") and v is not None else v for k, v in ref.items()}
            msg["type"] = 19
            target = self.messages.get(int(ref.get("message_id", 0) or 0))
            if target is not None:
                msg["referenced_message"] = copy.deepcopy(target)
        self.messages[int(msg["id"])] = msg
        return msg

    def _attachments_for(
        self, entries: Optional[Sequence[Json]], files: Sequence[RecordedFile], previous: Optional[Json]
    ) -> list[Json]:
        by_field = {f.field_name: f for f in files}
        old = {a["id"]: a for a in (previous or {}).get("attachments", [])}
        out: list[Json] = []
        if entries is None:  # files without an attachments array: one attachment per file
            entries = [{"id": i} for i in range(len(files))]
        for entry in entries:
            key = str(entry.get("id"))
            if key in old:
                out.append(old[key])
            elif f"files[{key}]" in by_field:
                f = by_field[f"files[{key}]"]
                att = self.add_attachment(
                    entry.get("filename") or f.filename or "file", f.data, f.content_type or "application/octet-stream"
                )
                if entry.get("description"):
                    att["description"] = entry["description"]
                out.append(att)
        return out

    def _created(self, msg: Json) -> Json:
        self.bot_messages.append(msg)
        return msg

    def last_bot_message(self, channel_id: Optional[int] = None) -> Optional[Json]:
        """The newest message the bot created (optionally in one channel)."""
        for msg in reversed(self.bot_messages):
            if channel_id is None or int(msg["channel_id"]) == channel_id:
                return msg
        return None

    def _interaction_channel(self, interaction: Optional[Json]) -> tuple[int, Optional[int]]:
        if interaction is None:
            return self.default_channel_id, self._guild_of_channel(self.default_channel_id)
        gid = interaction.get("guild_id")
        return int(interaction["channel_id"]), int(gid) if gid else None

    def _interaction_callback(self, iid: int, token: str, rec: RecordedRequest) -> web.Response:
        body = rec.json or {}
        interaction = self.interactions.get(iid)
        if iid in self._responded:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        self._responded.add(iid)
        rtype = int(body.get("type", 0))
        data = body.get("data") or {}
        itype = interaction["type"] if interaction else 2
        meta: Json = {"id": str(iid), "type": itype}
        result: Json = {"interaction": meta}
        channel_id, guild_id = self._interaction_channel(interaction)
        if rtype in (4, 5):  # channel message (with source) / deferred channel message
            kind = (interaction or {}).get("data", {}).get("type", 1) if itype == 2 else 0
            msg_type = {1: 20, 2: 23, 3: 23}.get(kind, 0) if itype == 2 else 0
            flags = int(data.get("flags") or 0)
            msg = self._created(
                self._build_message(
                    data, rec.files, channel_id=channel_id, guild_id=guild_id, msg_type=msg_type,
                    extra_flags=LOADING if rtype == 5 else 0, webhook=True,
                )
            )
            self._originals[token] = int(msg["id"])
            meta.update(
                response_message_id=msg["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            result["resource"] = {"type": rtype, "message": msg}
        elif rtype == 7 and interaction and interaction.get("message"):  # update the component's message
            mid = int(interaction["message"]["id"])
            previous = self.messages.get(mid, interaction["message"])
            msg = self._build_message(data, rec.files, channel_id=channel_id, guild_id=guild_id, previous=previous)
            self._originals[token] = mid
            meta.update(response_message_id=str(mid), response_message_loading=False, response_message_ephemeral=False)
            result["resource"] = {"type": rtype, "message": msg}
        elif rtype == 1:  # PONG
            pass
        else:  # 6 deferred update, 8 autocomplete result, 9 modal, ...
            if rtype == 6 and interaction and interaction.get("message"):
                self._originals[token] = int(interaction["message"]["id"])
            result["resource"] = {"type": rtype}
        return _json_response(result)

    def _webhook(self, token: str, message_ref: Optional[str], rec: RecordedRequest) -> web.StreamResponse:
        interaction = self._by_token.get(token)
        channel_id, guild_id = self._interaction_channel(interaction)
        body = rec.json or {}
        if message_ref is None:
            if rec.method != "POST":
                return _json_response({"id": str(self.application_id), "type": 3, "token": token,
                                       "application_id": str(self.application_id), "channel_id": str(channel_id)})
            original = self.messages.get(self._originals.get(token, -1))
            if original is not None and int(original.get("flags", 0)) & LOADING:
                # Like Discord: the first follow-up after a "thinking" defer fills the deferred message.
                return _json_response(self._edit_in_place(original, body, rec.files))
            msg = self._created(
                self._build_message(body, rec.files, channel_id=channel_id, guild_id=guild_id, webhook=True)
            )
            return _json_response(msg)
        mid = self._originals.get(token) if message_ref == "@original" else int(message_ref)
        msg = self.messages.get(mid) if mid is not None else None
        if msg is None:
            return _error(404, 10008, "Unknown Message")
        if rec.method == "GET":
            return _json_response(msg)
        if rec.method == "PATCH":
            return _json_response(self._edit_in_place(msg, body, rec.files))
        if rec.method == "DELETE":
            self.messages.pop(int(msg["id"]), None)
            return web.Response(status=204)
        return _error(405, 0, "405: Method Not Allowed")

    def _edit_in_place(self, msg: Json, body: Json, files: Sequence[RecordedFile]) -> Json:
        """Apply an edit to a stored message object (keeps object identity, so ``bot_messages`` sees it)."""
        gid = msg.get("guild_id")
        edited = self._build_message(
            body, files, channel_id=int(msg["channel_id"]), guild_id=int(gid) if gid else None, previous=msg
        )
        msg.clear()
        msg.update(edited)
        self.messages[int(msg["id"])] = msg
        return msg

    def _channel(self, channel_id: int, rest: str, rec: RecordedRequest) -> web.StreamResponse:
        m = rec.method
        guild_id = self._guild_of_channel(channel_id)
        body = rec.json or {}
        if rest == "" and m == "GET":
            ch = self.channels.get(channel_id)
            return _json_response(ch) if ch else _error(404, 10003, "Unknown Channel")
        if rest == "/messages" and m == "POST":
            msg = self._created(self._build_message(body, rec.files, channel_id=channel_id, guild_id=guild_id))
            return _json_response(msg)
        if rest == "/messages" and m == "GET":
            limit = int(rec.query.get("limit", 50))
            found = [x for x in self.messages.values() if int(x["channel_id"]) == channel_id]
            found.sort(key=lambda x: int(x["id"]), reverse=True)
            return _json_response(found[:limit])
        if rest == "/typing":
            return web.Response(status=204)
        if mt := re.fullmatch(r"/messages/(\d+)", rest):
            msg = self.messages.get(int(mt[1]))
            if msg is None:
                return _error(404, 10008, "Unknown Message")
            if m == "GET":
                return _json_response(msg)
            if m == "PATCH":
                return _json_response(self._edit_in_place(msg, body, rec.files))
            if m == "DELETE":
                self.messages.pop(int(mt[1]), None)
                return web.Response(status=204)
        if re.fullmatch(r"/messages/\d+/reactions/.*", rest):
            return web.Response(status=204)
        return _json_response({})

    def _commands(self, guild_id: Optional[int], command_id: Optional[int], rec: RecordedRequest) -> web.Response:
        def finish(cmd: Json, old: Optional[Json] = None) -> Json:
            out = {
                "id": (old or {}).get("id") or str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
            }
            out.update(cmd)
            if guild_id is not None:
                out["guild_id"] = str(guild_id)
            return out

        current = self.synced_commands.setdefault(guild_id, [])
        if rec.method == "PUT" and command_id is None:
            by_key = {(c["name"], c.get("type", 1)): c for c in current}
            current[:] = [finish(c, by_key.get((c["name"], c.get("type", 1)))) for c in (rec.json or [])]
            return _json_response(current)
        if rec.method == "GET" and command_id is None:
            return _json_response(current)
        if rec.method == "POST":
            cmd = finish(rec.json or {})
            current[:] = [c for c in current if c["name"] != cmd["name"]] + [cmd]
            return _json_response(cmd, status=201)
        found = next((c for c in current if int(c["id"]) == command_id), None)
        if found is None:
            return _error(404, 10063, "Unknown application command")
        if rec.method == "GET":
            return _json_response(found)
        if rec.method == "PATCH":
            found.update(rec.json or {})
            return _json_response(found)
        if rec.method == "DELETE":
            current.remove(found)
            return web.Response(status=204)
        return _error(405, 0, "405: Method Not Allowed")

    # -- payload builders --------------------------------------------------------------------

    def make_message(
        self,
        content: str,
        *,
        guild_id: Optional[int] = -1,
        channel_id: Optional[int] = None,
        author_id: int = USER_ID,
        mentions: Optional[Sequence[Union[int, Json]]] = None,
        attachments: Sequence[Json] = (),
        reference: Optional[Json] = None,
    ) -> Json:
        """A MESSAGE_CREATE payload from a user.

        ``guild_id=None`` makes a DM (channel = the user's DM channel, no guild_id/member).  By default
        ``mentions`` is derived from ``<@id>`` tokens in ``content`` (as Discord does), so
        ``make_message(f"{standin.bot_mention} hi")`` mentions the bot.  ``reference`` is a message
        object being replied to.
        """
        if guild_id == -1:
            guild_id = self._guild_of_channel(channel_id) if channel_id else self.default_guild_id
        if channel_id is None:
            channel_id = self.default_channel_id if guild_id is not None else self.dm_channel_id(author_id)
        if mentions is None:
            mentions = [int(x) for x in re.findall(r"<@!?(\d+)>", content)]
        mention_objs = [self._user(x) if isinstance(x, int) else x for x in mentions]
        msg: Json = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": copy.deepcopy(self._user(author_id)),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content,
            "mentions": copy.deepcopy(mention_objs),
            "mention_roles": [],
            "attachments": list(attachments),
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "nonce": str(self.snowflake()),
        }
        if guild_id is not None:
            msg["guild_id"] = str(guild_id)
            member = copy.deepcopy(self._member(guild_id, author_id))
            member.pop("user", None)
            msg["member"] = member
        if reference is not None:
            msg["type"] = 19
            msg["message_reference"] = {
                "type": 0,
                "message_id": reference["id"],
                "channel_id": reference["channel_id"],
                **({"guild_id": reference["guild_id"]} if reference.get("guild_id") else {}),
            }
            msg["referenced_message"] = copy.deepcopy(reference)
        return msg

    def make_dm_message(self, content: str, *, author_id: int = USER_ID) -> Json:
        """A MESSAGE_CREATE for a direct message to the bot."""
        return self.make_message(content, guild_id=None, author_id=author_id)

    def _base_interaction(
        self,
        itype: int,
        *,
        guild_id: Optional[int],
        channel_id: Optional[int],
        user_id: int,
        permissions: Union[str, int],
        locale: str,
    ) -> Json:
        iid = self.snowflake()
        if guild_id == -1:
            guild_id = self._guild_of_channel(channel_id) if channel_id else self.default_guild_id
        if channel_id is None:
            channel_id = self.default_channel_id if guild_id is not None else self.dm_channel_id(user_id)
        payload: Json = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "token": f"standin-itoken-{iid}",
            "version": 1,
            "locale": locale,
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": ALL_PERMISSIONS,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "channel_id": str(channel_id),
        }
        if guild_id is not None:
            channel = copy.deepcopy(self.channels.get(channel_id) or make_text_channel(channel_id, guild_id))
            member = copy.deepcopy(self._member(guild_id, user_id))
            member["permissions"] = str(permissions)
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel=channel,
                member=member,
                authorizing_integration_owners={"0": str(guild_id)},
                context=0,
            )
        else:
            dm = self.channels.get(channel_id) or {"id": str(channel_id), "type": 1, "recipients": []}
            channel = copy.deepcopy(dm)
            payload.update(
                channel=channel,
                user=copy.deepcopy(self._user(user_id)),
                authorizing_integration_owners={"0": "0"},  # guild-installed app used in the bot's DM
                context=1,
            )
        return payload

    @staticmethod
    def _option(name: str, value: Any) -> Json:
        if isinstance(value, dict) and "filename" in value and "url" in value:
            return {"name": name, "type": 11, "value": value["id"]}
        if isinstance(value, bool):
            return {"name": name, "type": 5, "value": value}
        if isinstance(value, int):
            return {"name": name, "type": 4, "value": value}
        if isinstance(value, float):
            return {"name": name, "type": 10, "value": value}
        return {"name": name, "type": 3, "value": str(value)}

    def _options(
        self, options: Union[None, Mapping[str, Any], Sequence[Json]], resolved: Json
    ) -> list[Json]:
        """Options from a ``{name: value}`` mapping (types inferred; attachment objects -> type 11) or a raw list."""
        if options is None:
            return []
        if not isinstance(options, Mapping):
            return [dict(o) for o in options]
        out = []
        for name, value in options.items():
            opt = self._option(name, value)
            if opt["type"] == 11:
                resolved.setdefault("attachments", {})[value["id"]] = value
            out.append(opt)
        return out

    def make_slash_interaction(
        self,
        name: str,
        options: Union[None, Mapping[str, Any], Sequence[Json]] = None,
        *,
        guild_id: Optional[int] = -1,
        channel_id: Optional[int] = None,
        user_id: int = USER_ID,
        permissions: Union[str, int] = "0",
        subcommand: Optional[str] = None,
        subcommand_group: Optional[str] = None,
        attachments: Optional[Mapping[str, Json]] = None,
        resolved: Optional[Json] = None,
        command_id: Optional[int] = None,
        guild_command: Optional[bool] = None,
        locale: str = "en-US",
    ) -> Json:
        """An INTERACTION_CREATE payload for ``/name [group] [subcommand] options...``.

        ``options``: ``{"query": "x", "k": 3}`` (types inferred: str/int/float/bool, attachment object ->
        type 11) or a raw option list.  ``attachments``: ``{option_name: standin.add_attachment(...)}``.
        ``permissions``: the invoking member's permission bitfield (what run-time checks such as
        ``app_commands.checks.has_permissions`` read).  ``guild_id=None`` makes a DM invocation.
        ``guild_command``: set ``data.guild_id`` (discord.py only looks a command up among a guild's
        commands when it is set); None = only if the stand-in saw the command synced to that guild.
        """
        payload = self._base_interaction(
            2, guild_id=guild_id, channel_id=channel_id, user_id=user_id, permissions=permissions, locale=locale
        )
        res: Json = copy.deepcopy(resolved) if resolved else {}
        opts = self._options(options, res)
        for opt_name, att in (attachments or {}).items():
            opts.append({"name": opt_name, "type": 11, "value": att["id"]})
            res.setdefault("attachments", {})[att["id"]] = att
        if subcommand is not None:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        if subcommand_group is not None:
            opts = [{"name": subcommand_group, "type": 2, "options": opts}]
        cmd_id = command_id or self._command_id(name, 1)
        data: Json = {"id": str(cmd_id), "name": name, "type": 1, "options": opts}
        if res:
            data["resolved"] = res
        payload["data"] = self._scope(data, payload, guild_command)
        return payload

    def _command_id(self, name: str, ctype: int) -> int:
        for cmds in self.synced_commands.values():
            for c in cmds:
                if c["name"] == name and c.get("type", 1) == ctype:
                    return int(c["id"])
        return self.snowflake()

    def _scope(self, data: Json, payload: Json, guild_command: Optional[bool]) -> Json:
        """Add ``data.guild_id`` for a guild-scoped command (explicitly, or if synced to that guild)."""
        gid = payload.get("guild_id")
        if gid and guild_command is None:
            synced = self.synced_commands.get(int(gid), [])
            guild_command = any(c["name"] == data["name"] and c.get("type", 1) == data["type"] for c in synced)
        if gid and guild_command:
            data["guild_id"] = gid
        return data

    def make_autocomplete_interaction(
        self,
        name: str,
        options: Union[Mapping[str, Any], Sequence[Json]],
        focused: str,
        *,
        guild_id: Optional[int] = -1,
        channel_id: Optional[int] = None,
        user_id: int = USER_ID,
        permissions: Union[str, int] = "0",
        subcommand: Optional[str] = None,
        guild_command: Optional[bool] = None,
        locale: str = "en-US",
    ) -> Json:
        """An autocomplete (type 4) payload: the user is typing option ``focused`` of ``/name``."""
        payload = self.make_slash_interaction(
            name, options, guild_id=guild_id, channel_id=channel_id, user_id=user_id,
            permissions=permissions, subcommand=subcommand, guild_command=guild_command, locale=locale,
        )
        payload["type"] = 4
        opts = payload["data"]["options"]
        if subcommand is not None:
            opts = opts[0]["options"]
        for opt in opts:
            if opt["name"] == focused:
                opt["focused"] = True
                opt["value"] = str(opt.get("value", ""))  # Discord sends the raw text being typed
        return payload

    def make_message_context_interaction(
        self,
        name: str,
        target: Json,
        *,
        guild_id: Optional[int] = -1,
        channel_id: Optional[int] = None,
        user_id: int = USER_ID,
        permissions: Union[str, int] = "0",
        guild_command: Optional[bool] = None,
        locale: str = "en-US",
    ) -> Json:
        """A message context-menu command (data.type 3) on ``target`` (a message object, e.g. from make_message)."""
        if channel_id is None and guild_id == -1:
            channel_id = int(target["channel_id"])
        payload = self._base_interaction(
            2, guild_id=guild_id, channel_id=channel_id, user_id=user_id, permissions=permissions, locale=locale
        )
        resolved: Json = {"messages": {target["id"]: copy.deepcopy(target)}}
        return self._context_command(payload, name, 3, target["id"], resolved, guild_command)

    def make_user_context_interaction(
        self,
        name: str,
        target_user_id: int,
        *,
        guild_id: Optional[int] = -1,
        channel_id: Optional[int] = None,
        user_id: int = USER_ID,
        permissions: Union[str, int] = "0",
        guild_command: Optional[bool] = None,
        locale: str = "en-US",
    ) -> Json:
        """A user context-menu command (data.type 2) on ``target_user_id``."""
        payload = self._base_interaction(
            2, guild_id=guild_id, channel_id=channel_id, user_id=user_id, permissions=permissions, locale=locale
        )
        resolved: Json = {"users": {str(target_user_id): copy.deepcopy(self._user(target_user_id))}}
        if payload.get("guild_id"):
            member = copy.deepcopy(self._member(int(payload["guild_id"]), target_user_id))
            member.pop("user", None)
            member["permissions"] = "0"
            resolved["members"] = {str(target_user_id): member}
        return self._context_command(payload, name, 2, str(target_user_id), resolved, guild_command)

    def _context_command(self, payload: Json, name: str, command_type: int, target_id: str, resolved: Json,
                         guild_command: Optional[bool]) -> Json:
        """The data of a context-menu command (type 2 user, 3 message) on its target, scoped like the command."""
        data = {"id": str(self._command_id(name, command_type)), "name": name, "type": command_type,
                "target_id": target_id, "resolved": resolved}
        payload["data"] = self._scope(data, payload, guild_command)
        return payload

    def make_component_interaction(
        self,
        custom_id: str,
        message: Union[None, int, Json] = None,
        *,
        component_type: int = 2,
        values: Optional[Sequence[str]] = None,
        guild_id: Optional[int] = -1,
        channel_id: Optional[int] = None,
        user_id: int = USER_ID,
        permissions: Union[str, int] = "0",
        locale: str = "en-US",
    ) -> Json:
        """A button click (component_type 2) or select (3, with ``values``) on ``message``.

        ``message``: a message object, a message id known to the stand-in, or None for the bot's newest
        message (e.g. the one its interaction response created, whose id discord.py used to register
        the view).
        """
        if message is None:
            message = self.last_bot_message(channel_id)
            if message is None:
                raise LookupError("no bot message to click on; pass message=")
        elif isinstance(message, int):
            message = self.messages[message]
        if channel_id is None and guild_id == -1:
            channel_id = int(message["channel_id"])
        payload = self._base_interaction(
            3, guild_id=guild_id, channel_id=channel_id, user_id=user_id, permissions=permissions, locale=locale
        )
        data: Json = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type != 2:
            data["values"] = list(values or [])
        payload["data"] = data
        payload["message"] = copy.deepcopy(message)
        return payload

    def make_modal_submit_interaction(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        message: Optional[Json] = None,
        guild_id: Optional[int] = -1,
        channel_id: Optional[int] = None,
        user_id: int = USER_ID,
        permissions: Union[str, int] = "0",
        locale: str = "en-US",
    ) -> Json:
        """A modal submit (type 5): ``values`` maps each text input's custom_id to what the user typed."""
        payload = self._base_interaction(
            5, guild_id=guild_id, channel_id=channel_id, user_id=user_id, permissions=permissions, locale=locale
        )
        payload["data"] = {
            "custom_id": custom_id,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": cid, "value": val}]} for cid, val in values.items()
            ],
        }
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload
