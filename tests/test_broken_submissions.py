"""Submissions that break the kernel or the notebook are graded, not dropped (issue 13, item 9).

One batch through the real ``nbgrader autograde`` and the real sandbox, each
case a student of D1, built on the released notebook with only the cheapest
solution cells filled in (no training), so every kernel runs for seconds:

* ``exits``: a solution cell mid-notebook calls ``os._exit(3)``;
* ``memory``: a solution cell takes nearly all of the sandbox's address space,
  then the process is killed (SIGKILL, standing in for the native library that
  aborts, or the system's OOM killer, when an allocation fails: under
  ``RLIMIT_AS`` Python itself raises MemoryError and lives on, and no honest
  memory death is quick and certain);
* ``deleted``: a graded test cell and a locked Markdown cell were deleted;
* ``duplicated``: a graded test cell was pasted twice;
* ``healthy``: the same cheap solutions, nothing broken.

The cells before a kernel death keep their points, the rest fail with the
reason; deleted cells are restored and graded; a duplicate is graded once; the
instructor gets one line per problem submission and the learner a note at the
top of the feedback.
"""

from __future__ import annotations

import copy
import html
import re
import sqlite3
from pathlib import Path

import pytest
from shared_runs import CHEAP
from shared_runs import cheap_submission as _submission

from tfcert import course, notebooks, sandbox, submission

REPO = Path(__file__).resolve().parent.parent
A = "d1_developer_skills"
MEMORY_GB = 6
EARLY = "d1_fix_dtype"  # before the cell that stops the kernel
KILLER_CELL = "port-vectorizer"  # a solution cell between them
LATE = ("d1_port_optimizer", "d1_api_lookup")  # after it
EXIT = "import os\nos._exit(3)\n"
MEMORY_HOG = """import os, signal, time
import numpy as np
hold, size = [], 1 << 30
while size >= 1 << 20:  # reserve the address space, 1 GB at a time, then smaller pieces
    try:
        hold.append(np.empty(size, dtype=np.uint8))
    except MemoryError:
        size //= 2
time.sleep(2.5)  # the grader samples the kernel's memory once a second
os.kill(os.getpid(), signal.SIGKILL)  # what a native library's abort or the OOM killer does next
"""

pytestmark = pytest.mark.slow


def _cells(nb, cell_id):
    return [c for c in nb["cells"] if c.get("id") == cell_id]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert sandbox.available(), f"grading runs learner code in bubblewrap: {sandbox.unavailable_reason()}"
    crs = course.Course.scratch_copy(REPO, tmp_path_factory.mktemp("broken") / "course")
    crs.release(A)
    release = notebooks.read(crs.notebook_path("release", A))
    source = notebooks.read(crs.notebook_path("source", A))
    deleted = _submission(release, source)
    deleted["cells"] = [c for c in deleted["cells"] if c["id"] not in ("d1-fix-dtype", "task2-hint")]
    duplicated = _submission(release, source)
    test_cell = _cells(duplicated, "d1-fix-dtype")[0]
    at = duplicated["cells"].index(test_cell)
    duplicated["cells"].insert(at + 1, {**copy.deepcopy(test_cell), "id": "pasted-copy"})  # as JupyterLab pastes
    submissions = {
        "healthy": _submission(release, source),
        "exits": _submission(release, source, {KILLER_CELL: EXIT}),
        "memory": _submission(release, source, {KILLER_CELL: MEMORY_HOG}),
        "deleted": deleted,
        "duplicated": duplicated,
    }
    for student, nb in submissions.items():
        crs.submit(student, A, nb)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TFCERT_SANDBOX_MEMORY_GB", str(MEMORY_GB))  # read by each nbgrader process and kernel launcher
        outcome = crs.autograde(A, list(submissions), progress=False, workers=2)
    feedback = {p.parts[-3]: _text(p.read_text()) for p in crs.feedback(A)}
    scores: dict[str, dict[str, float]] = {s: {} for s in submissions}
    for cell in crs.scores(A):
        scores[cell.student][cell.grade_id] = cell.score
    return {"course": crs, "outcome": outcome, "scores": scores, "failures": crs.failures(A), "feedback": feedback,
            "max": notebooks.graded_cells(source), "submitted": {s: crs.notebook_path("submitted", A, s) for s in submissions}}


def _text(page: str) -> str:
    """What a feedback page says: no styles, scripts or tags."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _earned(graded, student):
    return {g: s for g, s in graded["scores"][student].items() if s}


def test_every_submission_is_graded_and_the_gradebook_is_sound(graded):
    assert graded["outcome"] == {s: None for s in graded["outcome"]}, "no submission fails as a whole"
    assert set(graded["scores"]["healthy"]) == set(graded["max"]), "every graded cell has a grade"
    for student, grades in graded["scores"].items():
        assert set(grades) == set(graded["max"]), f"{student}: one grade per graded cell, no more, no fewer"
    with sqlite3.connect(graded["course"].root / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_healthy_submission_gets_its_normal_score(graded):
    assert _earned(graded, "healthy") == {g: graded["max"][g] for g in CHEAP.values()}
    assert graded["course"].problems["healthy"] == []
    assert "Note from the grader" not in graded["feedback"]["healthy"]


@pytest.mark.parametrize("student, why", [
    ("exits", "it exited with status 3"),
    ("memory", f"it was killed by signal 9 (SIGKILL) after reaching the sandbox's memory limit of {MEMORY_GB:g} GB "
               "(TFCERT_SANDBOX_MEMORY_GB)"),
])
def test_kernel_death_keeps_earlier_points_and_says_why_for_the_rest(graded, student, why):
    assert _earned(graded, student) == {EARLY: graded["max"][EARLY]}, "points before the death are kept, none after"
    failures = dict(graded["failures"][student])
    for grade_id in LATE:
        assert failures[grade_id].startswith("KernelDied: not run: your kernel stopped while running the cell In ["), failures[grade_id]
        assert f"({why})" in failures[grade_id]
    problems = graded["course"].problems[student]
    assert len(problems) == 1 and problems[0].startswith("The kernel stopped while running In [")
    assert f": {why};" in problems[0] and "graded cells after it were not run" in problems[0]
    line = submission.report_line(student, problems)
    assert "\n" not in line and "Traceback" not in line
    page = graded["feedback"][student]
    assert "Note from the grader" in page and why in page and "Traceback" not in page


def test_deleted_cells_are_restored_and_graded(graded):
    assert _earned(graded, "deleted") == {g: graded["max"][g] for g in CHEAP.values()}, "restored, and it passes"
    assert graded["course"].problems["deleted"] == [
        "The graded test cell d1_fix_dtype (2 points) was missing from your notebook (deleted?): "
        "it was put back from the assignment and graded.",
        "The locked cell task2-hint was missing from your notebook (deleted?): put back from the assignment.",
    ]
    page = graded["feedback"]["deleted"]
    assert "The graded test cell d1_fix_dtype (2 points) was missing" in page
    assert notebooks.leaked_markers(page) == [], "the restored cell's hidden tests stay hidden"


def test_duplicated_cell_is_reported_and_graded_once(graded):
    assert _earned(graded, "duplicated") == {g: graded["max"][g] for g in CHEAP.values()}
    assert graded["course"].problems["duplicated"] == [
        "The graded test cell d1_fix_dtype (2 points) appears twice in your notebook (a copy-paste?): "
        "it was graded once and the extra copies were removed."]
    graded_nb = notebooks.read(graded["course"].notebook_path("autograded", A, "duplicated"))
    assert [c["id"] for c in graded_nb["cells"] if notebooks.nbgrader_meta(c).get("grade_id") == EARLY] == ["d1-fix-dtype"]
    assert "appears twice" in graded["feedback"]["duplicated"]
    assert not any("nbgrader update" in (text or "") for text in graded["outcome"].values())


def test_the_handed_in_notebook_is_left_as_it_was(graded, tmp_path):
    """Repairs happen in the grading task's own copy; submitted/ keeps what the learner handed in."""
    import shutil

    release = notebooks.read(graded["course"].notebook_path("release", A))
    for student in ("deleted", "duplicated"):
        original = graded["submitted"][student]
        assert submission.NOTE_TITLE not in original.read_text(), "the class's copy is not rewritten"
        copy = tmp_path / original.name
        shutil.copy(original, copy)
        assert submission.repair_submission(copy, release) == graded["course"].problems[student]


def test_a_kernel_that_stops_answering_is_stopped_and_the_rest_reported(tmp_path, monkeypatch):
    """A cell that ignores the interrupt: one timeout and one short wait, not a timeout for every cell left."""
    import time

    import nbformat
    from traitlets.config import Config

    from tfcert.nbgrader_ext import ResilientExecute

    monkeypatch.setenv("JUPYTER_PATH", "")  # sandbox.configure adds the kernel spec's folder
    c = Config()
    assert sandbox.configure(c)
    c.Execute.timeout = 3
    c.ResilientExecute.unresponsive_timeout = 3
    stuck = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)"
    test = nbformat.v4.new_code_cell("assert True")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell(stuck),
                                         nbformat.v4.new_code_cell("print(2)"), test])
    execute = ResilientExecute(config=c)
    started = time.monotonic()
    nb, _ = execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert time.monotonic() - started < 60
    note, first, hung, later, graded = nb.cells
    assert note.cell_type == "markdown" and "stopped answering" in note.source
    assert first.outputs[0].text == "1\n"
    assert [o.ename for o in hung.outputs] == ["CellTimeoutError", "KernelDied"]
    assert hung.outputs[-1].evalue.startswith("your kernel stopped while running this cell (In [2]): it stopped answering")
    for cell in (later, graded):
        assert [o.ename for o in cell.outputs] == ["KernelDied"]
        assert cell.outputs[0].evalue.startswith("not run: your kernel stopped while running the cell In [2] above")


def test_a_notebook_past_its_budget_is_stopped_and_graded_on_what_ran(tmp_path, monkeypatch):
    """Many cells that each stay under the cell timeout cannot hold a worker past the notebook's budget."""
    import time

    import nbformat
    from traitlets.config import Config

    from tfcert.nbgrader_ext import BUDGET_ENV, ResilientExecute

    monkeypatch.setenv("JUPYTER_PATH", "")
    monkeypatch.setenv(BUDGET_ENV, "6")  # how the batch grader passes it to nbgrader
    c = Config()
    assert sandbox.configure(c)
    c.Execute.timeout = 300  # each cell alone is well inside its own limit
    early = nbformat.v4.new_code_cell("assert 1 + 1 == 2")
    early.metadata["nbgrader"] = {"grade": True, "grade_id": "early", "points": 1}
    late = nbformat.v4.new_code_cell("assert True")
    late.metadata["nbgrader"] = {"grade": True, "grade_id": "late", "points": 1}
    slow = [nbformat.v4.new_code_cell("import time\ntime.sleep(4)") for _ in range(3)]
    nb = nbformat.v4.new_notebook(cells=[early, *slow, late])
    execute = ResilientExecute(config=c)
    assert execute.budget == 6
    started = time.monotonic()
    nb, _ = execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert time.monotonic() - started < 40, "stopped at the budget, not after every cell's own timeout"
    note, first, sleep1, sleep2, sleep3, graded = nb.cells
    assert "grading time of 6 s" in note.source
    assert first.outputs == [] and sleep1.outputs == [], "what ran inside the budget keeps its (absent) errors"
    assert sleep2.outputs[-1].ename == "KernelDied" and "used up its grading time of 6 s" in sleep2.outputs[-1].evalue
    for cell in (sleep3, graded):
        assert [o.ename for o in cell.outputs] == ["KernelDied"]
        assert "grading time of 6 s" in cell.outputs[0].evalue
