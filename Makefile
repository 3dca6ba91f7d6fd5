# brandbot: `make demo` runs the offline demo, `make test` runs the whole suite.
# Both create .venv and install what they need on first use, and are quick afterwards.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config/demo.toml

CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast lint audit soak bench bench-long clean postgres

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "brandbot needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime dependencies come from requirements.lock (exact versions and hashes, as in the
# container), then the project over them; reinstall when either changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

# The dev extras resolve around the lock: a package both need keeps its locked version (the
# lock's pins without their hashes, which would demand hashes of the dev packages too).
# Playwright drives Debian's Chromium (below); it never downloads a browser of its own.
$(VENV)/.installed-dev: $(VENV)/.installed
	sed -e '/--hash=/d' -e 's/ \\$$//' requirements.lock > $(VENV)/constraints.txt
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -c $(VENV)/constraints.txt \
		-e '.[dev]'
	@touch $@

# The browser tests need Debian's Chromium: installed with apt-get only when it is missing.
$(CHROMIUM):
	@echo "installing chromium for the browser tests (apt-get)"
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

demo: $(VENV)/.installed
	$(BIN)/brandbot --config $(CONFIG) check-config
	@$(BIN)/brandbot --config $(CONFIG) users first-admin demo
	@echo "(Ctrl-C stops the daemon)"
	$(BIN)/brandbot --config $(CONFIG) run

# The store tests run on SQLite and on a real PostgreSQL: started (or installed) if needed.
# BRANDBOT_TEST_STORES=sqlite skips PostgreSQL; BRANDBOT_TEST_POSTGRES points at another one.
postgres:
	@case "$${BRANDBOT_TEST_STORES:-postgresql}" in *postgresql*) .ci/postgres ;; esac

# In parallel (pytest-xdist): most of the suite waits on daemons, browsers and servers, so more
# workers than cores pays. Tests sharing a module's fixture stay on one worker (tests/conftest.py).
TEST_WORKERS ?= 6
test: $(VENV)/.installed-dev $(CHROMIUM) postgres
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

# The inner loop, in under 2 minutes: SQLite only, no browser, daemon, subprocess or crash test
# (those are marked `slow`, most by tests/conftest.py). `make test` still runs everything.
FAST_WORKERS ?= 2
test-fast: $(VENV)/.installed-dev
	BRANDBOT_TEST_STORES=sqlite $(BIN)/python -m pytest -q -n $(FAST_WORKERS) --dist loadgroup \
		-m 'not slow and not soak'

# Many more crash seeds and a long run of faults with a memory bound (about half an hour).
SOAK_SEEDS ?= 200
SOAK_FAULT_SECONDS ?= 600
soak: $(VENV)/.installed-dev
	BRANDBOT_SOAK_SEEDS=$(SOAK_SEEDS) BRANDBOT_SOAK_FAULT_SECONDS=$(SOAK_FAULT_SECONDS) \
		$(BIN)/python -m pytest -q -o addopts=-ra tests/test_crash.py tests/test_daemon_faults.py

lint: $(VENV)/.installed-dev audit
	$(BIN)/ruff check monitor responders tests bench tools
	$(BIN)/mypy monitor responders

# Known vulnerabilities in the dependencies (pip-audit). Says NOT RUN, without failing, where
# its vulnerability service cannot be reached.
audit: $(VENV)/.installed-dev
	$(BIN)/python tools/audit.py

# Every figure but the replicas', in about 13 minutes on a 2-core machine; bench-long
# adds the PostgreSQL replicas (their figures land in the same bench/results.json).
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

bench-long: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run --only replicas

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache .mypy_cache *.egg-info
