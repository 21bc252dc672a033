"""The websocket side: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, member chunks, dispatches."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import zlib
from typing import Any, Optional

from aiohttp import WSMsgType, web

from .payloads import MESSAGE_CONTENT_INTENT, Json
from .recorder import RecordedRequest, StandinTimeout


class GatewayConnection:
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


class GatewaySide:
    """The gateway part of :class:`DiscordStandin`: one bot's websocket connections and what is sent on them."""

    _conns: list[GatewayConnection]
    _seq: int
    _session_counter: itertools.count
    _ready_sent: Optional[asyncio.Event]

    @property
    def connection(self) -> Optional[GatewayConnection]:
        """The most recent identified, open gateway connection."""
        for conn in reversed(self._conns):
            if conn.identify is not None and not conn.ws.closed:
                return conn
        return None

    def connection_for(self, guild_id: Optional[int]) -> Optional[GatewayConnection]:
        """The open connection whose shard has this guild, as Discord routes: shard = (guild_id >> 22) % count;
        direct messages (no guild) go to shard 0. Unsharded bots have one connection: the most recent."""
        for conn in reversed(self._conns):
            if conn.identify is None or conn.ws.closed:
                continue
            shard_id, count = conn.identify.get("shard") or [0, 1]
            if count <= 1 or shard_id == ((guild_id or 0) >> 22) % count:
                return conn
        return None

    def guilds_of(self, conn: GatewayConnection) -> list[Json]:
        shard_id, count = (conn.identify or {}).get("shard") or [0, 1]
        return [g for gid, g in self.guilds.items() if count <= 1 or (int(gid) >> 22) % count == shard_id]

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
        guild = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        conn = self.connection_for(int(guild) if guild else None)
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
        return await self.send_op(0, data, event=event, conn=conn)

    async def send_op(self, op: int, data: Any, *, event: Optional[str] = None,
                      conn: Optional[GatewayConnection] = None) -> int:
        """Send a raw gateway payload (e.g. op 7 RECONNECT, op 9 INVALID_SESSION) on `conn` (default: the most
        recent connection); returns the seq (0 if none)."""
        conn = conn or self.connection
        if conn is None:
            raise RuntimeError("no identified gateway connection")
        seq = 0
        payload: Json = {"op": op, "d": data, "s": None, "t": event}
        if op == 0:
            self._seq += 1
            seq = payload["s"] = self._seq
        await conn.send(payload)
        return seq

    async def interact(self, interaction: Json, timeout: float = 5.0) -> RecordedRequest:
        """Push an INTERACTION_CREATE and return its callback request."""
        await self.dispatch("INTERACTION_CREATE", interaction)
        return await self.wait_for_callback(interaction, timeout)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        requested = request.query.get("compress")
        conn = GatewayConnection(ws, requested if self.compress and requested == "zlib-stream" else None)
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

    async def _on_gateway_payload(self, conn: GatewayConnection, payload: Json) -> None:
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
                "guilds": [{"id": str(g["id"]), "unavailable": True} for g in self.guilds_of(conn)],
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
            await self.send_op(0, ready, event="READY", conn=conn)
            for g in self.guilds_of(conn):
                await self.send_op(0, g, event="GUILD_CREATE", conn=conn)
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
