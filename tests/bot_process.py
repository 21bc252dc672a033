"""Run bot.py's main() in this process against the Discord stand-in at BASE_URL (argv[1]): what a real bot
process does, with discord.py's URLs pointed at the loopback stand-in (the only fake: the network edge).
The settings come from the environment, as in production (DISCORD_TOKEN, RETRIEVAL_DB, SHARD_IDS, ...)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from discord_standin import patch_discord_urls  # noqa: E402

import bot  # noqa: E402

if __name__ == "__main__":
    with patch_discord_urls(sys.argv[1]):
        sys.exit(bot.main([]))
