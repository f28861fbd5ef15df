# Two commands on a fresh machine: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
# Links the line texts and prints point at the port it really serves on, unless set.
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
export PUBLIC_BASE_URL
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-postgres lint format bench clean translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo load
	@echo "Serving on http://127.0.0.1:$(PORT) with the worker beside it (Ctrl-C stops both)."
	@echo "Play a call in another terminal: $(BIN)/flask --app app call play --url http://127.0.0.1:$(PORT)"
	@test "$(PUBLIC_BASE_URL)" = "http://127.0.0.1:5000" || echo "Links printed in another terminal point here after: export PUBLIC_BASE_URL=$(PUBLIC_BASE_URL)"
	$(BIN)/flask --app app worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

test: lint
	$(BIN)/pytest -m "not postgres" -q

test-postgres: $(STAMP)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -m postgres -q

# The words callers read, extracted from the code; new ones land untranslated in each catalog,
# and tests/unit/test_languages.py fails until they are translated.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ --no-default-keywords --sort-by-file \
		--project=afterhours --copyright-holder=EI-MAS-Core -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --width 100

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit -q -r app -ll

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A short version of every benchmark (one to two minutes); docs/benchmarks.md has the full runs.
bench: $(STAMP)
	$(BIN)/python bench/call_inprocess.py --calls 50
	# Short rounds: eight driver processes keep each under the storm's 60 % check on two cores.
	$(BIN)/python bench/call_storm.py --callers 50 --calls 200 --drivers 8
	$(BIN)/python bench/call_storm.py --callers 50 --calls 200 --drivers 8 --database postgres
	$(BIN)/python bench/page_latency.py --open 100 1000 --pages 10
	# wrk replaying pre-signed calls beside the floor and the parts, on pinned cores (PostgreSQL).
	$(BIN)/python bench/wrk_storm.py --seconds 5 --rounds 1 --connections 20 --wire-calls 5

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache .hypothesis
