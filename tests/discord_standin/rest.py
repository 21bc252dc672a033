"""The REST routes: login, gateway URL, command sync, interaction callbacks, follow-up webhooks, channels, guilds.

Responses are what Discord would answer (the message objects come from :mod:`.messages`); a test can make
the next matching requests fail (``fail_next``).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from aiohttp import web

from .payloads import EPHEMERAL, LOADING, USER_ID, Json, now_iso
from .recorder import RecordedRequest


def json_response(data: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> web.Response:
    """JSON response whose Content-Type is exactly ``application/json``.

    discord.py only parses bodies whose content type is exactly that string; aiohttp's
    ``json_response`` would append ``; charset=utf-8`` and the bot would receive a str.
    """
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=hdrs)


def error_response(status: int, code: int, message: str) -> web.Response:
    return json_response({"message": message, "code": code}, status=status)


@dataclass
class InjectedFailure:
    method: str
    path_regex: str
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int


class RestRoutes:
    """The REST part of :class:`DiscordStandin`: one handler per group of routes, and injected failures."""

    _failures: list[InjectedFailure]

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
        self._failures.append(InjectedFailure(method.upper(), path_regex, status, body, hdrs, times))

    def _injected_failure(self, rec: RecordedRequest) -> Optional[web.Response]:
        for f in self._failures:
            if f.remaining > 0 and f.method == rec.method and re.fullmatch(f.path_regex, rec.path):
                f.remaining -= 1
                return json_response(f.body, status=f.status, headers=f.headers)
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
            return json_response({})

        def match(method: str, pattern: str) -> Optional[re.Match[str]]:
            return re.fullmatch(pattern, p) if m == method else None

        # Interaction callbacks and webhooks authenticate with their token, not the bot token.
        if mt := match("POST", r"/interactions/(\d+)/([^/]+)/callback"):
            return self._interaction_callback(int(mt[1]), mt[2], rec)
        if mt := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(@original|\d+))?", p):
            return self._webhook(mt[2], mt[3], rec)

        if rec.headers.get("Authorization") != f"Bot {self.token}":
            return error_response(401, 0, "401: Unauthorized")

        if match("GET", r"/users/@me"):
            return json_response(self.bot_user)
        if mt := match("GET", r"/users/(\d+)"):
            uid = int(mt[1])
            return json_response(self.users[uid]) if uid in self.users else error_response(404, 10013, "Unknown User")
        if match("POST", r"/users/@me/channels"):
            uid = int((rec.json or {})["recipient_id"])
            return json_response(self.channels[self.dm_channel_id(uid)])
        if match("GET", r"(?:/oauth2)?/applications/@me"):
            return json_response(self._application_info())
        if match("GET", r"/gateway") or match("GET", r"/gateway/bot"):
            return json_response(
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
            return json_response(self.guilds[gid]) if gid in self.guilds else error_response(404, 10004, "Unknown Guild")
        if mt := match("GET", r"/guilds/(\d+)/members/(\d+)"):
            return json_response(self._member(int(mt[1]), int(mt[2])))
        if mt := match("GET", r"/guilds/(\d+)/channels"):
            return json_response(self.guilds.get(int(mt[1]), {}).get("channels", []))
        return json_response({})

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

    def _interaction_callback(self, iid: int, token: str, rec: RecordedRequest) -> web.Response:
        body = rec.json or {}
        interaction = self.interactions.get(iid)
        if iid in self._responded:
            return error_response(400, 40060, "Interaction has already been acknowledged.")
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
        return json_response(result)

    def _webhook(self, token: str, message_ref: Optional[str], rec: RecordedRequest) -> web.StreamResponse:
        interaction = self._by_token.get(token)
        channel_id, guild_id = self._interaction_channel(interaction)
        body = rec.json or {}
        if message_ref is None:
            if rec.method != "POST":
                return json_response({"id": str(self.application_id), "type": 3, "token": token,
                                       "application_id": str(self.application_id), "channel_id": str(channel_id)})
            original = self.messages.get(self._originals.get(token, -1))
            if original is not None and int(original.get("flags", 0)) & LOADING:
                # Like Discord: the first follow-up after a "thinking" defer fills the deferred message.
                return json_response(self._edit_in_place(original, body, rec.files))
            msg = self._created(
                self._build_message(body, rec.files, channel_id=channel_id, guild_id=guild_id, webhook=True)
            )
            return json_response(msg)
        mid = self._originals.get(token) if message_ref == "@original" else int(message_ref)
        msg = self.messages.get(mid) if mid is not None else None
        if msg is None:
            return error_response(404, 10008, "Unknown Message")
        if rec.method == "GET":
            return json_response(msg)
        if rec.method == "PATCH":
            return json_response(self._edit_in_place(msg, body, rec.files))
        if rec.method == "DELETE":
            self.messages.pop(int(msg["id"]), None)
            return web.Response(status=204)
        return error_response(405, 0, "405: Method Not Allowed")

    def _channel(self, channel_id: int, rest: str, rec: RecordedRequest) -> web.StreamResponse:
        m = rec.method
        guild_id = self._guild_of_channel(channel_id)
        body = rec.json or {}
        if rest == "" and m == "GET":
            ch = self.channels.get(channel_id)
            return json_response(ch) if ch else error_response(404, 10003, "Unknown Channel")
        if rest == "/messages" and m == "POST":
            msg = self._created(self._build_message(body, rec.files, channel_id=channel_id, guild_id=guild_id))
            return json_response(msg)
        if rest == "/messages" and m == "GET":
            limit = int(rec.query.get("limit", 50))
            found = [x for x in self.messages.values() if int(x["channel_id"]) == channel_id]
            found.sort(key=lambda x: int(x["id"]), reverse=True)
            return json_response(found[:limit])
        if rest == "/typing":
            return web.Response(status=204)
        if mt := re.fullmatch(r"/messages/(\d+)", rest):
            msg = self.messages.get(int(mt[1]))
            if msg is None:
                return error_response(404, 10008, "Unknown Message")
            if m == "GET":
                return json_response(msg)
            if m == "PATCH":
                return json_response(self._edit_in_place(msg, body, rec.files))
            if m == "DELETE":
                self.messages.pop(int(mt[1]), None)
                return web.Response(status=204)
        if re.fullmatch(r"/messages/\d+/reactions/.*", rest):
            return web.Response(status=204)
        if (mt := re.fullmatch(r"/messages/(\d+)/threads", rest)) and m == "POST":
            return self._start_thread(channel_id, int(mt[1]), body)
        return json_response({})

    def _start_thread(self, channel_id: int, message_id: int, body: Json) -> web.StreamResponse:
        """POST /channels/{id}/messages/{id}/threads: a public thread from a message, owned by the bot; a
        THREAD_CREATE follows on the gateway, as Discord sends it."""
        parent = self.channels.get(channel_id)
        if parent is None or parent.get("type") not in (0, 5) or message_id not in self.messages:
            return error_response(400 if parent else 404, 50024, "Cannot execute action on this channel type")
        thread = {
            "id": str(message_id), "type": 11, "guild_id": parent.get("guild_id"), "parent_id": str(channel_id),
            "owner_id": str(self.bot_id), "name": str(body.get("name", "thread"))[:100], "last_message_id": None,
            "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": int(body.get("auto_archive_duration") or 1440),
                                "archive_timestamp": now_iso(), "locked": False},
        }
        self.channels[message_id] = thread
        self.threads_started.append(thread)
        asyncio.get_running_loop().create_task(self.dispatch("THREAD_CREATE", {**thread, "newly_created": True}))
        return json_response(thread)

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
            return json_response(current)
        if rec.method == "GET" and command_id is None:
            return json_response(current)
        if rec.method == "POST":
            cmd = finish(rec.json or {})
            current[:] = [c for c in current if c["name"] != cmd["name"]] + [cmd]
            return json_response(cmd, status=201)
        found = next((c for c in current if int(c["id"]) == command_id), None)
        if found is None:
            return error_response(404, 10063, "Unknown application command")
        if rec.method == "GET":
            return json_response(found)
        if rec.method == "PATCH":
            found.update(rec.json or {})
            return json_response(found)
        if rec.method == "DELETE":
            current.remove(found)
            return web.Response(status=204)
        return error_response(405, 0, "405: Method Not Allowed")
