# Operator Coach — two commands for a fresh machine:
#   make run    set everything up and start the local service (http://127.0.0.1:8765)
#   make test   set everything up (Chromium and PostgreSQL from Debian included), lint, and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup run test lint system-packages chromium bench load quality clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: setup
	@echo "Load the extension from ./extension (chrome://extensions → Developer mode → Load unpacked)."
	$(BIN)/coach serve

# What the tests need from Debian, installed once when missing (one apt-get update): Chromium for the
# browser tests (Playwright cannot download its own browser here) and PostgreSQL for the shared feedback store.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:$$missing"; \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends chromium; }

# ruff (the rule set in pyproject.toml) and mypy, strict, over the package; part of `make test`.
lint: setup
	$(BIN)/ruff check coach_server tests bench
	$(BIN)/mypy

# Browser tests run in their own pytest process: Playwright's sync API and asyncio-based tests do not
# share one process well.
test: setup system-packages lint
	$(BIN)/python -m pytest -q tests --ignore=tests/browser
	@if [ -d tests/browser ]; then $(BIN)/python -m pytest -q tests/browser; fi

bench: setup chromium
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/service.py
	$(BIN)/python bench/extension_latency.py

# Precision on real chats (docs/quality.md): every rule against the labels in quality/labels.jsonl, the chats
# in their channels and again all as live chats. CORPUS is a JSON Lines export; it is never copied here.
CHANNELS ?= quality/channels.toml
quality: setup
	@test -n "$(CORPUS)" || { echo "usage: make quality CORPUS=path/to/chats.jsonl [CHANNELS=$(CHANNELS)]"; exit 2; }
	$(BIN)/coach quality report "$(CORPUS)" --channel-map "$(CHANNELS)" --strict
	$(BIN)/coach quality report "$(CORPUS)" --strict

load: setup
	$(BIN)/python bench/load_ws.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
