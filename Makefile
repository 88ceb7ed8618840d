# guidecrawl: `make demo` runs the main job on the embedded demo site, `make test` runs the suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: lm demo test lint bench bench-extract bench-repair bench-crawl bench-store bench-scale clean-venv

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) lm
	$(BIN)/guidecrawl demo

test: $(STAMP) lm
	$(BIN)/python -m pytest -n 2 -q

# the repair chain's word trigram model (Debian's libime-data-language-model; not committed)
lm:
	sh scripts/fetch-lm.sh

lint: $(STAMP)
	$(BIN)/ruff check crawler cleaners pipelines tests bench
	$(BIN)/ruff format --check crawler cleaners pipelines tests bench

bench: bench-extract bench-repair bench-crawl bench-store bench-scale

bench-extract: $(STAMP)
	$(BIN)/python bench/extract.py
# the evaluation spinner's own tables (test data without a licence: read at run time, never shipped)
SPIN_DICTS ?= ../shared/spin/dicts/itechbear_Corpus
bench-repair: $(STAMP) lm
	$(BIN)/python bench/repair.py $(foreach t,$(wildcard $(SPIN_DICTS)/*),--spin-table $(t))
bench-crawl: $(STAMP)
	$(BIN)/python bench/crawl.py
bench-store: $(STAMP)
	$(BIN)/python bench/store.py
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py

clean-venv:
	rm -rf $(VENV)
