# Two commands for a newcomer: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 8000
export PORT

.PHONY: run test test-sqlite test-postgres lint format bench venv clean translations api-docs

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## make run: install, migrate, seed the demo, start gunicorn on 127.0.0.1:$(PORT)
run: venv
	$(BIN)/python -m marketplace.devserver

## make test: the whole suite on SQLite, then on PostgreSQL ($$TEST_DATABASE_URL)
test: venv test-sqlite test-postgres

test-sqlite: venv
	TEST_DB=sqlite $(BIN)/pytest -n 2

test-postgres: venv
	TEST_DB=postgres $(BIN)/pytest -n 2

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make bench: load figures with same-run baselines (needs wrk and PostgreSQL; see bench/README.md)
bench: venv
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## make translations: extract the pages' messages, merge tools/vi_messages.py, compile the .mo
translations: venv
	$(BIN)/python tools/translate.py

## make api-docs: regenerate docs/api.md from the app's OpenAPI document (/api/openapi.json)
api-docs: venv
	$(BIN)/python tools/api_reference.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
