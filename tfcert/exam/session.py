"""An exam attempt's folder: the starters, the data, the seed and the clock (``exam.json``).

``tfcert exam start`` calls :func:`start`; everything else reads the folder
back with :func:`load`.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "exam"
    >>> attempt = start(folder, minutes=90, seed=7, now=1_000_000.0)
    >>> sorted(p.name for p in folder.iterdir())[:3], attempt.minutes
    (['README.txt', 'data', 'exam.json'], 90)
    >>> load(folder).time_left(now=1_000_000.0 + 60) == 89 * 60, load(folder).time_left(now=2e6)
    (True, 0.0)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tfcert.exam.problems import PROBLEMS, VARIANT_BEGIN, VARIANT_END, ExamError, Problem, variants

STATE_FILE = "exam.json"
DEFAULT_MINUTES = 300
STARTERS = Path(__file__).resolve().parent / "starters"
_BLOCK = re.compile(re.escape(VARIANT_BEGIN) + r".*?" + re.escape(VARIANT_END), re.S)


@dataclass(frozen=True)
class Attempt:
    """One attempt: its folder, its seed (every variant derives from it) and its clock."""

    folder: Path
    seed: int
    started: float
    minutes: int

    @property
    def deadline(self) -> float:
        return self.started + 60 * self.minutes

    def time_left(self, now: float | None = None) -> float:
        """Seconds left on the clock, 0 once it ran out."""
        return max(0.0, self.deadline - (time.time() if now is None else now))

    def over(self, now: float | None = None) -> bool:
        return self.time_left(now) == 0.0


def clock_text(seconds: float) -> str:
    """``H:MM:SS``.

    Example:
        >>> clock_text(3 * 3600 + 62.4)
        '3:01:02'
    """
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def with_variant(script: str, problem: Problem, seed: int) -> str:
    """``script`` with its variant block replaced by the attempt's (a starter, or a solution written elsewhere).

    Example:
        >>> from tfcert.exam.problems import problem
        >>> text = (STARTERS / "p5_forecast.py").read_text()
        >>> "WINDOW = 24" in with_variant(text, problem("p5"), seed=12345)
        True
    """
    if not _BLOCK.search(script):
        raise ExamError(f"{problem.script} has no variant block (the lines between {VARIANT_BEGIN!r} and "
                        f"{VARIANT_END!r}): start from the starter file")
    block = problem.variant_block(variants(seed)[problem.id])
    return _BLOCK.sub(lambda _: block, script, count=1)


SOLUTION_START = "def solution_model()"
SOLUTION_END = '\n\nif __name__ == "__main__":'


def with_solution(starter: str, solution: str) -> str:
    r"""The starter with its ``solution_model()`` replaced by the one in ``solution`` (a file's text from there on).

    Example:
        >>> starter = (STARTERS / "p1_regression.py").read_text()
        >>> done = with_solution(starter, "def solution_model():\n    return build()\n")
        >>> "    return build()" in done, "raise NotImplementedError" in done, done.endswith(starter[-60:])
        (True, False, True)
    """
    if SOLUTION_START not in solution:
        raise ExamError(f"the solution has no {SOLUTION_START!r}")
    start, end = starter.index(SOLUTION_START), starter.index(SOLUTION_END)
    return starter[:start] + solution[solution.index(SOLUTION_START):].rstrip() + "\n" + starter[end:]


README = """\
tfcert mock exam: five problems, {minutes} minutes from {start} (until {end}).

Each problem is one Python file: complete its solution_model(), then run the file
(`python p1_regression.py`, or Run in PyCharm); it trains the model and saves it
beside itself (p1_regression.keras). The data is in data/; nothing needs the
internet or Jupyter, and the scripts may not import tfcert.

  {problems}

Grade all five, or one, whenever you like; the clock keeps running:

  tfcert exam grade            (run from this folder; or: tfcert exam grade --folder PATH)
  tfcert exam grade 3          (problem 3 only)
  tfcert exam grade --saved    (judge the saved .keras files without running the scripts again)

Once the clock has run out, grading judges the models saved before it did.
"""


def start(folder: str | os.PathLike[str], minutes: int = DEFAULT_MINUTES, seed: int | None = None,
          now: float | None = None) -> Attempt:
    """Make an attempt in ``folder`` (new or empty): starters with this attempt's variants, the data, the clock."""
    folder = Path(folder).resolve()
    if folder.exists() and any(folder.iterdir()):
        hint = (f"grade it with tfcert exam grade --folder {folder}, or start a new attempt in another folder"
                if (folder / STATE_FILE).exists() else "choose a new or empty folder")
        raise ExamError(f"{folder} is not empty: {hint}")
    if minutes <= 0:
        raise ExamError(f"--minutes must be positive, not {minutes}")
    seed = secrets.randbits(48) if seed is None else int(seed)
    attempt = Attempt(folder, seed, time.time() if now is None else now, int(minutes))
    data = folder / "data"
    data.mkdir(parents=True)
    chosen = variants(seed)
    for problem in PROBLEMS:
        problem.write_data(chosen[problem.id], data)
        (folder / problem.script).write_text(with_variant((STARTERS / problem.script).read_text(), problem, seed))
    state = {**asdict(attempt), "folder": None, "problems": [p.id for p in PROBLEMS]}
    (folder / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")
    fmt = "%Y-%m-%d %H:%M"
    lines = [f"{p.number}. {p.title}: {p.script}" for p in PROBLEMS]
    (folder / "README.txt").write_text(README.format(
        minutes=attempt.minutes, start=time.strftime(fmt, time.localtime(attempt.started)),
        end=time.strftime(fmt, time.localtime(attempt.deadline)), problems="\n  ".join(lines)))
    return attempt


def find_folder(start_at: str | os.PathLike[str]) -> Path:
    """The attempt folder at or above ``start_at`` (the one with ``exam.json``); ExamError naming the fix."""
    here = Path(start_at).resolve()
    for folder in (here, *here.parents):
        if (folder / STATE_FILE).is_file():
            return folder
    raise ExamError(f"no exam attempt at {here} (no {STATE_FILE} there or above): start one with "
                    "`tfcert exam start --folder PATH`, or pass --folder to the attempt's folder")


def load(folder: str | os.PathLike[str]) -> Attempt:
    """The attempt recorded in ``folder/exam.json``."""
    folder = find_folder(folder)
    try:
        state = json.loads((folder / STATE_FILE).read_text())
        return Attempt(folder, int(state["seed"]), float(state["started"]), int(state["minutes"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ExamError(f"{folder / STATE_FILE} is damaged ({type(exc).__name__}: {exc}): start a new attempt "
                        "with `tfcert exam start`") from None
