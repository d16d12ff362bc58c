# Two commands do all the set-up on a fresh machine:
#   make run   - install, then run driftloop on the embedded default with demo traffic (Ctrl-C stops it)
#   make test  - install, then run the whole test suite
# and `make test-fast` runs the unit tests and doctests only (no broker, ClickHouse, subprocess or browser).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test test-fast lint bench install

install: $(STAMP)

$(STAMP): pyproject.toml
	# Debian's Chromium for the dashboard's browser tests (driven by playwright; no browser download).
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# One pip command for everything else, so pip resolves faust-streaming's and huggingface-hub's click pins together.
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/pip check
	touch $(STAMP)

run: install
	$(BIN)/driftloop up --demo

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Tiers are markers (tests/conftest.py); tests marked slow (detector quality on real models and data) run in `make test`.
test-fast: install
	$(BIN)/python -m pytest -m "unit and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	for script in bench/*.py; do echo "== $$script" >&2; $(BIN)/python $$script || exit 1; done
