# Two commands: `make run` (whole system with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install migrate demo messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --if-empty

run: demo
	@echo ""
	@echo "  Complaint handling is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Logins (password demo12345): admin, supervisor, agent1 … agent6"
	@echo "  API docs: http://127.0.0.1:$(PORT)/api/docs/   health: http://127.0.0.1:$(PORT)/healthz"
	@echo "  Web, Celery worker and Celery beat run together; Ctrl-C stops all three."
	@echo ""
	PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

test: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf var .pytest_cache
