"""Submissions graded per minute: full re-execution with 1 and 2 workers, files mode, files mode on Dask.

For each assignment (D1 and D2 by default) one class of submissions is graded
four ways, on the same submissions:

  * ``full``, 1 worker: nbgrader re-executes each notebook (the baseline);
  * ``full``, 2 workers: two submissions side by side;
  * ``files``, 2 local workers, then as many as files mode takes by default
    here (``tfcert.course.default_workers``: two per core): exam style, the
    verify checks judge the files that the full run saved, handed in beside
    each notebook;
  * ``files`` on a ``distributed.LocalCluster`` of that many worker processes.

The class: copies of the reference and of the assignment's demo mistake (the
manifest's third demo sample). Full re-execution runs once per setting (it
takes minutes); files mode ``--runs`` times, and the median is shown. Ratios
are against full re-execution with one worker, measured in the same run.

    python bench/grading_throughput.py [--assignment d2_neural_networks] [--copies 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from tfcert import course, manifest, paths

# Every copy of a submission costs what grading it alone costs: no recipe is retrained once for several copies.
os.environ["TFCERT_RETRAIN_ONCE"] = "0"

DEFAULT_ASSIGNMENTS = ("d1_developer_skills", "d2_neural_networks")


def graded_in(crs: course.Course, assignment: str, students: list[str], **options) -> float:
    """Seconds to grade ``students`` from scratch (force: nothing is resumed)."""
    started = time.perf_counter()
    outcome = crs.autograde(assignment, students, progress=False, force=True, **options)
    failed = {s: e for s, e in outcome.items() if e}
    if failed:
        raise SystemExit(f"grading failed: {failed}")
    return time.perf_counter() - started


def bench_one(assignment: str, root: Path, copies: int, runs: int) -> dict[str, float]:
    """Seconds per setting for one assignment; prints a table."""
    from distributed import LocalCluster

    demo = manifest.load(assignment, root).demo_samples
    kinds = ["reference", demo[2] if len(demo) > 2 else "blank"]
    students = {f"{kind}_{i}": kind for kind in kinds for i in range(copies)}
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="tfcert-bench-") as tmp:
        full = course.Course.scratch_copy(root, Path(tmp) / "full")
        full.release(assignment)
        for student, kind in students.items():
            full.submit_sample(student, assignment, kind)
        for workers in (1, 2):
            setting = f"full, {workers} worker{'s' * (workers > 1)}"
            seconds[setting] = graded_in(full, assignment, [*students], workers=workers)
            print(f"  {setting}: {seconds[setting]:.0f} s", flush=True)
        files = course.Course.scratch_copy(root, Path(tmp) / "files")
        files.release(assignment)
        for student in students:
            files.submit_files(student, assignment, full.saved_files(assignment, student))
        files_workers = course.default_workers(mode="files")
        for workers in dict.fromkeys((2, files_workers)):
            local = [graded_in(files, assignment, [*students], workers=workers, mode="files") for _ in range(runs)]
            seconds[f"files, {workers} workers"] = statistics.median(local)
        with LocalCluster(n_workers=files_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            dask = [graded_in(files, assignment, [*students], mode="files", scheduler=cluster.scheduler_address)
                    for _ in range(runs)]
        seconds[f"files, Dask LocalCluster ({files_workers} processes)"] = statistics.median(dask)
    baseline = seconds["full, 1 worker"]
    n = len(students)
    print(f"\n{assignment}: {n} submissions ({copies} x {', '.join(kinds)}); files mode: median of {runs}")
    print(f"  {'setting':42s} {'seconds':>8s} {'per minute':>11s} {'vs full, 1 worker':>18s}")
    for setting, value in seconds.items():
        print(f"  {setting:42s} {value:8.1f} {n / value * 60:11.1f} {baseline / value:17.1f}x")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", action="append", help="an assignment (repeatable; default: D1 and D2)")
    parser.add_argument("--copies", type=int, default=2, help="copies of each submission in the class (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each files-mode setting (default 3)")
    parser.add_argument("--course", default=str(paths.REPO_ROOT))
    args = parser.parse_args()
    for assignment in args.assignment or DEFAULT_ASSIGNMENTS:
        print(f"=== {assignment}", flush=True)
        bench_one(assignment, Path(args.course), args.copies, args.runs)


if __name__ == "__main__":
    main()
