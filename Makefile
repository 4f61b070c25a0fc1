# The two commands the README starts with: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

SAMPLE_TEST := fusionbench/data/sample_data/test

# Main job on shipped sample data: run the trivial example submission on the sample benchmark's
# test inputs, then score its predictions against the test answers.
demo: $(STAMP)
	rm -rf .demo
	$(BIN)/python examples/submissions/trivial/run.py --input $(SAMPLE_TEST)/input --output .demo/output
	$(BIN)/fusionbench score $(SAMPLE_TEST) .demo/output --by-language

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/score_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
