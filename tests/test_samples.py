"""Sample submissions handed in focused: only the tasks a mistake is about are answered.

The end-to-end grading (test_autograde.py) hands every mistake in focused, so
these checks, which run nothing, guard what that relies on: the focus holds the
tasks the mistake touches and loses points in, and every task whose solution
code they use; the other tasks are handed in exactly as released.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfcert import notebooks, paths, samples

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = paths.assignments(REPO)


def _notebooks(assignment: str) -> tuple[dict, dict]:
    return (notebooks.read(REPO / "source" / assignment / f"{assignment}.ipynb"),
            notebooks.read(REPO / "release" / assignment / f"{assignment}.ipynb"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_focused_hand_in_answers_its_tasks_and_leaves_the_rest_as_released(assignment):
    source, release = _notebooks(assignment)
    section_of = samples.sections(source)
    released = {c["id"]: c["source"] for c in release["cells"]}
    for name, sample in samples.load_samples(assignment, REPO).items():
        chosen = samples.focus_sections(source, sample)
        focused = samples.build_submission(source, release, sample, focused=True)
        whole = samples.build_submission(source, release, sample)
        if chosen is None:
            assert focused == whole, f"{name} answers every task either way"
            continue
        assert {section_of[i] for i in sample.replace} <= chosen, name
        lost = samples.graded_in(source, chosen)
        assert set(sample.lose) <= lost, f"{name}: every cell that loses points is in the focus"
        for cell, full in zip(focused["cells"], whole["cells"]):
            if section_of[cell["id"]] in chosen:
                assert cell["source"] == full["source"], (name, cell["id"])
            else:
                assert cell["source"] == released[cell["id"]], f"{name}: {cell['id']} is handed in as released"


def test_a_task_that_calls_another_tasks_solution_brings_it_along():
    """D3's binary classifier (task 3) reads its photographs with task 2's ``keras_batches``: a mistake in task 3
    alone must answer task 2 too, or the classifier would never train."""
    assignment = "d3_image_classification"
    source, release = _notebooks(assignment)
    sample = samples.load_samples(assignment, REPO)["dense_network"]
    section_of = samples.sections(source)
    touched = {section_of[i] for i in sample.replace}
    chosen = samples.focus_sections(source, sample)
    assert len(touched) == 1 and chosen is not None
    extra = chosen - touched
    assert extra and all("fixed-size batches" in s for s in extra), chosen
    nb = samples.build_submission(source, release, sample, focused=True)
    batches = next(c for c in nb["cells"] if c["id"] == "keras-batches")
    assert "NotImplementedError" not in batches["source"]


def test_expected_scores_of_a_focused_hand_in():
    sample = samples.Sample("s", "a mistake", replace={"x": "..."}, lose={"t1": 1})
    assert sample.expected_scores({"t1": 2, "t2": 1, "t3": 3}, run={"t1", "t2"}) == {"t1": 1.0, "t2": 1.0, "t3": 0.0}
    assert sample.expected_scores({"t1": 2, "t2": 1}) == {"t1": 1.0, "t2": 1.0}


def test_the_reference_and_the_blank_are_never_focused():
    source, _ = _notebooks("d1_developer_skills")
    loaded = samples.load_samples("d1_developer_skills", REPO)
    assert samples.focus_sections(source, loaded["reference"]) is None
    assert samples.focus_sections(source, loaded["blank"]) is None
    assert samples.graded_in(source, None) is None


def test_data_another_task_loads_through_its_solution_brings_that_task_along():
    """D2's callback (task 3) is shown stopping a run on the tumour table that task 1's given cell loads with the
    learner's ``load_table``: a mistake in the callback must answer task 1 too, or the run never starts and the
    sentence about where training should have stopped is never reached."""
    assignment = "d2_neural_networks"
    source, _ = _notebooks(assignment)
    section_of = samples.sections(source)
    sample = samples.load_samples(assignment, REPO)["helpers_and_endless_callback"]
    chosen = samples.focus_sections(source, sample)
    assert any(name.startswith("Task 1:") for name in chosen), chosen
    assert not any(name.startswith("Task 4:") for name in chosen), "nothing there is read: the overfitting task stays blank"
    assert {section_of[i] for i in sample.replace} < chosen


# ------------------------------------------------------------------ every graded cell proven both ways (issue 27, 5)

#: Graded cells that no sample but the blank loses yet: each needs a plausible mistake that loses it with its sentence
#: (fold several into one sample where they sit in different tasks). The list only shrinks: a test fails when a cell
#: here gains such a sample, so that it is taken off.
KNOWN_GAPS = {
    "d2_neural_networks": {"d2_table_load", "d2_features", "d2_feature_classifier", "d2_transfer_accuracy",
                           "d2_predictions", "d2_folders"},
    "d3_image_classification": {"d3_keras_batches"},
    "d4_natural_language_processing": {"d4_complaint_accuracy", "d4_next_word_pairs", "d4_next_word_model",
                                       "d4_next_word_accuracy"},
    "d5_time_series": {"d5_lr_sweep", "d5_forecaster_shapes", "d5_multivariate_mae"},
}


def unproven_cells(source: dict, found: dict[str, samples.Sample]) -> dict[str, str]:
    """``grade_id -> what is missing`` for each graded cell (worth points) that the samples do not prove both ways:
    earned by a sample other than the blank, and lost, with a sentence the feedback must show, by another.

    Example:
        >>> nb = {"cells": [{"id": "t", "cell_type": "code", "source": "",
        ...                  "metadata": {"nbgrader": {"grade": True, "grade_id": "g1", "points": 2}}}]}
        >>> unproven_cells(nb, {"reference": samples.Sample("reference", "")})
        {'g1': 'no sample but the blank loses it with a sentence'}
        >>> unproven_cells(nb, {"reference": samples.Sample("reference", ""),
        ...                     "slip": samples.Sample("slip", "", lose={"g1": 1}, messages=["fix it"])})
        {}
    """
    missing = {}
    for grade_id, points in notebooks.graded_cells(source).items():
        if not points:
            continue
        tried = [s for s in found.values() if not s.blank]
        if not any(isinstance(s.lose, dict) and grade_id not in s.lose for s in tried):
            missing[grade_id] = "no sample but the blank earns it"
        elif not any(isinstance(s.lose, dict) and grade_id in s.lose and s.messages for s in tried):
            missing[grade_id] = "no sample but the blank loses it with a sentence"
    return missing


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_is_earned_by_one_sample_and_lost_by_another(assignment):
    source, _ = _notebooks(assignment)
    unproven = unproven_cells(source, samples.load_samples(assignment, REPO))
    gaps = KNOWN_GAPS.get(assignment, set())
    new = {g: why for g, why in unproven.items() if g not in gaps}
    assert not new, f"{assignment}: add a sample in samples/{assignment}/ for each of {new}"
    closed = gaps - set(unproven)
    assert not closed, f"{assignment}: {sorted(closed)} now have a sample that loses them: take them off KNOWN_GAPS"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_dropping_a_cells_only_losing_sample_is_caught(assignment):
    """Drop each sample in turn: the cells that only it lost (with a sentence) become unproven, and nothing else."""
    source, _ = _notebooks(assignment)
    found = samples.load_samples(assignment, REPO)
    before = set(unproven_cells(source, found))
    caught = 0
    for name, dropped in found.items():
        if dropped.blank or not isinstance(dropped.lose, dict) or not dropped.messages:
            continue
        rest = {n: s for n, s in found.items() if n != name}
        only_there = {g for g in dropped.lose if not any(
            isinstance(s.lose, dict) and g in s.lose and s.messages for s in rest.values() if not s.blank)}
        assert set(unproven_cells(source, rest)) == before | only_there, name
        caught += bool(only_there)
    assert caught, f"some sample of {assignment} is the only one that loses a cell"
