"""Settings: one validated reader of the environment for the library and the bot; a bad value is one line."""

from __future__ import annotations

from paths import ROOT as PROJECT_ROOT

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import BotSettings
from retrieval.config import Settings
from retrieval.errors import BadSetting

ROOT = PROJECT_ROOT


@pytest.mark.parametrize("name, value, says", [
    ("RETRIEVAL_K1", "abc", "must be a number"), ("RETRIEVAL_B", "1.5", "from 0 to 1"),
    ("RETRIEVAL_TOP_K", "0", "1 to 10"), ("RETRIEVAL_SYNONYMS", "2.5", "whole number"),
    ("RETRIEVAL_OPERATOR_GUILDS", "123,abc", "server ids"), ("RETRIEVAL_SERVER_MAX_DOCUMENTS", "-1", "0 (no limit)"),
])
def test_a_bad_library_setting_is_named(monkeypatch, name: str, value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(BadSetting, match=rf"^{name} .*{re.escape(says)}"):
        Settings.from_env()


@pytest.mark.parametrize("name, value", [("ASK_COOLDOWN_SECONDS", "soon"), ("SYNC_COMMANDS", "maybe"),
                                         ("DEV_GUILD_ID", "my-server")])
def test_a_bad_bot_setting_is_named(monkeypatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(BadSetting, match=rf"^{name} "):
        BotSettings.from_env()


def test_good_values_are_read(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RETRIEVAL_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("RETRIEVAL_OPERATOR_GUILDS", "1, 2 3")
    monkeypatch.setenv("SYNC_COMMANDS", "off")
    settings, bot_settings = Settings.from_env(), BotSettings.from_env()
    assert settings.db_path == tmp_path / "x.db" and settings.operator_guilds == {1, 2, 3}
    assert bot_settings.sync_commands is False


@pytest.mark.parametrize("command", [[sys.executable, "-m", "retrieval", "ask", "anything"],
                                     [sys.executable, "bot.py"]])
def test_the_console_and_the_bot_say_one_line_and_exit_2(command: list[str], tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RETRIEVAL_K1": "abc", "DISCORD_TOKEN": "x"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.strip() == "error: RETRIEVAL_K1 must be a number, not 'abc'"
