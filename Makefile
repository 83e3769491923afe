# gloss: `make run` opens the reader on the samples, `make test` runs the tests.
# Both create .venv and install what they need on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := samples/demo-bundle.gloss

.PHONY: run test bench bench-archive fit real-wiki demo-bundle clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -q -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	@$(BIN)/gloss cache import $(DEMO) >/dev/null || echo "(demo bundle not imported; summaries need 'gloss warm samples')"
	$(BIN)/gloss samples --offline --wiki-api http://demo.gloss.invalid/w/api.php

# The real MediaWiki instances the tests use are built (once, then cached) in the background
# while the other tests run; the tests that need them wait for them.
test: $(VENV)/.installed-test
	$(BIN)/ruff check tui linker cache tests bench
	$(BIN)/ruff format --check tui linker cache tests bench
	@( $(BIN)/python -m tests.real_wiki build && $(BIN)/python -m tests.real_wiki build --plain --no-pad ) >/dev/null 2>&1 &
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run

# The 10,000-article archive warmed for real against bare nlp.pipe (half an hour on 2 cores).
bench-archive: $(VENV)/.installed-test
	$(BIN)/python -m bench.run --archive

# Fit the scorer on the development stories (leave one story out each way) and write linker/weights.json.
fit: $(VENV)/.installed-test
	$(BIN)/python -m tests.stories fit

# Build (once, cached) and serve the real MediaWiki test instance; prints its API URL.
real-wiki: $(VENV)/.installed-test
	$(BIN)/python -m tests.real_wiki serve

demo-bundle: $(VENV)/.installed
	$(BIN)/python -m tests.demo_bundle $(DEMO)

clean:
	rm -rf $(VENV) .pytest_cache bench/results.json
