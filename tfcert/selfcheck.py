"""A learner alone grades their own assignment: ``tfcert check`` and ``tfcert progress``.

:func:`check` hands the learner's notebook (and the files beside it, as
nbgrader's submit would) to a scratch course and grades it exactly as an
instructor's batch does (:meth:`tfcert.course.Course.autograde`, full mode):
re-executed in the sandbox with the hidden tests, its saved models judged in a
clean process outside the kernel. It prints the summary the feedback opens
with (:mod:`tfcert.summary`): one row per task and graded cell, its points and
the sentence that says why points were lost. Only what the feedback shows is
printed; hidden test source never is. The feedback page is written beside the
notebook (``feedback/<assignment>.html``), and the result is recorded for
:func:`progress`, which says which checklist skills the learner has passed and
which lesson section to study for the others.

In a terminal::

    tfcert check release/d1_developer_skills/d1_developer_skills.ipynb
    tfcert progress

In a notebook cell (the assignment's folder is the working directory; save first)::

    import tfcert; tfcert.check()
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from tfcert import notebooks, paths, summary
from tfcert.summary import CellRow

#: The learner's name inside the scratch course.
STUDENT = "you"
#: Where checks are recorded for ``tfcert progress`` (default: ``$XDG_DATA_HOME/tfcert/checks``).
CHECKS_ENV = "TFCERT_CHECKS_DIR"
#: Beside the notebook: what a check hands in skips these, as the course's nbgrader ``ignore`` list does
#: (a notebook re-creates its models when it runs; the feedback folder is the check's own output).
SKIPPED_NAMES = {".ipynb_checkpoints", "__pycache__", "feedback", "models"}
SKIPPED_SUFFIXES = {".pyc", ".keras", ".h5"}
#: The step of every assignment's "Before you submit" list that points the learner here (Markdown, one place:
#: the notebook generators use it, and a test holds every assignment's cell to it).
SUBMIT_STEP = ("Save, then grade it yourself exactly as your instructor will: run `tfcert.check()` in a new cell (or\n"
               "   `tfcert check` in a terminal in this folder). It re-runs the saved notebook in the grading sandbox, hidden\n"
               "   tests included, and prints each task's points with the sentence that says what to fix; the same page\n"
               "   lands in `feedback/`. `tfcert progress` then lists the checklist skills you have passed.")


class CheckError(RuntimeError):
    """The check cannot start; the message says why and what to do."""


@dataclass
class CheckResult:
    """What one check found."""

    assignment: str
    notebook: Path
    rows: list[CellRow] = field(default_factory=list)
    feedback: Path | None = None
    seconds: float = 0.0
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    sandboxed: bool = True

    @property
    def score(self) -> float:
        return summary.totals(self.rows)[0]

    @property
    def max_score(self) -> float:
        return summary.totals(self.rows)[1]


def checks_dir() -> Path:
    """Where checks are recorded: ``TFCERT_CHECKS_DIR``, else ``$XDG_DATA_HOME/tfcert/checks``.

    Example:
        >>> os.environ[CHECKS_ENV] = "/tmp/c"; str(checks_dir()); del os.environ[CHECKS_ENV]
        '/tmp/c'
    """
    if os.environ.get(CHECKS_ENV):
        return Path(os.environ[CHECKS_ENV])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "tfcert" / "checks"


def grading_in_progress() -> bool:
    """True inside a notebook that a grader is running (a check there would grade the notebook within itself).

    Example:
        >>> grading_in_progress() == ("TFCERT_GRADING_BUDGET_S" in os.environ)
        True
    """
    from tfcert.nbgrader_ext import BUDGET_ENV

    return BUDGET_ENV in os.environ


def find_notebook(given: str | os.PathLike[str] | None, course_root: Path = paths.REPO_ROOT,
                  here: Path | None = None) -> tuple[Path, str]:
    """The notebook to check and its assignment.

    ``given`` is a notebook or a folder (default: the working directory); in a
    folder, the one notebook named after an assignment (``d1_developer_skills.ipynb``).

    Example:
        >>> nb, assignment = find_notebook(paths.REPO_ROOT / "release" / "d1_developer_skills")
        >>> nb.name, assignment
        ('d1_developer_skills.ipynb', 'd1_developer_skills')
    """
    known = paths.assignments(course_root)
    if not known:
        raise CheckError(f"no course at {course_root} (no source/ folder with assignments): run tfcert check "
                         "from a clone of the course's repository, or pass --course")
    target = Path(given) if given is not None else (here or Path.cwd())
    if target.is_dir():
        found = [target / f"{a}.ipynb" for a in known if (target / f"{a}.ipynb").is_file()]
        if len(found) != 1:
            what = "none" if not found else ", ".join(p.name for p in found)
            raise CheckError(f"{target} holds {what} of the assignment notebooks ({', '.join(a + '.ipynb' for a in known)}): "
                             "name the notebook to check")
        target = found[0]
    if not target.is_file():
        raise CheckError(f"{target} is not a file: name your assignment notebook, e.g. "
                         f"tfcert check release/{known[0]}/{known[0]}.ipynb")
    if target.stem not in known:
        raise CheckError(f"{target.name} is not an assignment notebook of this course ({', '.join(known)}): "
                         "check the notebook you received, under its own name")
    return target.resolve(), target.stem


def handed_in(notebook: Path) -> dict[str, bytes]:
    """What a check hands in: the notebook's folder, as nbgrader's submit would (models and outputs left out).

    Example:
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("a1.ipynb", "helper.py", "models/m.keras", "feedback/a1.html"):
        ...     (folder / name).parent.mkdir(exist_ok=True); _ = (folder / name).write_text("x")
        >>> sorted(handed_in(folder / "a1.ipynb"))
        ['a1.ipynb', 'helper.py']
    """
    from tfcert.batch import read_tree

    def skip(path: Path) -> bool:
        return bool(SKIPPED_NAMES & set(path.parts)) or path.suffix in SKIPPED_SUFFIXES

    from tfcert.batch import MAX_SUBMISSION_MB

    folder = notebook.parent
    kept = [p for p in folder.rglob("*") if p.is_file() and not skip(p.relative_to(folder))]
    megabytes = sum(p.stat().st_size for p in kept) / 1024**2
    if megabytes > MAX_SUBMISSION_MB:
        raise CheckError(f"{folder} holds {megabytes:.0f} MB beside the notebook, over the {MAX_SUBMISSION_MB:g} MB a "
                         "submission may weigh: keep the assignment in a folder of its own (as you received it)")
    files = read_tree(folder, skip=skip)
    return {name: data for name, data in files.items() if not name.endswith(".ipynb") or name == notebook.name}


@dataclass
class _Bar:
    """A progress bar over the notebook's cells, fed by the file ResilientExecute rewrites after each cell."""

    path: Path
    show: bool
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, desc: str) -> None:
        from tqdm.auto import tqdm

        bar = None
        while not self.stop.wait(0.3):
            try:
                done, total = (int(x) for x in self.path.read_text().split())
            except (OSError, ValueError):
                continue
            if bar is None:
                bar = tqdm(total=total, desc=desc, unit="cell", disable=not self.show)
            bar.update(done - bar.n)
            if done >= total and not bar.postfix:
                bar.set_postfix_str("judging your saved models in a clean process", refresh=True)
        if bar is not None:
            bar.close()


def _sandbox_note() -> tuple[bool, str | None]:
    from tfcert import sandbox

    reason = sandbox.unavailable_reason()
    return reason is None, reason


def check(notebook: str | os.PathLike[str] | None = None, *, course_root: Path = paths.REPO_ROOT,
          progress: bool = True, record: bool = True, feedback_dir: Path | None = None,
          echo: Callable[[str], None] = print) -> CheckResult | None:
    """Grade one assignment notebook as the instructor's batch would, print its summary, write its feedback.

    Returns None (and says why) inside a notebook a grader is running. The
    notebook is graded as last saved. ``feedback_dir`` (default: ``feedback/``
    beside the notebook) receives ``<assignment>.html``; ``record`` keeps the
    result for :func:`progress`.
    """
    if grading_in_progress():
        echo("tfcert check: skipped, this notebook is being graded (a check inside it would grade it again)")
        return None
    from tfcert import course
    from tfcert.datasets import HeldoutReproducibleWarning

    path, assignment = find_notebook(notebook, course_root)
    files = handed_in(path)
    sandboxed, reason = _sandbox_note()
    saved = datetime.fromtimestamp(path.stat().st_mtime).strftime("%H:%M:%S")
    echo(f"tfcert check: {path.name} as saved at {saved}, graded as your instructor's batch grades it: "
         f"re-run {'in the grading sandbox' if sandboxed else 'WITHOUT the sandbox (' + str(reason) + ')'}, "
         "hidden tests included, saved models judged in a clean process")
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="tfcert-check-"))
    result = CheckResult(assignment, path, sandboxed=sandboxed)
    try:
        with _environment({"TFCERT_SANDBOX": "off"} if not sandboxed else {}):
            crs = course.Course.scratch_copy(course_root, scratch / "course")
            crs.submit_files(STUDENT, assignment, files)
            with _cell_progress(scratch / "progress", progress, f"re-running {assignment}"), warnings.catch_warnings():
                # The instructor's note about held-out data drawn without a secret says nothing to a learner.
                warnings.simplefilter("ignore", HeldoutReproducibleWarning)
                outcome = crs.autograde(assignment, [STUDENT], progress=False, workers=1)
            result.problems = crs.problems.get(STUDENT, [])
            result.error = outcome[STUDENT]
            if result.error is None:
                graded = notebooks.read_with_outputs(crs.notebook_path("autograded", assignment, STUDENT))
                scores = {s.grade_id: s.score for s in crs.scores(assignment) if s.student == STUDENT}
                result.rows = summary.summarise(graded, scores)
                pages = crs.feedback(assignment)
                if pages:
                    target = (feedback_dir or path.parent / "feedback") / f"{assignment}.html"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(pages[0], target)
                    result.feedback = target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    echo(render(result, width=min(100, shutil.get_terminal_size((100, 24)).columns)))
    if record and result.error is None:
        save_record(result)
    return result


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then put back what was there."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _cell_progress(path: Path, show: bool, desc: str) -> Iterator[None]:
    """A progress bar over the cells of the notebook graded inside the block."""
    from tfcert.nbgrader_ext import PROGRESS_ENV

    bar = _Bar(path, show)
    thread = threading.Thread(target=bar.run, args=(desc,), daemon=True)
    with _environment({PROGRESS_ENV: str(path)}):
        thread.start()
        try:
            yield
        finally:
            bar.stop.set()
            thread.join(timeout=5)


def render(result: CheckResult, width: int = 100) -> str:
    """What ``tfcert check`` prints after grading: the summary, then where the feedback is.

    Example:
        >>> print(render(CheckResult("a1", Path("a1.ipynb"), [CellRow("Task 1: Fit", "t1", 1, 1)], seconds=3.2), 40))
        <BLANKLINE>
        Task 1: Fit                        1 / 1
          ✓ t1                             1 / 1
        total                              1 / 1
        <BLANKLINE>
        checked in 3 s
    """
    lines = [""]
    if result.error:
        lines += [f"could not be graded: {result.error}"]
    else:
        lines += [summary.render_text(result.rows, width)]
    for problem in result.problems:
        lines += ["", f"note: {problem}"]
    lines += ["", f"checked in {result.seconds:.0f} s"]
    if result.feedback:
        lines[-1] += f"; feedback: {result.feedback}"
    return "\n".join(lines)


# --------------------------------------------------------------------------- the record and tfcert progress


def save_record(result: CheckResult, folder: Path | None = None) -> Path:
    """Keep a check's scores for :func:`progress` (the latest check of each assignment counts)."""
    folder = folder or checks_dir()
    folder.mkdir(parents=True, exist_ok=True)
    record = {"assignment": result.assignment, "notebook": str(result.notebook),
              "checked": datetime.now().isoformat(timespec="seconds"), "seconds": round(result.seconds, 1),
              "cells": {r.grade_id: [r.score, r.points] for r in result.rows}}
    target = folder / f"{result.assignment}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(record, indent=1) + "\n")
    partial.replace(target)
    return target


def load_records(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """``assignment -> its latest check``; a record that cannot be read is left out.

    Example:
        >>> load_records(Path(tempfile.mkdtemp()))
        {}
    """
    found = {}
    for path in sorted((folder or checks_dir()).glob("*.json")):
        try:
            record = json.loads(path.read_text())
            found[record["assignment"]] = record
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


@dataclass(frozen=True)
class SkillStatus:
    """One checklist skill for one learner: passed, not yet, not checked, or taught only."""

    id: str
    heading: str  # the lesson heading that teaches it
    lesson: str | None
    status: str  # "passed", "not yet", "not checked", "taught only"


def skill_statuses(records: dict[str, dict[str, Any]], root: Path = paths.REPO_ROOT) -> list[SkillStatus]:
    """Every checklist skill's status from the latest checks: passed when every cell grading it had full marks.

    Example:
        >>> rows = skill_statuses({"d1_developer_skills": {"cells": {"d1_api_lookup": [1.0, 1.0]}}})
        >>> [(s.id, s.status) for s in rows][:4]
        [('D1.01', 'not yet'), ('D1.02', 'passed'), ('D1.03', 'not yet'), ('D1.04', 'taught only')]
        >>> {s.status for s in rows if s.id.startswith("D2")}
        {'not checked'}
    """
    from tfcert import checklist

    found = []
    for skill in checklist.load(root):
        heading = skill.taught or skill.skill
        if not skill.graded:
            status = "taught only"
        elif skill.assignment not in records:
            status = "not checked"
        else:
            cells = records[skill.assignment].get("cells", {})
            passed = all(g in cells and cells[g][0] is not None and cells[g][0] >= cells[g][1] - 1e-9
                         for g in skill.graded)
            status = "passed" if passed else "not yet"
        found.append(SkillStatus(skill.id, heading, skill.lesson, status))
    return found


_MARKS = {"passed": "✓", "not yet": "✗", "not checked": "·", "taught only": "–"}


def progress_text(records: dict[str, dict[str, Any]], root: Path = paths.REPO_ROOT) -> str:
    """What ``tfcert progress`` prints: per domain, each skill's status, then what to study next.

    Example:
        >>> text = progress_text({"d1_developer_skills": {"checked": "2026-11-24T10:00:00",
        ...                        "cells": {"d1_api_lookup": [1.0, 1.0], "d1_script_runs": [0.0, 2.0]}}})
        >>> print(text.splitlines()[0])
        D1 TensorFlow developer skills: 1 of 6 graded skills passed (checked 2026-11-24 10:00)
        >>> "  ✗ D1.01 Write, run and debug Python programs" in text
        True
        >>> "Study next, in notebooks/01_developer_skills.ipynb:" in text
        True
    """
    from tfcert import checklist

    statuses = skill_statuses(records, root)
    lines: list[str] = []
    study: dict[str, list[str]] = {}
    for domain in checklist.domains(root):
        mine = [s for s in statuses if s.id.split(".")[0] == domain.id]
        graded = [s for s in mine if s.status != "taught only"]
        record = records.get(domain.assignment or "")
        if record is None:
            where = paths.notebook_path(".", "release", domain.assignment) if domain.assignment else None
            lines.append(f"{domain.id} {domain.title}: not checked yet"
                         + (f" (tfcert check {where.as_posix()})" if where else ""))
            continue
        passed = sum(s.status == "passed" for s in graded)
        when = str(record.get("checked", "")).replace("T", " ")[:16]
        lines.append(f"{domain.id} {domain.title}: {passed} of {len(graded)} graded skills passed (checked {when})")
        for s in mine:
            lines.append(f"  {_MARKS[s.status]} {s.heading}" + ("  (taught, not graded)" if s.status == "taught only" else ""))
            if s.status == "not yet":
                study.setdefault(s.lesson or "the lesson", []).append(s.heading)
    if study:
        lines.append("")
        for lesson, headings in study.items():
            lines.append(f"Study next, in {lesson}:")
            lines += [f"  {heading}" for heading in headings]
    elif records:
        lines += ["", "Every graded skill of the assignments you checked is passed."]
    return "\n".join(lines)


def progress(folder: Path | None = None, root: Path = paths.REPO_ROOT) -> str:
    """The learner's progress from their recorded checks (see :func:`progress_text`)."""
    records = load_records(folder)
    if not records:
        return ("No check recorded yet: grade an assignment with tfcert check (in its folder, or naming its notebook); "
                f"checks are kept in {folder or checks_dir()}")
    return progress_text(records, root)
