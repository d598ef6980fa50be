"""Where a test run's time goes: process-minutes per test module and per tier, from the times a run keeps.

``make test`` and ``make test-all`` write ``build/test-results/test.json`` and
``test-all.json`` (``TFCERT_TEST_DURATIONS``, written by tests/conftest.py):
each test's time there is what one test process spent on it (setup, call and
teardown), so the sum is process-minutes, about twice the wall-clock time with
two test processes. Given several files of one kind of run (``test-run2.json``
and so on), the figures are their medians; each module's share of its run's
total is the ratio that stays put when the machine's speed does not.

    python bench/test_durations.py                          # every file in build/test-results/
    python bench/test_durations.py a.json b.json c.json --top 20

Example:
    >>> import json, tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp()) / "test.json"
    >>> _ = run.write_text(json.dumps({"matrices": [], "cases": {"tests/test_x.py::TestA::t": {
    ...     "tier": "matrix", "grades": "d1", "seconds": 120.0, "outcome": "passed"}}}))
    >>> [(c.module, c.tier, c.seconds) for c in read_cases(run)]
    [('tests/test_x.py', 'matrix', 120.0)]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "build" / "test-results"


@dataclass
class Case:
    """One test's figures: its module, the rest of its id, tier ('every run' or 'matrix'), seconds and outcome."""

    module: str
    rest: str
    tier: str
    seconds: float
    outcome: str


def read_cases(path: Path) -> list[Case]:
    """The tests of one run's file."""
    cases = []
    for nodeid, case in json.loads(Path(path).read_text())["cases"].items():
        module, _, rest = nodeid.partition("::")
        cases.append(Case(module, rest, case["tier"], float(case["seconds"]), case["outcome"]))
    return cases


def per(cases: list[Case], key) -> dict[str, float]:
    """Seconds summed by ``key(case)``."""
    found: dict[str, float] = defaultdict(float)
    for case in cases:
        found[key(case)] += case.seconds
    return dict(found)


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each key's median over the runs (a run without the key counts 0)."""
    keys = {k for run in runs for k in run}
    return {k: statistics.median(run.get(k, 0.0) for run in runs) for k in keys}


def _group(case: Case) -> str:
    """The module, and for the end-to-end grading the class (one assignment's tier)."""
    if case.module.endswith("test_autograde.py"):
        return f"{case.module}::{case.rest.split('::')[0]}"
    return case.module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="runs' files (default: build/test-results/*.json)")
    parser.add_argument("--top", type=int, default=12, help="how many of the slowest tests to list")
    args = parser.parse_args(argv)
    files = args.files or sorted(RESULTS.glob("*.json"))
    if not files:
        print(f"no test times in {RESULTS}: run make test or make test-all first")
        return 0
    by_kind: dict[str, list[list[Case]]] = defaultdict(list)
    for path in files:
        by_kind[path.stem.split("-run")[0]].append(read_cases(path))
    for kind, runs in by_kind.items():
        total = statistics.median(sum(c.seconds for c in run) for run in runs)
        print(f"\n== {kind}: {len(runs)} run(s), median {total / 60:.1f} process-minutes, "
              f"{sum(len(r) for r in runs) // len(runs)} tests")
        for tier, seconds in sorted(median_of([per(run, lambda c: c.tier) for run in runs]).items(),
                                    key=lambda kv: -kv[1]):
            print(f"  tier {tier:12} {seconds / 60:7.1f} process-minutes  {seconds / total:6.1%}")
        print("  per module (and class, for the end-to-end grading):")
        for group, seconds in sorted(median_of([per(run, _group) for run in runs]).items(), key=lambda kv: -kv[1]):
            if seconds >= 1:
                print(f"    {seconds / 60:6.1f}  {seconds / total:6.1%}  {group}")
        print(f"  the {args.top} slowest tests (first run):")
        for case in sorted(runs[0], key=lambda c: -c.seconds)[:args.top]:
            print(f"    {case.seconds:7.1f} s  {case.tier:9}  {case.module}::{case.rest}  [{case.outcome}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
