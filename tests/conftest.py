"""Shared set-up: TensorFlow quiet before anything imports it.

``KERAS_MAX_EPOCHS`` is deliberately *not* set here: the autograde tests must
train the reference solution for real. Only the lesson-notebook test caps
epochs, in the environment of the kernels it starts.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tfcert import QUIET_TF_ENV

for _key, _value in QUIET_TF_ENV.items():
    os.environ.setdefault(_key, _value)
# Kernels started by the tests inherit this environment: leave MPLBACKEND unset so
# they keep Jupyter's inline backend and plots reach the outputs.
os.environ.pop("MPLBACKEND", None)
os.environ.pop("KERAS_MAX_EPOCHS", None)
# A notebook's grading time is TFCERT_BUDGET_FACTOR (4) times its assignment's reference time, measured with the
# machine to itself. Here two test processes share two cores, and a virtual machine may lose a third of its CPU to
# its host: D5's alternative once ran past 4 times (280 s) and lost a task. The budget itself is tested with its own
# small figure (test_broken_submissions.py); set the factor to see how the samples fare under the real one.
os.environ.setdefault("TFCERT_BUDGET_FACTOR", "10")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


# --------------------------------------------------------------------------------------------- the two tiers
# Every run grades each assignment's reference, blank and security samples; a test marked ``matrix(name)`` belongs to
# the full sample matrix of ``name`` (an assignment, or ``exam``) and runs only when that matrix is chosen
# (tests/matrix.py: stale since its last green full run, or TFCERT_TEST_MATRIX=all). ``grades(name)`` marks a test
# whose outcome counts for ``name``'s record. A run of the whole suite (no paths, -k or -m) rewrites the record of
# each matrix it graded whose tests all passed: make test-all for all of them, make test for the stale ones. The
# other tests run in every ``make test``, so a failure among them needs no record to be seen again.
import matrix  # noqa: E402  (tests/matrix.py, beside this file)

FULL_MATRICES: list[str] = matrix.chosen()


def matrix_runs(name: str) -> bool:
    """Whether this run grades ``name``'s full sample matrix."""
    return name in FULL_MATRICES


def _grades(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("matrix") or item.get_closest_marker("grades")
    return marker.args[0] if marker else None


def pytest_report_header(config: pytest.Config) -> list[str]:
    setting = os.environ.get(matrix.ENV, "auto").strip().lower() or "auto"
    if setting == "all":
        return ["full sample matrix: every assignment's and the exam's (make test-all); the record of each that "
                "passes is rewritten"]
    if setting == "none":
        return [f"full sample matrix: none ({matrix.ENV}=none): every assignment's reference, blank and security "
                "samples only"]
    if not FULL_MATRICES:
        return ["full sample matrix: none; every assignment and the exam match their last green full run "
                "(tests/matrix-record.json)"]
    return [f"full sample matrix: {', '.join(FULL_MATRICES)}, changed since the last green full run "
            "(tests/matrix-record.json); the others: reference, blank and security samples"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        name, in_matrix = _grades(item), item.get_closest_marker("matrix") is not None
        if name:
            item.user_properties.append(("grades", name))
        item.user_properties.append(("tier", "matrix" if in_matrix else "every run"))
        (dropped if in_matrix and not matrix_runs(name) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class _Tally:
    """Per matrix name (and '' for the rest): tests passed, failed, and process-seconds, from the reports."""

    def __init__(self) -> None:
        self.passed: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.matrix_seconds: dict[str, float] = {}
        self.cases: dict[str, dict] = {}  # nodeid -> its tier, matrix name, seconds and outcome

    def add(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        name = props.get("grades", "")
        case = self.cases.setdefault(report.nodeid, {"tier": props.get("tier", "every run"), "grades": name,
                                                     "seconds": 0.0, "outcome": "passed"})
        case["seconds"] = round(case["seconds"] + report.duration, 3)
        if report.failed or report.skipped:
            case["outcome"] = report.outcome
        self.seconds[name] = self.seconds.get(name, 0.0) + report.duration
        if props.get("tier") == "matrix":
            self.matrix_seconds[name] = self.matrix_seconds.get(name, 0.0) + report.duration
        if report.failed:
            self.failed[name] = self.failed.get(name, 0) + 1
        elif report.when == "call" and report.passed:
            self.passed[name] = self.passed.get(name, 0) + 1


_TALLY = _Tally()
_RECORDED: list[str] = []  # the matrices this run found green and recorded


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _TALLY.add(report)


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this run is the whole suite (no paths, -k or -m chosen), the only kind that may rewrite the record."""
    return (config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.option.keyword
            and not config.option.markexpr and not getattr(config.option, "lf", False))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return
    if _TALLY.cases and (target := os.environ.get("TFCERT_TEST_DURATIONS")):
        Path(target).parent.mkdir(parents=True, exist_ok=True)  # read by bench/test_durations.py
        Path(target).write_text(json.dumps({"matrices": FULL_MATRICES, "cases": _TALLY.cases}, indent=0))
    if not FULL_MATRICES or not _whole_suite(config):
        return
    passed = {name: {"tests": _TALLY.passed[name], "process_minutes": round(_TALLY.seconds.get(name, 0) / 60, 1)}
              for name in FULL_MATRICES if _TALLY.passed.get(name) and not _TALLY.failed.get(name)}
    if passed:
        matrix.write(passed)
    _RECORDED.extend(passed)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    total = sum(_TALLY.seconds.values())
    if not total:
        return
    in_matrix = sum(_TALLY.matrix_seconds.values())
    write = terminalreporter.write_line
    terminalreporter.section("where the time went (process-minutes; bench/test_durations.py for more)")
    write(f"every run (reference, blank, security samples, everything else): {(total - in_matrix) / 60:.1f}")
    for name in matrix.MATRICES:
        if name in _TALLY.matrix_seconds:
            write(f"full sample matrix of {name}: {_TALLY.matrix_seconds[name] / 60:.1f}")
    wall = time.time() - _STARTED
    write(f"in all: {total / 60:.1f} process-minutes in {wall / 60:.1f} minutes of wall-clock time")
    if FULL_MATRICES and _whole_suite(config):
        failed = [name for name in FULL_MATRICES if name not in _RECORDED]
        write(f"tests/matrix-record.json rewritten for: {', '.join(_RECORDED) or 'none'}"
              + (" (commit it: the next make test skips what it proves)" if _RECORDED else "")
              + (f"; not green, so not recorded: {', '.join(failed)}" if failed else ""))


_STARTED = time.time()
