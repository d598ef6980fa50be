"""Lesson notebooks run top to bottom, offline, in a scratch copy of notebooks/.

``KERAS_MAX_EPOCHS`` caps every fit in the kernels started here, so a lesson
costs seconds in CI; lessons carry no graded thresholds, so nothing is faked.
One epoch in every ``make test`` (each cell still runs, plots and all); two in
``make test-all``, so a curve has two points to join.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import matrix

from tfcert import notebooks

REPO = Path(__file__).resolve().parent.parent
LESSONS = list(notebooks.iter_notebooks(REPO / "notebooks"))
EPOCHS = "2" if matrix.chosen() == matrix.MATRICES else "1"

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_lesson_runs_top_to_bottom(lesson, tmp_path):
    work = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", work, ignore=shutil.ignore_patterns("models", ".ipynb_checkpoints"))
    nb = nbformat.read(work / lesson.name, as_version=4)
    env = {**os.environ, "KERAS_MAX_EPOCHS": EPOCHS}
    env.pop("MPLBACKEND", None)  # the kernel's inline backend puts the plots in the outputs
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    client.execute(env=env)  # raises CellExecutionError, naming the cell, on the first error
    errors = [c.id for c in nb.cells if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]
    assert not errors
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images >= 1, "a lesson shows its curves as plots"
