# seqreg: reproduce every notebook with `make all`; check everything with `make test`.
#
#   make all   [DATASET=synthetic] [SCALE=demo] [SEED=0]   environment, data, every notebook
#              [DATA_ROOT=data] [OUTPUT_ROOT=outputs]      where datasets and outputs live
#   make test                                              lint + unit tests + notebook smoke runs
#   make help                                              the other targets
#
# A notebook's executed copy is rebuilt only when its inputs change: the notebook, the
# library, the dataset, the parameters, or an earlier notebook it may read from.

SHELL := /bin/bash
.DELETE_ON_ERROR:
.SUFFIXES:

DATASET ?= synthetic
SCALE ?= demo
SEED ?= 0
DATA_ROOT ?= data
OUTPUT_ROOT ?= outputs

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
ENV_STAMP := $(VENV)/.seqreg-env

# DATASET is a manifest name in data_manifest/ or the path of a manifest YAML.
MANIFEST := $(if $(wildcard data_manifest/$(DATASET).yaml),data_manifest/$(DATASET).yaml,$(DATASET))
ifeq ($(wildcard $(MANIFEST)),)
$(error DATASET=$(DATASET): neither data_manifest/$(DATASET).yaml nor a file $(DATASET) exists; datasets in data_manifest/: $(basename $(notdir $(wildcard data_manifest/*.yaml))))
endif
DATASET_NAME := $(basename $(notdir $(MANIFEST)))
OUT := $(OUTPUT_ROOT)/$(DATASET_NAME)/$(SCALE)
DATA_STAMP := $(DATA_ROOT)/.stamps/$(DATASET_NAME)-$(SCALE).ok
PARAMS := $(OUT)/.parameters

NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED := $(NOTEBOOKS:notebooks/%=$(OUT)/notebooks/%)
LIB := $(shell find lib/seqreg -name '*.py' -not -path '*/__pycache__/*')
RUN_ARGS := --dataset $(DATASET) --scale $(SCALE) --seed $(SEED) --data-root $(DATA_ROOT) --output-dir $(OUT)

.PHONY: all env data test lint bench report lab clean distclean help programs FORCE

all: $(EXECUTED)
	@echo "All notebooks are current in $(OUT)/notebooks ('make report' renders them as HTML)."

help:
	@echo "make all        environment, data, then every notebook in order (DATASET, SCALE, SEED)"
	@echo "make test       ruff + pytest, including a smoke run of every notebook"
	@echo "make env        the virtual environment in $(VENV) (from pyproject.toml), bedtools and bowtie2"
	@echo "make data       generate or download and verify DATASET at SCALE"
	@echo "make bench      run the benchmark scripts in benchmarks/"
	@echo "make report     HTML of the executed notebooks and an index of every figure"
	@echo "make lab        JupyterLab with the project's kernel"
	@echo "make clean      remove outputs/ and caches; 'make distclean' also data/ and $(VENV)"

# -- environment -----------------------------------------------------------------------
env: $(ENV_STAMP)

$(ENV_STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no python3.11 or python3 on PATH; install Python 3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); this project needs 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
	$(MAKE) --no-print-directory programs
	@# an environment built by another Python is rebuilt
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then rm -rf $(VENV); fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m seqreg.project.run --install-kernel
	touch $@

# bedtools and bowtie2 are programs, not Python packages: use the ones on PATH, else
# install Debian's packages when running as root with apt, else say how to get them.
PROGRAMS := bedtools bowtie2
programs:
	@missing=""; for p in $(PROGRAMS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then \
	  echo "programs: $$(bedtools --version), bowtie2 $$(bowtie2 --version 2>/dev/null | head -1 | awk '{print $$NF}')"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "error: not on PATH:$$missing. Install with 'sudo apt-get install$$missing' (Debian/Ubuntu)," \
	       "'conda install -c bioconda$$missing', or 'brew install$$missing', then run make again." >&2; \
	  exit 1; \
	fi

# -- data ------------------------------------------------------------------------------------
data: $(DATA_STAMP)

# prepare runs every time (it is quick when nothing changed) and decides what to redo: a
# generated dataset is regenerated only when the code that writes it changed; downloaded
# files already verified are skipped; every file is checked again when it changed. The
# stamp is rewritten only when the manifest or a file changed, so only then do notebooks rerun.
$(DATA_STAMP): FORCE | $(ENV_STAMP)
	$(PY) -m seqreg.project.datasets prepare --dataset $(DATASET) --scale $(SCALE) --data-root $(DATA_ROOT)

# -- notebooks ----------------------------------------------------------------------------
# Rewritten only when a parameter changes, so unchanged parameters cause no rerun.
$(PARAMS): FORCE
	@mkdir -p $(@D)
	@printf 'seed=%s\nmanifest=%s\ndata_root=%s\n' "$(SEED)" "$(abspath $(MANIFEST))" "$(abspath $(DATA_ROOT))" > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

$(OUT)/notebooks/%.ipynb: notebooks/%.ipynb $(LIB) $(DATA_STAMP) $(PARAMS) | $(ENV_STAMP)
	$(PY) -m seqreg.project.run $< $(RUN_ARGS)

# Each notebook runs after, and reruns when, the notebook before it.
previous :=
$(foreach nb,$(EXECUTED),$(eval $(nb): $(previous))$(eval previous := $(nb)))

# -- checks ----------------------------------------------------------------------------------
lint: $(ENV_STAMP)
	$(VENV)/bin/ruff check lib tests benchmarks notebooks
	$(VENV)/bin/ruff format --check lib tests benchmarks notebooks

test: lint
	$(VENV)/bin/pytest

bench: $(ENV_STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# -- reading the results ------------------------------------------------------------------
report: $(EXECUTED)
	$(PY) -m seqreg.project.report --dataset $(DATASET) --scale $(SCALE) --output-dir $(OUT)

lab: $(ENV_STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=.

clean:
	rm -rf outputs .pytest_cache .ruff_cache
	find lib tests benchmarks -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf data $(VENV)
