# guidecrawl: `make demo` runs the main job on the embedded demo site, `make test` runs the suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: lm demo test lint bench bench-extract bench-repair bench-crawl bench-store bench-scale clean-venv \
	system-deps-demo system-deps-test

# Debian packages each README command needs, installed when missing by scripts/system-deps.sh (as
# root directly; otherwise it prints the sudo command to run).  Add a package here, never in .ci/run.
# The demo needs nothing beyond Python so far; the tests need redis-server (scale-out), chromium
# and a CJK font (the report must render Chinese).
SYSTEM_PKGS_DEMO ?=
SYSTEM_PKGS_TEST ?= redis-server chromium fonts-wqy-microhei
SYSTEM_DEPS := scripts/system-deps.sh

# the stamp (in .venv) holds the list once it is all installed: later runs skip the check
system-deps-demo:
	@$(SYSTEM_DEPS) --stamp $(VENV)/.system-deps-demo $(SYSTEM_PKGS_DEMO)
system-deps-test:
	@$(SYSTEM_DEPS) --stamp $(VENV)/.system-deps-test $(SYSTEM_PKGS_TEST)

# A Debian python3 has no venv/ensurepip without python3-venv.
$(BIN)/python:
	@$(PY) -c 'import ensurepip, venv' 2>/dev/null || $(SYSTEM_DEPS) python3-venv
# kenlm (a dependency, source distribution) and the compiled modules of setup.py need a C/C++
# compiler and Python's headers
	@{ command -v gcc && command -v g++; } >/dev/null || $(SYSTEM_DEPS) gcc g++
	@$(PY) -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || $(SYSTEM_DEPS) python3-dev
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# setup.py builds the compiled modules cleaners/_fast*.pyx.  The extractor's walks (_fastwalk) read
# lxml's structs, so they are built against the lxml the venv runs: pyproject's [build-system]
# requires (Cython, lxml) go into the venv first and the project is built without build isolation.
# A module that did not build leaves its Python code in charge (same output, slower): said in one
# line, not an error.
$(STAMP): pyproject.toml setup.py $(wildcard cleaners/_fast*.pyx) | $(BIN)/python
	$(BIN)/python -m pip install -q $$($(BIN)/python -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))')
	$(BIN)/python -m pip install -q --no-build-isolation -e '.[dev]'
	@$(BIN)/python -c 'import importlib.util as u; m = [n for n in ("_fastwalk", "_fastlm", "_fastscan") if not u.find_spec("cleaners." + n)]; m and print("note: cleaners/" + ", ".join(m) + " not built: their Python code runs instead (same output, slower)")'
	touch $(STAMP)

demo: $(STAMP) system-deps-demo lm
	$(BIN)/guidecrawl demo

# pytest exits 5 when it collected no tests: a test run that ran nothing is a failure, said so
PYTEST_ARGS ?=
test: $(STAMP) system-deps-test lm
	@rc=0; $(BIN)/python -m pytest -n 2 -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5): check the checkout's tests/ folder and PYTEST_ARGS" >&2; fi; \
	exit $$rc

# the repair chain's word trigram model (Debian's libime-data-language-model; not committed)
lm:
	sh scripts/fetch-lm.sh

lint: $(STAMP)
	$(BIN)/ruff check crawler cleaners pipelines tests bench
	$(BIN)/ruff format --check crawler cleaners pipelines tests bench
	$(BIN)/mypy  # packages and settings: [tool.mypy] in pyproject.toml; zero errors

bench: bench-extract bench-repair bench-crawl bench-store bench-scale

bench-extract: $(STAMP)
	$(BIN)/python bench/extract.py
# the evaluation spinner's own tables (test data without a licence: read at run time, never shipped)
SPIN_DICTS ?= ../shared/spin/dicts/itechbear_Corpus
bench-repair: $(STAMP) lm
	$(BIN)/python bench/repair.py $(foreach t,$(wildcard $(SPIN_DICTS)/*),--spin-table $(t))
bench-crawl: $(STAMP) lm
	$(BIN)/python bench/crawl.py
bench-store: $(STAMP)
	$(BIN)/python bench/store.py
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py

clean-venv:
	rm -rf $(VENV)
