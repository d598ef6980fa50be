"""Grade an exam attempt: run each script in the sandbox, judge each saved model in a clean process.

For every problem (or the ones named), :func:`grade`

1. checks the script reads as Python and does not import ``tfcert`` (the course's
   helpers would hand it the data, or do the task);
2. runs it in the grading sandbox (:func:`tfcert.sandbox.run_sandboxed`: no
   network, the attempt's folder the only place it can write, its own time
   limit), with an import hook that refuses ``tfcert`` at run time too; the
   script must save a fresh model file;
3. judges every model file in one clean process (:mod:`tfcert.exam._judge`), on
   held-out data drawn from the attempt's seed and the grader's seed.

Once the attempt's clock has run out, or with ``saved=True``, step 2 is skipped
and the models saved in the folder are judged as they are; one saved after the
clock ran out does not count.

Example:
    >>> rows = [ProblemResult("p1_regression", 5, "MAE 90.1 (target 158.2)", ""),
    ...         ProblemResult("p2_small_images", 0, "", "p2_small_images.py stopped with NotImplementedError")]
    >>> print(render(rows, width=60))
    1 Regression on a table                                5 / 5
        MAE 90.1 (target 158.2)
    2 Multi-class classifier on small images               0 / 5
        p2_small_images.py stopped with NotImplementedError
    total                                                 5 / 10
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tfcert import QUIET_TF_ENV, sandbox
from tfcert.exam import _judge
from tfcert.exam.problems import PROBLEMS, Problem, problem
from tfcert.exam.session import Attempt, clock_text, load

#: Each script's time limit, seconds (the references train in well under two minutes on a 2-core CPU).
SCRIPT_TIMEOUT_S = float(os.environ.get("TFCERT_EXAM_SCRIPT_TIMEOUT_S", "900"))
JUDGE_TIMEOUT_S = 600
#: Variables a script never gets: Keras's epoch cap (it would fake a short training) and the grader's budget
#: (run_sandboxed leaves the held-out secret out of every command).
DROPPED_ENV = ("KERAS_MAX_EPOCHS", "TFCERT_GRADING_BUDGET_S")

#: Runs a learner's script as ``__main__`` with ``tfcert`` refused at import; ``python -I -c RUNNER script``.
RUNNER = """\
import os, runpy, sys
class NoCourseHelpers:
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] == 'tfcert':
            raise ImportError('exam scripts may not import tfcert (the course helpers): read the files in data/ '
                              'yourself, as the exam starter says', name=name)
        return None
sys.meta_path.insert(0, NoCourseHelpers())
script = os.path.abspath(sys.argv[1])
sys.argv = [script]
sys.path.insert(0, os.path.dirname(script))
runpy.run_path(script, run_name='__main__')
"""


@dataclass(frozen=True)
class ProblemResult:
    """One row of the grade: the problem, its points out of 5, what was measured and the sentence behind a loss."""

    problem: str
    score: int
    measured: str
    sentence: str
    seconds: float | None = None

    @property
    def title(self) -> str:
        found = problem(self.problem)
        return f"{found.number} {found.title}"


def script_problem(path: Path) -> str | None:
    """Why the script cannot be run as an exam answer (a syntax error, an import of tfcert), or None.

    Example:
        >>> import tempfile
        >>> script = Path(tempfile.mkdtemp()) / "p1_regression.py"
        >>> _ = script.write_text("from tfcert.datasets import arrays\\n")
        >>> script_problem(script).split(":")[0]
        'p1_regression.py imports tfcert on line 1'
    """
    if not path.is_file():
        return f"{path.name} is missing from the exam folder: copy it back from the starters (tfcert exam start)"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), filename=path.name)
    except SyntaxError as exc:
        return f"{path.name} has a syntax error on line {exc.lineno}: {exc.msg}; fix it and run the file yourself first"
    for node in ast.walk(tree):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
        if any(name.partition(".")[0] == "tfcert" for name in names):
            return (f"{path.name} imports tfcert on line {node.lineno}: exam scripts may not use the course "
                    "helpers; read the files in data/ with pandas, NumPy, json or Keras, as the starter says")
    return None


def _last_error_line(stderr: str) -> str:
    """The exception line of a Python traceback (the last line that is not blank or indented)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip() and not line.startswith((" ", "\t"))]
    return lines[-1][:300] if lines else ""


def script_environment() -> dict[str, str]:
    """The environment a script runs with: TensorFlow quiet, no epoch cap, no grader settings."""
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
    env.update(QUIET_TF_ENV)
    return env


def run_script(folder: Path, chosen: Problem, timeout: float = SCRIPT_TIMEOUT_S) -> tuple[str | None, float]:
    """Run one script sandboxed; ``(sentence, seconds)``, the sentence None when it saved a fresh model."""
    script = folder / chosen.script
    refused = script_problem(script)
    if refused:
        return refused, 0.0
    model = folder / chosen.model_file
    before = model.stat().st_mtime_ns if model.exists() else None
    started = time.perf_counter()
    try:
        done = sandbox.run_sandboxed([sys.executable, "-I", "-c", RUNNER, chosen.script], folder, timeout,
                                     environ=script_environment())
    except subprocess.TimeoutExpired:
        return (f"{chosen.script} ran past its limit of {timeout / 60:.0f} minutes and was stopped: train for fewer "
                "epochs or a smaller model (the reference trains in under two minutes on a laptop CPU)",
                time.perf_counter() - started)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        error = _last_error_line(done.stderr) or f"exit status {done.returncode}"
        if "NotImplementedError" in error:
            return f"{chosen.script} stopped with {error}: complete solution_model() and run the file", seconds
        if done.returncode < 0 or "MemoryError" in error:
            return (f"{chosen.script} was stopped ({error or 'killed'}): it ran out of memory or CPU time; "
                    "use smaller batches or a smaller model", seconds)
        return f"{chosen.script} stopped with {error}: run it yourself and fix that error", seconds
    after = model.stat().st_mtime_ns if model.exists() else None
    if after is None or after == before:
        return (f"{chosen.script} ran but did not save {chosen.model_file}: keep the starter's __main__ block, "
                f"which saves the model solution_model() returns"), seconds
    return None, seconds


def judge_models(attempt: Attempt, models: dict[str, Path]) -> dict[str, dict]:
    """Judge the model files in one clean process (:mod:`tfcert.exam._judge`)."""
    if not models:
        return {}
    request = json.dumps({"seed": attempt.seed, "models": {name: str(path) for name, path in models.items()}})
    env = {**os.environ, **QUIET_TF_ENV}
    try:
        done = subprocess.run([sys.executable, "-I", "-m", "tfcert.exam._judge"], input=request, text=True,
                              capture_output=True, timeout=JUDGE_TIMEOUT_S, env=env, cwd=attempt.folder)
    except subprocess.TimeoutExpired:
        return {name: {"score": 0, "measured": "", "sentence": "judging the saved models took longer than "
                       f"{JUDGE_TIMEOUT_S // 60} minutes and was stopped"} for name in models}
    for line in done.stdout.splitlines():
        if line.startswith(_judge.MARKER):
            return json.loads(line[len(_judge.MARKER):])
    why = _last_error_line(done.stderr) or f"exit status {done.returncode}"
    return {name: {"score": 0, "measured": "", "sentence": f"the grader's clean process failed ({why}); "
                   "this is the grader's fault, not yours: report it"} for name in models}


def grade(folder: str | os.PathLike[str], only: list[str] | None = None, saved: bool = False,
          timeout: float = SCRIPT_TIMEOUT_S, now: float | None = None,
          on_step: Callable[[str], None] | None = None) -> list[ProblemResult]:
    """Grade the attempt in ``folder``: one :class:`ProblemResult` per problem (or per problem in ``only``)."""
    attempt = load(folder)
    chosen = [problem(name) for name in only] if only else list(PROBLEMS)
    judge_saved = saved or attempt.over(now)
    ran: dict[str, tuple[str, float | None]] = {}  # problem -> (why it scores 0, or ""; seconds)
    to_judge: dict[str, Path] = {}
    for item in chosen:
        model = attempt.folder / item.model_file
        if judge_saved:
            if not model.exists():
                ran[item.id] = (f"no {item.model_file} in the exam folder: run {item.script} to train and save it"
                                   + ("" if not attempt.over(now) else " (too late now: the clock has run out)"), None)
            elif model.stat().st_mtime > attempt.deadline:
                when = time.strftime("%H:%M", time.localtime(model.stat().st_mtime))
                end = time.strftime("%H:%M", time.localtime(attempt.deadline))
                ran[item.id] = (f"{item.model_file} was saved at {when}, after the clock ran out at {end}: "
                                   "it does not count", None)
            else:
                to_judge[item.id] = model
            continue
        if on_step:
            on_step(f"running {item.script}")
        sentence, seconds = run_script(attempt.folder, item, timeout)
        if sentence:
            ran[item.id] = (sentence, seconds)
        else:
            ran[item.id] = ("", seconds)
            to_judge[item.id] = model
    if on_step and to_judge:
        on_step(f"judging {len(to_judge)} saved model(s) in a clean process")
    judged = judge_models(attempt, to_judge)
    rows = []
    for item in chosen:
        sentence, seconds = ran.get(item.id, ("", None))
        if item.id in judged:
            result = judged[item.id]
            rows.append(ProblemResult(item.id, int(result["score"]), result["measured"], result["sentence"], seconds))
        else:
            rows.append(ProblemResult(item.id, 0, "", sentence, seconds))
    return rows


def render(rows: list[ProblemResult], width: int = 100, footer: str = "") -> str:
    """The grade as text: one row per problem with its score out of 5, the sentence behind a lost point, a total."""
    lines = []
    for row in rows:
        left = f"{row.title}"
        right = f"{row.score} / 5"
        lines.append(f"{left}{right:>{max(1, width - len(left))}}")
        ran = f"the script ran {row.seconds:.0f} s" if row.seconds else ""
        detail = ", ".join(part for part in (row.measured, ran) if part)
        if detail:
            lines.append(textwrap.fill(detail, width, initial_indent="    ", subsequent_indent="    "))
        if row.sentence:
            lines.append(textwrap.fill(row.sentence, width, initial_indent="    ", subsequent_indent="    "))
    total = f"{sum(r.score for r in rows)} / {5 * len(rows)}"
    lines.append(f"total{total:>{width - 5}}")
    if footer:
        lines.append(footer)
    return "\n".join(lines)


def clock_line(attempt: Attempt, now: float | None = None) -> str:
    """What the clock says, for the end of the grade."""
    if attempt.over(now):
        return "the clock has run out: the models saved before it did are what count"
    return f"time left: {clock_text(attempt.time_left(now))}"
