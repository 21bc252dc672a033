"""The README documents every console command, slash command and setting; the Dockerfile keeps its promises."""

from __future__ import annotations

from paths import ROOT as PROJECT_ROOT

import re
from pathlib import Path

import discord

from bot import BotSettings, CorpusBot
from cogs.ask import AskCog
from cogs.config import ConfigCog
from cogs.documents import DocumentsCog
from retrieval.server_settings import PARSERS
from retrieval.cli import cli
from retrieval.config import Settings

ROOT = PROJECT_ROOT
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_console_command_is_in_the_readme() -> None:
    for name in cli.commands:
        assert re.search(rf"`{re.escape(name)}\b", README), f"console command {name!r} missing from README"


async def test_every_slash_command_is_in_the_readme(tmp_path: Path) -> None:
    bot = CorpusBot(BotSettings(health_file=tmp_path / "h"), Settings(db_path=tmp_path / "db"))
    await bot.add_cog(AskCog(bot))
    await bot.add_cog(DocumentsCog(bot))
    await bot.add_cog(ConfigCog(bot))
    names = []
    for command in bot.tree.get_commands():
        if isinstance(command, discord.app_commands.Group):
            names += [f"/{command.name} {sub.name}" for sub in command.commands]
        elif isinstance(command, discord.app_commands.ContextMenu):
            names.append(command.name)
        else:
            names.append(f"/{command.name}")
    assert len(names) >= 9
    for name in names:
        assert name in README, f"{name!r} missing from README"
    await bot.close()


def test_every_server_setting_is_in_the_readme() -> None:
    for name in PARSERS:
        assert re.search(rf"^\| (`\w+`, )*`{name}`", README, re.M), f"/config setting {name!r} missing from README"


def test_every_environment_variable_is_documented() -> None:
    sources = (ROOT / "bot.py").read_text() + (ROOT / "retrieval" / "config.py").read_text()
    variables = set(re.findall(r'env(?:\.get|_text|_number|_flag|_ids|_path)?\(\s*[f]?"([A-Z_]+)"', sources))
    variables |= set(re.findall(r'env\["([A-Z_]+)"\]', sources))
    variables |= {f"RETRIEVAL_{n.upper()}" for n in ("k1", "b", "top_k", "min_coverage", "synonyms")}
    assert {"DISCORD_TOKEN", "MODERATOR_ROLE", "DEV_GUILD_ID", "LOG_LEVEL", "RETRIEVAL_DB"} <= variables
    example = (ROOT / ".env.example").read_text()
    for name in variables:
        assert f"`{name}`" in README or f"`{name}`," in README or name in README, f"{name} missing from README"
    for name in ("DISCORD_TOKEN", "MODERATOR_ROLE", "DEV_GUILD_ID", "LOG_LEVEL", "RETRIEVAL_DB"):
        assert re.search(rf"^#? ?{name}=", example, re.M), f"{name} missing from .env.example"


def test_dockerfile_runs_the_bot_as_non_root_with_a_volume_and_health_check() -> None:
    docker = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", docker, re.M)
    assert "scripts/install.sh" in docker and "scripts/install.sh" in (ROOT / "scripts" / "image_check.sh").read_text()
    assert re.search(r"^USER (?!root)\w+", docker, re.M)
    assert 'VOLUME ["/data"]' in docker and "RETRIEVAL_DB=/data/" in docker
    assert re.search(r'^HEALTHCHECK .*"bot.py", "--health"\]', docker, re.M)
    assert re.search(r'^CMD \["python", "bot.py"\]', docker, re.M)
    assert "image_check.sh" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_example_is_what_the_console_prints(tmp_path: Path) -> None:
    import subprocess
    import sys

    block = README.split('$ .venv/bin/python -m retrieval ask "when did Cuba recognize South Korea?"\n', 1)[1]
    shown = block.split("```", 1)[0].rstrip()
    printed = subprocess.run([sys.executable, "-m", "retrieval", "--db", str(tmp_path / "c.db"), "ask",
                              "when did Cuba recognize South Korea?"], cwd=ROOT, capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=120).stdout.rstrip()
    assert shown == printed


def test_the_compose_file_runs_postgresql_two_shards_and_a_worker() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    for needed in ("image: postgres:", "bot-0:", "bot-1:", "worker:", 'SHARD_COUNT: "2"', 'SHARD_IDS: "0"',
                   'SHARD_IDS: "1"', "RETRIEVAL_DB: postgresql://", "RETRIEVAL_JOBS: worker", "RETRIEVAL_INDEX_DIR",
                   '["python", "-m", "retrieval", "worker"]', "condition: service_healthy"):
        assert needed in compose, needed
    assert "compose.yaml" in README and "docker compose up" in README
