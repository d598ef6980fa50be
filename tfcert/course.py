"""Running the course with nbgrader: releases, sample submissions, batch grading.

Every function here drives the real ``nbgrader`` command line in a course
directory (the repository root, or a scratch copy for the demo and the tests),
so what the tests check is what an instructor runs.

A scratch course with the reference solution submitted and graded (what
``tfcert demo`` and tests/test_autograde.py do)::

    crs = Course.scratch_copy(REPO_ROOT, "/tmp/tfcert-course")
    crs.release("d1_developer_skills")
    source = notebooks.read(crs.notebook_path("source", "d1_developer_skills"))
    release = notebooks.read(crs.notebook_path("release", "d1_developer_skills"))
    sample = load_samples("d1_developer_skills")["reference"]
    crs.submit("alice", "d1_developer_skills", build_submission(source, release, sample))
    crs.autograde("d1_developer_skills")
    print(grade_table(crs.scores("d1_developer_skills")))
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from tfcert import notebooks
from tfcert.nbgrader_ext import open_gradebook, short_error
from tfcert.verify import verify_submission

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTION_BLOCK = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*\n?", re.S | re.M)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class CourseError(RuntimeError):
    """A course operation failed; the message says which and why."""


def nbgrader_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """The nbgrader metadata of a cell (empty for ordinary cells)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_cells(nb: dict[str, Any]) -> dict[str, float]:
    """``grade_id -> points`` for every graded cell of a notebook.

    Example:
        >>> nb = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "t1", "points": 2}}}]}
        >>> graded_cells(nb)
        {'t1': 2.0}
    """
    return {m["grade_id"]: float(m.get("points", 0)) for m in map(nbgrader_cell, nb["cells"]) if m.get("grade")}


def reference_source(source: str) -> str:
    """A solution cell's source as a learner would write it: the markers removed.

    Example:
        >>> reference_source("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n")
        'def f():\\n    return 1\\n'
    """
    return SOLUTION_BLOCK.sub(lambda m: m.group(1), source)


# --------------------------------------------------------------------------- samples


@dataclass
class Sample:
    """A sample submission: the reference with some cells replaced, and what it should score."""

    name: str
    description: str
    blank: bool = False
    replace: dict[str, str] = field(default_factory=dict)
    lose: dict[str, float] | str = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def expected_scores(self, max_points: dict[str, float]) -> dict[str, float]:
        """``grade_id -> expected score`` for this sample."""
        if self.lose == "all":
            return {grade_id: 0.0 for grade_id in max_points}
        assert isinstance(self.lose, dict)
        unknown = set(self.lose) - set(max_points)
        if unknown:
            raise CourseError(f"sample {self.name}: unknown grade ids {sorted(unknown)}")
        return {g: points - float(self.lose.get(g, 0)) for g, points in max_points.items()}


def load_samples(assignment: str, root: Path = REPO_ROOT) -> dict[str, Sample]:
    """The sample submissions in ``samples/<assignment>/*.yml``, by name."""
    samples = {}
    for path in sorted((root / "samples" / assignment).glob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        samples[path.stem] = Sample(name=path.stem, **data)
    if not samples:
        raise CourseError(f"no sample submissions in samples/{assignment}/")
    return samples


def build_submission(source_nb: dict[str, Any], release_nb: dict[str, Any], sample: Sample) -> dict[str, Any]:
    """The notebook a learner would hand in for ``sample``.

    Starts from the released notebook (what a learner receives); unless the
    sample is blank, fills each solution cell with the reference solution and
    then applies the sample's replacements (cell id -> new source).
    """
    nb = notebooks.normalise(release_nb)
    if sample.blank:
        return nb
    reference = {c["id"]: reference_source(c["source"]) for c in source_nb["cells"] if nbgrader_cell(c).get("solution")}
    ids = {c["id"] for c in nb["cells"]}
    missing = set(sample.replace) - ids
    if missing:
        raise CourseError(f"sample {sample.name} replaces cells that do not exist: {sorted(missing)}")
    for cell in nb["cells"]:
        if cell["id"] in reference:
            cell["source"] = reference[cell["id"]]
        if cell["id"] in sample.replace:
            cell["source"] = sample.replace[cell["id"]].rstrip("\n")
    return nb


# --------------------------------------------------------------------------- data the kernels share

#: Notebook metadata key: what an assignment loads, prepared once before grading.
PREPARE_KEY = "tfcert_prepare"


def prepare_data(items: Iterable[str]) -> list[str]:
    """Fill the data cache with what an assignment loads; returns the items prepared.

    Sandboxed grading kernels see the grader's cache read-only (their own
    writes go to a private folder that vanishes), so whatever is cached here
    first is built once per machine instead of once per submission. Items:
    ``"glyphs"`` (every split of an embedded set), ``"csv:NAME"``,
    ``"json:NAME"``, ``"raw:NAME"`` (:func:`tfcert.datasets.to_raw_csv`),
    ``"tfds:NAME"`` (the local TFDS builder) and ``"pretrained:scenes"``.

    Example:
        >>> prepare_data(["digits", "csv:breast_cancer"])
        ['digits', 'csv:breast_cancer']
        >>> prepare_data(["nonsense:x"])
        Traceback (most recent call last):
        ...
        tfcert.course.CourseError: unknown data to prepare 'nonsense:x': use NAME, csv:NAME, json:NAME, raw:NAME, tfds:NAME or pretrained:scenes
    """
    from tfcert import datasets, quiet_tensorflow

    quiet_tensorflow()  # TFDS and the pretrained base import TensorFlow
    done = []
    for item in items:
        kind, _, name = item.rpartition(":")
        if kind == "" and name in datasets.names():
            for split in (*datasets.LEARNER_SPLITS, datasets.HELDOUT_SPLIT):
                datasets.arrays(name, split)
        elif kind in ("csv", "json", "raw"):
            writer = {"csv": datasets.to_csv, "json": datasets.to_json, "raw": datasets.to_raw_csv}[kind]
            for split in (datasets.LEARNER_SPLITS if kind != "raw" else ("validation",)):
                writer(name, split)
        elif kind == "tfds":
            from tfcert.datasets import tfds_builders

            with contextlib.redirect_stdout(io.StringIO()):
                tfds_builders.tfds_load(name, split="train")
        elif item == "pretrained:scenes":
            from tfcert import pretrained

            with contextlib.redirect_stdout(io.StringIO()):
                pretrained.scenes_base_path()
        else:
            raise CourseError(f"unknown data to prepare {item!r}: use NAME, csv:NAME, json:NAME, raw:NAME, "
                              "tfds:NAME or pretrained:scenes")
        done.append(item)
    return done


# --------------------------------------------------------------------------- course directory


def assignments(root: Path = REPO_ROOT) -> list[str]:
    """The assignments of a course: the folders of ``source/``, sorted.

    Example:
        >>> assignments()[:1]
        ['d1_developer_skills']
    """
    return sorted(p.name for p in (Path(root) / "source").iterdir() if p.is_dir())


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
        """A fresh course directory at ``target`` with the repository's config and sources."""
        target = Path(target)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copy(repo / "nbgrader_config.py", target / "nbgrader_config.py")
        shutil.copytree(repo / "source", target / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "models"))
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
        parts = [directory] + ([student] if student else []) + [assignment, f"{assignment}.ipynb"]
        return self.root.joinpath(*parts)

    def submit(self, student: str, assignment: str, nb: dict[str, Any] | str) -> Path:
        """Place a submission where ``nbgrader autograde`` looks for it (text is written verbatim)."""
        path = self.notebook_path("submitted", assignment, student)
        if path.parent.exists():
            shutil.rmtree(path.parent)
        path.parent.mkdir(parents=True)
        path.write_text(nb if isinstance(nb, str) else notebooks.normalised_text(nb))
        return path

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
        prepare_data(notebooks.read(self.notebook_path("source", assignment)).get("metadata", {}).get(PREPARE_KEY, []))
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
                meta = nbgrader_cell(cell)
                errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                if meta.get("grade") and cell["cell_type"] == "code" and errors:
                    found.setdefault(student, []).append((meta["grade_id"], short_error(errors[0])[0]))
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


def leaked_markers(text: str) -> list[str]:
    """Solution or hidden-test markers found in ``text`` (empty if none).

    Example:
        >>> leaked_markers("x = 1  ### BEGIN SOLUTION")
        ['BEGIN SOLUTION']
    """
    return [m for m in MARKERS if m in text]


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))
