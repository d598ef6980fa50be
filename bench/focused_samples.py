"""What handing mistakes in focused saves: each sample's grading time, focused and whole.

The end-to-end tests hand every mistake in focused (``samples.focus_sections``:
only the tasks it is about are answered). For each assignment this grades each
mistake both ways, one submission at a time, and prints the medians of
``--runs`` and their ratio, with the blank notebook's time as the baseline (what
grading costs when nothing trains: nbgrader, the kernel, the clean process).

    python bench/focused_samples.py [--runs 3] [--assignment NAME] [--samples a,b] [--list]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tfcert import course, notebooks, paths, samples

WHOLE_ONLY = ("reference", "blank")


def grading_seconds(crs: course.Course, assignment: str, name: str, focused: bool) -> float:
    """Hand ``name`` in (focused or whole) and grade it alone; the seconds ``autograde`` took."""
    crs.submit_sample(name, assignment, name, focused=focused)
    start = time.perf_counter()
    outcome = crs.autograde(assignment, [name], progress=False, force=True)
    if outcome[name]:
        raise SystemExit(f"{assignment} {name} was not graded: {outcome[name]}")
    return time.perf_counter() - start


def bench_one(assignment: str, root: Path, runs: int, chosen: list[str] | None) -> None:
    source = notebooks.read(paths.notebook_path(root, "source", assignment))
    loaded = samples.load_samples(assignment, root)
    names = [n for n in (chosen or loaded) if n not in WHOLE_ONLY and samples.focus_sections(source, loaded[n])]
    with tempfile.TemporaryDirectory(prefix="tfcert-bench-focus-") as tmp:
        crs = course.Course.scratch_copy(root, Path(tmp) / "course")
        crs.release(assignment)
        blank = [grading_seconds(crs, assignment, "blank", False) for _ in range(runs)]
        print(f"\n{assignment} (median of {runs}; blank, the baseline: {statistics.median(blank):.1f} s)")
        print(f"  {'sample':40} {'whole':>8} {'focused':>8} {'ratio':>6}  tasks answered")
        whole_total = focused_total = 0.0
        for name in names:
            whole = statistics.median(grading_seconds(crs, assignment, name, False) for _ in range(runs))
            focused = statistics.median(grading_seconds(crs, assignment, name, True) for _ in range(runs))
            whole_total, focused_total = whole_total + whole, focused_total + focused
            tasks = sorted(s.split(":")[0] for s in samples.focus_sections(source, loaded[name]))
            print(f"  {name:40} {whole:7.1f}s {focused:7.1f}s {focused / whole:6.2f}  {', '.join(tasks)}", flush=True)
        if names:
            print(f"  {'all of them':40} {whole_total:7.1f}s {focused_total:7.1f}s {focused_total / whole_total:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--assignment", default="all", help="one assignment, or all of them (default)")
    parser.add_argument("--samples", default="", help="comma-separated sample names (default: every mistake)")
    parser.add_argument("--list", action="store_true", help="print the tasks each mistake answers, and stop")
    args = parser.parse_args()
    root = paths.REPO_ROOT
    chosen = paths.assignments(root) if args.assignment == "all" else [args.assignment]
    picked = [s for s in args.samples.split(",") if s] or None
    for assignment in chosen:
        if args.list:
            source = notebooks.read(paths.notebook_path(root, "source", assignment))
            for name, sample in samples.load_samples(assignment, root).items():
                focus = samples.focus_sections(source, sample)
                answered = "no task" if sample.blank else "every task" if focus is None else "; ".join(sorted(focus))
                print(f"{assignment} {name}: {answered}")
        else:
            bench_one(assignment, root, args.runs, picked)


if __name__ == "__main__":
    main()
