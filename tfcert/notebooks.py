"""Notebook files as this course stores them: normalised, outputs stripped, stable ids.

Stored form: nbformat 4.5, every cell with a readable unique ``id``, no outputs,
no execution counts, keys sorted, one-space indent, a final newline. Diffs stay
readable and ``release/`` can be compared byte for byte with a fresh build.

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


def normalised_text(nb: dict[str, Any]) -> str:
    """The exact text a normalised notebook is stored as."""
    return json.dumps(normalise(nb), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def read(path: str | Path) -> dict[str, Any]:
    """Read a notebook file as a plain dict (source joined into strings)."""
    return normalise(json.loads(Path(path).read_text(encoding="utf-8")))


def read_with_outputs(path: str | Path) -> dict[str, Any]:
    """Read an executed notebook as a plain dict, outputs kept (for graded notebooks)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


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
        found.append(f"{path}: not normalised (outputs, execution counts or formatting): run `tfcert fmt`")
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
