# The two commands the README starts with: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

# torch is pinned here, first, because on the project's machines that exact build is a local CPU
# wheel (any other version pulls several GB of CUDA packages); pyproject keeps a range.
TORCH ?= torch==2.13.0
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) "$(TORCH)"
	$(PIP) -e ".[test,baselines,lm-eval]"
	touch $(STAMP)

install: $(STAMP)

# bubblewrap isolates the submission; without it the demo says so and runs a plain process group.
SANDBOX := $(if $(shell command -v bwrap 2>/dev/null),,--no-sandbox)

# Main job on shipped sample data: run the trivial example submission on the sample benchmark's
# test inputs (answers never visible to it), score it, print the table, the intervals and the
# record's path.
demo: $(STAMP)
	$(BIN)/fusionbench run examples/submissions/trivial --data sample --split test --out .demo $(SANDBOX)

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/score_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
