# brandbot: `make demo` runs the offline demo, `make test` runs the whole suite.
# Both create .venv and install what they need on first use, and are quick afterwards.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config/demo.toml

CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench bench-long clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "brandbot needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

# Playwright drives Debian's Chromium (below); it never downloads a browser of its own.
$(VENV)/.installed-dev: $(VENV)/.installed
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The browser tests need Debian's Chromium: installed with apt-get only when it is missing.
$(CHROMIUM):
	@echo "installing chromium for the browser tests (apt-get)"
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

demo: $(VENV)/.installed
	$(BIN)/brandbot --config $(CONFIG) check-config
	@echo "web queue: http://127.0.0.1:8080  (Ctrl-C stops the daemon)"
	$(BIN)/brandbot --config $(CONFIG) run

test: $(VENV)/.installed-dev $(CHROMIUM)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check monitor responders tests bench
	$(BIN)/mypy monitor responders

# Fits in 10 minutes on a 2-core machine; bench-long adds the daemon's memory over a million
# posts (the figures land in the same bench/results.json, each saying which run made it).
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

bench-long: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run --only memory

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache .mypy_cache *.egg-info
