"""Notebook files as this course stores them, and what the course reads from their cells.

Stored form: nbformat 4.5, every cell with a readable unique ``id``, cell
sources as lists of lines (the way Jupyter writes them), no outputs, no
execution counts, keys sorted, one-space indent, a final newline. Diffs stay
readable and ``release/`` can be compared byte for byte with a fresh build.
In memory (:func:`read`), a cell's source is one string.

Cells: :func:`nbgrader_meta`, :func:`is_graded`, :func:`is_solution`,
:func:`tags` and :func:`graded_cells` are the one place that reads nbgrader's
cell metadata; :data:`MARKERS` are the marker comments (``nbgrader_config.py``
gives nbgrader the same strings).

Example:
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", id="add")])
    >>> nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"})]
    >>> text = normalised_text(nb)
    >>> '"outputs": []' in text and '"id": "add"' in text
    True
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

#: nbgrader's marker comments as this course writes them (nbgrader_config.py configures nbgrader with these).
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
#: What nbgrader leaves in a solution cell of the learner version.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
#: Cell tags with a meaning for the course: training cells, and test cells re-checked outside the kernel.
TRAIN_TAG, VERIFY_TAG = "train", "verify"

#: Cell metadata keys that a run adds and the stored form drops.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "trusted")
CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def normalise(nb: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``nb`` in the stored form (see module docstring)."""
    nb = json.loads(json.dumps(nb))
    nb["nbformat"], nb["nbformat_minor"] = 4, max(5, int(nb.get("nbformat_minor", 5)))
    nb.setdefault("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return nb


def source_lines(source: str) -> list[str]:
    """A cell source as Jupyter stores it: a list of lines, each but the last ending in a newline.

    Example:
        >>> source_lines("a = 1\\nb = 2")
        ['a = 1\\n', 'b = 2']
        >>> source_lines("")
        []
    """
    return source.splitlines(keepends=True)


def normalised_text(nb: dict[str, Any]) -> str:
    """The exact text a normalised notebook is stored as (sources as lists of lines)."""
    stored = normalise(nb)
    for cell in stored.get("cells", []):
        cell["source"] = source_lines(cell["source"])
    return json.dumps(stored, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def read(path: str | Path) -> dict[str, Any]:
    """Read a notebook file as a plain dict (source joined into strings)."""
    return normalise(json.loads(Path(path).read_text(encoding="utf-8")))


def read_with_outputs(path: str | Path) -> dict[str, Any]:
    """Read an executed notebook as a plain dict, outputs kept (for graded notebooks); sources joined."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        cell["source"] = source_text(cell)
    return nb


def write(nb: dict[str, Any], path: str | Path) -> None:
    """Write ``nb`` in the stored form."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(normalised_text(nb), encoding="utf-8")


def problems(path: str | Path) -> list[str]:
    """Why a stored notebook is not in the stored form; empty when it is.

    Example:
        >>> problems("no/such.ipynb")
        ['no/such.ipynb: missing']
    """
    path = Path(path)
    if not path.exists():
        return [f"{path}: missing"]
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    found = []
    ids = [cell.get("id") for cell in nb.get("cells", [])]
    for index, cell_id in enumerate(ids):
        if not cell_id or not CELL_ID.match(str(cell_id)):
            found.append(f"{path}: cell {index} has no valid id")
    duplicates = sorted({i for i in ids if i and ids.count(i) > 1})
    if duplicates:
        found.append(f"{path}: duplicate cell ids {duplicates}")
    if raw != normalised_text(nb):
        found.append(f"{path}: not in the stored form (outputs, execution counts, sources not stored as lists "
                     "of lines, or formatting): run `tfcert fmt`")
    return found


def iter_notebooks(*roots: str | Path) -> Iterator[Path]:
    """The course's notebooks under ``roots``, checkpoints excluded, sorted."""
    for root in roots:
        for path in sorted(Path(root).rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                yield path


def headings(nb: dict[str, Any]) -> list[str]:
    """All Markdown headings of a notebook, without the leading #'s."""
    found = []
    for cell in nb.get("cells", []):
        if cell["cell_type"] == "markdown":
            found += [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", cell["source"], re.M)]
    return found


def source_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string, whether stored as a string or as a list of lines.

    Example:
        >>> source_text({"source": ["a = 1\\n", "b = 2"]})
        'a = 1\\nb = 2'
    """
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    """The nbgrader metadata of a cell (empty for ordinary cells).

    Example:
        >>> nbgrader_meta({"metadata": {"nbgrader": {"grade": True}}})
        {'grade': True}
    """
    return cell.get("metadata", {}).get("nbgrader", {})


def tags(cell: dict[str, Any]) -> list[str]:
    """The cell's tags (``metadata.tags``).

    Example:
        >>> tags({"metadata": {"tags": ["train"]}})
        ['train']
    """
    return list(cell.get("metadata", {}).get("tags", []))


def is_graded(cell: dict[str, Any]) -> bool:
    """True for a test cell nbgrader scores (``grade: true``).

    Example:
        >>> is_graded({"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "t"}}})
        True
    """
    return bool(nbgrader_meta(cell).get("grade"))


def is_solution(cell: dict[str, Any]) -> bool:
    """True for a cell the learner writes (``solution: true``).

    Example:
        >>> is_solution({"metadata": {}})
        False
    """
    return bool(nbgrader_meta(cell).get("solution"))


def graded_cells(nb: dict[str, Any]) -> dict[str, float]:
    """``grade_id -> points`` for every graded cell of a notebook.

    Example:
        >>> nb = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "t1", "points": 2}}}]}
        >>> graded_cells(nb)
        {'t1': 2.0}
    """
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0)) for c in nb["cells"] if is_graded(c)}


def marker_block(begin: str, end: str) -> re.Pattern[str]:
    """A pattern for the lines from a ``begin`` marker comment to its ``end`` marker, both included.

    Example:
        >>> marker_block(BEGIN_SOLUTION, END_SOLUTION).sub("", "a\\n### BEGIN SOLUTION\\nb\\n### END SOLUTION\\nc")
        'a\\nc'
    """
    return re.compile(rf"^[ \t]*{re.escape(begin)}[^\n]*\n(.*?)^[ \t]*{re.escape(end)}[^\n]*\n?", re.S | re.M)


def leaked_markers(text: str) -> list[str]:
    """Solution or hidden-test markers found in ``text`` (empty if none); the words suffice.

    Example:
        >>> leaked_markers("x = 1  # BEGIN SOLUTION")
        ['BEGIN SOLUTION']
    """
    words = [marker.lstrip("# ") for marker in MARKERS]
    return [word for word in words if word in text]
