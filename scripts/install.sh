#!/bin/sh
# The one install of the project, used by `make install` (the README's commands), the Dockerfile and
# CI's image check (scripts/image_check.sh): a virtualenv with the project installed from its folder
# (editable: the bundled corpus/ and bot.py stay where they are), plus optional extras.
#   scripts/install.sh VENV_DIR [EXTRAS]      e.g. scripts/install.sh .venv test
set -eu
venv="${1:?usage: scripts/install.sh VENV_DIR [EXTRAS]}"
extras="${2:-}"
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check -e ".${extras:+[$extras]}"
