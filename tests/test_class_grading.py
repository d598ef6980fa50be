"""Grading a class: side by side, exam style from files, on a Dask cluster, into PostgreSQL, after a kill.

Nothing here trains a model. What D1's reference saved when the end-to-end
tests graded it (its core batch, graded once per session:
tests/shared_runs.py) serves as the files learners hand in, so these tests
grade in files mode: locally and on a real ``distributed.LocalCluster`` (same
scores), into a real PostgreSQL server that the ``pgserver`` wheel ships, and
in a batch killed with SIGKILL and started again. Two notebooks that run in
seconds are graded side by side by full re-execution, their kernels started at
the same moment (kernels once shared one socket folder and answered each
other's clients; each nbgrader process now has its own,
tfcert.sandbox.kernel_socket_dir).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shared_runs import CHEAP, cheap_submission, core_batch

from tfcert import course, notebooks, sandbox, verify

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "d1_developer_skills"
WORKERS = 2  # two kernels started at the same moment: enough to collide if they shared a socket folder
TWINS = [f"twin{i}" for i in range(WORKERS)]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    assert sandbox.available(), f"this test grades in the sandbox: {sandbox.unavailable_reason()}"
    crs = course.Course.scratch_copy(REPO, tmp_path_factory.mktemp("twins") / "course")
    crs.release(ASSIGNMENT)
    release = notebooks.read(crs.notebook_path("release", ASSIGNMENT))
    source = notebooks.read(crs.notebook_path("source", ASSIGNMENT))
    for student in TWINS:
        crs.submit(student, ASSIGNMENT, cheap_submission(release, source))
    outcome = crs.autograde(ASSIGNMENT, TWINS, progress=False, workers=WORKERS)
    return crs, outcome


@pytest.fixture(scope="module")
def source():
    return notebooks.read(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


@pytest.fixture(scope="module")
def handins(tmp_path_factory):
    """What a learner could hand in: the reference's saved files, none at all, and models swapped by mistake."""
    graded, _ = core_batch(tmp_path_factory, ASSIGNMENT)
    reference = graded.saved_files(ASSIGNMENT, "reference")
    notebook = graded.notebook_path("release", ASSIGNMENT)
    # the digits model handed in where the small one belongs: its shapes and budget checks fail
    swapped = {**reference, "models/digits_small.keras": reference["models/ported.keras"]}
    return {"reference": reference, "swapped": swapped, "blank": {notebook.name: notebook.read_bytes()}}


def class_of(tmp_path: Path, handins: dict[str, dict[str, bytes]], students: dict[str, str],
             db_url: str | None = None):
    """A scratch course where each student (name -> hand-in kind) handed in a copy of those files."""
    crs = course.Course.scratch_copy(REPO, tmp_path / "course")
    crs.db_url = db_url or crs.db_url
    crs.release(ASSIGNMENT)
    for student, kind in students.items():
        crs.submit_files(student, ASSIGNMENT, handins[kind])
    return crs


def scores_by_student(crs: course.Course) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for cell in crs.scores(ASSIGNMENT):
        found.setdefault(cell.student, {})[cell.grade_id] = cell.score
    return found


def test_identical_submissions_graded_side_by_side_each_get_their_own_score(twins, source):
    crs, outcome = twins
    assert {s: e for s, e in outcome.items() if e} == {}, "every submission is graded"
    points = notebooks.graded_cells(source)
    earned = {g: (p if g in CHEAP.values() else 0.0) for g, p in points.items() if p}
    assert scores_by_student(crs) == {student: earned for student in TWINS}, \
        "each copy earns exactly its answered cells' points: no kernel ran another's cells"
    verified = {grade_id for grade_id, _ in verify.verified_cells(source).values()}
    assert crs.revoked[TWINS[0]] == crs.revoked[TWINS[1]] and set(crs.revoked[TWINS[0]]) <= verified, \
        "the checks outside the kernel judged each copy's own (missing) files, with the same sentences"
    left = [f for f in sandbox.sockets_root().iterdir() if not _alive(int(f.name.split("-", 1)[0]))]
    assert left == [], "each nbgrader process removes its socket folder when it exits"
    assert not [p for p in sandbox.batch_root().iterdir() if p.name.startswith("twin")], \
        "every task removes its scratch course"


STUDENTS = {"ann": "reference", "bob": "swapped", "cat": "blank"}


@pytest.fixture(scope="module")
def graded_here(handins, tmp_path_factory):
    """The three hand-ins graded in files mode on this machine, two side by side."""
    crs = class_of(tmp_path_factory.mktemp("here"), handins, STUDENTS)
    outcome = crs.autograde(ASSIGNMENT, progress=False, workers=2, mode="files")
    return crs, outcome


def test_files_mode_judges_only_the_saved_files(graded_here, source):
    crs, outcome = graded_here
    assert outcome == {"ann": None, "bob": None, "cat": None}
    points = notebooks.graded_cells(source)
    from_files = {grade_id for grade_id, _ in verify.verified_cells(source).values()}
    got = scores_by_student(crs)
    assert got["ann"] == {g: (p if g in from_files else 0.0) for g, p in points.items()}, \
        "the reference's files earn every point files can earn, and the kernel's checks score 0"
    assert got["cat"] == {g: 0.0 for g in points}
    lost = {g for g in from_files if got["bob"][g] < points[g]}
    assert {"d1_size_shapes", "d1_size_accuracy"} <= lost, "the swapped model fails the small model's checks"
    sentences = dict(crs.failures(ASSIGNMENT)["ann"])
    assert "graded from your saved files only" in sentences["d1_fix_shape"]
    assert "d1_size_shapes" not in sentences


def test_a_dask_cluster_grades_like_this_machine(tmp_path, handins, graded_here):
    from distributed import Client, LocalCluster

    there = class_of(tmp_path / "cluster", handins, STUDENTS)
    there.submit("dan", ASSIGNMENT, notebooks.read(there.notebook_path("release", ASSIGNMENT)))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as client:  # grading must not lean on a default client
        worker_pids = set(client.run(os.getpid).values())
        outcome = there.autograde(ASSIGNMENT, list(STUDENTS), progress=False, mode="files",
                                  scheduler=cluster.scheduler_address)
        full = there.autograde(ASSIGNMENT, ["dan"], progress=False, mode="full", scheduler=cluster.scheduler_address)
    assert set(outcome.values()) == {None} and full == {"dan": None}
    graded = scores_by_student(there)
    assert {s: graded[s] for s in STUDENTS} == scores_by_student(graded_here[0]), "the same scores as grading here"
    assert set(graded["dan"].values()) == {0.0}, "a blank notebook, re-executed on the cluster, scores nothing"
    pids = {int(worker.rsplit(":", 1)[1]) for _, worker in there.timings.values()}
    assert pids <= worker_pids and os.getpid() not in pids, "the cluster's worker processes did the grading"
    db = sqlite3.connect(there.root / "gradebook.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_batch_killed_mid_way_resumes_without_losing_or_doubling_a_grade(tmp_path, handins, source):
    kinds = ["reference", "blank", "reference"]  # killed after two: the third is left for the resumed batch
    students = {f"s{i}": kind for i, kind in enumerate(kinds)}
    crs = class_of(tmp_path, handins, students)
    command = [sys.executable, "-m", "tfcert.cli", "grade", ASSIGNMENT, "--course", str(crs.root),
               "--mode", "files", "--workers", "1"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    deadline = time.monotonic() + 240
    while len(_complete(crs)) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    before = _complete(crs)
    assert 2 <= len(before) < len(students), f"killed mid-way: {len(before)} of {len(students)} were graded"
    stamps = {s: crs.notebook_path("autograded", ASSIGNMENT, s).stat().st_mtime_ns for s in before}

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert f"left {len(before)} already graded" in again.stdout
    assert _complete(crs) == set(students), "every submission is graded in the end"
    assert {s: crs.notebook_path("autograded", ASSIGNMENT, s).stat().st_mtime_ns for s in before} == stamps, \
        "what was graded before the kill was not graded again"
    db = sqlite3.connect(crs.root / "gradebook.db")
    rows = db.execute("SELECT student.id, count(grade.id) FROM grade JOIN submitted_notebook ON grade.notebook_id = "
                      "submitted_notebook.id JOIN submitted_assignment ON submitted_notebook.assignment_id = "
                      "submitted_assignment.id JOIN student ON submitted_assignment.student_id = student.id "
                      "GROUP BY student.id").fetchall()
    assert dict(rows) == {s: len(notebooks.graded_cells(source)) for s in students}, "one grade per cell, never two"
    got = scores_by_student(crs)
    for kind in set(kinds):
        same = [got[s] for s, k in students.items() if k == kind]
        assert all(scores == same[0] for scores in same), f"every {kind} hand-in scores the same"


def test_a_postgresql_gradebook(tmp_path, handins, graded_here):
    import pgserver

    server = pgserver.get_server(tmp_path / "pgdata", cleanup_mode="stop")
    try:
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://")
        crs = class_of(tmp_path, handins, STUDENTS, db_url=url)
        from tfcert import cli

        assert cli.main(["grade", ASSIGNMENT, "--course", str(crs.root), "--mode", "files", "--db", url,
                         "--workers", "2"]) == 0
        assert not (crs.root / "gradebook.db").exists(), "nothing went to a SQLite file"
        assert scores_by_student(crs) == scores_by_student(graded_here[0]), "PostgreSQL holds the same grades as SQLite"
        exported = crs.export_csv()
        assert all(student in exported for student in STUDENTS)
        assert (crs.root / "reports" / f"{ASSIGNMENT}.html").exists(), "the class report reads PostgreSQL too"
    finally:
        server.cleanup()


def test_files_mode_shows_the_current_release_without_generating_it_again(tmp_path, monkeypatch):
    """Files mode reuses the class's release when it matches the source; a stale or missing one is generated."""
    from tfcert import batch

    crs = course.Course.scratch_copy(REPO, tmp_path / "course")
    generated: list[str] = []
    make_template = batch.make_template
    monkeypatch.setattr(batch, "make_template", lambda *a, **k: generated.append(a[1]) or make_template(*a, **k))
    crs.release(ASSIGNMENT)
    release = crs.notebook_path("release", ASSIGNMENT)
    bundle = crs.instructor_bundle(ASSIGNMENT, "files")
    assert generated == [] and "gradebook.db" not in bundle
    assert bundle[f"release/{ASSIGNMENT}/{release.name}"] == release.read_bytes()
    stale = notebooks.read(release)
    stale["cells"] = [c for c in stale["cells"] if notebooks.nbgrader_meta(c).get("grade_id") != "d1_fix_shape"]
    release.write_text(notebooks.normalised_text(stale))
    bundle = crs.instructor_bundle(ASSIGNMENT, "files")
    assert generated == [ASSIGNMENT], "a release missing a graded cell is not shown: it is generated from the source"
    assert b"d1_fix_shape" in bundle[f"release/{ASSIGNMENT}/{release.name}"] and "gradebook.db" not in bundle
    assert crs.instructor_bundle(ASSIGNMENT, "full")["gradebook.db"], "full grading always brings a fresh gradebook"


def _complete(crs: course.Course) -> set[str]:
    """Students whose every grade is in the gradebook (the SQLite file, read while a batch may be writing)."""
    path = crs.root / "gradebook.db"
    if not path.exists():
        return set()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT student.id, count(grade.id), count(grade.auto_score) FROM grade JOIN "
                          "submitted_notebook ON grade.notebook_id = submitted_notebook.id JOIN submitted_assignment "
                          "ON submitted_notebook.assignment_id = submitted_assignment.id JOIN student ON "
                          "submitted_assignment.student_id = student.id GROUP BY student.id").fetchall()
    except sqlite3.OperationalError:  # the tables are not there yet
        return set()
    finally:
        db.close()
    return {student for student, grades, scored in rows if grades and grades == scored}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
