#!/bin/sh
# What the Docker image does, without Docker: install with scripts/install.sh, then run the image's
# command (no token -> exit 2 with a one-line hint) and its health check (not connected -> unhealthy).
set -eu
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
sh scripts/install.sh "$venv"
cd "$(mktemp -d)"   # like the image: run from an installed copy, not from the source folder
cp "$OLDPWD/bot.py" .
status=0; env -u DISCORD_TOKEN HEALTH_FILE="$PWD/health" "$venv/bin/python" bot.py 2>err.txt || status=$?
[ "$status" -eq 2 ] && grep -q "DISCORD_TOKEN is not set" err.txt || { echo "image check: bot.py without a token: exit $status"; cat err.txt; exit 1; }
status=0; HEALTH_FILE="$PWD/health" "$venv/bin/python" bot.py --health || status=$?
[ "$status" -eq 1 ] || { echo "image check: health check should fail when not connected (exit $status)"; exit 1; }
echo "image check: install, no-token hint and health check behave as in the Dockerfile"
