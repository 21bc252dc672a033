"""INTERACTION_CREATE payloads as Discord sends them: slash commands, autocomplete, context menus, components, modals.

Each builder fills in the invoking member (or DM user), the channel and the command's id and scope as the
stand-in knows them (a command synced to a guild is invoked as that guild's command).
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Optional, Sequence, Union

from .payloads import ALL_PERMISSIONS, USER_ID, Json, make_text_channel


class InteractionBuilders:
    """The interaction builders of :class:`DiscordStandin` (``make_*_interaction``)."""

    synced_commands: dict[Optional[int], list[Json]]

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
