"""Repairing a submitted notebook before nbgrader grades it, and saying what was repaired.

Editors other than JupyterLab ignore ``deletable: false``, and copy-paste
duplicates cells with their nbgrader metadata. nbgrader then grades badly: a
deleted graded cell scores 0 with no error, and a duplicated one makes the
whole submission fail with advice to run ``nbgrader update`` on the class files.
:func:`repair_submission` runs on the submitted file before ``nbgrader
autograde`` and

* puts back every graded or locked cell the learner deleted, the released
  cell at its place in the release's order (nbgrader's ``OverwriteCells`` then
  restores its full source, hidden tests included, so it is graded as usual);
  a cell that kept its id but lost its nbgrader metadata is restored in place;
* keeps one copy of a duplicated graded or locked cell (the one with the
  released cell id, else the first) and removes the others; an extra copy of a
  solution cell stays, as an ordinary cell, so none of the learner's code is lost;
* gives cells with duplicated ids unique ones;
* adds a Markdown note at the top (no nbgrader metadata), which the feedback
  shows, listing what was repaired.

It returns one sentence per problem, for the instructor's report
(:func:`report_line`) and the learner's note. :func:`kernel_problems` reads the
kernel deaths that :class:`tfcert.nbgrader_ext.ResilientExecute` recorded in a
graded notebook.

Example:
    >>> release = {"cells": [_cell("a", "t1", grade=True, points=2), _cell("b", "t2", grade=True, points=1)]}
    >>> nb = {"cells": [_cell("a", "t1", grade=True, points=2)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    >>> problems = repair_cells(nb, release)
    >>> problems
    ['The graded test cell t2 (1 point) was missing from your notebook (deleted?): it was put back from the assignment and graded.']
    >>> [c["id"] for c in nb["cells"]]
    ['grading-note', 'a', 'b']
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from tfcert import notebooks

#: The id of the Markdown cell that tells the learner what grading repaired or met.
NOTE_ID = "grading-note"
NOTE_TITLE = "**Note from the grader.**"
#: The error name of cells a kernel death kept from running (tfcert.nbgrader_ext.ResilientExecute).
KERNEL_DIED = "KernelDied"
#: The error of the cell that was running when the kernel stopped, and how the errors of cells not run begin.
RUNNING = re.compile(r"your kernel stopped while running this cell \((?P<cell>In \[\d+\]|a cell)\): "
                     r"(?P<why>[^;]*?)(?:, so the cells after it were not run)?; ")
NOT_RUN = "not run: "


def _cell(cell_id: str, grade_id: str, **meta: Any) -> dict[str, Any]:
    """A code cell with nbgrader metadata (for the examples)."""
    nbgrader = {"grade": False, "grade_id": grade_id, "locked": True, "solution": False, **meta}
    return {"cell_type": "code", "id": cell_id, "metadata": {"nbgrader": nbgrader}, "source": "", "outputs": [],
            "execution_count": None}


def _grade_id(cell: dict[str, Any]) -> str | None:
    return notebooks.nbgrader_meta(cell).get("grade_id") or None


def _restorable(cell: dict[str, Any]) -> bool:
    """A released cell the learner may not remove: graded, or locked and not a solution."""
    meta = notebooks.nbgrader_meta(cell)
    return bool(_grade_id(cell)) and not meta.get("solution") and bool(meta.get("grade") or meta.get("locked"))


def _points(points: Any) -> str:
    """``1 point``, ``2 points``.

    Example:
        >>> _points(1), _points(2.0), _points(0.5)
        ('1 point', '2 points', '0.5 points')
    """
    value = float(points or 0)
    return f"{value:g} point" + ("" if value == 1 else "s")


def _what(cell: dict[str, Any]) -> str:
    """How a sentence names a cell: ``the graded test cell t1 (2 points)``, ``the locked cell header``."""
    meta = notebooks.nbgrader_meta(cell)
    if meta.get("grade"):
        return f"the graded test cell {meta['grade_id']} ({_points(meta.get('points'))})"
    if meta.get("solution"):
        return f"the solution cell {meta['grade_id']}"
    return f"the locked cell {meta['grade_id']}"


def _names(ids: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    Example:
        >>> _names(["a"]), _names(["a", "b"]), _names(["a", "b", "c"])
        ('a', 'a and b', 'a, b and c')
    """
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def _release_cell(cell: dict[str, Any], with_id: bool) -> dict[str, Any]:
    """A copy of a released cell as a submission holds it (source as lines, no outputs)."""
    new = copy.deepcopy(cell)
    new["source"] = notebooks.source_lines(notebooks.source_text(new))
    if new["cell_type"] == "code":
        new["outputs"], new["execution_count"] = [], None
    if not with_id:
        new.pop("id", None)
    return new


def _remove_duplicates(cells: list[dict[str, Any]], release_ids: dict[str, str | None]) -> list[str]:
    """Keep one copy of each graded or locked cell; extra solution copies become ordinary cells."""
    problems = []
    by_grade_id: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        meta = notebooks.nbgrader_meta(cell)
        if _grade_id(cell) and (meta.get("grade") or meta.get("solution") or meta.get("locked")):  # as nbgrader
            by_grade_id.setdefault(_grade_id(cell), []).append(index)
    drop: set[int] = set()
    for grade_id, indices in by_grade_id.items():
        if len(indices) < 2:
            continue
        matching = [i for i in indices if release_ids.get(grade_id) and cells[i].get("id") == release_ids[grade_id]]
        keep = matching[0] if matching else indices[0]
        extra = [i for i in indices if i != keep]
        copies = f"{len(indices)} times" if len(indices) > 2 else "twice"
        if notebooks.nbgrader_meta(cells[keep]).get("solution") and not notebooks.is_graded(cells[keep]):
            for i in extra:
                del cells[i]["metadata"]["nbgrader"]
            problems.append(f"{_sentence(_what(cells[keep]))} appears {copies} in your notebook (a copy-paste?): "
                            "the copies run as ordinary cells, in order.")
        else:
            drop.update(extra)
            graded = "it was graded once and " if notebooks.is_graded(cells[keep]) else ""
            problems.append(f"{_sentence(_what(cells[keep]))} appears {copies} in your notebook (a copy-paste?): "
                            f"{graded}the extra copies were removed.")
    cells[:] = [cell for i, cell in enumerate(cells) if i not in drop]
    return problems


def _restore_missing(cells: list[dict[str, Any]], release_nb: dict[str, Any], with_ids: bool) -> list[str]:
    """Put back graded and locked cells the learner deleted, each after its nearest released predecessor."""
    problems: list[str] = []
    locked_restored: list[str] = []
    release_cells = release_nb.get("cells", [])
    for position, released in enumerate(release_cells):
        if not _restorable(released):
            continue
        grade_id = _grade_id(released)
        if any(_grade_id(cell) == grade_id for cell in cells):
            continue
        same_id = [i for i, cell in enumerate(cells)
                   if released.get("id") and cell.get("id") == released["id"] and not _grade_id(cell)]
        if same_id:  # the cell is there but an editor dropped its nbgrader metadata
            cells[same_id[0]] = _release_cell(released, with_ids)
            problems.append(f"{_sentence(_what(released))} had lost its grading metadata (an editor other than "
                            "JupyterLab?): it was restored from the assignment.")
            continue
        at = 0
        for earlier in reversed(release_cells[:position]):
            found = [i for i, cell in enumerate(cells)
                     if (_grade_id(earlier) and _grade_id(cell) == _grade_id(earlier))
                     or (not _grade_id(earlier) and earlier.get("id") and cell.get("id") == earlier.get("id"))]
            if found:
                at = found[0] + 1
                break
        cells.insert(at, _release_cell(released, with_ids))
        if notebooks.is_graded(released):
            problems.append(f"{_sentence(_what(released))} was missing from your notebook (deleted?): "
                            "it was put back from the assignment and graded.")
        else:
            locked_restored.append(grade_id)
    if locked_restored:
        cells_word = "cell" if len(locked_restored) == 1 else "cells"
        problems.append(f"The locked {cells_word} {_names(locked_restored)} {'was' if len(locked_restored) == 1 else 'were'} "
                        "missing from your notebook (deleted?): put back from the assignment.")
    return problems


def _unique_ids(cells: list[dict[str, Any]]) -> bool:
    """Give cells that share an id a unique one (``id-2``, ...); True when any changed."""
    seen: set[str] = set()
    changed = False
    for cell in cells:
        cell_id = cell.get("id")
        if cell_id is None:
            continue
        if cell_id in seen:
            n = 2
            while f"{cell_id}-{n}"[:64] in seen:
                n += 1
            cell["id"] = f"{cell_id}-{n}"[:64]
            changed = True
        seen.add(cell["id"])
    return changed


def add_note(nb: dict[str, Any], sentences: list[str]) -> None:
    """Add ``sentences`` to the grader's note, a Markdown cell at the top of ``nb`` (created when absent).

    Example:
        >>> nb = {"cells": [], "nbformat": 4, "nbformat_minor": 5}
        >>> add_note(nb, ["One."]); add_note(nb, ["Two."])
        >>> print(notebooks.source_text(nb["cells"][0]))
        **Note from the grader.**
        <BLANKLINE>
        - One.
        - Two.
    """
    if not sentences:
        return
    cells = nb.setdefault("cells", [])
    if cells and cells[0].get("id") == NOTE_ID and cells[0].get("cell_type") == "markdown":
        lines = notebooks.source_text(cells[0]).rstrip("\n").split("\n")
    else:
        lines = [NOTE_TITLE, ""]
        note: dict[str, Any] = {"cell_type": "markdown", "metadata": {}, "source": ""}
        if int(nb.get("nbformat_minor", 5)) >= 5 or any("id" in c for c in cells):
            note["id"] = NOTE_ID
        cells.insert(0, note)
    lines += [f"- {sentence}" for sentence in sentences]
    text = "\n".join(lines)
    cells[0]["source"] = text if isinstance(cells[0].get("source"), str) else notebooks.source_lines(text)


def repair_cells(nb: dict[str, Any], release_nb: dict[str, Any]) -> list[str]:
    """Repair ``nb`` (a submitted notebook as JSON) in place against ``release_nb``; one sentence per problem."""
    cells = nb.setdefault("cells", [])
    earlier: list[str] = []
    if cells and cells[0].get("id") == NOTE_ID and cells[0].get("cell_type") == "markdown":
        # repaired before (graded again): those problems still stand, and the note is rebuilt
        earlier = [line[2:] for line in notebooks.source_text(cells.pop(0)).split("\n") if line.startswith("- ")]
    release_ids = {_grade_id(c): c.get("id") for c in release_nb.get("cells", []) if _grade_id(c)}
    with_ids = int(nb.get("nbformat_minor", 5)) >= 5 and nb.get("nbformat", 4) >= 4
    problems = _remove_duplicates(cells, release_ids)
    problems += _restore_missing(cells, release_nb, with_ids)
    _unique_ids(cells)
    problems = list(dict.fromkeys(earlier + problems))
    add_note(nb, problems)
    return problems


def repair_submission(path: str | Path, release_nb: dict[str, Any]) -> list[str]:
    """Repair the submitted notebook at ``path`` in place (see the module docstring); one sentence per problem.

    The file is rewritten only when something was repaired. A file that is not
    a notebook is left alone (nbgrader reports it).
    """
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return []
    before = json.dumps(nb, sort_keys=True)
    problems = repair_cells(nb, release_nb)
    if json.dumps(nb, sort_keys=True) != before:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return problems


def kernel_problems(graded_path: str | Path) -> list[str]:
    """The kernel deaths recorded in a graded notebook, one sentence each (empty when none, or no file).

    Example:
        >>> kernel_problems("no/such.ipynb")
        []
    """
    path = Path(graded_path)
    if not path.exists():
        return []
    cells = notebooks.read_with_outputs(path).get("cells", [])
    errors = [(c, o["evalue"]) for c in cells if c.get("cell_type") == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error" and o.get("ename") == KERNEL_DIED and isinstance(o.get("evalue"), str)]
    not_run = sum(1 for c, evalue in errors if evalue.startswith(NOT_RUN) and notebooks.is_graded(c))
    found = []
    for cell, evalue in errors:
        stopped = RUNNING.match(evalue)
        if stopped:
            heading = heading_above(cells, cells.index(cell))
            under = f' under "{heading}"' if heading else ""
            cells_word = "cell" if not_run == 1 else "cells"
            found.append(f"The kernel stopped while running {stopped['cell']}{under}: {stopped['why']}; "
                         f"{not_run} graded {cells_word} after it were not run (0 points).")
    return found


def heading_above(cells: list[dict[str, Any]], index: int) -> str | None:
    """The last Markdown heading above cell ``index`` (without its #'s), None when there is none.

    Example:
        >>> cells = [{"cell_type": "markdown", "source": "## Task 1: Fit\\n\\nText"}, {"cell_type": "code", "source": "1"}]
        >>> heading_above(cells, 1), heading_above(cells, 0)
        ('Task 1: Fit', None)
    """
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            found = notebooks.headings({"cells": [{"cell_type": "markdown", "source": notebooks.source_text(cell)}]})
            if found:
                return found[-1]
    return None


def report_line(student: str, problems: list[str]) -> str:
    """The instructor's one line about a submission graded despite ``problems``.

    Example:
        >>> report_line("ann", ["The graded test cell t2 (1 point) was missing.", "Another thing."])
        '! ann: graded despite problems: The graded test cell t2 (1 point) was missing. Another thing.'
    """
    return f"! {student}: graded despite problems: " + " ".join(p.replace("\n", " ") for p in problems)
