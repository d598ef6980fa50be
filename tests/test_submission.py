"""Repairing submitted notebooks (tfcert.submission) and the sentences a kernel death leaves (fast, no kernel)."""

from __future__ import annotations

import copy
import json
import signal
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from tfcert import notebooks, submission
from tfcert.nbgrader_ext import ResilientExecute, kernel_died_messages, kernel_stop_reason

REPO = Path(__file__).resolve().parent.parent
A = "d1_developer_skills"


@pytest.fixture(scope="module")
def release():
    return notebooks.read(REPO / "release" / A / f"{A}.ipynb")


def _hand_in(tmp_path, nb) -> Path:
    path = tmp_path / f"{A}.ipynb"
    path.write_text(notebooks.normalised_text(nb))
    return path


def _ids(path):
    return [c.get("id") for c in json.loads(path.read_text())["cells"]]


def _note(path):
    first = json.loads(path.read_text())["cells"][0]
    assert first["cell_type"] == "markdown" and "nbgrader" not in first["metadata"]
    return notebooks.source_text(first)


def test_untouched_submission_is_left_as_it_is(tmp_path, release):
    path = _hand_in(tmp_path, release)
    before = path.read_bytes()
    assert submission.repair_submission(path, release) == []
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_notebook_is_left_to_nbgrader(tmp_path, release):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [ this is not a notebook')
    assert submission.repair_submission(path, release) == []
    assert path.read_text() == '{"cells": [ this is not a notebook'


def test_deleted_graded_and_locked_cells_come_back_in_place(tmp_path, release):
    gone = {"header", "d1-fix-shape", "fix-loss", "d1-fix-loss", "task5-md", "task5-hint", "d1-api-lookup"}
    nb = copy.deepcopy(release)
    nb["cells"] = [c for c in nb["cells"] if c["id"] not in gone]
    path = _hand_in(tmp_path, nb)

    problems = submission.repair_submission(path, release)

    assert problems == [
        "The graded test cell d1_fix_shape (2 points) was missing from your notebook (deleted?): "
        "it was put back from the assignment and graded.",
        "The graded test cell d1_fix_loss (2 points) was missing from your notebook (deleted?): "
        "it was put back from the assignment and graded.",
        "The graded test cell d1_api_lookup (1 point) was missing from your notebook (deleted?): "
        "it was put back from the assignment and graded.",
        "The locked cells header, task5-md and task5-hint were missing from your notebook (deleted?): "
        "put back from the assignment.",
    ]
    expected = [submission.NOTE_ID] + [c["id"] for c in release["cells"] if c["id"] != "fix-loss"]
    assert _ids(path) == expected, "the learner's deleted solution cell is not put back, the rest are, in order"
    restored = {c["id"]: c for c in notebooks.read(path)["cells"]}
    for cell in release["cells"]:
        if cell["id"] in gone - {"fix-loss"}:
            assert restored[cell["id"]]["source"] == cell["source"]
            assert restored[cell["id"]]["metadata"] == cell["metadata"]
    assert _note(path).splitlines()[2:] == [f"- {p}" for p in problems]


def test_a_cell_that_lost_its_metadata_is_restored_where_it_is(tmp_path, release):
    nb = copy.deepcopy(release)
    stripped = next(c for c in nb["cells"] if c["id"] == "d1-fix-dtype")
    stripped["metadata"] = {}
    stripped["source"] = "print('an editor dropped my metadata')"
    path = _hand_in(tmp_path, nb)
    assert submission.repair_submission(path, release) == [
        "The graded test cell d1_fix_dtype (2 points) had lost its grading metadata (an editor other than "
        "JupyterLab?): it was restored from the assignment."]
    assert _ids(path) == [submission.NOTE_ID] + [c["id"] for c in release["cells"]]


def test_a_pasted_graded_cell_is_kept_once_the_released_copy_first(tmp_path, release):
    nb = copy.deepcopy(release)
    test = next(c for c in nb["cells"] if c["id"] == "d1-fix-dtype")
    at = nb["cells"].index(test)
    nb["cells"].insert(at, {**copy.deepcopy(test), "id": "pasted-above"})  # the copy comes first
    nb["cells"].insert(at + 5, {**copy.deepcopy(test), "id": "pasted-below"})
    path = _hand_in(tmp_path, nb)
    assert submission.repair_submission(path, release) == [
        "The graded test cell d1_fix_dtype (2 points) appears 3 times in your notebook (a copy-paste?): "
        "it was graded once and the extra copies were removed."]
    assert _ids(path) == [submission.NOTE_ID] + [c["id"] for c in release["cells"]]


def test_duplicated_ids_from_a_text_editor_are_made_unique(tmp_path, release):
    nb = copy.deepcopy(release)
    test = next(c for c in nb["cells"] if c["id"] == "d1-fix-dtype")
    nb["cells"].insert(nb["cells"].index(test) + 1, copy.deepcopy(test))  # same id, same grade id
    explore = next(c for c in nb["cells"] if c["id"] == "api-explore")
    nb["cells"].insert(nb["cells"].index(explore) + 1, copy.deepcopy(explore))  # an ordinary cell, same id
    path = tmp_path / f"{A}.ipynb"
    path.write_text(json.dumps(nb))
    problems = submission.repair_submission(path, release)
    assert problems == [
        "The graded test cell d1_fix_dtype (2 points) appears twice in your notebook (a copy-paste?): "
        "it was graded once and the extra copies were removed."]
    ids = _ids(path)
    assert ids.count("d1-fix-dtype") == 1 and "api-explore-2" in ids and len(ids) == len(set(ids))
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


def test_a_pasted_solution_cell_keeps_the_learners_code(tmp_path, release):
    nb = copy.deepcopy(release)
    solution = next(c for c in nb["cells"] if c["id"] == "fix-dtype")
    solution["source"] = "def scale_pixels(p, f):\n    return p  # first try"
    second = {**copy.deepcopy(solution), "id": "fix-dtype-again",
              "source": "def scale_pixels(p, f):\n    return p * 2  # second try"}
    nb["cells"].insert(nb["cells"].index(solution) + 1, second)
    path = _hand_in(tmp_path, nb)
    assert submission.repair_submission(path, release) == [
        "The solution cell fix-dtype appears twice in your notebook (a copy-paste?): "
        "the copies run as ordinary cells, in order."]
    cells = {c["id"]: c for c in notebooks.read(path)["cells"]}
    assert "second try" in cells["fix-dtype-again"]["source"] and "nbgrader" not in cells["fix-dtype-again"]["metadata"]
    assert notebooks.is_solution(cells["fix-dtype"])


def test_grading_again_reports_the_same_problems_and_one_note(tmp_path, release):
    nb = copy.deepcopy(release)
    nb["cells"] = [c for c in nb["cells"] if c["id"] != "d1-port-optimizer"]
    path = _hand_in(tmp_path, nb)
    first = submission.repair_submission(path, release)
    text = path.read_text()
    assert submission.repair_submission(path, release) == first and len(first) == 1
    assert path.read_text() == text
    assert _ids(path).count(submission.NOTE_ID) == 1


def test_an_old_notebook_without_cell_ids_gets_none(tmp_path, release):
    nb = copy.deepcopy(release)
    nb["nbformat_minor"] = 4
    for cell in nb["cells"]:
        del cell["id"]
    nb["cells"] = [c for c in nb["cells"] if notebooks.nbgrader_meta(c).get("grade_id") != "d1_api_lookup"]
    path = tmp_path / f"{A}.ipynb"
    path.write_text(json.dumps(nb))
    assert len(submission.repair_submission(path, release)) == 1
    repaired = json.loads(path.read_text())
    assert all("id" not in c for c in repaired["cells"]) and repaired["nbformat_minor"] == 4
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


def test_kernel_problems_reads_what_resilient_execute_wrote(tmp_path):
    cells = [nbformat.v4.new_markdown_cell("## Task 3: Port"), nbformat.v4.new_code_cell("os._exit(3)")]
    here, later, _ = kernel_died_messages(5, "it exited with status 3", "fix it", 2)
    cells[1].outputs = [nbformat.v4.new_output("error", ename="KernelDied", evalue=here, traceback=[])]
    for n in range(2):
        test = nbformat.v4.new_code_cell("assert True")
        test.metadata["nbgrader"] = {"grade": True, "grade_id": f"t{n}", "points": 1}
        test.outputs = [nbformat.v4.new_output("error", ename="KernelDied", evalue=later, traceback=[])]
        cells.append(test)
    path = tmp_path / "graded.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    assert submission.kernel_problems(path) == [
        'The kernel stopped while running In [5] under "Task 3: Port": it exited with status 3; '
        "2 graded cells after it were not run (0 points)."]
    assert submission.report_line("ann", submission.kernel_problems(path)).count("\n") == 0


@pytest.mark.parametrize("status, kwargs, why", [
    (128 + signal.SIGXCPU, {"limits": {"cpu_seconds": 1800}},
     "it was killed by signal 24 (SIGXCPU): it used up the sandbox's CPU-time limit of 1800 s (TFCERT_SANDBOX_CPU_SECONDS)"),
    (128 + signal.SIGXFSZ, {"limits": {"file_mb": 512}},
     "it was killed by signal 25 (SIGXFSZ): it wrote a file past the sandbox's limit of 512 MB (TFCERT_SANDBOX_FILE_MB)"),
    (134, {"memory_signs": True, "limits": {"memory_gb": 8}},
     "it was killed by signal 6 (SIGABRT) after reaching the sandbox's memory limit of 8 GB (TFCERT_SANDBOX_MEMORY_GB)"),
    (137, {"peak_gb": 3.0, "limits": {"memory_gb": 8}}, "it was killed by signal 9 (SIGKILL)"),
    (-9, {"memory_signs": True}, "it was killed by signal 9 (SIGKILL) after running out of memory"),
    (1, {}, "it exited with status 1"),
    (None, {"unresponsive": True, "peak_gb": 7.9, "limits": {"memory_gb": 8}},
     "it stopped answering after running past its time limit, and was stopped after reaching the sandbox's "
     "memory limit of 8 GB (TFCERT_SANDBOX_MEMORY_GB)"),
])
def test_kernel_stop_reasons(status, kwargs, why):
    assert kernel_stop_reason(status, **kwargs)[0] == why


def test_resilient_execute_takes_every_execute_setting_and_replaces_execute_in_place():
    from nbgrader.converters import Autograde

    c = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    c.Execute.skip_cells_with_tag = "verify"  # what another setting of the course may add
    execute = ResilientExecute(config=c)
    assert execute.timeout == c.Execute.timeout and execute.interrupt_on_timeout
    assert execute.skip_cells_with_tag == "verify" and execute.unresponsive_timeout == 60
    default = [f"{p.__module__.rsplit('.', 1)[0]}.{p.__name__}" for p in Autograde().autograde_preprocessors]
    ours = list(c.Autograde.autograde_preprocessors)
    assert ours == ["tfcert.nbgrader_ext.ResilientExecute", *default[1:]] and default[0].endswith(".Execute")


def test_a_pasted_locked_cell_is_kept_once(tmp_path, release):
    nb = copy.deepcopy(release)
    hint = next(c for c in nb["cells"] if c["id"] == "task1-hint")
    nb["cells"].append({**copy.deepcopy(hint), "id": "hint-at-the-end"})
    path = _hand_in(tmp_path, nb)
    assert submission.repair_submission(path, release) == [
        "The locked cell task1-hint appears twice in your notebook (a copy-paste?): the extra copies were removed."]
    assert _ids(path) == [submission.NOTE_ID] + [c["id"] for c in release["cells"]]
