"""Message objects: the users' (``make_message``, pushed as MESSAGE_CREATE) and the bot's (created, edited and
deleted by its REST calls, kept so later requests and tests see them), with their attachments."""

from __future__ import annotations

import copy
import re
from typing import Optional, Sequence, Union

from .payloads import LOADING, USER_ID, Json, now_iso
from .recorder import RecordedFile


class MessageStore:
    """The message part of :class:`DiscordStandin`: every message known, and the bytes of every attachment."""

    messages: dict[int, Json]
    bot_messages: list[Json]
    attachments: dict[int, tuple[str, bytes, str]]

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
            "timestamp": now_iso(),
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
            msg["edited_timestamp"] = now_iso()
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
            "timestamp": now_iso(),
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

    async def open_forum_post(self, forum_id: int, title: str, content: str, *, author_id: int = USER_ID) -> Json:
        """A member opens a post in a forum: THREAD_CREATE (the post, owned by the member), then the
        MESSAGE_CREATE of its first message, whose id is the thread's, as Discord sends them. Returns the thread."""
        forum = self.channels[forum_id]
        thread_id = self.snowflake()
        thread = {
            "id": str(thread_id), "type": 11, "guild_id": forum["guild_id"], "parent_id": str(forum_id),
            "owner_id": str(author_id), "name": title[:100], "last_message_id": str(thread_id),
            "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0, "applied_tags": [],
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": now_iso(),
                                "locked": False},
        }
        self.channels[thread_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        first = self.make_message(content, channel_id=thread_id, author_id=author_id, mentions=[])
        first["id"] = str(thread_id)
        await self.dispatch("MESSAGE_CREATE", first)
        return thread

    def make_dm_message(self, content: str, *, author_id: int = USER_ID) -> Json:
        """A MESSAGE_CREATE for a direct message to the bot."""
        return self.make_message(content, guild_id=None, author_id=author_id)
