"""What every lesson generator shares: cells collected in order, then written in the course's stored form.

A lesson's script (``build_03_lesson.py``, ``build_04_lesson.py``) is its
source: it adds its cells with :meth:`LessonCells.md` and :meth:`LessonCells.code`
and calls :meth:`LessonCells.write`, which rewrites the notebook without
outputs and with the same cell ids, so diffs stay small.

Example:
    >>> cells = LessonCells()
    >>> cells.md("title", "# Domain 9: Examples")
    >>> cells.code("fit", "model.fit(x, y)", train=True)
    >>> [(c.id, c.cell_type, c.metadata.get("tags")) for c in cells.notebook(Path("09_examples.ipynb")).cells]
    [('title', 'markdown', None), ('fit', 'code', ['train'])]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))  # the repository root, for tfcert

from tfcert import notebooks  # noqa: E402


class LessonCells:
    """The cells of one lesson notebook, in the order they are added."""

    def __init__(self) -> None:
        self.cells: list[nbformat.NotebookNode] = []

    def md(self, cell_id: str, text: str) -> None:
        """Add a Markdown cell."""
        self.cells.append(nbformat.v4.new_markdown_cell(text.strip("\n"), id=cell_id))

    def code(self, cell_id: str, text: str, train: bool = False) -> None:
        """Add a code cell; ``train=True`` tags a cell that fits a model."""
        cell = nbformat.v4.new_code_cell(text.strip("\n"), id=cell_id)
        if train:
            cell.metadata["tags"] = ["train"]
        self.cells.append(cell)

    def notebook(self, out: Path) -> nbformat.NotebookNode:
        """The lesson as a notebook in the course's stored form (Colab's table of contents on)."""
        nb = nbformat.v4.new_notebook(cells=self.cells)
        nb.metadata = {
            "colab": {"name": out.name, "toc_visible": True},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        return nb

    def write(self, out: Path) -> None:
        """Write the notebook to ``out`` and say what the course's notebook rules find wrong with it."""
        notebooks.write(self.notebook(out), out)
        problems = notebooks.problems(out)
        print(f"wrote {out} ({len(self.cells)} cells)" + ("" if not problems else "; problems: " + "; ".join(problems)))
