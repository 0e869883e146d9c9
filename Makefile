# The two set-up commands of the README: `make book` and `make test`. Both create the
# virtual environment on first use and are quick when nothing changed.
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2

.PHONY: book test env lab lint doctor kit clean lock

env:
	@VENV=$(VENV) bash scripts/setup_env.sh

book: env
	@$(PY) scripts/build_book.py

# One reveal.js slide deck per chapter, from the chapter pages, into _build/html/slides/
# (`make book` builds them too; this rebuilds only the decks, in seconds).
.PHONY: slides
slides: env
	@$(PY) scripts/build_slides.py

# The longest labs start first (measured with --durations), so the two workers finish together;
# every other lab and the unit tests follow.
LONGEST_LABS = $(addprefix notebooks/,14-retrieval-and-agents.ipynb 13-reasoning.ipynb 06-pretraining.ipynb 08-finetuning.ipynb 09-using-llms.ipynb \
	11-risks.ipynb 10-evaluating.ipynb)
LABS = $(LONGEST_LABS) $(filter-out $(LONGEST_LABS),$(sort $(wildcard notebooks/*.ipynb)))

test: env
	$(PY) -m pytest -p no:cacheprovider -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg --durations=25 $(LABS) tests

# Move the pins of requirements/lock.txt (what `make book` and `make test` install). Kept pins
# stay where they still fit; `make lock LOCK_ARGS=--upgrade` takes every newest release.
lock:
	@bash scripts/lock.sh $(LOCK_ARGS)

# The unit tests that exercise the version-sensitive packages (transformers, tokenizers,
# tiktoken, peft, safetensors, gguf), run against the oldest releases pyproject.toml allows
# and against the newest ones, each in its own environment (scripts/compat_env.sh). The
# locked versions are `make test`'s. tests/test_compat.py keeps this list complete.
# Each has its own asset cache: a SmolLM2 folder converted by one transformers may not load in
# another.
COMPAT_TESTS = $(shell cat tests/compat_tests.txt)
.PHONY: test-oldest test-newest
test-oldest test-newest: test-%:
	@VENV=.venv-$* bash scripts/compat_env.sh $*
	GENTLE_LLM_CACHE=$(abspath .venv-$*)/gentle_llm_cache .venv-$*/bin/python -m pytest \
		-p no:cacheprovider -n $(JOBS) --dist loadfile -m "not book" $(COMPAT_TESTS)

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
