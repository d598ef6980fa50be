"""A learner alone: ``tfcert check`` grades their notebook as the batch would; ``tfcert progress`` reads the checks.

The fast tests cover finding the notebook, what is handed in, the refusal
inside a graded run and the progress report. The slow ones run the real thing:
the command line on a D1 notebook with a mistake, from the notebook's folder as
a learner would (its scores must be the ones the sample declares, which the
batch tests hold the instructor's grading to), and ``tfcert.check()`` from a
notebook cell, with its progress bar.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tfcert import notebooks, paths, samples, selfcheck
from tfcert.nbgrader_ext import BUDGET_ENV

REPO = Path(__file__).resolve().parent.parent
D1 = "d1_developer_skills"


def _learner_folder(root: Path, assignment: str, sample: str) -> Path:
    """``root/<assignment>/<assignment>.ipynb`` as a learner who wrote ``sample`` has it, beside the release's files."""
    source = notebooks.read(paths.notebook_path(REPO, "source", assignment))
    release = notebooks.read(paths.notebook_path(REPO, "release", assignment))
    folder = root / assignment
    shutil.copytree(REPO / "release" / assignment, folder)
    nb = samples.build_submission(source, release, samples.load_samples(assignment, REPO)[sample])
    notebooks.write(nb, folder / f"{assignment}.ipynb")
    return folder


def _hidden_lines(assignment: str) -> set[str]:
    """Lines of the hidden tests a learner never sees (long enough to be telling)."""
    source = notebooks.read(paths.notebook_path(REPO, "source", assignment))
    release = "\n".join(c["source"] for c in notebooks.read(paths.notebook_path(REPO, "release", assignment))["cells"])
    block = notebooks.marker_block(notebooks.BEGIN_HIDDEN_TESTS, notebooks.END_HIDDEN_TESTS)
    lines = {line.strip() for cell in source["cells"] for found in block.findall(cell["source"])
             for line in found.splitlines() if len(line.strip()) > 25}
    return {line for line in lines if line not in release}


# --------------------------------------------------------------------------- fast


def test_the_notebook_is_found_in_its_folder_or_named(tmp_path):
    folder = tmp_path / D1
    folder.mkdir()
    with pytest.raises(selfcheck.CheckError, match="holds none of the assignment notebooks"):
        selfcheck.find_notebook(folder)
    (folder / "notes.ipynb").write_text("{}")
    with pytest.raises(selfcheck.CheckError, match="notes.ipynb is not an assignment notebook"):
        selfcheck.find_notebook(folder / "notes.ipynb")
    with pytest.raises(selfcheck.CheckError, match="is not a file"):
        selfcheck.find_notebook(folder / "missing.ipynb")
    (folder / f"{D1}.ipynb").write_text("{}")
    assert selfcheck.find_notebook(None, here=folder) == ((folder / f"{D1}.ipynb").resolve(), D1)
    with pytest.raises(selfcheck.CheckError, match="no course at"):
        selfcheck.find_notebook(folder, course_root=tmp_path)


def test_a_check_hands_in_the_folder_as_nbgrader_would(tmp_path):
    nb = tmp_path / f"{D1}.ipynb"
    for name in (nb.name, "train_digits.py", "other.ipynb", "models/digits_small.keras", "feedback/x.html",
                 ".ipynb_checkpoints/x.ipynb", "data/extra.csv", "big.h5"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert sorted(selfcheck.handed_in(nb)) == ["d1_developer_skills.ipynb", "data/extra.csv", "train_digits.py"]


def test_a_folder_too_big_to_hand_in_is_refused_before_anything_runs(tmp_path, monkeypatch):
    import tfcert.batch

    monkeypatch.setattr(tfcert.batch, "MAX_SUBMISSION_MB", 0.001)
    (tmp_path / "data.bin").write_bytes(b"x" * 4096)
    (tmp_path / f"{D1}.ipynb").write_text("{}")
    with pytest.raises(selfcheck.CheckError, match="keep the assignment in a folder of its own"):
        selfcheck.handed_in(tmp_path / f"{D1}.ipynb")


def test_a_check_inside_a_graded_notebook_does_nothing(tmp_path, monkeypatch):
    """A learner who leaves ``tfcert.check()`` in the notebook: the grader's run must not grade it again."""
    monkeypatch.setenv(BUDGET_ENV, "240")
    said: list[str] = []
    assert selfcheck.check(tmp_path / "nowhere.ipynb", echo=said.append) is None
    assert said and "skipped" in said[0]


@pytest.mark.parametrize("folder", ["source", "release"])
def test_every_assignment_tells_the_learner_how_to_check_it(folder):
    for assignment in paths.assignments(REPO):
        cells = {c["id"]: c for c in notebooks.read(paths.notebook_path(REPO, folder, assignment))["cells"]}
        assert selfcheck.SUBMIT_STEP in notebooks.source_text(cells["submit-md"]), (folder, assignment)


def test_progress_from_records_names_what_to_study(tmp_path):
    cells = notebooks.graded_cells(notebooks.read(paths.notebook_path(REPO, "release", D1)))
    scores = {g: [p, p] for g, p in cells.items()}
    scores["d1_fix_loss"] = [0.0, cells["d1_fix_loss"]]  # D1.03 not passed
    (tmp_path / f"{D1}.json").write_text(json.dumps({"assignment": D1, "checked": "2026-11-24T09:30:00",
                                                     "cells": scores}))
    (tmp_path / "broken.json").write_text("{not json")  # ignored, not fatal
    text = selfcheck.progress(tmp_path, REPO)
    lines = text.splitlines()
    assert lines[0] == "D1 TensorFlow developer skills: 5 of 6 graded skills passed (checked 2026-11-24 09:30)"
    assert "  ✗ D1.03 Read and fix TensorFlow error messages" in lines
    assert "  ✓ D1.05 Size the model to the problem" in lines
    assert "  – D1.04 Search beyond tensorflow.org  (taught, not graded)" in lines
    assert any(line.startswith("D2 ") and "not checked yet (tfcert check release/d2_neural_networks/" in line
               for line in lines)
    study = lines[lines.index("Study next, in notebooks/01_developer_skills.ipynb:") + 1:]
    assert study == ["  D1.03 Read and fix TensorFlow error messages"]


def test_progress_without_checks_says_how_to_start(tmp_path):
    assert selfcheck.progress(tmp_path / "none", REPO).startswith("No check recorded yet: grade an assignment")


# --------------------------------------------------------------------------- slow: the real grading


@pytest.mark.slow
@pytest.mark.matrix(D1)  # a whole D1 notebook trained again: D1's full matrix; the blank's check below runs every time
def test_tfcert_check_grades_a_mistake_as_the_batch_does(tmp_path):
    """From the notebook's folder, as a learner types it: the scores the sample declares, the sentence, the
    feedback page, no hidden test, a progress bar, and a record that tfcert progress reads."""
    folder = _learner_folder(tmp_path / "work", D1, "wrong_input_shape")
    env = {**os.environ, selfcheck.CHECKS_ENV: str(tmp_path / "checks")}
    tfcert = [sys.executable, "-m", "tfcert.cli"]
    run = subprocess.run([*tfcert, "check"], cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout

    sample = samples.load_samples(D1, REPO)["wrong_input_shape"]
    points = notebooks.graded_cells(notebooks.read(paths.notebook_path(REPO, "release", D1)))
    want = sample.expected_scores(points)
    got = {m.group(1): float(m.group(2)) for m in re.finditer(r"^  [✓✗] (\w+)\s+([\d.]+) / [\d.]+$", out, re.M)}
    assert got == want, out
    assert "Task 1: A model sized to its problem" in out and "(D1.05" not in out
    assert re.search(r"^total\s+20 / 25$", out, re.M), out
    flat = " ".join(out.split())
    for message in sample.messages:
        assert message in flat, f"the summary lacks {message!r}"
    leaked = [line for line in _hidden_lines(D1) if line in out or line in run.stderr]
    assert not leaked, leaked
    assert "52/52" in run.stderr and "re-running d1_developer_skills" in run.stderr, "the progress bar, per cell"
    assert "HeldoutReproducibleWarning" not in run.stderr, "the instructor's note is not the learner's business"

    page = folder / "feedback" / f"{D1}.html"
    assert page.exists() and f"feedback: {page}" in out
    head = page.read_text()[:page.read_text().index('id="notebook"')]
    assert 'class="tfcert-summary"' in head and "Test cell" not in head

    progress = subprocess.run([*tfcert, "progress"], env=env, capture_output=True, text=True, timeout=120)
    assert progress.returncode == 0, progress.stderr
    assert "D1 TensorFlow developer skills: 5 of 6 graded skills passed" in progress.stdout, progress.stdout
    assert "  ✗ D1.05 Size the model to the problem" in progress.stdout
    assert "Study next, in notebooks/01_developer_skills.ipynb:\n  D1.05 Size the model to the problem" \
        in progress.stdout


@pytest.mark.slow
def test_tfcert_check_from_a_notebook_cell(tmp_path):
    """``tfcert.check()`` in a cell of a kernel started in the assignment's folder: the blank notebook scores 0,
    every task is named, and the bar reports the cells it re-ran."""
    folder = _learner_folder(tmp_path / "work", D1, "blank")
    cell = nbformat.v4.new_code_cell(f"import tfcert\nresult = tfcert.check(record=False)\n"
                                     f"print('SCORE', result.score, result.max_score)")
    nb = nbformat.v4.new_notebook(cells=[cell])
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    assert "SCORE 0.0 25.0" in text, text
    for task in ("Task 1: A model sized to its problem", "Task 5: Find it in the API"):
        assert task in text
    assert "write your code there" in text, "the blank's sentence: a solution cell still raises NotImplementedError"
    bars = [o for o in nb.cells[0].outputs if o.get("output_type") == "display_data" or o.get("name") == "stderr"]
    assert bars, "a progress bar (a widget in Jupyter, text otherwise)"
    assert (folder / "feedback" / f"{D1}.html").exists()
