"""The two test tiers: which changes make an assignment's full sample matrix stale (tests/matrix.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import matrix
import pytest


@pytest.fixture()
def clone(tmp_path, monkeypatch):
    """A clone of this repository that tests/matrix.py reads instead of the working tree."""
    target = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(matrix.REPO), str(target)], check=True)
    monkeypatch.setattr(matrix, "REPO", target)
    monkeypatch.setattr(matrix, "RECORD", tmp_path / "record.json")
    matrix._tracked.cache_clear()
    yield target
    matrix._tracked.cache_clear()


def _digests() -> dict[str, str]:
    matrix._tracked.cache_clear()
    return {name: matrix.digest(name) for name in matrix.MATRICES}


def _edit(path: Path) -> None:
    path.write_text(path.read_text() + "\n# an edit\n")


def test_an_assignments_own_files_make_only_its_matrix_stale(clone):
    before = _digests()
    _edit(clone / "samples" / "d3_image_classification" / "reference.yml")
    after = _digests()
    assert {n for n in matrix.MATRICES if before[n] != after[n]} == {"d3_image_classification"}


def test_shared_grading_code_makes_every_matrix_stale_and_the_report_none(clone):
    before = _digests()
    _edit(clone / "tfcert" / "report.py")
    _edit(clone / "tests" / "test_autograde.py")
    assert _digests() == before, "the class report and the tests change no score"
    _edit(clone / "tfcert" / "grading.py")
    after = _digests()
    assert all(before[n] != after[n] for n in matrix.MATRICES)


def test_the_exam_has_its_own_matrix(clone):
    before = _digests()
    _edit(clone / "tfcert" / "exam" / "problems.py")
    after = _digests()
    assert {n for n in matrix.MATRICES if before[n] != after[n]} == {"exam"}


def test_a_new_untracked_file_counts_and_an_ignored_one_does_not(clone):
    before = _digests()
    (clone / "source" / "d1_developer_skills" / "models").mkdir()
    (clone / "source" / "d1_developer_skills" / "models" / "m.keras").write_text("ignored by git")
    assert _digests() == before
    (clone / "samples" / "d1_developer_skills" / "new_mistake.yml").write_text("description: new\n")
    assert _digests()["d1_developer_skills"] != before["d1_developer_skills"]


def test_the_record_decides_what_is_stale_and_a_green_run_rewrites_it(clone):
    assert matrix.stale() == matrix.MATRICES, "no record: every matrix is stale"
    matrix.write({name: {"tests": 1, "process_minutes": 0.1} for name in matrix.MATRICES})
    assert matrix.stale() == [] and matrix.chosen("auto") == []
    kept = json.loads(matrix.RECORD.read_text())
    assert set(kept["d2_neural_networks"]) >= {"digest", "passed", "tests", "versions"}
    _edit(clone / "source" / "d2_neural_networks" / "manifest.yml")
    assert matrix.stale() == ["d2_neural_networks"] == matrix.chosen("auto")
    assert matrix.chosen("all") == matrix.MATRICES and matrix.chosen("none") == []
    with pytest.raises(ValueError, match="use all, none or auto"):
        matrix.chosen("some")
