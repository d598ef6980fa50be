"""What every assignment generator shares: cells with nbgrader metadata, collected in order, then written.

An assignment's script (``build_04_assignment.py``, ``build_05_assignment.py``)
is the source of ``source/<assignment>/<assignment>.ipynb``: it adds its cells
with the methods below and calls :meth:`AssignmentCells.write`; ``tfcert
release`` then writes the learner version.

Example:
    >>> cells = AssignmentCells()
    >>> cells.md("title", "# Assignment 9")
    >>> cells.solution("answer", "def answer():\\n    ### BEGIN SOLUTION\\n    return 42\\n    ### END SOLUTION")
    >>> cells.graded("d9-answer", "d9_answer", 2, "assert answer() == 42", verify=False)
    >>> [(c.id, c.metadata["nbgrader"]["grade"], c.metadata["nbgrader"]["solution"]) for c in cells.cells]
    [('title', False, False), ('answer', False, True), ('d9-answer', True, False)]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))  # the repository root, for tfcert

from tfcert import notebooks  # noqa: E402


def _nbgrader(grade_id: str, *, solution: bool = False, points: int | None = None) -> dict:
    meta = {"grade": points is not None, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


class AssignmentCells:
    """The cells of one assignment's source notebook, in the order they are added."""

    def __init__(self) -> None:
        self.cells: list[nbformat.NotebookNode] = []

    def _add(self, cell: nbformat.NotebookNode) -> None:
        self.cells.append(cell)

    def md(self, cell_id: str, text: str) -> None:
        """A locked Markdown cell."""
        cell = nbformat.v4.new_markdown_cell(text.strip("\n"), id=cell_id)
        cell.metadata["nbgrader"] = _nbgrader(cell_id)
        self._add(cell)

    def given(self, cell_id: str, text: str) -> None:
        """A locked code cell the learner runs as it is."""
        cell = nbformat.v4.new_code_cell(text.strip("\n"), id=cell_id)
        cell.metadata["nbgrader"] = _nbgrader(cell_id)
        self._add(cell)

    def solution(self, cell_id: str, text: str) -> None:
        """A cell the learner completes (between ``### BEGIN/END SOLUTION``)."""
        cell = nbformat.v4.new_code_cell(text.strip("\n"), id=cell_id)
        cell.metadata["nbgrader"] = _nbgrader(cell_id, solution=True)
        self._add(cell)

    def train(self, cell_id: str, text: str) -> None:
        """An editable cell that trains and saves a model (tagged ``train``)."""
        cell = nbformat.v4.new_code_cell(text.strip("\n"), id=cell_id)
        cell.metadata["tags"] = ["train"]
        self._add(cell)

    def graded(self, cell_id: str, grade_id: str, points: int, text: str, verify: bool = False) -> None:
        """A locked test cell worth ``points``; ``verify=True``: self-contained, re-run outside the kernel."""
        cell = nbformat.v4.new_code_cell(text.strip("\n"), id=cell_id)
        cell.metadata["nbgrader"] = _nbgrader(grade_id, points=points)
        if verify:
            cell.metadata["tags"] = ["verify"]
        self._add(cell)

    def write(self, out: Path) -> None:
        """Write the notebook to ``out`` in the course's stored form (no outputs, stable cell ids)."""
        nb = nbformat.v4.new_notebook(cells=self.cells, metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}})
        out.parent.mkdir(parents=True, exist_ok=True)
        notebooks.write(nb, out)
        print(f"wrote {out} ({len(self.cells)} cells)")
