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

import json
import os
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tfcert import batch, datasets, manifest, notebooks, paths, samples
from tfcert.batch import MODES, tool_env
from tfcert.nbgrader_ext import open_gradebook, short_error


class CourseError(RuntimeError):
    """A course operation failed; the message says which and why."""


def default_workers(cpus: int | None = None, mode: str = "full", memory_gb: float | None = None) -> int:
    """Submissions to grade side by side on this machine, for grading ``mode``.

    Full re-execution: one per four CPU cores (training uses several), 1 to 8.
    Files mode runs one clean process per submission, mostly importing
    TensorFlow and evaluating (about 1.3 GB at most): two per core, at most one
    per 2 GB of memory, 2 to 16 (on 2 cores, 4 grade 18% more per minute than 2).

    Example:
        >>> default_workers(2), default_workers(16), default_workers(64)
        (1, 4, 8)
        >>> default_workers(2, "files", memory_gb=24), default_workers(16, "files", memory_gb=16)
        (4, 8)
    """
    cpus = cpus or os.cpu_count() or 1
    if mode != "files":
        return max(1, min(8, cpus // 4))
    if memory_gb is None:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return max(2, min(16, 2 * cpus, int(memory_gb // 2)))


@dataclass
class CellScore:
    student: str
    grade_id: str
    score: float
    max_score: float


class Course:
    """A course directory nbgrader runs in: ``nbgrader_config.py``, ``source/``, ``release/`` ..."""

    def __init__(self, root: str | Path, db_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        #: nbgrader's gradebook: SQLite in the course folder unless a URL says otherwise (PostgreSQL, ...).
        self.db_url = db_url or f"sqlite:///{self.root / 'gradebook.db'}"
        self.revoked: dict[str, dict[str, str]] = {}
        #: student -> (seconds their grading took, the ``host:pid`` that graded it), for this batch.
        self.timings: dict[str, tuple[float, str]] = {}
        #: students already graded that the last batch left as they were (resume)
        self.skipped: list[str] = []
        #: student -> what grading repaired or met in their notebook (tfcert.submission), one sentence each
        self.problems: dict[str, list[str]] = {}

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
        """Run ``nbgrader ARGS`` in this course directory, on its gradebook; CourseError on failure."""
        try:
            return batch.run_nbgrader(self.root, *args, f"--CourseDirectory.db_url={self.db_url}", timeout=timeout)
        except batch.NbgraderFailed as exc:
            raise CourseError(str(exc)) from None

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

    def submit_sample(self, student: str, assignment: str, sample: str | samples.Sample,
                      focused: bool = False) -> Path:
        """Hand in a sample submission (this course's ``samples/<assignment>/<sample>.yml``) built on its release;
        ``focused``: only the tasks the sample's mistake is about are answered (:func:`samples.focus_sections`)."""
        if isinstance(sample, str):
            sample = samples.load_samples(assignment, self.root)[sample]
        source = notebooks.read(self.notebook_path("source", assignment))
        release = notebooks.read(self.notebook_path("release", assignment))
        return self.submit(student, assignment, samples.build_submission(source, release, sample, focused=focused))

    def submit_files(self, student: str, assignment: str, files: dict[str, bytes]) -> Path:
        """Hand in a folder of files (relative path -> bytes) for ``student``, as exam-style grading expects them."""
        folder = self.notebook_path("submitted", assignment, student).parent
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        batch.write_tree(folder, files)
        return folder

    def saved_files(self, assignment: str, student: str) -> dict[str, bytes]:
        """What ``student`` would hand in exam style: the notebook handed in and every file its graded run saved.

        Read from this course's ``submitted/`` and ``autograded/`` folders after a
        full grading; pass the result to :meth:`submit_files` of another course.

        Example:
            >>> import tempfile
            >>> crs = Course(Path(tempfile.mkdtemp()))
            >>> _ = crs.submit("ann", "a1", "{}")
            >>> models = crs.notebook_path("autograded", "a1", "ann").parent / "models"
            >>> models.mkdir(parents=True); _ = (models / "m.keras").write_bytes(b"zip")
            >>> sorted(crs.saved_files("a1", "ann"))
            ['a1.ipynb', 'models/m.keras']
        """
        graded = self.notebook_path("autograded", assignment, student).parent
        saved = batch.read_tree(graded, skip=lambda p: p.suffix == ".ipynb" or p.name == "timestamp.txt")
        return {**saved, **self._handed_in(assignment, student)}

    def students(self, assignment: str) -> list[str]:
        base = self.root / "submitted"
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.exists() else []

    def autograde(self, assignment: str, students: Iterable[str] | None = None, progress: bool = True,
                  workers: int | None = 1, mode: str = "full", scheduler: str | None = None,
                  force: bool = False, budget_s: float | None = None) -> dict[str, str | None]:
        """Grade each student's submission; returns ``student -> None`` when graded, else why not.

        Each submission is one task (:func:`tfcert.batch.grade_submission`), graded
        in a scratch course of its own, ``workers`` at a time in this process or
        on the Dask cluster at ``scheduler`` (``workers=None``: :func:`default_workers`
        for the mode); this process alone records the
        results in the gradebook, one submission at a time, as they come.
        ``mode`` is ``full`` (re-execute the notebook, then judge its saved
        files outside the kernel) or ``files`` (judge the files handed in, exam
        style). A submission already graded from the same files in the same
        mode is left as it is unless ``force``: a batch that was killed resumes
        where it stopped. One that cannot be graded is reported and the batch goes on.
        A notebook may run ``budget_s`` seconds (default: the manifest's
        ``reference_seconds`` times TFCERT_BUDGET_FACTOR); past it, it is
        stopped and graded on what ran.
        """
        from tqdm.auto import tqdm

        if mode not in MODES:
            raise CourseError(f"unknown grading mode {mode!r}: choose one of {', '.join(MODES)}")
        chosen = list(students) if students is not None else self.students(assignment)
        missing = [s for s in chosen if not self.notebook_path("submitted", assignment, s).parent.is_dir()]
        if missing:
            raise CourseError(f"no submission folder submitted/<student>/{assignment}/ for {', '.join(missing)}")
        self._ensure_in_gradebook(assignment)
        handed_in = {student: self._handed_in(assignment, student) for student in chosen}
        digests = {student: batch.submission_digest(files) for student, files in handed_in.items()}
        self.skipped = [] if force else [s for s in chosen if self.graded_already(assignment, s, mode, digests[s])]
        outcome: dict[str, str | None] = {s: None for s in self.skipped}
        for student, files in handed_in.items():
            size = sum(len(data) for data in files.values()) / 1024**2
            if size > batch.MAX_SUBMISSION_MB:
                outcome[student] = (f"the submission folder holds {size:.0f} MB, over the {batch.MAX_SUBMISSION_MB:g} MB "
                                    "limit (TFCERT_MAX_SUBMISSION_MB): ask the learner to hand in only what the "
                                    "assignment asks for")
        todo = [s for s in chosen if s not in outcome]
        if todo:
            datasets.warn_if_reproducible()  # once per process; an unusable secret file stops the batch here
            spec = manifest.load(assignment, self.root)
            manifest.prepare(spec)
            budget_s = budget_s or spec.budget_seconds()
            bundle = self.instructor_bundle(assignment, mode)
            tasks = [batch.SubmissionTask(assignment, s, mode, bundle, handed_in[s], hide=(str(self.root),),
                                          private=tuple(batch.database_paths(self.db_url)),
                                          timeout_s=budget_s, heldout_secret=datasets.heldout_secret()) for s in todo]
            executor = (batch.DaskExecutor(scheduler) if scheduler
                        else batch.LocalExecutor(workers or default_workers(mode=mode)))
            bar = tqdm(total=len(tasks), desc=f"grade {assignment} ({mode})", unit="submission",
                       disable=not progress)
            failures = 0
            with executor:
                for task, result in executor.run(tasks, batch.grade_submission):
                    if isinstance(result, BaseException):
                        result = batch.SubmissionResult(task.student, mode, error=f"{type(result).__name__}: {result}")
                    outcome[task.student] = self._record(assignment, result, digests[task.student])
                    failures += outcome[task.student] is not None
                    bar.set_postfix_str(f"{failures} could not be graded" if failures else "", refresh=False)
                    bar.update()
            bar.close()
        return {student: outcome[student] for student in chosen}

    def instructor_bundle(self, assignment: str, mode: str) -> dict[str, bytes]:
        """What every task of a batch needs from the instructor (see :func:`tfcert.batch.instructor_bundle`).

        Full grading generates the assignment afresh into a gradebook of its own
        (seconds). Files mode only shows the released notebook, so it takes this
        course's release when it is there with the source's graded cells.
        """
        release = self.notebook_path("release", assignment)
        if mode == "files" and release.exists() and (
                notebooks.graded_cells(notebooks.read(release)).keys()
                == notebooks.graded_cells(notebooks.read(self.notebook_path("source", assignment))).keys()):
            return batch.instructor_bundle(self.root, assignment, self.root, gradebook=False)
        with tempfile.TemporaryDirectory(prefix="tfcert-template-") as scratch:
            template = batch.make_template(self.root, assignment, Path(scratch) / "course")
            return batch.instructor_bundle(self.root, assignment, template, gradebook=mode == "full")

    def _handed_in(self, assignment: str, student: str) -> dict[str, bytes]:
        """The files of ``submitted/<student>/<assignment>/``, by relative path."""
        return batch.read_tree(self.notebook_path("submitted", assignment, student).parent)

    def _ensure_in_gradebook(self, assignment: str) -> None:
        """Make sure the gradebook knows the assignment (generating it, as releasing does, if not)."""
        from nbgrader.api import MissingEntry

        with open_gradebook(self.root, self.db_url) as gb:
            try:
                if gb.find_assignment(assignment).notebooks:
                    return
            except MissingEntry:
                pass
        self.release(assignment)

    def graded_already(self, assignment: str, student: str, mode: str, digest: str) -> bool:
        """True when the gradebook holds every automatic grade of this submission, graded from these files in ``mode``."""
        from nbgrader.api import MissingEntry

        graded = self.notebook_path("autograded", assignment, student)
        try:
            stamp = json.loads(graded.read_text(encoding="utf-8")).get("metadata", {}).get("tfcert", {})
        except (OSError, ValueError, AttributeError):
            return False
        if stamp != {"mode": mode, "submission": digest}:
            return False
        with open_gradebook(self.root, self.db_url) as gb:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                return False
            grades = [g for nb in submission.notebooks for g in nb.grades]
            return bool(grades) and all(g.auto_score is not None or g.needs_manual_grade for g in grades)

    def _record(self, assignment: str, result: batch.SubmissionResult, digest: str) -> str | None:
        """Write one task's result: the graded folder first, then its grades in one gradebook session.

        A batch killed between the two leaves the graded folder without its
        grades (or the grades of an earlier attempt, stamped with other files),
        so :meth:`graded_already` says no and the next run grades it again;
        nothing is counted twice: a submission has one row per graded cell.
        """
        self.timings[result.student] = (result.seconds, result.worker)
        self.problems[result.student] = list(result.problems)
        if result.error:
            return result.error
        folder = self.notebook_path("autograded", assignment, result.student).parent
        if folder.exists():
            shutil.rmtree(folder)
        files = dict(result.files)
        for name in [n for n in files if n.endswith(".ipynb") and "/" not in n]:
            nb = json.loads(files[name])
            nb.setdefault("metadata", {})["tfcert"] = {"mode": result.mode, "submission": digest}
            files[name] = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()
        batch.write_tree(folder, files)
        timestamp = self._timestamp(assignment, result.student)
        with open_gradebook(self.root, self.db_url) as gb, warnings.catch_warnings():
            # nbgrader's add_submission trips SQLAlchemy's autoflush notes; they say nothing to an instructor
            warnings.filterwarnings("ignore", message=r"Object of type <Submitted")
            gb.update_or_create_student(result.student)
            # Every automatic grade below is overwritten, so an earlier attempt's rows are reused, never doubled.
            submission = gb.update_or_create_submission(assignment, result.student,
                                                        **({"timestamp": timestamp} if timestamp else {}))
            for nb in submission.notebooks:
                for grade in nb.grades:
                    score, manual = result.grades.get(grade.name, (0.0, False))
                    grade.auto_score, grade.needs_manual_grade = score, manual
                for comment in nb.comments:
                    comment.auto_comment = result.comments.get(comment.name)
            gb.db.commit()
        if result.revoked:
            self.revoked[result.student] = result.revoked
        return None

    def _timestamp(self, assignment: str, student: str) -> Any:
        """When the student handed in (nbgrader's ``timestamp.txt``), or None."""
        from nbgrader.utils import parse_utc

        stamp = self.notebook_path("submitted", assignment, student).parent / "timestamp.txt"
        try:
            return parse_utc(stamp.read_text().strip()) if stamp.exists() else None
        except (ValueError, OverflowError):
            return None

    def feedback(self, assignment: str) -> list[Path]:
        """Generate the learners' feedback HTML; returns the files written."""
        self.nbgrader("generate_feedback", assignment, "--force")
        return sorted((self.root / "feedback").glob(f"*/{assignment}/*.html"))

    def scores(self, assignment: str) -> list[CellScore]:
        """Per-cell scores from the gradebook, for every graded submission."""
        from nbgrader.api import MissingEntry

        found = []
        with open_gradebook(self.root, self.db_url) as gb:
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
