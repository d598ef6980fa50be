"""End to end through the real nbgrader: release, submit, autograde, feedback, export.

Two classes per assignment (made at the end of this file). The core one runs
in every ``make test``: the reference, the blank notebook, the security
samples (``core: true``) and a broken file, graded in one batch in a scratch
course (once per session: tests/shared_runs.py; the class-grading tests reuse
what it saved). The matrix one grades every other sample (each mistake, the
alternative) and runs in ``make test-all`` or when the assignment changed
since its last green full run (tests/matrix.py). The sample files say what
each should lose and which message it must see. Each mistake is handed in
focused: only the tasks it is about (and those they need) are answered, the
others stay blank and must score 0, so a batch re-executes each task's
training once per sample that is about it, not once per sample.
Then what the re-executed samples saved is handed in to a second course and
graded exam style, from the files alone: the two modes must agree on every
check that judges files.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import sqlite3
from pathlib import Path

import pytest
from shared_runs import BROKEN, core_batch, prepare_data

from tfcert import course, notebooks, paths, sandbox, summary, verify
from tfcert.samples import focus_sections, graded_in, load_samples

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = paths.assignments(REPO)

pytestmark = pytest.mark.slow
#: Grading workers per batch: two side by side, as `tfcert grade --workers 2`; one when `make test` already runs
#: test processes side by side (pytest-xdist), each grading an assignment of its own.
WORKERS = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2


def _graded(assignment: str, crs: course.Course, outcome: dict, samples: dict) -> dict:
    """What the tests read of a graded batch."""
    source = notebooks.read(crs.notebook_path("source", assignment))
    answered = {name: graded_in(source, focus_sections(source, sample)) for name, sample in samples.items()}
    feedback = {p.parts[-3]: p.read_text() for p in crs.feedback(assignment)}
    return {"assignment": assignment, "course": crs, "samples": samples, "outcome": outcome, "answered": answered,
            "scores": crs.scores(assignment), "feedback": feedback, "max": notebooks.graded_cells(source)}


class SamplesGraded:
    """The checks that hold for every graded sample, whichever tier graded it."""

    assignment: str

    def test_every_sample_scores_exactly_what_it_should(self, graded):
        mismatches = []
        for name, sample in graded["samples"].items():
            assert graded["outcome"][name] is None, f"{name} was not graded: {graded['outcome'][name]}"
            got = {s.grade_id: s.score for s in graded["scores"] if s.student == name}
            want = sample.expected_scores(graded["max"], graded["answered"][name])
            mismatches += [f"{name}: {g} scored {got.get(g)}, expected {w}" for g, w in want.items() if got.get(g) != w]
        assert not mismatches, "\n".join(mismatches)


    def test_feedback_carries_the_actionable_message(self, graded):
        for name, sample in graded["samples"].items():
            text = html.unescape(re.sub(r"<[^>]+>", "", graded["feedback"][name]))
            for message in sample.messages:
                assert message in text, f"feedback for {name} lacks {message!r}"


    def test_feedback_never_shows_hidden_tests_or_solutions(self, graded):
        source = notebooks.read(graded["course"].notebook_path("source", graded["assignment"]))
        hidden_block = notebooks.marker_block(notebooks.BEGIN_HIDDEN_TESTS, notebooks.END_HIDDEN_TESTS)
        hidden_lines = {line.strip() for cell in source["cells"] for block in
                        hidden_block.findall(cell["source"])
                        for line in block.splitlines() if len(line.strip()) > 25}
        release = notebooks.read(graded["course"].notebook_path("release", graded["assignment"]))
        released = "\n".join(cell["source"] for cell in release["cells"])
        hidden_lines = {line for line in hidden_lines if line not in released}  # only what learners never see
        assert hidden_lines, "the assignment has hidden tests to look for"
        for name, page in graded["feedback"].items():
            text = html.unescape(re.sub(r"<[^>]+>", "", page))
            assert notebooks.leaked_markers(text) == [], name
            leaked = [line for line in hidden_lines if line in text]
            assert not leaked, f"feedback for {name} shows hidden test lines: {leaked[:3]}"


    def test_feedback_opens_with_a_summary_of_every_task_and_cell(self, graded):
        """Each page's head names every task and graded cell with the points the gradebook holds and, where points
        were lost, the sentence to fix it; nbgrader's list of anonymous "Test cell" links is gone."""
        tasks = summary.cell_tasks(notebooks.read(graded["course"].notebook_path("source", graded["assignment"])))
        for name, sample in graded["samples"].items():
            page = graded["feedback"][name]
            head = page[:page.index('id="notebook"')]
            assert "Test cell" not in head, name
            table = head[head.index('class="tfcert-summary"'):]
            rows = {m.group(1): (html.unescape(re.sub(r"<[^>]+>", "", m.group(2))), m.group(3)) for m in re.finditer(
                r'<tr class="(?:full|lost)"><td><a href="#[^"]+"><code>([^<]+)</code></a></td>'
                r'<td class="why">(.*?)</td><td class="pts">([^<]+)</td></tr>', table)}
            assert list(rows) == list(graded["max"]), name
            scores = {s.grade_id: s.score for s in graded["scores"] if s.student == name}
            for grade_id, (said, points) in rows.items():
                assert points == f"{scores[grade_id]:g} / {graded['max'][grade_id]:g}", (name, grade_id)
                assert (said == "full marks") == (scores[grade_id] == graded["max"][grade_id]), (name, grade_id, said)
            said = " ".join(text for text, _ in rows.values())
            for message in sample.messages:
                assert message in said, f"the summary of {name}'s feedback lacks {message!r}"
            for task in dict.fromkeys(tasks.values()):
                assert f"<td colspan=\"2\">{html.escape(task)}</td>" in table, (name, task)


    def test_files_mode_agrees_with_full_grading(self, graded, tmp_path):
        """Exam-style grading of the files each sample's re-execution saved gives the same points on every file check.

        Checked on the reference, the blank notebook and every sample that loses
        points on a check of saved files; the checks that need the learner's kernel
        score 0 in files mode and say so.
        """
        assignment, crs, samples = graded["assignment"], graded["course"], graded["samples"]
        source = notebooks.read(crs.notebook_path("source", assignment))
        from_files = {grade_id for grade_id, _ in verify.verified_cells(source).values()}
        chosen = [name for name, sample in samples.items()
                  if name in ("reference", "blank") or sample.lose == "all" or set(sample.lose) & from_files]
        exam = course.Course.scratch_copy(REPO, tmp_path / "exam")
        exam.release(assignment)
        for name in chosen:
            exam.submit_files(name, assignment, crs.saved_files(assignment, name))
        outcome = exam.autograde(assignment, chosen, progress=False, workers=WORKERS, mode="files")
        assert set(outcome.values()) == {None}, outcome
        full = {(s.student, s.grade_id): s.score for s in graded["scores"]}
        files = {(s.student, s.grade_id): s.score for s in exam.scores(assignment)}
        disagree = [f"{student} {grade_id}: full {full[student, grade_id]}, files {files[student, grade_id]}"
                    for student, grade_id in files if grade_id in from_files and files[student, grade_id] != full[student, grade_id]]
        assert not disagree, "\n".join(disagree)
        assert all(score == 0 for (_, grade_id), score in files.items() if grade_id not in from_files)


class CoreBatch(SamplesGraded):
    """The reference, blank and security samples and a broken file, in every run; the batch-level checks."""

    @pytest.fixture(scope="class")
    def graded(self, tmp_path_factory):
        crs, built = core_batch(tmp_path_factory, self.assignment)
        samples = {name: s for name, s in load_samples(self.assignment, crs.root).items() if name in built["samples"]}
        return _graded(self.assignment, crs, built["outcome"], samples)

    def test_committed_release_is_what_nbgrader_generates(self, graded):
        assignment, crs = graded["assignment"], graded["course"]
        fresh = crs.notebook_path("release", assignment).read_text()
        committed = (REPO / "release" / assignment / f"{assignment}.ipynb").read_text()
        assert fresh == committed, "release/ is stale: run `tfcert release` (make release) and commit the result"
        assert notebooks.leaked_markers(committed) == []
        assert "raise NotImplementedError()" in committed


    def test_reference_gets_full_marks_and_blank_gets_zero(self, graded):
        totals = {}
        for s in graded["scores"]:
            got, most = totals.get(s.student, (0.0, 0.0))
            totals[s.student] = (got + s.score, most + s.max_score)
        assert totals["reference"][0] == totals["reference"][1] == sum(graded["max"].values())
        assert totals["blank"][0] == 0


    def test_feedback_reads_in_chromium_without_scrolling_sideways(self, graded, tmp_path):
        """The page as a learner opens it: the summary first, every sentence wrapped within the window."""
        sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package drives the browser")
        from tfcert import report

        chromium = report.find_chromium()
        if chromium is None:
            pytest.skip("no Chromium program on PATH (install Debian's chromium or set TFCERT_CHROMIUM)")
        lost = [n for n, s in graded["samples"].items() if s.messages] or list(graded["samples"])
        folder = graded["course"].root / "feedback" / lost[0] / graded["assignment"]
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1000, "height": 800})
                page.goto((folder / f"{graded['assignment']}.html").as_uri(), wait_until="load")
                top = page.locator("#summary").bounding_box()
                assert top is not None and top["y"] < 200, "the summary is at the top of the page"
                wide = page.evaluate("Array.from(document.querySelectorAll('pre, #summary td'))"
                                     ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText.slice(0, 60))")
                assert wide == [], f"cut off at the right edge: {wide}"
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                page.screenshot(path=str(tmp_path / "feedback.png"))
            finally:
                browser.close()


    def test_a_broken_submission_is_reported_and_the_batch_goes_on(self, graded):
        assert "is not a notebook (not valid JSON" in (graded["outcome"][BROKEN] or ""), graded["outcome"][BROKEN]
        graded_students = {s.student for s in graded["scores"]}
        assert set(graded["samples"]) <= graded_students, "every other submission was still graded"
        db = sqlite3.connect(graded["course"].root / "gradebook.db")
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


    def test_export_lists_every_graded_student(self, graded):
        rows = list(csv.DictReader(io.StringIO(graded["course"].export_csv())))
        by_student = {r["student_id"]: float(r["score"]) for r in rows if r["assignment"] == graded["assignment"]}
        assert by_student["reference"] == sum(graded["max"].values())
        assert by_student["blank"] == 0


    def test_class_report_of_the_batch(self, graded, tmp_path):
        """The instructor's page for the real batch: every graded student's total, the one that could not be graded."""
        from tfcert import report

        crs, assignment = graded["course"], graded["assignment"]
        failed = {student: error for student, error in graded["outcome"].items() if error}
        page = report.write_report(crs.root, assignment, tmp_path / "report.html", not_graded=failed)
        text = html.unescape(re.sub(r"<[^>]+>", " ", page.read_text()))
        full = sum(graded["max"].values())
        totals = report.student_totals(graded["scores"])
        assert {t.student for t in totals} == set(graded["samples"])
        assert next(t for t in totals if t.student == "reference").score == full
        assert BROKEN in text and "is not a notebook" in text, "the submission that could not be graded is listed"
        assert f"{len(graded['samples'])} graded submission" in text


class FullMatrix(SamplesGraded):
    """Every other sample of the assignment (its mistakes, the alternative), graded in a batch of their own."""

    @pytest.fixture(scope="class")
    def graded(self, tmp_path_factory):
        assert sandbox.available(), f"grading runs learner code in bubblewrap: {sandbox.unavailable_reason()}"
        crs = course.Course.scratch_copy(REPO, tmp_path_factory.mktemp(self.assignment) / "course")
        crs.release(self.assignment)
        samples = {n: s for n, s in load_samples(self.assignment, crs.root).items() if not s.always_graded}
        if not samples:
            pytest.skip(f"{self.assignment} has no samples beyond the reference, blank and security ones")
        for name, sample in samples.items():
            crs.submit_sample(name, self.assignment, sample, focused=True)
        prepare_data(tmp_path_factory, self.assignment)
        outcome = crs.autograde(self.assignment, list(samples), progress=False, workers=WORKERS)
        return _graded(self.assignment, crs, outcome, samples)


for _assignment in ASSIGNMENTS:
    _name = "Test" + "".join(part.title() for part in _assignment.split("_"))
    globals()[_name] = type(_name, (CoreBatch,), {"assignment": _assignment,
                                                  "pytestmark": [pytest.mark.grades(_assignment)]})
    globals()[_name + "Matrix"] = type(_name + "Matrix", (FullMatrix,), {"assignment": _assignment,
                                                                          "pytestmark": [pytest.mark.matrix(_assignment)]})
