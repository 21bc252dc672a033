"""Per-server settings (issue 12): what a server's moderators choose for their server, stored in the
database with who changed what and when; the operator's environment variables are the defaults.

Only settings that take effect are offered: the moderator role, the channels where mentions are
answered, the question cooldown, the reply style (in the channel, or in a thread), the forum channels whose
new posts are answered and when, a moderators' channel for notices, and how often web sources re-sync. Values are typed by users in
Discord, so each is parsed here into one clear line on failure ("cooldown_questions must be a whole number
from 1 to 100").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from .errors import BadSetting
from .store import Store

DEFAULT_WORDS = frozenset({"default", "reset", "none", "all", "-"})


@dataclass(frozen=True)
class ServerSettings:
    moderator_role: str | None = None  # a role that counts as moderator besides Manage Server
    answer_channels: frozenset[int] = frozenset()  # where mentions are answered; empty: everywhere
    cooldown_questions: int = 5  # questions per user ...
    cooldown_seconds: float = 60.0  # ... per this many seconds
    reply_style: str = "reply"  # "thread": a mention is answered in a new thread, where follow-ups continue
    forum_channels: frozenset[int] = frozenset()  # forums whose new posts are answered (Message Content intent)
    forum_replies: str = "confident"  # "always": also say "not sure" / "not found" in a forum post
    notices_channel: int | None = None  # where moderators get notices (the weekly gaps summary, web re-syncs)
    web_sync_hours: float = 24.0  # web sources re-synced this often (0: only by /corpus refresh)

    def answers_in(self, channel_id: int | None) -> bool:
        return not self.answer_channels or channel_id in self.answer_channels


def _role(text: str) -> str:
    name = text.strip().lstrip("@").strip()
    if not 1 <= len(name) <= 100:
        raise BadSetting("moderator_role must be a role name of 1 to 100 characters")
    return name


def _channels(name: str) -> Callable[[str], frozenset[int]]:
    def parse(text: str) -> frozenset[int]:
        ids = re.findall(r"<#(\d+)>|(\d{15,22})", text)
        parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
        if not ids or len(ids) != len(parts):
            raise BadSetting(f"{name} must be channels (#channel mentions or ids) separated by commas")
        return frozenset(int(a or b) for a, b in ids)

    return parse


def _channel(text: str) -> int:
    match = re.fullmatch(r"\s*(?:<#(\d+)>|(\d{15,22}))\s*", text)
    if match is None:
        raise BadSetting("notices_channel must be one channel (a #channel mention or an id)")
    return int(match[1] or match[2])


def _whole(low: int, high: int, name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"\d{1,6}", text.strip()) or not low <= int(text) <= high:
            raise BadSetting(f"{name} must be a whole number from {low} to {high}")
        return int(text)

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = -1.0
    if not 1.0 <= value <= 3600.0:
        raise BadSetting("cooldown_seconds must be a number of seconds from 1 to 3600")
    return value


def _sync_hours(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 720.0:  # also refuses nan
        raise BadSetting("web_sync_hours must be 0 (never; /corpus refresh only) or a number of hours up to 720")
    return value


def _one_of(name: str, *choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip().lower() not in choices:
            raise BadSetting(f"{name} must be {' or '.join(choices)}")
        return text.strip().lower()

    return parse


PARSERS: dict[str, Callable[[str], Any]] = {
    "reply_style": _one_of("reply_style", "reply", "thread"),
    "moderator_role": _role,
    "answer_channels": _channels("answer_channels"),
    "cooldown_questions": _whole(1, 100, "cooldown_questions"),
    "cooldown_seconds": _seconds,
    "forum_channels": _channels("forum_channels"),
    "forum_replies": _one_of("forum_replies", "confident", "always"),
    "notices_channel": _channel,
    "web_sync_hours": _sync_hours,
}
CHANNEL_SETS = ("answer_channels", "forum_channels")


def _stored(value: Any) -> str:
    return ",".join(str(v) for v in sorted(value)) if isinstance(value, frozenset) else str(value)


def _loaded(name: str, text: str) -> Any:
    if name in CHANNEL_SETS:
        return frozenset(int(v) for v in text.split(",") if v)
    return PARSERS[name](text)


class ServerSettingsBook:
    """Every server's settings, read once per server and kept until a change: the bot reads them on every
    question, from the event loop, without a database round trip."""

    def __init__(self, store: Store, defaults: ServerSettings) -> None:
        self.store, self.defaults = store, defaults
        self._cache: dict[str, ServerSettings] = {}
        self._lock = threading.Lock()

    def cached(self, scope: str) -> ServerSettings | None:
        """The server's settings if already read (no I/O): for the event loop."""
        return self._cache.get(scope)

    def get(self, scope: str) -> ServerSettings:
        """The server's settings: its own values over the defaults (reads the database once per server)."""
        if (known := self._cache.get(scope)) is not None:
            return known
        values = {name: _loaded(name, text) for name, text in self.store.server_settings(scope).items()
                  if name in PARSERS}
        settings = replace(self.defaults, **values)
        with self._lock:
            self._cache[scope] = settings
        return settings

    @staticmethod
    def parse(name: str, text: str) -> Any:
        """The value `text` sets `name` to (None: back to the default); one line when it is not one."""
        if name not in PARSERS:
            raise BadSetting(f"No setting {name!r}; the settings are: {', '.join(PARSERS)}")
        return None if text.strip().lower() in DEFAULT_WORDS else PARSERS[name](text)

    def change(self, scope: str, name: str, text: str, who: str) -> ServerSettings:
        """Set (or, with "default", reset) one setting for one server; recorded with who and when."""
        value = self.parse(name, text)
        self.store.set_server_setting(scope, name, None if value is None else _stored(value), who)
        with self._lock:
            self._cache.pop(scope, None)
        return self.get(scope)

    def history(self, scope: str, limit: int = 10) -> list[dict]:
        return self.store.server_setting_changes(scope, limit)

    def describe(self, scope: str) -> list[tuple[str, str, bool]]:
        """(name, value as shown, whether it is the default) for /config show."""
        settings, out = self.get(scope), []
        for f in fields(ServerSettings):
            value = getattr(settings, f.name)
            default = value == getattr(self.defaults, f.name)
            if f.name in CHANNEL_SETS:
                shown = ", ".join(f"<#{c}>" for c in sorted(value)) or ("every channel" if f.name == "answer_channels"
                                                                       else "none")
            elif f.name == "notices_channel" and value is not None:
                shown = f"<#{value}>"
            else:
                shown = "none" if value is None else str(value)
            out.append((f.name, shown, default))
        return out
