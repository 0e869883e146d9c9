# The two set-up commands of the README: `make book` and `make test`. Both create the
# virtual environment on first use and are quick when nothing changed.
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2

.PHONY: book test env lab lint doctor kit clean

env:
	@VENV=$(VENV) bash scripts/setup_env.sh

book: env
	@$(PY) scripts/build_book.py

test: env
	$(PY) -m pytest -p no:cacheprovider -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks

# The unit tests (no notebooks, no book or browser) against the oldest transformers, tokenizers
# and tiktoken that pyproject.toml allows, in their own environment (scripts/compat_env.sh).
# Their own asset cache: a SmolLM2 folder converted by a newer transformers may not load in 4.x.
OLDEST_VENV ?= .venv-oldest
.PHONY: test-oldest
test-oldest:
	@VENV=$(OLDEST_VENV) bash scripts/compat_env.sh
	GENTLE_LLM_CACHE=$(abspath $(OLDEST_VENV))/gentle_llm_cache $(OLDEST_VENV)/bin/python -m pytest \
		-p no:cacheprovider -n $(JOBS) --dist loadfile -m "not book" tests

lab: env
	$(VENV)/bin/jupyter lab notebooks

lint: env
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

doctor: env
	$(VENV)/bin/gentle-llm doctor

# The offline workshop kit (assets, wheelhouse, labs, built book, install recipe) for a USB
# stick: make kit KIT=/media/usb/gentle-llm-kit. Run `make book` first to include the book.
KIT ?= gentle-llm-kit
kit: env
	$(PY) scripts/make_kit.py $(KIT)

clean:
	rm -rf _build .pytest_cache
