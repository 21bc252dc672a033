#!/bin/sh
# The one install of the bot, used by the Dockerfile and by CI's image check (scripts/image_check.sh),
# so CI proves the image's install step: a virtualenv with the project (not editable) in it.
set -eu
venv="${1:?usage: scripts/install.sh VENV_DIR}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check .
