# The few targets a newcomer needs. `.ci/run` calls `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test check fmt bench bench-quick docs messages messages-check clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/ensure-system scripts/ensure-mysql
	./scripts/ensure-system
	./scripts/ensure-mysql
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## demo: a head office and two stores on throwaway MariaDB servers, simulated sales for ~1 min
demo: install
	$(BIN)/python -m sandbox.demo

## test: lint, types, then the whole test suite against real MariaDB servers it starts itself
test: install check
	$(BIN)/pytest

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: every benchmark, ratios against bare baselines (BENCH_QUICK=1 for a fast pass)
bench: install
	$(BIN)/python -m bench

bench-quick: install
	BENCH_QUICK=1 $(BIN)/python -m bench

## docs: the manual (docs/, mkdocs.yml) into site/; the configuration reference is regenerated first
docs: install
	$(BIN)/python scripts/gen_config_docs.py
	$(BIN)/mkdocs build --strict -d site

## messages: the keys the code names into centrale/core/locale/centrale.pot, new keys into each .po
## (then write their texts there), references refreshed; messages-check writes nothing (docs/translating.md)
messages: install
	$(BIN)/python scripts/messages.py

messages-check: install
	$(BIN)/python scripts/messages.py --check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
