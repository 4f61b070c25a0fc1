# The two commands the README starts with: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

# torch is installed first, on its own, so that the baselines extra finds it already there
# (pyproject keeps a range).  What `pip install torch==2.13.0` gets depends on the machine:
# - with TORCH_INDEX empty (the default) pip uses its configured index; on the project's machines
#   that holds a local CPU wheel, but from the public PyPI the Linux build is the CUDA one, which
#   pulls about 16 nvidia-* packages (several GB);
# - `make install TORCH_INDEX=https://download.pytorch.org/whl/cpu` takes the CPU-only build from
#   PyTorch's own index (torch only; everything else still comes from the configured index).
# `make install TORCH=` (empty) skips this step and leaves torch to the baselines extra.
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

# setup.py builds the optional C accelerators (fusionbench/**/*.c): a change to them reinstalls
$(STAMP): pyproject.toml setup.py $(shell find fusionbench -name "*.c")
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing $(if $(TORCH),$(TORCH) from $(or $(TORCH_INDEX),pip's configured index),no pinned torch)"
	$(if $(TORCH),$(PIP) $(if $(TORCH_INDEX),--index-url "$(TORCH_INDEX)") "$(TORCH)")
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
