"""How long grading takes: one submission through nbgrader, and the clean-process probe, per assignment.

Prints medians of several runs, each against a baseline measured in the same run:
  * autograde of the reference submission vs the blank one (the blank one costs
    nbgrader's and the kernel's fixed overhead, and no training);
  * ``grading.model_report`` on each model the assignment's manifest lists under
    ``probe``, cold (the first call starts the clean probe process) and warm (the
    process serves the next models), vs bare ``python -c "import tensorflow"``
    (a one-off probe's floor: one TensorFlow import).

Every assignment of the course by default; ``--list`` prints what would be measured.

    python bench/autograde_one.py [--runs 3] [--assignment NAME] [--course DIR] [--list]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tfcert import QUIET_TF_ENV, course, grading, manifest, notebooks, paths
from tfcert import probe as probe_client


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_one(a: str, root: Path, runs: int) -> None:
    """Autograde timings and probe timings for one assignment, printed."""
    import os

    probed = manifest.load(a, root).probe
    with tempfile.TemporaryDirectory(prefix="tfcert-bench-") as tmp:
        crs = course.Course.scratch_copy(root, Path(tmp) / "course")
        crs.release(a)
        times: dict[str, list[float]] = {"reference": [], "blank": []}
        for run in range(runs):
            for name in times:
                crs.submit_sample(name, a, name)
                times[name].append(timed(lambda: crs.autograde(a, [name], progress=False, force=True)))
            print(f"run {run + 1}/{runs}: reference {times['reference'][-1]:.1f} s, blank {times['blank'][-1]:.1f} s",
                  flush=True)
        graded = len(notebooks.graded_cells(notebooks.read(crs.notebook_path("source", a))))
        env = {**os.environ, **QUIET_TF_ENV}
        probes = {}
        for probe in probed:
            model = crs.root / "autograded" / "reference" / a / probe.model
            bare, cold, warm = [], [], []
            for _ in range(runs):
                bare.append(timed(lambda: subprocess.run([sys.executable, "-c", "import tensorflow"], env=env,
                                                         capture_output=True, check=True)))
                probe_client.reset()
                cold.append(timed(lambda: grading.model_report(model, dataset=probe.dataset)))
                probe_client.reset(keep_process=True)
                warm.append(timed(lambda: grading.model_report(model, dataset=probe.dataset)))
            probes[probe.model] = (bare, cold, warm)

    med = statistics.median
    print(f"\nautograde one submission of {a} (median of {runs}):")
    print(f"  reference (trains, {graded} graded cells) {med(times['reference']):6.1f} s")
    print(f"  blank (baseline: fixed overhead)    {med(times['blank']):6.1f} s")
    print(f"  ratio reference / blank             {med(times['reference']) / med(times['blank']):6.2f}")
    for model, (bare, cold, warm) in probes.items():
        print(f"clean-process probe of {model} (median of {runs}):")
        print(f"  model_report, cold (starts the process) {med(cold):6.2f} s")
        print(f"  model_report, warm (process running)    {med(warm):6.2f} s")
        print(f"  bare TensorFlow import (baseline)       {med(bare):6.2f} s")
        print(f"  ratio cold / import, warm / import      {med(cold) / med(bare):6.2f}, {med(warm) / med(bare):6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--assignment", default="all", help="one assignment, or all of them (default)")
    parser.add_argument("--course", default=str(paths.REPO_ROOT), help="course directory (default: this repository)")
    parser.add_argument("--list", action="store_true", help="print what would be measured, and stop")
    args = parser.parse_args()
    root = Path(args.course).resolve()
    chosen = paths.assignments(root) if args.assignment == "all" else [args.assignment]
    for a in chosen:
        if args.list:
            probes = ", ".join(f"{p.model} on {p.dataset}" for p in manifest.load(a, root).probe) or "no model"
            print(f"{a}: autograde reference and blank; probe {probes}")
        else:
            bench_one(a, root, args.runs)


if __name__ == "__main__":
    main()
