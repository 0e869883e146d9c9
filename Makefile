# The two set-up commands of the README: `make book` and `make test`. Both create the
# virtual environment on first use and are quick when nothing changed.
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2

.PHONY: book test env lab lint doctor clean

env:
	@VENV=$(VENV) bash scripts/setup_env.sh

book: env
	@$(PY) scripts/build_book.py

test: env
	$(PY) -m pytest -p no:cacheprovider -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks

lab: env
	$(VENV)/bin/jupyter lab notebooks

lint: env
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

doctor: env
	$(VENV)/bin/gentle-llm doctor

clean:
	rm -rf _build .pytest_cache
