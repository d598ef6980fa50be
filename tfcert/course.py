"""Running the course with nbgrader: releases, sample submissions, batch grading.

Every function here drives the real ``nbgrader`` command line in a course
directory (the repository root, or a scratch copy for the demo and the tests),
so what the tests check is what an instructor runs.

A scratch course with the reference solution submitted and graded (what
``tfcert demo`` and tests/test_autograde.py do)::

    crs = Course.scratch_copy(paths.REPO_ROOT, "/tmp/tfcert-course")
    crs.release("d1_developer_skills")
    crs.submit_sample("alice", "d1_developer_skills", "reference")
    crs.autograde("d1_developer_skills")
    print(grade_table(crs.scores("d1_developer_skills")))
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tfcert import manifest, notebooks, paths, samples
from tfcert.nbgrader_ext import open_gradebook, short_error
from tfcert.verify import verify_submission


class CourseError(RuntimeError):
    """A course operation failed; the message says which and why."""


def default_workers(cpus: int | None = None) -> int:
    """Submissions to grade side by side: one per four CPU cores (training uses several), 1 to 8.

    Example:
        >>> default_workers(2), default_workers(16), default_workers(64)
        (1, 4, 8)
    """
    return max(1, min(8, (cpus or os.cpu_count() or 1) // 4))


def tool_env() -> dict[str, str]:
    """This environment with the running interpreter's ``bin/`` first on PATH.

    nbgrader calls helper programs (``alembic``, kernels) by name; a virtual
    environment used without being activated would otherwise not provide them.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@dataclass
class CellScore:
    student: str
    grade_id: str
    score: float
    max_score: float


class Course:
    """A course directory nbgrader runs in: ``nbgrader_config.py``, ``source/``, ``release/`` ..."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.revoked: dict[str, dict[str, str]] = {}

    @classmethod
    def scratch_copy(cls, repo: Path, target: str | Path) -> "Course":
        """A fresh course directory at ``target`` with the repository's config, sources, samples and checklist."""
        target = Path(target)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copy(repo / "nbgrader_config.py", target / "nbgrader_config.py")
        shutil.copy(repo / "checklist.yml", target / "checklist.yml")
        for folder in ("source", "samples"):
            shutil.copytree(repo / folder, target / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "models"))
        return cls(target)

    def nbgrader(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
        """Run ``nbgrader ARGS`` in this course directory; CourseError on failure."""
        command = [sys.executable, "-m", "nbgrader", *args]
        run = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL, env=tool_env())
        if run.returncode != 0:
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
            raise CourseError(f"nbgrader {' '.join(args)} failed (exit {run.returncode}):\n{tail}")
        return run

    def release(self, assignment: str) -> Path:
        """Generate ``release/<assignment>`` from ``source/`` and store it normalised."""
        self.nbgrader("generate_assignment", assignment, "--force")
        out = self.root / "release" / assignment
        for path in notebooks.iter_notebooks(out):
            notebooks.write(notebooks.read(path), path)
        return out

    def notebook_path(self, directory: str, assignment: str, student: str | None = None) -> Path:
        return paths.notebook_path(self.root, directory, assignment, student)

    def submit(self, student: str, assignment: str, nb: dict[str, Any] | str) -> Path:
        """Place a submission where ``nbgrader autograde`` looks for it (text is written verbatim)."""
        path = self.notebook_path("submitted", assignment, student)
        if path.parent.exists():
            shutil.rmtree(path.parent)
        path.parent.mkdir(parents=True)
        path.write_text(nb if isinstance(nb, str) else notebooks.normalised_text(nb))
        return path

    def submit_sample(self, student: str, assignment: str, sample: str | samples.Sample) -> Path:
        """Hand in a sample submission (this course's ``samples/<assignment>/<sample>.yml``) built on its release."""
        if isinstance(sample, str):
            sample = samples.load_samples(assignment, self.root)[sample]
        source = notebooks.read(self.notebook_path("source", assignment))
        release = notebooks.read(self.notebook_path("release", assignment))
        return self.submit(student, assignment, samples.build_submission(source, release, sample))

    def students(self, assignment: str) -> list[str]:
        base = self.root / "submitted"
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.exists() else []

    def autograde(self, assignment: str, students: Iterable[str] | None = None,
                  progress: bool = True, verify: bool = True, workers: int = 1) -> dict[str, str | None]:
        """Autograde each student's submission, one nbgrader run each, ``workers`` at a time.

        A submission that nbgrader cannot grade (invalid notebook, kernel death)
        is reported in the result (``student -> error text``) and the batch goes
        on; the gradebook keeps every other student's grades. Then the test
        cells tagged ``verify`` are re-run outside the learner's kernel
        (:mod:`tfcert.verify`); points they cannot confirm are revoked and
        recorded in ``self.revoked``. With several workers, submissions are
        graded side by side (each in its own sandboxed kernel); one that failed
        because the shared gradebook was busy is graded again on its own.
        """
        from concurrent.futures import ThreadPoolExecutor, as_completed

        from tqdm.auto import tqdm

        chosen = list(students) if students is not None else self.students(assignment)
        manifest.prepare(manifest.load(assignment, self.root))
        outcome: dict[str, str | None] = {}
        bar = tqdm(total=len(chosen), desc=f"autograde {assignment}", unit="submission", disable=not progress)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(self._grade_one, assignment, student, verify): student for student in chosen}
            for future in as_completed(futures):
                outcome[futures[future]] = future.result()
                bar.update()
        for student, error in outcome.items():
            if error and "database is locked" in error:
                outcome[student] = self._grade_one(assignment, student, verify)
        bar.close()
        return {student: outcome[student] for student in chosen}

    def _grade_one(self, assignment: str, student: str, verify: bool) -> str | None:
        """Autograde (and verify) one submission; the error text, or None when it was graded."""
        try:
            self.nbgrader("autograde", assignment, "--student", student, "--force", "--create")
        except (CourseError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        if not self.notebook_path("autograded", assignment, student).exists():
            return "nbgrader produced no graded notebook"
        if verify:
            self.revoked[student] = verify_submission(self.root, assignment, student)
        return None

    def feedback(self, assignment: str) -> list[Path]:
        """Generate the learners' feedback HTML; returns the files written."""
        self.nbgrader("generate_feedback", assignment, "--force")
        return sorted((self.root / "feedback").glob(f"*/{assignment}/*.html"))

    def scores(self, assignment: str) -> list[CellScore]:
        """Per-cell scores from the gradebook, for every graded submission."""
        from nbgrader.api import MissingEntry

        found = []
        with open_gradebook(self.root) as gb:
            for student in self.students(assignment):
                try:
                    submission = gb.find_submission_notebook(assignment, assignment, student)
                except MissingEntry:
                    continue
                for grade in submission.grades:
                    if grade.max_score:
                        found.append(CellScore(student, grade.name, float(grade.score), float(grade.max_score)))
        return found

    def failures(self, assignment: str) -> dict[str, list[tuple[str, str]]]:
        """``student -> [(grade_id, "ErrorName: message")]`` for each failed test cell, as feedback shows it."""
        found: dict[str, list[tuple[str, str]]] = {}
        for student in self.students(assignment):
            path = self.notebook_path("autograded", assignment, student)
            if not path.exists():
                continue
            for cell in notebooks.read_with_outputs(path)["cells"]:
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                if notebooks.is_graded(cell) and cell["cell_type"] == "code" and errors:
                    found.setdefault(student, []).append((notebooks.nbgrader_meta(cell)["grade_id"],
                                                          short_error(errors[0])[0]))
        return found

    def export_csv(self) -> str:
        """The gradebook exported by ``nbgrader export`` (CSV text)."""
        out = self.root / "grades.csv"
        self.nbgrader("export", "--to", str(out))
        return out.read_text()


def grade_table(scores: list[CellScore]) -> str:
    """A plain-text table: one row per graded cell, one column per student, totals last.

    Example:
        >>> print(grade_table([CellScore("ann", "t1", 2, 2), CellScore("ann", "t2", 0, 1),
        ...                    CellScore("bob", "t1", 1, 2), CellScore("bob", "t2", 1, 1)]))
        graded cell  ann  bob
        t1           2/2  1/2
        t2           0/1  1/1
        total        2/3  2/3
    """
    ids = list(dict.fromkeys(s.grade_id for s in scores))
    students = list(dict.fromkeys(s.student for s in scores))
    cell = {(s.student, s.grade_id): s for s in scores}
    rows = [["graded cell", *students]]
    for grade_id in ids:
        rows.append([grade_id, *(f"{cell[st, grade_id].score:g}/{cell[st, grade_id].max_score:g}"
                                 if (st, grade_id) in cell else "-" for st in students)])
    totals = []
    for student in students:
        mine = [s for s in scores if s.student == student]
        totals.append(f"{sum(s.score for s in mine):g}/{sum(s.max_score for s in mine):g}")
    rows.append(["total", *totals])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows)
