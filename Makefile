# Two commands for a new user: `make ask Q="..."` (installs, then answers) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
Q ?= when did Cuba recognize South Korea?

.PHONY: install ask chat bot test bench clean

install:
	PYTHON=$(PYTHON) sh scripts/install.sh $(VENV) test

ask: install
	$(BIN)/python -m retrieval ask "$(Q)"

chat: install
	$(BIN)/python -m retrieval chat

test: install
	$(BIN)/python -m pytest -q

bot: install
	$(BIN)/python bot.py

# On demand, never in CI: speed and memory figures (BENCHMARKS.md); tantivy is a benchmark-only dependency.
bench: install
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/bench.py --sizes 10k,100k --queries 1000 --markdown

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

