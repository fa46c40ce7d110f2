# Set-up and everyday commands. Every target does its own set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
# npm ci writes node_modules/.package-lock.json: newer than package-lock.json once the packages are in place.
NPM_STAMP := node_modules/.package-lock.json

.PHONY: demo test install catalogues messages bench lint format browser gettext

demo: install  ## Run the whole system (web, worker, beat) on http://127.0.0.1:$${PORT:-8000}
	$(BIN)/python -m demo

test: install browser gettext  ## ruff, mypy and pytest on real PostgreSQL and Redis
	$(BIN)/python -m tests

install: $(STAMP) $(NPM_STAMP) catalogues

# The .mo files are built from the committed .po catalogues by Babel (pure Python: no gettext needed).
catalogues: $(STAMP)
	$(BIN)/python manage.py catalogues_compile

# Translators: add every newly marked string to locale/{fr,es,ru} (needs GNU gettext: apt-get install gettext).
messages: install gettext
	$(BIN)/python manage.py catalogues_update

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser libraries (ECharts, world-atlas, topojson-client) exactly as package-lock.json pins them; their
# files are served from node_modules (apps/core/npm_assets.py), never committed.
$(NPM_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's nodejs and npm ..."; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NPM_STAMP)

# The catalogue test extracts the marked strings as translators do, with GNU gettext: install it where we may.
gettext:
	@if ! command -v xgettext >/dev/null 2>&1 || ! command -v msgmerge >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing GNU gettext for the catalogue test ..."; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else \
	    echo "GNU gettext is not installed and cannot be installed here: the catalogue test will fail."; \
	  fi; \
	fi

# The browser tests drive Debian's Chromium (no browser download): install it where we may.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests ..."; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is not installed and cannot be installed here: the browser tests will fail."; \
	  fi; \
	fi

bench: install  ## make bench [BENCH=name]: each benchmark prints one JSON line
	$(BIN)/python -m bench $(BENCH)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .
