# iro-analysis: `make help` lists every target. Each target installs what it needs first.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
# Where the project's Python lives: by default .venv, made from requirements.lock. Inside an
# active conda environment that is not `base` (CONDA_PREFIX set, CONDA_DEFAULT_ENV not
# `base`: what `conda activate iro-analysis` does), that environment instead: no .venv, the
# install stamp in the environment, the packages installed from requirements.lock only where
# missing, the kernel registered in it. USE_CONDA=no always uses .venv; USE_CONDA=yes uses
# the active conda environment even when it is `base`.
USE_CONDA ?= auto
ifeq ($(USE_CONDA),yes)
  ifeq ($(CONDA_PREFIX),)
    $(error USE_CONDA=yes needs an active conda environment (conda activate iro-analysis); CONDA_PREFIX is not set)
  endif
  ENV_ROUTE := conda
else ifeq ($(USE_CONDA),auto)
  ENV_ROUTE := $(if $(and $(CONDA_PREFIX),$(filter-out base,$(CONDA_DEFAULT_ENV))),conda,venv)
else ifeq ($(USE_CONDA),no)
  ENV_ROUTE := venv
else
  $(error USE_CONDA is auto (the default), yes or no, not '$(USE_CONDA)')
endif
ifeq ($(ENV_ROUTE),conda)
ENV_DIR := $(CONDA_PREFIX)
# The stamp holds this clone's folder: another clone sharing the environment installs its own
# editable package (and so reinstalls) rather than trusting the stamp.
STAMP := $(ENV_DIR)/.iro-analysis-installed
ENV_NAME := conda environment $(or $(CONDA_DEFAULT_ENV),$(notdir $(CONDA_PREFIX))) ($(CONDA_PREFIX))
ifneq ($(shell cat '$(STAMP)' 2>/dev/null),$(CURDIR))
$(STAMP): FORCE
endif
else
ENV_DIR := $(VENV)
STAMP := $(VENV)/.installed
ENV_NAME := .venv$(if $(filter no,$(USE_CONDA)), (USE_CONDA=no),$(if $(CONDA_PREFIX), (conda's base environment is not used: USE_CONDA=yes uses it)))
endif
BIN := $(ENV_DIR)/bin
PY := $(BIN)/python
PY_DIRS := $(wildcard src tests notebooks benchmarks)
AXE := node_modules/axe-core/axe.min.js
YEAR ?=
FORMAT ?= html
# Reports must embed images: a global MPLBACKEND=Agg makes papermill kernels emit none.
unexport MPLBACKEND

.PHONY: help setup data report reports check test test-fast docs gx lint format lab bench clean lock years templates

help: ## list every target with a one-line description
	@echo "iro-analysis: make TARGET [YEAR=2022]"
	@echo "Python: $(ENV_NAME)"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

.PHONY: FORCE
FORCE:

KERNEL_INSTALL = $(PY) -m ipykernel install --sys-prefix --name iro-analysis --display-name "Python 3 (iro-analysis)" >/dev/null

ifeq ($(ENV_ROUTE),conda)
# conda's own pip is left as it is; pip installs only what the environment lacks or has at
# another version than requirements.lock.
$(STAMP): requirements.lock pyproject.toml
	@[ -x "$(PY)" ] || { echo "The active $(ENV_NAME) has no python: conda install python=3.11 pip, or USE_CONDA=no for .venv" >&2; exit 2; }
	@echo "Installing into the $(ENV_NAME)"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(KERNEL_INSTALL)
	echo "$(CURDIR)" > "$(STAMP)"
else
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(KERNEL_INSTALL)
	touch $(STAMP)
endif

# The kernel alone, when it went missing after the install (a build refuses to start without
# it and says `make setup`): registered again without reinstalling anything. (Make saw it
# missing before the install, which registers it: the recipe looks again.)
KERNEL_SPEC := $(ENV_DIR)/share/jupyter/kernels/iro-analysis/kernel.json
$(KERNEL_SPEC): | $(STAMP)
	@[ -f "$@" ] || { echo '$(KERNEL_INSTALL)'; $(KERNEL_INSTALL); }

setup: $(STAMP) $(KERNEL_SPEC) ## install the packages (requirements.lock), the package and its Jupyter kernel: into .venv, or the active conda environment

data: $(STAMP) ## generate the demo council's raw data into data/raw (if none there yet)
	@raw="$$($(BIN)/iro-analysis paths raw)"; \
	if [ -n "$$(ls -d $$raw/[0-9][0-9][0-9][0-9] 2>/dev/null)" ]; then \
	  echo "$$raw already has years: $$(ls -d $$raw/[0-9][0-9][0-9][0-9] | xargs -n1 basename | tr '\n' ' ')"; \
	else $(BIN)/iro-analysis demo-data --out "$$raw"; fi

years: $(STAMP) ## list the years with raw data
	@$(BIN)/iro-analysis years

# Folders come from config/settings.yaml through the CLI (one source for folders). Make
# computes these when it starts, which on a fresh clone is before .venv exists: so they are
# used only in rules that a sub-make runs after setup (report-file), never by a front-door
# target, whose recipes ask the CLI when they run (HAS_YEARS).
RAW := $(shell $(BIN)/iro-analysis paths raw 2>/dev/null || echo data/raw)
REPORTS := $(shell $(BIN)/iro-analysis paths reports 2>/dev/null || echo reports)

# Rendered outputs are file targets: a year's report is rebuilt only when the package, the
# notebooks, the settings, the narrative or any raw file (every year gives history) changed.
RAW_FILES := $(shell find $(RAW) -type f ! -name README.md ! -name .gitkeep 2>/dev/null | sort)
PKG_FILES := $(shell find src/iro_analysis -type f ! -name '*.pyc' 2>/dev/null | sort)
NB_FILES := $(wildcard notebooks/*.ipynb)
REPORT_DEPS := $(STAMP) $(PKG_FILES) $(NB_FILES) config/settings.yaml $(RAW_FILES) $(wildcard reports/narrative/*.md) $(wildcard docs/assumptions.md)

$(REPORTS)/%/manifest.json: $(REPORT_DEPS)
	$(BIN)/iro-analysis report --year $*

# A recipe's test for "the raw folder has a year folder", asking the CLI where it is.
HAS_YEARS = [ -n "$$(ls -d "$$($(BIN)/iro-analysis paths raw)"/[0-9][0-9][0-9][0-9] 2>/dev/null)" ]

report: $(STAMP) ## build one year's report: make report YEAR=2022 [FORMAT=pdf]
	@if [ -z "$(YEAR)" ]; then \
	  $(BIN)/iro-analysis years || true; \
	  echo "Choose a year: make report YEAR=<year> (the year the reporting year ends, 2022 = 2021/22)"; exit 2; fi
	@$(HAS_YEARS) || $(MAKE) --no-print-directory data
	@if [ "$(FORMAT)" = "pdf" ]; then $(BIN)/iro-analysis report --year $(YEAR) --pdf; \
	else $(MAKE) --no-print-directory report-file YEAR=$(YEAR); fi

# Run by `report` in a sub-make, which starts after setup and so computes REPORTS and
# RAW_FILES from the CLI as every later run does (issue #27: a fresh clone's first run).
.PHONY: report-file
report-file: $(REPORTS)/$(YEAR)/manifest.json
	@echo "Report: $$(ls $(REPORTS)/$(YEAR)/iro-annual-report-*.html)"

check: $(STAMP) $(AXE) ## open the built report in headless Chromium (offline, images, links, axe): make check YEAR=2022
	@if [ -z "$(YEAR)" ]; then echo "Choose a year: make check YEAR=<year>"; exit 2; fi
	$(BIN)/iro-analysis check --year $(YEAR)

reports: $(STAMP) ## build every year's report, the trends report and reports/index.html (history cleaned and validated once)
	@$(HAS_YEARS) || $(MAKE) --no-print-directory data
	$(BIN)/iro-analysis reports

.PHONY: region
region: $(STAMP) ## each council's KPIs, pooled, and the benchmarking report (councils in data/raw/<la_code>/<YEAR>/, or REGION_RAW=dir): make region YEAR=2022 [WORKERS=2]
	@if [ -z "$(YEAR)" ]; then echo "Choose a year: make region YEAR=<year>"; exit 2; fi
	$(BIN)/iro-analysis region --year $(YEAR) $(if $(REGION_RAW),--raw-dir $(REGION_RAW)) --workers $(or $(WORKERS),2)

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(AXE)

# The browser, accessibility and PDF tests need Debian's chromium and poppler-utils and
# npm's axe-core: installed when missing and this user can (scripts/system-deps.sh, as
# .ci/run does); otherwise those tests are skipped with one line saying how to enable them.
PYTEST_WORKERS ?= 2

test: $(STAMP) ## run every test (pytest on 2 workers), browser, accessibility and PDF tests included
	@bash scripts/system-deps.sh
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(AXE); fi
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

test-fast: $(STAMP) ## the unit tier: no notebooks, browser, demo build or full GX suite (about a minute)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not slow"

gx: $(STAMP) ## regenerate the Great Expectations suites in gx/ from the code
	$(PY) -m iro_analysis.validate.gx_project

docs: $(STAMP) ## regenerate docs/kpis.md (from the KPI registry) and the contract section of docs/data-dictionary.md
	$(PY) -m iro_analysis.report.kpi_docs
	$(PY) -m iro_analysis.contract.dictionary

TEMPLATES ?= data/templates
templates: $(STAMP) ## write a header-only CSV per IRO extract and a README of their columns and codes: make templates [TEMPLATES=DIR]
	$(BIN)/iro-analysis templates --out $(TEMPLATES)

lint: $(STAMP) ## check formatting, lint (ruff) and the floor plan (import-linter), changing nothing
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/lint-imports

format: $(STAMP) ## fix formatting and autofixable lint (ruff)
	$(BIN)/ruff format $(PY_DIRS)
	$(BIN)/ruff check --fix $(PY_DIRS)

lab: $(STAMP) ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP) ## every benchmark row (region.py too) and benchmarks/results.md; QUICK=1 skips England size and the 150 councils
	$(PY) benchmarks/run.py $(if $(QUICK),--quick)

.PHONY: bench-tests
bench-tests: $(STAMP) ## time make test-fast and make test and write their section of benchmarks/results.md
	$(PY) benchmarks/test_suite.py

lock: ## regenerate requirements.lock from pyproject.toml in a throwaway venv
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv && .lockvenv/bin/pip install --quiet --upgrade pip
	.lockvenv/bin/pip install --quiet ".[dev]"
	(echo "# Exact versions tested together (Python 3.11). Regenerate with \`make lock\`."; \
	 .lockvenv/bin/pip freeze --exclude iro-analysis) > requirements.lock
	rm -rf .lockvenv

clean: ## remove processed data, built reports, restricted outputs and caches (keeps raw data and .venv)
	find data/processed -mindepth 1 ! -name .gitkeep ! -name README.md -exec rm -rf {} +
	find reports -mindepth 1 -maxdepth 1 ! -name narrative ! -name .gitkeep -exec rm -rf {} +
	rm -rf restricted
	rm -rf .pytest_cache .ruff_cache node_modules
	find . -name __pycache__ -not -path './.venv/*' -exec rm -rf {} +

.PHONY: dfe-rules
dfe-rules: $(STAMP) ## check fault-free demo data against DfE's 903 validator (own venv .dfe-validator-venv)
	$(PY) scripts/dfe_903_rules.py

.PHONY: exceptions
AS_AT ?=
exceptions: $(STAMP) ## managers' child-level exception lists in restricted/<YEAR>/exceptions: make exceptions YEAR=2022 [AS_AT=2022-01-31]
	@if [ -z "$(YEAR)" ]; then \
	  $(BIN)/iro-analysis years || true; \
	  echo "Choose a year: make exceptions YEAR=<year> [AS_AT=YYYY-MM-DD] (default as at 31 March)"; exit 2; fi
	@$(HAS_YEARS) || $(MAKE) --no-print-directory data
	$(BIN)/iro-analysis exceptions --year $(YEAR)$(if $(AS_AT), --as-at $(AS_AT))
