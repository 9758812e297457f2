# Two commands for a newcomer: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "error: Python 3.11+ is needed; set PYTHON=python3.11 (or newer)"; exit 1; }
	@echo "==> creating the virtual environment in $(VENV) and installing game_backend"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m game_backend --data-dir .data/db

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .data .pytest_cache tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
