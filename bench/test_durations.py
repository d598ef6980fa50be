"""Where a test run's time goes: process-minutes per test module and per tier, from the JUnit XML a run keeps.

``make test`` and ``make test-all`` write ``build/test-results/test.xml`` and
``test-all.xml``; each test's time there is what one test process spent on it
(setup, call and teardown), so the sum is process-minutes, about twice the
wall-clock time with two test processes. Given several files of the same kind
of run, the figures are their medians; each module's share of its run's total
is the ratio that stays put when the machine's speed does not.

    python bench/test_durations.py                          # every file in build/test-results/
    python bench/test_durations.py run1.xml run2.xml run3.xml --top 20

Example (one test of one module, two minutes):
    >>> import tempfile, pathlib
    >>> xml = pathlib.Path(tempfile.mkdtemp()) / "t.xml"
    >>> _ = xml.write_text('<testsuites><testsuite><testcase classname="tests.test_x.TestA" name="t" time="120">'
    ...     '<properties><property name="tier" value="matrix"/></properties></testcase></testsuite></testsuites>')
    >>> [(c.module, c.tier, c.seconds) for c in read_cases(xml)]
    [('tests/test_x.py', 'matrix', 120.0)]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "build" / "test-results"


@dataclass
class Case:
    """One test's figures: its module, class, name, tier ('every run' or 'matrix'), seconds and outcome."""

    module: str
    classname: str
    name: str
    tier: str
    seconds: float
    outcome: str


def read_cases(path: Path) -> list[Case]:
    """The test cases of a JUnit XML file (pytest's ``--junitxml``)."""
    cases = []
    for case in ET.parse(path).iter("testcase"):
        classname = case.get("classname", "")
        parts = classname.split(".")
        modules = [i for i, part in enumerate(parts) if part.startswith("test_") or part in ("conftest",)]
        cut = modules[0] + 1 if modules else len(parts)
        module = "/".join(parts[:cut]) + ".py"
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
        cases.append(Case(module, ".".join(parts[cut:]), case.get("name", ""), props.get("tier", "every run"),
                          float(case.get("time", 0)), outcome))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="JUnit XML files (default: build/test-results/*.xml)")
    parser.add_argument("--top", type=int, default=12, help="how many of the slowest tests to list")
    args = parser.parse_args(argv)
    files = args.files or sorted(RESULTS.glob("*.xml"))
    if not files:
        print(f"no JUnit XML in {RESULTS}: run make test or make test-all first")
        return 0
    by_kind: dict[str, list[list[Case]]] = defaultdict(list)
    for path in files:
        by_kind[path.stem.split("-run")[0]].append(read_cases(path))
    for kind, runs in by_kind.items():
        totals = [sum(c.seconds for c in run) for run in runs]
        total = statistics.median(totals)
        print(f"\n== {kind}: {len(runs)} run(s), median {total / 60:.1f} process-minutes, "
              f"{sum(len(r) for r in runs) // len(runs)} tests")
        tiers = median_of([per(run, lambda c: c.tier) for run in runs])
        for tier, seconds in sorted(tiers.items(), key=lambda kv: -kv[1]):
            print(f"  tier {tier:12} {seconds / 60:7.1f} process-minutes  {seconds / total:6.1%}")
        print("  per module (and class, for the end-to-end grading):")
        modules = median_of([per(run, lambda c: c.module + (f"::{c.classname}" if c.module.endswith("test_autograde.py")
                                                              else "")) for run in runs])
        for module, seconds in sorted(modules.items(), key=lambda kv: -kv[1]):
            if seconds >= 1:
                print(f"    {seconds / 60:6.1f}  {seconds / total:6.1%}  {module}")
        print(f"  the {args.top} slowest tests (first run):")
        for case in sorted(runs[0], key=lambda c: -c.seconds)[:args.top]:
            print(f"    {case.seconds:7.1f} s  {case.tier:9}  {case.module}::{case.classname + '::' if case.classname else ''}"
                  f"{case.name}  [{case.outcome}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
