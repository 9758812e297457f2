# Two commands for a newcomer: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The hot path compiled with mypyc beside its sources (game_backend/compiled.py names the modules; setup.py builds
# them). Built again whenever one of them changes (--force: an edit that leaves the C the same, a comment, still
# renews the extensions, which compiled.py dates against the sources); until then the server runs them as pure Python.
HOT_STAMP := build/.hot-path-compiled
HOT_SOURCES := $(shell sed -n 's/^    "\(game_backend\.[a-z_.]*\)",$$/\1/p' game_backend/compiled.py | tr . / | sed 's/$$/.py/')
# npm packages: the socket.io-client bundle the server serves (top level), and the Node players and examples
# (tests/js), which install the JavaScript test package js/testing as a copy.
# Each stamp lives inside the node_modules that `npm ci` recreates, so npm runs again only when its lockfile changes.
CLIENT_STAMP := node_modules/.installed
JS_STAMP := tests/js/node_modules/.installed
BENCH_STAMP := bench/node_modules/.installed
NEED_NPM = command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	echo "==> installing Node.js and npm (apt-get)" && apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; } || \
	{ echo "error: Node.js 18+ with npm is needed (apt-get install nodejs npm)"; exit 1; }

.PHONY: run test clean system-tools bench bench-full lock

# The exact versions come from requirements.lock (pip-tools; `make lock` writes it anew from pyproject.toml's ranges).
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Python 3.11+ is needed; set PYTHON=python3.11 (or newer)"; exit 1; }
	@echo "==> creating the virtual environment in $(VENV) and installing game_backend from requirements.lock"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip "setuptools>=68"  # setuptools: make builds the hot path in place
	@$(PY) -m pip install --quiet -r requirements.lock
	@GAME_BACKEND_COMPILE=0 $(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

$(HOT_STAMP): $(STAMP) setup.py game_backend/compiled.py $(HOT_SOURCES)
	@command -v cc >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "==> installing a C compiler (apt-get install gcc)" && apt-get update -qq && \
		apt-get install -y -qq gcc >/dev/null; } || \
		{ echo "error: a C compiler is needed to compile the hot path (apt-get install gcc)"; exit 1; }
	@echo "==> compiling the hot path with mypyc (about a minute; GAME_BACKEND_PURE=1 runs the pure-Python twin)"
	@$(PY) setup.py --quiet build_ext --inplace --force >build-hot-path.log 2>&1 || \
		{ tail -30 build-hot-path.log; echo "error: compiling the hot path failed (build-hot-path.log)"; exit 1; }
	@rm -f build-hot-path.log
	@touch $@

lock: $(STAMP)
	@$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

$(CLIENT_STAMP): package-lock.json
	@$(NEED_NPM)
	@echo "==> installing the socket.io-client bundle served at /socket.io/socket.io.js (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(JS_STAMP): tests/js/package-lock.json js/testing/package.json js/testing/index.mjs
	@$(NEED_NPM)
	@echo "==> installing the Node players and the JavaScript test package in tests/js (npm ci)"
	@cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BENCH_STAMP): bench/package-lock.json
	@$(NEED_NPM)
	@echo "==> installing the benchmark's socket.io server and client in bench (npm ci)"
	@cd bench && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's packages the tests run for real, installed where missing: Chromium for the browser tests (never
# `playwright install`, which downloads its own browser) with a CJK font so that Korean, which Motion Beat's
# players write, renders in the screenshots; nginx in front of several processes; redis-server, which the Redis
# outage test starts and stops for itself (the shared Redis is REDIS_URL); prometheus, which scrapes /metrics.
SYSTEM_TOOLS := chromium:chromium nginx:nginx redis-server:redis-server prometheus:prometheus
system-tools:
	@missing="$$(for pair in $(SYSTEM_TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || echo $${pair#*:}; done; \
		fc-list 2>/dev/null | grep -qi 'noto sans cjk' || echo fonts-noto-cjk)"; \
	if [ -n "$$missing" ]; then \
		echo "==> installing" $$missing "(apt-get)"; \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; } || \
			{ echo "error: the tests need" $$missing "; install them (apt-get install" $$missing ")"; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: $(HOT_STAMP) $(CLIENT_STAMP)
	$(PY) -m game_backend --data-dir .data/db

# First the lint, the format check and the strict type check of game_backend/ (in pyproject.toml), then the tests:
# two workers (pytest-xdist), each with its own SecantusDB: most tests wait on sockets and timers, not the CPU.
# The whole suite runs the compiled hot path; the transport, protocol and text-rule tests run again on its pure twin.
test: $(STAMP) $(CLIENT_STAMP) $(JS_STAMP) system-tools $(HOT_STAMP)
	$(PY) -m ruff check game_backend
	$(PY) -m ruff format --check game_backend
	$(PY) -m mypy
	$(PY) -m pytest -n 2
	GAME_BACKEND_PURE=1 $(PY) -m pytest -n 2 -q tests/transport tests/operations/test_compiled.py tests/hostile/test_text_rules.py

# Benchmarks against the Node socket.io peer (see the README's Benchmarks section). BENCH=full for the long run.
bench: $(HOT_STAMP) $(BENCH_STAMP)
	$(PY) bench/run.py $(if $(filter full,$(BENCH)),--full)

bench-full: $(STAMP) $(BENCH_STAMP)
	$(PY) bench/run.py --full

clean:
	rm -rf $(VENV) .data .pytest_cache tests/artifacts node_modules tests/js/node_modules bench/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
