# Two commands matter: `make demo` (the whole course pipeline on the embedded data)
# and `make test` (the test suite). Both create .venv and install what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-all test-fast lint lab release checklist bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --quiet -e ".[course,test]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: $(STAMP)  ## release, grade three sample submissions, print the grades, write feedback
	$(BIN)/tfcert demo

# Test processes side by side (pytest-xdist, --dist loadscope): a module's tests (a class's, where a module
# has classes) stay in one process, so its fixtures are built once; each assignment's end-to-end grading
# is a class of its own, and they come first (collection order: the heaviest work starts first). Three on two
# cores: while one waits for a kernel, a sandbox or a browser to start, the others use the CPU (CONTRIBUTING.md).
TEST_PROCESSES ?= 3

# Two tiers (tests/matrix.py): `make test` grades every assignment's reference, blank and security samples, and the
# full sample matrix of each assignment changed since its last green `make test-all` (tests/matrix-record.json);
# `make test-all` grades every matrix and rewrites the record of each that passes. Both keep each test's time in
# build/test-results/ for bench/test_durations.py.
PYTEST = $(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadscope --no-loadscope-reorder --durations=15

test: $(STAMP)  ## the test suite in its every-run tier, plus the full matrix of what changed (the slowest tests listed at the end)
	TFCERT_TEST_DURATIONS=build/test-results/test.json $(PYTEST)

test-all: $(STAMP)  ## every sample of every assignment, every exam solution; rewrites tests/matrix-record.json when green
	TFCERT_TEST_MATRIX=all TFCERT_TEST_DURATIONS=build/test-results/test-all.json $(PYTEST)

test-fast: $(STAMP)  ## the inner loop: every test but those that run nbgrader or notebooks (under two minutes)
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadscope --no-loadscope-reorder -m "not slow"

lint: $(STAMP)  ## the course's rules, checked without running anything
	$(BIN)/tfcert lint

lab: $(STAMP)   ## open the course in JupyterLab
	$(BIN)/jupyter lab

release: $(STAMP)  ## regenerate release/ from source/ after editing an assignment
	$(BIN)/tfcert release

checklist: $(STAMP)
	$(BIN)/tfcert checklist

bench: $(STAMP)  ## timing and calibration figures for every assignment (many minutes)
	$(BIN)/python bench/autograde_one.py
	$(BIN)/python bench/assignment_timing.py
	$(BIN)/python bench/grading_throughput.py
	$(BIN)/python bench/check_vs_grade.py
	$(BIN)/python bench/exam_references.py
	$(BIN)/python bench/focused_samples.py
	$(BIN)/python bench/datasets.py
	$(BIN)/python bench/test_durations.py

clean:
	rm -rf build gradebook.db submitted autograded/* feedback
