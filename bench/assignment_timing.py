"""How long an assignment takes a learner: each training cell and the whole notebook, on this machine.

Runs the reference solution (the source notebook with its solutions, hidden
tests included) top to bottom in a fresh kernel, several times, and prints the
median seconds of every cell tagged ``train`` against the 60 s budget of a
graded training, and of the whole notebook against its 5-minute budget. The
baseline, measured in the same run, is the notebook's fixed cost: the header
and imports cells (starting TensorFlow).

Every assignment of the course by default.

    python bench/assignment_timing.py [--runs 3] [--assignment NAME]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tfcert import QUIET_TF_ENV, notebooks, paths

TRAINING_BUDGET_S = 60.0
NOTEBOOK_BUDGET_S = 300.0


def run_once(path: Path) -> dict[str, float]:
    """Seconds per code cell (by cell id) and ``"total"``, for one top-to-bottom run in a scratch folder."""
    nb = nbformat.read(path, as_version=4)
    env = {**os.environ, **QUIET_TF_ENV}
    env.pop("KERAS_MAX_EPOCHS", None)
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="tfcert-bench-") as work:
        client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": work}})
        start = time.perf_counter()
        with client.setup_kernel(env=env):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                began = time.perf_counter()
                client.execute_cell(cell, index)
                seconds[cell.id] = time.perf_counter() - began
        seconds["total"] = time.perf_counter() - start
    return seconds


def bench_one(assignment: str, runs_wanted: int) -> None:
    """Time the reference notebook of one assignment and print the table."""
    path = paths.notebook_path(paths.REPO_ROOT, "source", assignment)
    nb = nbformat.read(path, as_version=4)
    training = [c.id for c in nb.cells if notebooks.TRAIN_TAG in notebooks.tags(c)]

    runs = []
    for run in range(runs_wanted):
        runs.append(run_once(path))
        print(f"run {run + 1}/{runs_wanted}: {runs[-1]['total']:.1f} s", flush=True)

    def median(cell_id: str) -> float:
        return statistics.median(r[cell_id] for r in runs)

    baseline = median("header") + median("imports")
    print(f"\n{assignment}, median of {runs_wanted} runs (seconds; baseline = header + imports = {baseline:.1f} s)")
    print(f"{'cell':24} {'median':>8} {'budget':>8} {'x baseline':>11}")
    for cell_id in training:
        flag = "" if median(cell_id) <= TRAINING_BUDGET_S else "  OVER BUDGET"
        print(f"{cell_id:24} {median(cell_id):8.1f} {TRAINING_BUDGET_S:8.0f} {median(cell_id) / baseline:11.1f}{flag}")
    flag = "" if median("total") <= NOTEBOOK_BUDGET_S else "  OVER BUDGET"
    print(f"{'whole notebook':24} {median('total'):8.1f} {NOTEBOOK_BUDGET_S:8.0f} {median('total') / baseline:11.1f}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--assignment", default="all", help="one assignment, or all of them (default)")
    args = parser.parse_args()
    for assignment in paths.assignments() if args.assignment == "all" else [args.assignment]:
        bench_one(assignment, args.runs)


if __name__ == "__main__":
    main()
