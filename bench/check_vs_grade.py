"""What ``tfcert check`` prints and how long it takes, beside ``tfcert grade`` on the same notebook.

For each assignment and sample, a learner's folder is made as the learner would
have it (the released notebook, filled in as the sample says, with the release's
other files), then:

  * ``tfcert check`` runs in that folder, as a learner types it (a scratch course,
    nbgrader, the sandbox, the verifier, the feedback page: everything it does);
  * ``tfcert grade`` runs in a course where the instructor has released the
    assignment and the same notebook is the only submission (grading, feedback,
    the CSV export and the class report: everything the command does).

Both are timed as whole commands, ``--runs`` times each, alternating; the
medians and their ratio are printed, then what ``tfcert check`` printed.

    python bench/check_vs_grade.py [--assignments d1_developer_skills] [--samples reference,blank,mistake]
                                   [--runs 3] [--no-grade]

``mistake`` stands for the manifest's third demo sample (its plausible mistake).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tfcert import course, manifest, notebooks, paths, samples

TFCERT = [sys.executable, "-m", "tfcert.cli"]


def learner_folder(root: Path, assignment: str, sample: str) -> Path:
    """``root/<assignment>/`` as a learner who wrote ``sample`` has it."""
    source = notebooks.read(paths.notebook_path(paths.REPO_ROOT, "source", assignment))
    release = notebooks.read(paths.notebook_path(paths.REPO_ROOT, "release", assignment))
    folder = root / assignment
    shutil.copytree(paths.REPO_ROOT / "release" / assignment, folder)
    nb = samples.build_submission(source, release, samples.load_samples(assignment)[sample])
    notebooks.write(nb, folder / f"{assignment}.ipynb")
    return folder


def timed(command: list[str], **options) -> tuple[float, str]:
    """Seconds a command took, and what it printed; exits on failure."""
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, **options)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return seconds, run.stdout


def bench(assignment: str, sample: str, runs: int, grade: bool, scratch: Path) -> dict[str, object]:
    """Time check (and grade) ``runs`` times on one sample; returns the medians and check's last output."""
    folder = learner_folder(scratch / f"learner-{sample}", assignment, sample)
    env = {**os.environ, "TFCERT_CHECKS_DIR": str(scratch / "checks")}
    crs = None
    if grade:
        crs = course.Course.scratch_copy(paths.REPO_ROOT, scratch / f"course-{sample}")
        crs.release(assignment)
        crs.submit(sample, assignment, notebooks.read(folder / f"{assignment}.ipynb"))
    checks, grades, printed = [], [], ""
    for _ in range(runs):
        seconds, printed = timed([*TFCERT, "check", "--quiet"], cwd=folder, env=env)
        checks.append(seconds)
        if crs is not None:
            seconds, _ = timed([*TFCERT, "grade", assignment, "--course", str(crs.root), "--workers", "1", "--force"],
                               env=env)
            grades.append(seconds)
    return {"check": statistics.median(checks), "grade": statistics.median(grades) if grades else None,
            "printed": printed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", default="d1_developer_skills",
                        help="comma-separated, or all (default: d1_developer_skills)")
    parser.add_argument("--samples", default="reference,blank,mistake")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-grade", action="store_true", help="time tfcert check alone")
    args = parser.parse_args()
    assignments = paths.assignments() if args.assignments == "all" else args.assignments.split(",")
    rows = []
    for assignment in assignments:
        demo = manifest.load(assignment).demo_samples
        for sample in args.samples.split(","):
            name = (demo[2] if len(demo) > 2 else "blank") if sample == "mistake" else sample
            with tempfile.TemporaryDirectory(prefix="tfcert-bench-check-") as tmp:
                found = bench(assignment, name, args.runs, not args.no_grade, Path(tmp))
            print(f"\n=== tfcert check, {assignment}, sample {name} (median of {args.runs}: {found['check']:.0f} s"
                  + (f"; tfcert grade {found['grade']:.0f} s" if found["grade"] else "") + ")")
            print(found["printed"].rstrip())
            rows.append((assignment, name, found["check"], found["grade"]))
    print("\n| assignment | sample | tfcert check (s) | tfcert grade (s) | check / grade |\n|---|---|---:|---:|---:|")
    for assignment, name, check, grade in rows:
        ratio = f"{check / grade:.2f}" if grade else "–"
        print(f"| {assignment} | {name} | {check:.0f} | {f'{grade:.0f}' if grade else '–'} | {ratio} |")


if __name__ == "__main__":
    main()
