# SIPAS platform — the commands a newcomer needs (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
export SIPAS_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: demo test bench lint format translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## demo: install, migrate, seed the demo province once, print the counters' URLs, serve
demo: $(VENV)/.runtime
	$(FLASK) sipas init
	$(FLASK) sipas seed-demo
	@echo "Folding the demo's days (quality flags and cell statistics), so no page waits for it:"
	$(FLASK) sipas refresh
	@echo
	@echo "Survey URL of each demo counter:"
	@$(FLASK) sipas tokens
	@$(FLASK) sipas demo-login
	@echo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops; data stays in instance/)"
	HOST=$(HOST) PORT=$(PORT) exec scripts/demo-serve.sh

## test: install what the tests need (apt + pip) and run the whole suite on SQLite and PostgreSQL
test: $(VENV)/.dev
	scripts/system-deps.sh
	scripts/test.sh

## bench: benchmarks with their figures (survey paths and page weights, submit throughput, the survey cycle request by request, analysis at 1M responses, report page, import memory, database-outage soak, scale at 1M)
bench: $(VENV)/.dev
	$(BIN)/python bench/paths.py
	$(BIN)/python bench/submit.py
	$(BIN)/python bench/cycle.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/imports.py
	$(BIN)/python bench/soak.py
	$(BIN)/python bench/scale.py

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## translations: refresh the message catalogue after changing UI strings
translations: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _t -o survey/translations/messages.pot .
	$(BIN)/pybabel update -i survey/translations/messages.pot -d survey/translations -l vi
	$(BIN)/pybabel compile -d survey/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
