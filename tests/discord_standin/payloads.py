"""Discord's JSON as it sends it, where no stand-in state is needed: users, members, channels, roles, guilds.

Also the fixed ids tests refer to and the flag bits the other modules use.  Written against discord.py 2.7.1.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Optional, Sequence, Union

# Fixed, realistic-looking snowflakes (they decode to dates in 2024) so tests can refer to them.
BOT_ID = 1_200_000_000_000_000_001
GUILD_ID = 1_200_000_000_000_000_100
CHANNEL_ID = 1_200_000_000_000_000_200
OTHER_CHANNEL_ID = 1_200_000_000_000_000_201
USER_ID = 1_200_000_000_000_000_300
OTHER_USER_ID = 1_200_000_000_000_000_301

DISCORD_EPOCH_MS = 1_420_070_400_000
MESSAGE_CONTENT_INTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Permissions Discord gives @everyone in a new server; a sensible default for "a normal user".
DEFAULT_EVERYONE_PERMISSIONS = "2248473465835073"
ALL_PERMISSIONS = str((1 << 53) - 1)

Json = dict[str, Any]


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


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


def make_forum_channel(channel_id: int, guild_id: int, name: str = "help", position: int = 2) -> Json:
    """A guild forum channel (type 15): members open posts (threads) in it, each with a first message."""
    return {
        **make_text_channel(channel_id, guild_id, name, position),
        "type": 15,
        "available_tags": [],
        "default_reaction_emoji": None,
        "default_sort_order": None,
        "default_forum_layout": 0,
        "default_thread_rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
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
