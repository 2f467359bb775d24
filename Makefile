# Parcours — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DATABASE_URL = $${DATABASE_URL:-sqlite:///$(CURDIR)/var/demo.sqlite3}
PYTEST_ARGS ?=

.PHONY: run test lint fmt install browser bench bench-registrations bench-doctrine clean check migrations-check worker

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# Bytecode is compiled up front: where PYTHONDONTWRITEBYTECODE is set (as in some CI images) every
# process — the worker, each command run by the tests — would otherwise recompile Django (~5 s).
$(BIN)/parcours: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

install: $(BIN)/parcours
	@$(BIN)/python -m compileall -q -j 0 src tests >/dev/null

# Debian's Chromium drives the end-to-end tests; Playwright never downloads a browser.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installation de Chromium (paquet Debian) pour les tests de bout en bout…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# The local `.env` makes every `.venv/bin/parcours …` command of the README work as written, on the
# database this target serves, with links in messages pointing at the port it serves.
run: install
	@mkdir -p var
	@printf '%s\n' "# Écrit par « make run » (réécrit à chaque lancement, jamais versionné) : réglages de la démo." \
	  "DEBUG=1" "PARCOURS_DEMO=1" "DATABASE_URL=$(DEMO_DATABASE_URL)" "PARCOURS_SITE_URL=http://$(HOST):$(PORT)" > .env
	$(BIN)/parcours migrate --no-input -v 0
	$(BIN)/parcours seed_demo
	$(BIN)/parcours run_demo --addr $(HOST):$(PORT)

test: install browser
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

LINT_DIRS := src tests $(wildcard bench)

lint: install
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)
	$(BIN)/lint-imports --no-cache
	DEBUG=1 $(BIN)/parcours makemigrations --check --dry-run -v 1

fmt: install
	$(BIN)/ruff check --fix $(LINT_DIRS)
	$(BIN)/ruff format $(LINT_DIRS)

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-registrations: install
	$(BIN)/python bench/registrations.py $(BENCH_ARGS)

bench-doctrine: install
	$(BIN)/python bench/doctrine_search.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) var build src/*.egg-info
