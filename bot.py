"""The Discord bot: settings from the environment, the Bot subclass, and main().

It only translates between Discord and `retrieval/` (see cogs/); without a token it points at the console.

    DISCORD_TOKEN=... python bot.py          # run
    python bot.py --health                   # exit 0 if the running bot is connected (Docker HEALTHCHECK)
"""

from __future__ import annotations

import asyncio
import logging
import math
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import discord
from discord.ext import commands, tasks

from cogs.common import Cooldowns, on_app_command_error
from retrieval.config import Settings, env_flag, env_ids, env_number, env_path, env_text
from retrieval.corpus import Corpus
from retrieval.errors import BadSetting, RetrievalError
from retrieval.server_settings import ServerSettings
from retrieval.settle import settle_after_start

log = logging.getLogger("bot")

NO_TOKEN_HINT = ("DISCORD_TOKEN is not set: put the bot token in the environment (see .env.example), "
                 "or use the console instead: python -m retrieval ask \"your question\"")
# The cogs, loaded as discord.py extensions (each module has `setup(bot)`): a new command group is a new
# module in cogs/ and its name here.
EXTENSIONS = ("cogs.ask", "cogs.forum", "cogs.documents", "cogs.config", "cogs.notices", "cogs.web_sync")
HEARTBEAT_SECONDS = 30
DEFAULT_HEALTH_FILE = "/tmp/corpus-qa-bot.health"
HEALTHY_WITHIN_SECONDS = 3 * HEARTBEAT_SECONDS


@dataclass(frozen=True)
class BotSettings:
    """What the Discord side needs; the retrieval settings (database, BM25) come from `Settings.from_env`."""

    token: str | None = None
    moderator_role: str | None = None  # a role name that counts as moderator besides Manage Server
    dev_guild_id: int | None = None  # sync commands to this one server only (instant; for development)
    sync_commands: bool = True
    log_level: str = "INFO"
    cooldown_questions: int = 5  # per user...
    cooldown_seconds: float = 60.0  # ...per this many seconds
    health_file: Path = field(default_factory=lambda: Path(DEFAULT_HEALTH_FILE))
    # The privileged Message Content intent, for forum auto-answer only: off unless the operator turns it on
    # here and in the Developer Portal (and, beyond 100 servers, Discord reviews the bot for it).
    message_content: bool = False
    gaps_summary_hours: float = 168.0  # the unanswered questions summary in notices channels; 0: never
    web_sync_min_hours: float = 1.0  # no server's web sources re-sync more often than this (web_sync_hours)
    # Discord shards this process runs (SHARD_IDS of SHARD_COUNT); None: Discord's recommended count, all here.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @classmethod
    def from_env(cls) -> "BotSettings":
        """Read the bot's variables with the same validated readers as the library's (retrieval/config.py)."""
        dev_guild = env_ids("DEV_GUILD_ID")
        if dev_guild is not None and len(dev_guild) != 1:
            raise BadSetting("DEV_GUILD_ID must be one server id")
        return cls(
            token=env_text("DISCORD_TOKEN"),
            moderator_role=env_text("MODERATOR_ROLE"),
            dev_guild_id=next(iter(dev_guild)) if dev_guild else None,
            sync_commands=env_flag("SYNC_COMMANDS", True),
            log_level=(env_text("LOG_LEVEL") or "INFO").upper(),
            cooldown_questions=env_number("ASK_COOLDOWN_QUESTIONS", int) or cls.cooldown_questions,
            cooldown_seconds=env_number("ASK_COOLDOWN_SECONDS", float) or cls.cooldown_seconds,
            health_file=env_path("HEALTH_FILE") or Path(DEFAULT_HEALTH_FILE),
            message_content=env_flag("MESSAGE_CONTENT_INTENT", False),
            gaps_summary_hours=_hours(env_number("GAPS_SUMMARY_HOURS", float), cls.gaps_summary_hours),
            web_sync_min_hours=_hours(env_number("WEB_SYNC_MIN_HOURS", float), cls.web_sync_min_hours,
                                      "WEB_SYNC_MIN_HOURS"),
            **_shards(env_number("SHARD_COUNT", int), env_text("SHARD_IDS")),
        )


def _hours(value: float | None, default: float, name: str = "GAPS_SUMMARY_HOURS") -> float:
    if value is None:
        return default
    if not 0 <= value <= 24 * 366:  # also refuses nan and inf
        raise BadSetting(f"{name} must be 0 or a number of hours up to a year")
    return value


def _shards(count: int | None, ids: str | None) -> dict[str, object]:
    """SHARD_COUNT=4 SHARD_IDS=0,1 (or 0-1): this process runs shards 0 and 1 of 4; another runs 2-3."""
    if count is None:
        if ids:
            raise BadSetting("SHARD_IDS needs SHARD_COUNT (the total number of shards of every process)")
        return {}
    if count < 1:
        raise BadSetting("SHARD_COUNT must be 1 or more")
    try:
        chosen: list[int] = []
        for part in (ids or f"0-{count - 1}").replace(" ", "").split(","):
            low, _, high = part.partition("-")
            chosen += range(int(low), int(high or low) + 1)
    except ValueError:
        raise BadSetting(f"SHARD_IDS must be shard numbers such as 0,1 or 0-3, not {ids!r}") from None
    if not chosen or any(not 0 <= i < count for i in chosen) or len(set(chosen)) != len(chosen):
        raise BadSetting(f"SHARD_IDS must be distinct numbers from 0 to {count - 1}, not {ids!r}")
    return {"shard_count": count, "shard_ids": tuple(chosen)}


def intents(message_content: bool = False) -> discord.Intents:
    """Only what the bot needs; by default none is privileged.

    guilds: servers, channels, threads and roles (moderator role check); guild_messages and dm_messages: to
    see mentions and direct messages. Discord delivers the text of messages that mention the bot and of DMs
    without the privileged message_content intent; only forum auto-answer, which reads posts that do not
    mention the bot, needs it, so it is the operator's choice (MESSAGE_CONTENT_INTENT).
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = message_content
    return wanted


class CorpusBot(commands.AutoShardedBot):
    """The bot: the shards this process is given (BotSettings.shard_ids of shard_count), or all of Discord's
    recommended count. Several processes share the work over one PostgreSQL store (README, "Several processes")."""

    def __init__(self, config: BotSettings, retrieval: Settings, corpus: Corpus | None = None,
                 **options: object) -> None:
        if config.shard_count is not None:
            options = {"shard_count": config.shard_count, "shard_ids": list(config.shard_ids or ()), **options}
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(config.message_content),
                         help_command=None, allowed_mentions=discord.AllowedMentions.none(), **options)
        self.config = config
        self.retrieval_settings = retrieval
        self.corpus: Corpus | None = corpus
        self.cooldowns = Cooldowns()  # one per-user rate for every way of asking (commands, mentions, forum posts)

    async def setup_hook(self) -> None:
        # Opening the store may seed it and build the index: off the event loop (main() opens it before).
        if self.corpus is None:
            self.corpus = await asyncio.to_thread(Corpus, self.retrieval_settings)
        self.server_settings = self.corpus.server_settings(ServerSettings(
            moderator_role=self.config.moderator_role, cooldown_questions=self.config.cooldown_questions,
            cooldown_seconds=self.config.cooldown_seconds))  # the environment: every server's defaults
        self.tree.error(on_app_command_error)  # one error handler for every command
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.config.sync_commands:
            await self.sync_commands()
        self.heartbeat.start()

    async def sync_commands(self) -> None:
        if self.config.dev_guild_id:
            guild = discord.Object(self.config.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to server %s", len(synced), self.config.dev_guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (Discord may take up to an hour to show changes)", len(synced))

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions and DMs are answered by the ask cog's listener."""

    @tasks.loop(seconds=HEARTBEAT_SECONDS)
    async def heartbeat(self) -> None:
        """Touch the health file while connected; `bot.py --health` reads its age."""
        if self.is_ready() and not self.is_closed() and math.isfinite(self.latency):
            try:
                self.config.health_file.write_text(f"{time.time():.0f}\n")
            except OSError as exc:
                log.warning("cannot write the health file %s: %s", self.config.health_file, exc)

    async def close(self) -> None:
        if self.heartbeat.is_running():
            self.heartbeat.cancel()
        self.config.health_file.unlink(missing_ok=True)
        if not hasattr(self, "_AutoShardedClient__queue"):
            # discord.py's AutoShardedClient makes its event queue in connect(), and its close() needs it: a bot
            # closed before it connected (a refused token, a test that never runs it) would fail to close.
            self._AutoShardedClient__queue = asyncio.PriorityQueue()
        await super().close()
        if self.corpus is not None:
            self.corpus.close()
            self.corpus = None


def healthy(health_file: Path, now: float | None = None) -> bool:
    try:
        age = (now or time.time()) - health_file.stat().st_mtime
    except OSError:
        return False
    return age <= HEALTHY_WITHIN_SECONDS


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        config, retrieval = BotSettings.from_env(), Settings.from_env()
    except BadSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if argv[:1] == ["--health"]:
        return 0 if healthy(config.health_file) else 1
    if not config.token:
        print(NO_TOKEN_HINT, file=sys.stderr)
        return 2
    discord.utils.setup_logging(level=getattr(logging, config.log_level, logging.INFO), root=True)
    # `docker stop` sends SIGTERM: leave like Ctrl-C, so discord.py closes the connection and the database.
    signal.signal(signal.SIGTERM, _interrupt)
    try:  # before connecting: a database that cannot be used (not one, damaged, unreadable) is one line
        corpus = Corpus(retrieval)
    except RetrievalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    settle_after_start(corpus)  # startup objects out of the garbage collector's full passes
    bot = CorpusBot(config, retrieval, corpus=corpus)
    try:
        bot.run(config.token, log_handler=None)
    except discord.LoginFailure:
        print("Discord refused the token (DISCORD_TOKEN): check it in the Developer Portal, Bot tab.",
              file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:  # MESSAGE_CONTENT_INTENT=1 without the portal's switch
        print("Discord refused the Message Content intent: turn it on in the Developer Portal (Bot tab, "
              "Privileged Gateway Intents), or unset MESSAGE_CONTENT_INTENT; see the README's Discord setup.",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
