"""Grading side by side loses no honest submission.

Kernels started at the same moment by side-by-side nbgrader processes once
shared one folder of Unix sockets, picked the same socket names and answered
each other's clients: one of four identical reference submissions was graded,
the others failed with "Invalid Signature" and "Kernel didn't respond".
Each nbgrader process now has its own socket folder (tfcert.sandbox.kernel_socket_dir).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfcert import course, notebooks, sandbox

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "d1_developer_skills"
WORKERS = 4
STUDENTS = [f"twin{i}" for i in range(WORKERS)]

pytestmark = pytest.mark.slow


def test_identical_reference_submissions_graded_side_by_side_all_get_full_marks(tmp_path):
    assert sandbox.available(), f"this test grades in the sandbox: {sandbox.unavailable_reason()}"
    crs = course.Course.scratch_copy(REPO, tmp_path / "course")
    crs.release(ASSIGNMENT)
    for student in STUDENTS:
        crs.submit_sample(student, ASSIGNMENT, "reference")

    outcome = crs.autograde(ASSIGNMENT, STUDENTS, progress=False, workers=WORKERS)

    assert {s: e for s, e in outcome.items() if e} == {}, "every submission is graded"
    source = notebooks.read(crs.notebook_path("source", ASSIGNMENT))
    full = {grade_id: points for grade_id, points in notebooks.graded_cells(source).items() if points}
    scored: dict[str, dict[str, float]] = {student: {} for student in STUDENTS}
    for cell in crs.scores(ASSIGNMENT):
        scored[cell.student][cell.grade_id] = cell.score
    assert scored == {student: full for student in STUDENTS}, "full marks for every copy of the reference"
    assert not any(crs.revoked.values()), f"no points revoked on re-checking outside the kernel: {crs.revoked}"
    left = [f for f in sandbox.sockets_root().iterdir() if not _alive(int(f.name.split("-", 1)[0]))]
    assert left == [], "each nbgrader process removes its socket folder when it exits"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
