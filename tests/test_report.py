"""The class report (tfcert/report.py): its summaries, the page built from a real gradebook, the page in Chromium.

The gradebook test releases D1 with the real ``nbgrader generate_assignment``,
then records five students' scores through nbgrader's own API and writes their
autograded notebooks with error outputs, so ``Course.scores`` and
``Course.failures`` read real files; no notebook is executed (a few seconds).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
import statistics
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tfcert import checklist, notebooks, report
from tfcert.checklist import Skill
from tfcert.course import CellScore, Course
from tfcert.nbgrader_ext import open_gradebook, short_error

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "d1_developer_skills"

HOSTILE_STUDENT = "<img src=x onerror=alert(1)>"  # a folder name, so no "/" in it
HOSTILE_SENTENCE = "<script>alert(1)</script> is not an API name: look it up with help(tf.keras)"
ACCURACY = "size_model.keras reaches 71 % held-out accuracy, the target is 85 %: train longer or widen the hidden layer"
LOSS = "the loss does not match the labels (sparse_categorical_crossentropy expected for integer labels): change the loss"
LONG_PATH = "models/" + "a_very_long_folder_name_" * 8 + "model.keras was not found: save the model with model.save"

#: Points each student lost (every other graded cell has full marks), and the errors their autograded notebook shows.
LOST = {
    "alice": {},
    "bob": {"d1_size_accuracy": 0, "d1_fix_loss": 0},
    "carol": {"d1_size_accuracy": 0, "d1_port_saved": 0, "d1_error_names": 1},
    HOSTILE_STUDENT: {"d1_size_accuracy": 0, "d1_api_lookup": 0},
    "dave": {"d1_size_accuracy": 0, "d1_size_budget": 0, "d1_size_shapes": 0, "d1_fix_shape": 0,
             "d1_fix_dtype": 0, "d1_port_vectorizer": 0},
}
ERRORS = {
    "bob": {"d1_size_accuracy": ("GradingError", ACCURACY), "d1_fix_loss": ("GradingError", LOSS)},
    "carol": {"d1_size_accuracy": ("GradingError", ACCURACY), "d1_port_saved": ("GradingError", LONG_PATH)},
    HOSTILE_STUDENT: {"d1_size_accuracy": ("GradingError", ACCURACY), "d1_api_lookup": ("GradingError", HOSTILE_SENTENCE)},
    "dave": {"d1_size_accuracy": ("NotImplementedError", ""), "d1_fix_dtype": ("GradingError", LOSS)},
}
NOT_GRADED = {"erin": "nbgrader autograde failed (exit 1): the notebook is not valid JSON"}


# --------------------------------------------------------------------------- helpers


class _Page(HTMLParser):
    """Reads a page: its tables (by id, rows of cell texts), headings, and whether its tags balance."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.headings: list[str] = []
        self.tags: list[str] = []
        self.problems: list[str] = []
        self._stack: list[str] = []
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None
        self.feed(text)
        self.close()
        self.problems += [f"<{t}> never closed" for t in self._stack]

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self._stack.append(tag)
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id") or f"table{len(self.tables)}", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "h2"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self._stack or self._stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self._stack[-1] if self._stack else None}>")
        else:
            self._stack.pop()
        if tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append(re.sub(r"[ \t\n]+", " ", "".join(self._cell)).strip(" \t\n"))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag in ("h1", "h2") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)


def _rows(page: _Page, table: str) -> list[dict[str, str]]:
    head, *body = page.tables[table]
    return [dict(zip(head, row)) for row in body]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}\u00a0%"


def _expected() -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The assignment's cells and points, and each student's score per cell, from LOST."""
    cells = notebooks.graded_cells(notebooks.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    return cells, {student: {g: float(lost.get(g, p)) for g, p in cells.items()} for student, lost in LOST.items()}


def _autograded(release: dict, errors: dict[str, tuple[str, str]]) -> dict:
    """The release notebook with an error output in each graded cell of ``errors``, as nbgrader leaves it."""
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        grade_id = notebooks.nbgrader_meta(cell).get("grade_id")
        if cell["cell_type"] == "code" and grade_id in errors:
            name, value = errors[grade_id]
            cell["outputs"] = [{"output_type": "error", "ename": name, "evalue": value,
                                "traceback": ["Traceback (most recent call last):", "  ...", f"{name}: {value}"]}]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """A course where D1 is released and five students are graded (a real gradebook; nothing executed)."""
    crs = Course.scratch_copy(REPO, tmp_path_factory.mktemp("report") / "course")
    crs.release(ASSIGNMENT)
    release = notebooks.read(crs.notebook_path("release", ASSIGNMENT))
    _, got = _expected()
    with open_gradebook(crs.root) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notes from inside nbgrader's add_submission
        for student, cells in got.items():
            crs.submit(student, ASSIGNMENT, release)
            gb.update_or_create_student(student)
            gb.add_submission(ASSIGNMENT, student)
            for grade_id, score in cells.items():
                gb.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student).auto_score = score
            gb.db.commit()
            path = crs.notebook_path("autograded", ASSIGNMENT, student)
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(_autograded(release, ERRORS.get(student, {}))))
    crs.submit("erin", ASSIGNMENT, "{not json")  # handed in, never graded: no gradebook entry
    return report.write_report(crs.root, ASSIGNMENT, not_graded=NOT_GRADED)


# --------------------------------------------------------------------------- the page from a real gradebook


def test_report_of_a_real_gradebook_has_the_right_numbers(graded):
    assert graded == graded.parents[1] / "reports" / f"{ASSIGNMENT}.html"
    text = graded.read_text(encoding="utf-8")
    page = _Page(text)
    assert page.problems == [], "the page's tags balance"
    assert text.startswith("<!DOCTYPE html>") and page.headings[0] == f"Class report: {ASSIGNMENT}"
    cells, got = _expected()
    points = sum(cells.values())
    totals = {student: sum(mine.values()) for student, mine in got.items()}

    # Students: every total, best first; erin is not among them but is listed as not graded.
    students = _rows(page, "students")
    assert [r["student"] for r in students] == sorted(totals, key=lambda s: (-totals[s], s))
    assert {r["student"]: float(r["total"]) for r in students} == totals
    assert {r["student"]: r["passed"] for r in students}["dave"] == "no"
    assert _rows(page, "not-graded-table") == [{"student": "erin", "why": NOT_GRADED["erin"]}]

    # The summary cards.
    summary = re.sub(r"[ \n]+", " ", text)  # (str.split would split at the no-break spaces too)
    passed = sum(1 for t in totals.values() if t >= 0.6 * points)
    assert f"<b>{statistics.fmean(totals.values()):g} / {points:g}</b><span>mean total</span>" in summary
    assert f"<b>{statistics.median(totals.values()):g}</b><span>median total</span>" in summary
    assert f"<b>{min(totals.values()):g} – {max(totals.values()):g}</b>" in summary
    assert f"<b>{_pct(passed / len(totals))}</b><span>passed ({passed} of {len(totals)})</span>" in summary

    # Pass rate per graded cell, computed here from the scores set above, in notebook order.
    rows = _rows(page, "cells")
    assert [r["graded cell"] for r in rows] == list(cells)
    for row in rows:
        full = sum(1 for mine in got.values() if mine[row["graded cell"]] == cells[row["graded cell"]])
        assert row["passed"] == f"{full} / {len(got)}", row
        assert row["pass rate"] == _pct(full / len(got)), row
    assert {r["graded cell"]: r["pass rate"] for r in rows}["d1_size_accuracy"] == _pct(1 / 5)

    # Tasks at a glance, the summary each learner's feedback opens with, summed: task rows, then their cells,
    # each with the sentence most of those who lost points read.
    tasks = _rows(page, "tasks-table")
    assert tasks[0]["graded cell"] == "Task 1: A model sized to its problem", "skill IDs left out of the name"
    by_cell = {r["graded cell"]: r for r in tasks if r["graded cell"] in cells}
    assert list(by_cell) == list(cells)
    assert by_cell["d1_size_accuracy"]["full marks"] == _pct(1 / 5)
    assert by_cell["d1_size_accuracy"]["what most of those who lost points read"] == f"{ACCURACY} (3 of 5)"
    assert page.headings.index("Tasks at a glance") == 1, "the summary heads the report"

    # Feedback: the sentence three students got comes first, with its count and its cell; no error name shown.
    sentences = _rows(page, "sentences")
    assert sentences[0] == {"students": "3", "sentence": ACCURACY, "graded cells": "d1_size_accuracy"}
    assert sentences[1] == {"students": "2", "sentence": LOSS, "graded cells": "d1_fix_loss, d1_fix_dtype"}
    default = short_error({"ename": "NotImplementedError", "evalue": ""})[0].split(": ", 1)[1]
    assert {"students": "1", "sentence": f"{default} NotImplementedError", "graded cells": "d1_size_accuracy"} \
        in sentences, "an error other than GradingError is named under its sentence"
    assert "GradingError" not in text

    # Mastery per skill, weakest first: D1.05 (three size cells) only alice masters.
    skills = _rows(page, "skills")
    graded_here = [s for s in checklist.load(REPO) if s.assignment == ASSIGNMENT and s.graded]
    assert sorted(r["skill"] for r in skills) == sorted(s.id for s in graded_here)
    assert skills[0]["skill"] == "D1.05" and skills[0]["mastered"] == "1 / 5"
    assert "D1.05 Size the model to the problem" in skills[0]["taught in"]
    assert [r["mastery"] for r in skills] == sorted((r["mastery"] for r in skills), key=lambda p: int(p.split()[0]))

    # Learners' text is shown as text, never as markup.
    assert HOSTILE_STUDENT in [r["student"] for r in students]
    assert any(r["sentence"] == HOSTILE_SENTENCE for r in sentences)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script" not in text and "onerror=alert" not in text.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert page.tags.count("img") == 3, "the three plots, and no image a learner's name smuggled in"


def _launch(playwright):
    chromium = report.find_chromium()
    if chromium is None:
        if os.environ.get("TFCERT_CHROMIUM"):
            pytest.fail(f"TFCERT_CHROMIUM={os.environ['TFCERT_CHROMIUM']} is not a program")
        pytest.skip(f"no Chromium program on PATH (looked for {', '.join(report.CHROMIUM_NAMES)}; "
                    "install Debian's chromium or set TFCERT_CHROMIUM)")
    return playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])


def test_report_reads_well_in_headless_chromium(graded, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package drives the browser")
    with sync_api.sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            dialogs: list[str] = []
            requests: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(graded.as_uri(), wait_until="load")

            body = page.inner_text("body").replace("\u00a0", " ")
            for heading in (f"Class report: {ASSIGNMENT}", "Score distribution", "Pass rate per graded cell",
                            "Mastery per checklist skill", "Most frequent feedback", "Students",
                            "Could not be graded"):
                assert heading in body, heading
            for number in ("5\ngraded submissions", "80 %\npassed (4 of 5)", "19.4 / 25\nmean total", ACCURACY,
                           HOSTILE_STUDENT, HOSTILE_SENTENCE):
                assert number in body, number
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])")
            assert len(images) == 3 and all(done and width > 0 and alt for done, width, alt in images), images
            assert dialogs == [], "no learner's text ran as a script"
            assert all(url.startswith(("file:", "data:")) for url in requests), requests

            wide = "Array.from(document.querySelectorAll('body *'))" \
                   ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).map(e => e.tagName)"
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert page.evaluate(wide) == []
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)

            page.set_viewport_size({"width": 700, "height": 900})  # a narrow window: the tables wrap, no scroll
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("TFCERT_ARTIFACTS"):
        target = Path(os.environ["TFCERT_ARTIFACTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / f"report-{ASSIGNMENT}.png")


# --------------------------------------------------------------------------- the summaries on small inputs


SKILLS = [Skill("D1.05", "Size the model", "D1", graded=["s1", "s2"], taught="D1.05 Size the model",
                lesson="notebooks/01_developer_skills.ipynb"),
          Skill("D1.06", "Save & check", "D1", graded=["s2"]),
          Skill("D1.04", "Search", "D1", taught_only="not observable"),
          Skill("D2.01", "Keras", "D2", graded=["elsewhere"])]


def test_no_graded_submissions_make_a_page_that_says_so(tmp_path):
    empty = report.build_report([], {}, SKILLS, "d0", cells={"s1": 1, "s2": 2})
    assert (empty.submissions, empty.mean, empty.median, empty.pass_rate) == (0, 0.0, 0.0, 0.0)
    assert [c.students for c in empty.cells] == [0, 0] and [m.mastery for m in empty.skills] == [0.0, 0.0]
    page = report.render_html(empty)
    assert 'id="no-submissions"' in page and "There are no graded submissions of d0 yet" in page
    assert "<img" not in page and _Page(page).problems == []

    with pytest.raises(FileNotFoundError, match="is not a directory: give the course directory"):
        report.write_report(tmp_path / "nowhere", ASSIGNMENT)
    course = tmp_path / "course"  # a course nobody handed anything in to
    course.mkdir()
    path = report.write_report(course, ASSIGNMENT, out=tmp_path / "out" / "r.html")
    assert path == tmp_path / "out" / "r.html" and "There are no graded submissions" in path.read_text()


def test_a_cell_nobody_passed():
    scores = [CellScore(s, g, 0.0 if g == "s2" else 1.0, 2.0 if g == "s2" else 1.0)
              for s in ("ann", "bob") for g in ("s1", "s2")]
    rpt = report.build_report(scores, {}, SKILLS, "d0")
    assert [(c.grade_id, c.passed, c.pass_rate, c.skills) for c in rpt.cells] == \
        [("s1", 2, 1.0, ("D1.05",)), ("s2", 0, 0.0, ("D1.05", "D1.06"))]
    assert [(m.id, m.mastered, m.mean_fraction) for m in rpt.skills] == [("D1.06", 0, 0.0), ("D1.05", 0, 1 / 3)]
    assert (rpt.max_score, rpt.passed) == (3.0, 0)
    assert "0\u00a0%" in report.render_html(rpt)


def test_a_student_missing_some_cells_counts_them_as_zero():
    scores = [CellScore("ann", "s1", 1, 1), CellScore("ann", "s2", 2, 2), CellScore("bob", "s1", 1, 1)]
    rpt = report.build_report(scores, {}, SKILLS, "d0", pass_mark=0.5)
    assert [(t.student, t.score, t.max_score, t.missed) for t in rpt.totals] == \
        [("ann", 3.0, 3.0, ()), ("bob", 1.0, 3.0, ("s2",))]
    assert [(c.grade_id, c.passed, c.students, c.mean_score) for c in rpt.cells] == \
        [("s1", 2, 2, 1.0), ("s2", 1, 2, 1.0)]
    assert [(m.id, m.mastered, m.students, round(m.mean_fraction, 2)) for m in rpt.skills] == \
        [("D1.06", 1, 2, 0.5), ("D1.05", 1, 2, 0.67)], "ties in mastery: the lower share of points first"
    assert rpt.pass_rate == 0.5, "bob's 1 of 3 is under half"


def test_cells_given_in_notebook_order_come_first_with_their_points():
    scores = [CellScore("ann", "s2", 2, 2)]
    rpt = report.build_report(scores, {}, [], "d0", cells={"s1": 1, "s2": 2})
    assert [(c.grade_id, c.max_score, c.passed) for c in rpt.cells] == [("s1", 1.0, 0), ("s2", 2.0, 1)]
    assert rpt.totals[0].missed == ("s1",) and rpt.max_score == 3.0


def test_sentences_group_by_text_and_count_each_student_once():
    failures = {
        "ann": [("s1", "GradingError: too big"), ("s2", "GradingError: too big"), ("s3", "ValueError: bad shape")],
        "bob": [("s1", "GradingError: too big"), ("s3", "GradingError: bad shape")],
        "cat": [("s3", "ValueError: bad shape")],
    }
    found = report.frequent_sentences(failures)
    assert [(s.text, s.error, s.count, s.students, s.cells) for s in found] == [
        ("bad shape", "ValueError", 2, ("ann", "cat"), ("s3",)),
        ("too big", "GradingError", 2, ("ann", "bob"), ("s1", "s2")),
        ("bad shape", "GradingError", 1, ("bob",), ("s3",)),
    ], "ties by sentence; the same sentence from another error is its own row"
    assert [s.text for s in report.frequent_sentences(failures, top=1)] == ["bad shape"]
    assert report.build_report([], failures, [], "d0", top=2).distinct_sentences == 3
    assert report.frequent_sentences({}) == []


def test_every_value_a_learner_wrote_is_escaped():
    name = "<script>alert(1)</script>"
    scores = [CellScore(name, "s1", 0, 1), CellScore("ann & co", "s1", 1, 1), CellScore("ann & co", "s2", 1, 1)]
    failures = {name: [("s1", f"GradingError: {name} & <b>bold</b>")]}
    page = report.render_html(report.build_report(scores, failures, SKILLS, f"d0{name}", not_graded={name: name}))
    assert "<script" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "ann &amp; co" in page and "Save &amp; check" in page
    parsed = _Page(page)
    assert parsed.problems == [] and parsed.headings[0] == f"Class report: d0{name}"
    assert _rows(parsed, "sentences")[0]["sentence"] == f"{name} & <b>bold</b>"


def test_pass_mark_is_a_share():
    with pytest.raises(ValueError, match="between 0 and 1"):
        report.build_report([], {}, [], "d0", pass_mark=60)


def test_find_chromium_honours_the_setting_then_path(tmp_path, monkeypatch):
    program = tmp_path / "bin" / "chromium-browser"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.delenv("TFCERT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(program.parent))
    assert report.find_chromium() == str(program)
    monkeypatch.setenv("TFCERT_CHROMIUM", str(tmp_path / "missing"))
    assert report.find_chromium() is None
    monkeypatch.setenv("TFCERT_CHROMIUM", str(program))
    assert report.find_chromium() == str(program)
    monkeypatch.delenv("TFCERT_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert report.find_chromium() is None
