"""How long grading takes: one submission through nbgrader, and one clean-process probe.

Prints medians of several runs, each against a baseline measured in the same run:
  * autograde of the reference submission vs the blank one (the blank one costs
    nbgrader's and the kernel's fixed overhead, and no training);
  * ``grading.model_report`` on a saved model, cold (the first call starts the
    clean probe process) and warm (the process serves the next models), vs bare
    ``python -c "import tensorflow"`` (a one-off probe's floor: one TensorFlow import).

    python bench/autograde_one.py [--runs 3] [--assignment d1_developer_skills]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tfcert import QUIET_TF_ENV, course, grading, notebooks

#: The model the probe timing inspects, and the dataset it is evaluated on, per assignment.
PROBED = {"d1_developer_skills": ("digits_small.keras", "digits"), "d2_neural_networks": ("glyphs.keras", "glyphs")}


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--assignment", default="d1_developer_skills")
    args = parser.parse_args()
    a = args.assignment

    with tempfile.TemporaryDirectory(prefix="tfcert-bench-") as tmp:
        crs = course.Course.scratch_copy(course.REPO_ROOT, Path(tmp) / "course")
        crs.release(a)
        source = notebooks.read(crs.notebook_path("source", a))
        release = notebooks.read(crs.notebook_path("release", a))
        samples = course.load_samples(a)
        times: dict[str, list[float]] = {"reference": [], "blank": []}
        for run in range(args.runs):
            for name in times:
                crs.submit(name, a, course.build_submission(source, release, samples[name]))
                times[name].append(timed(lambda: crs.autograde(a, [name], progress=False)))
            print(f"run {run + 1}/{args.runs}: reference {times['reference'][-1]:.1f} s, blank {times['blank'][-1]:.1f} s",
                  flush=True)
        model_name, dataset = PROBED[a]
        model = crs.root / "autograded" / "reference" / a / "models" / model_name
        graded = len(course.graded_cells(source))

        import os

        env = {**os.environ, **QUIET_TF_ENV}
        bare, cold, warm = [], [], []
        for _ in range(args.runs):
            bare.append(timed(lambda: subprocess.run([sys.executable, "-c", "import tensorflow"], env=env,
                                                     capture_output=True, check=True)))
            grading._REPORTS.clear()
            grading._SERVER.stop()
            cold.append(timed(lambda: grading.model_report(model, dataset=dataset)))
            grading._REPORTS.clear()
            warm.append(timed(lambda: grading.model_report(model, dataset=dataset)))

    med = statistics.median
    print(f"\nautograde one submission of {a} (median of {args.runs}):")
    print(f"  reference (trains, {graded} graded cells) {med(times['reference']):6.1f} s")
    print(f"  blank (baseline: fixed overhead)    {med(times['blank']):6.1f} s")
    print(f"  ratio reference / blank             {med(times['reference']) / med(times['blank']):6.2f}")
    print(f"clean-process model probe (median of {args.runs}):")
    print(f"  model_report, cold (starts the process) {med(cold):6.2f} s")
    print(f"  model_report, warm (process running)    {med(warm):6.2f} s")
    print(f"  bare TensorFlow import (baseline)       {med(bare):6.2f} s")
    print(f"  ratio cold / import, warm / import      {med(cold) / med(bare):6.2f}, {med(warm) / med(bare):6.2f}")


if __name__ == "__main__":
    main()
