# Two commands on a fresh machine:  `make demo` (the main job, local mode) and `make test`.
# Offline: point the loader at a local copy, e.g. HOUSING_DATA_PATH=../shared/datasets/housing.csv
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
UV := .tools/uv/bin/uv
PY := $(VENV)/bin/python
export DO_NOT_TRACK := 1
# OpenMP (scikit-learn's HistGradientBoosting) busy-waits at its barriers (libgomp: 300,000 spins by
# default), which burns the CPU other processes need when the cores are shared. A short spin keeps the
# idle speed: full-data training without CV, idle, 10.7 s wall / 14.7 s CPU by default, 10.1 / 13.3
# spinning 10,000 and 12.4 / 12.2 with OMP_WAIT_POLICY=PASSIVE (too slow: full training 68 s instead
# of 46); 3,000 rows beside 6 busy loops, 60.5 / 25.7 by default, 54.1 / 17.6 spinning 10,000.
export GOMP_SPINCOUNT := 10000

.PHONY: help venv tools demo stop test test-fast docs lint typecheck pytest k8s-check container-smoke bench mutation lock clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m venv .tools/uv && .tools/uv/bin/pip install -q uv==0.13.8

$(VENV)/.synced: requirements/dev.lock pyproject.toml | $(UV)
	[ -d $(VENV) ] || $(UV) venv -q -p $(PYTHON) $(VENV)
	# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (CI, containers) every
	# process would otherwise recompile what it imports; Evidently's import went from 8 s to 5 s.
	VIRTUAL_ENV=$(VENV) $(UV) pip sync -q --compile-bytecode requirements/dev.lock
	VIRTUAL_ENV=$(VENV) $(UV) pip install -q --no-deps -e .
	touch $@

venv: $(VENV)/.synced  ## create .venv with the pinned dependencies (requirements/dev.lock)

lock: | $(UV)  ## re-resolve the pinned lock files from pyproject.toml
	for extra in dev training predictor monitoring rollout; do \
	  $(UV) pip compile -q --python-version 3.11 --extra $$extra pyproject.toml --no-header -o requirements/$$extra.lock; done

tools: venv  ## helm/kubectl, checkov, chromium (for the offline k8s checks and browser tests)
	bash scripts/install-k8s-tools.sh
	bash scripts/install-system-tools.sh

demo: venv  ## the main job end to end in local mode: data, train, batch, serve, request, drift, dashboard
	bash scripts/demo.sh

stop:  ## stop the predictor and dashboard that `make demo` left running
	bash scripts/demo-stop.sh

docs: venv  ## regenerate the generated tables of the docs (settings env vars in docs/contracts.md)
	$(PY) scripts/settings_table.py --write

lint: venv  ## ruff (lint and format) and mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy --strict model predictor rollout

pytest: venv
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: venv  ## unit tests only (no tool installs)
	$(PY) -m pytest -q -x -m "not cluster and not slow and not helm" --ignore=tests/charts

k8s-check: tools
	bash scripts/check-k8s.sh

container-smoke: venv  ## build the 3 images with podman (runc, Debian base) and smoke-test them
	bash scripts/container-smoke.sh

test: venv tools lint pytest k8s-check container-smoke  ## everything CI runs

mutation: venv  ## mutmut over the modules of docs/testing.md, score per module (~40 min; not in make test)
	VIRTUAL_ENV=$(VENV) $(UV) pip install -q mutmut==3.8.1
	bash scripts/mutation.sh

bench: venv  ## benchmarks (print numbers; results in docs/)
	bash bench/predictor_bench.sh $(or $(BUNDLE),artifacts/bundles/latest)
	$(PY) bench/drift_bench.py --bundles $(or $(BUNDLES),artifacts/bundles)

clean:
	rm -rf artifacts .pytest_cache .mypy_cache .ruff_cache
