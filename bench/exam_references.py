"""The mock exam's reference solutions: each one's training time and score, through ``tfcert exam grade``.

For each of ``--seeds`` (each a different attempt: other columns, classes,
windows, targets), an attempt is started with ``tfcert exam start``, every
starter is completed with the reference ``solution_model()``
(``samples/exam/reference/``), and the whole attempt is graded ``--runs`` times
with ``tfcert exam grade`` (every script run in the sandbox, every model judged
in the clean process). Printed per problem and seed: the median time the script
ran, its ratio to the two minutes a reference may take, and the score; and, as
the baseline measured in the same run, the median time an untouched starter
takes to fail (Python, TensorFlow's import and the sandbox: what every script
pays before it trains).

    python bench/exam_references.py [--seeds 20261124,1] [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tfcert.exam import session
from tfcert.exam.problems import PROBLEMS

REPO = Path(__file__).resolve().parent.parent
TFCERT = [sys.executable, "-m", "tfcert.cli"]
BUDGET_S = 120


def graded_rows(folder: Path) -> dict[str, tuple[int, float]]:
    """``problem -> (score, seconds the script ran)`` from one ``tfcert exam grade`` in ``folder``."""
    done = subprocess.run([*TFCERT, "exam", "grade", "--quiet"], cwd=folder, capture_output=True, text=True,
                          env={"COLUMNS": "400", **__import__("os").environ}, check=True)
    rows, current = {}, None
    for line in done.stdout.splitlines():
        heading = re.match(r"^(\d) .+?\s+(\d) / 5$", line)
        if heading:
            current = PROBLEMS[int(heading.group(1)) - 1].id
            rows[current] = (int(heading.group(2)), 0.0)
        ran = re.search(r"the script ran (\d+) s", line)
        if ran and current:
            rows[current] = (rows[current][0], float(ran.group(1)))
    return rows


def attempt(root: Path, seed: int, completed: bool) -> Path:
    folder = root / f"{'reference' if completed else 'starters'}-{seed}"
    subprocess.run([*TFCERT, "exam", "start", "--folder", str(folder), "--seed", str(seed)], check=True,
                   capture_output=True)
    if completed:
        for item in PROBLEMS:
            script = folder / item.script
            solution = (REPO / "samples" / "exam" / "reference" / item.script).read_text()
            script.write_text(session.with_solution(script.read_text(), solution))
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="20261124,1", help="comma-separated attempt seeds")
    parser.add_argument("--runs", type=int, default=3, help="gradings per attempt (medians are printed)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tfcert-bench-exam-"))
    seeds = [int(s) for s in args.seeds.split(",")]
    starters = attempt(root, seeds[0], completed=False)
    baseline = {p.id: [] for p in PROBLEMS}
    for _ in range(args.runs):
        for name, (_, seconds) in graded_rows(starters).items():
            baseline[name].append(seconds)
    print(f"{'problem':<18} {'seed':>9} {'script s':>9} {'/ 120 s':>8} {'start-up s':>10} {'score':>6}")
    for seed in seeds:
        folder = attempt(root, seed, completed=True)
        runs = [graded_rows(folder) for _ in range(args.runs)]
        for item in PROBLEMS:
            seconds = statistics.median(run[item.id][1] for run in runs)
            scores = sorted({run[item.id][0] for run in runs})
            print(f"{item.id:<18} {seed:>9} {seconds:>9.0f} {seconds / BUDGET_S:>8.2f} "
                  f"{statistics.median(baseline[item.id]):>10.1f} {'/'.join(map(str, scores)):>6}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
