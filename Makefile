# Operator Coach — two commands for a fresh machine:
#   make run    set everything up and start the local service (http://127.0.0.1:8765)
#   make test   set everything up (Chromium and PostgreSQL from Debian included), lint, and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: setup run test lint system-packages chromium wrk bench load quality clean extension

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

# The extension as a versioned zip with the pinned key, for IT to deploy (docs/deploy.md). OUT= another path;
# SITES="https://chat.example.com …" grants those consoles at install (a floor build).
extension:
	$(PYTHON) scripts/pack_extension.py $(if $(OUT),--out "$(OUT)") $(if $(SITES),--sites "$(SITES)")

# ruff (the rule set in pyproject.toml) and mypy, strict, over the package; part of `make test`.
lint: setup
	$(BIN)/ruff check coach_server tests bench scripts
	$(BIN)/mypy

# Browser tests run in their own pytest process (Playwright's sync API and asyncio-based tests do not
# share one process well), beside the others: they mostly wait on Chromium, the others on the CPU, so the
# others run in two workers (pytest-xdist; a module's tests stay in one worker, with its module fixtures),
# niced: the browser tests time a live page (a remark within seconds), the others only need the CPU.
# Each one's output is printed whole when both are done.
test: setup system-packages lint
	@mkdir -p .test-logs; \
	if [ -d tests/browser ]; then $(BIN)/python -m pytest -q tests/browser > .test-logs/browser.txt 2>&1 & \
	  browser=$$!; fi; \
	nice -n 10 $(BIN)/python -m pytest -q -n 2 --dist loadfile tests --ignore=tests/browser > .test-logs/service.txt 2>&1; service=$$?; \
	browser_rc=0; if [ -n "$$browser" ]; then wait $$browser; browser_rc=$$?; fi; \
	echo "== tests (engine, service, store, CLI)"; cat .test-logs/service.txt; \
	if [ -n "$$browser" ]; then echo "== browser tests (Chromium, the extension and the pages)"; \
	  cat .test-logs/browser.txt; fi; \
	test $$service -eq 0 && test $$browser_rc -eq 0

# The HTTP load generator of bench/service.py (a Python client would be the bottleneck, not the service).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends wrk; }

bench: setup chromium wrk
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/service.py
	$(BIN)/python bench/adversarial.py
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
