"""What a graded notebook tells its learner at a glance: one row per graded cell, under its task.

One summary, three readers: it heads the learner's feedback page (HTML, through
:class:`tfcert.nbgrader_ext.FeedbackSummary`), the output of ``tfcert check``
(text) and, summed over a class, the instructor's report (:mod:`tfcert.report`).
Each row names the task (the notebook's ``## Task N: ...`` heading above the
cell), the graded cell, its points and, when points were lost, the one
sentence that says why and how to fix it: the first line of the cell's error,
as the feedback shows it. Hidden test source never appears: only what the
cell printed as its error.

Example:
    >>> nb = {"cells": [
    ...     {"cell_type": "markdown", "source": "## Task 1: A model sized to its problem (D1.05, D1.06)"},
    ...     {"cell_type": "code", "source": "", "metadata": {"nbgrader": {"grade": True, "grade_id": "t1", "points": 2}},
    ...      "outputs": [{"output_type": "error", "ename": "GradingError", "evalue": "m.keras is 120 KB: save less"}]},
    ...     {"cell_type": "code", "source": "", "metadata": {"nbgrader": {"grade": True, "grade_id": "t2", "points": 1}},
    ...      "outputs": []}]}
    >>> rows = summarise(nb, {"t1": 0.0, "t2": 1.0})
    >>> [(r.task, r.grade_id, r.score, r.points, r.sentence) for r in rows]
    [('Task 1: A model sized to its problem', 't1', 0.0, 2.0, 'm.keras is 120 KB: save less'), ('Task 1: A model sized to its problem', 't2', 1.0, 1.0, '')]
    >>> print(render_text(rows, width=60))
    Task 1: A model sized to its problem                   1 / 3
      ✗ t1                                                 0 / 2
          m.keras is 120 KB: save less
      ✓ t2                                                 1 / 1
    total                                                  1 / 3
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from tfcert import notebooks

#: A task heading's trailing list of skill IDs, "(D1.05, D1.06)", left out of the task's name.
_SKILL_IDS = re.compile(r"\s*\((?:D\d+\.\d{2}(?:,\s*)?)+\)\s*$")
#: Exception names that only say "a check failed": the sentence after them is the whole message.
_PLAIN_FAILURES = {"GradingError", "AssertionError"}
_FULL = 1e-9
#: The name of the rows before a notebook's first task heading.
NO_TASK = "Before the tasks"


@dataclass(frozen=True)
class CellRow:
    """One graded cell: its task, its points and, when points were lost, why."""

    task: str
    grade_id: str
    score: float | None  # None: not graded (yet)
    points: float
    sentence: str = ""

    @property
    def full_marks(self) -> bool:
        return self.score is not None and self.score >= self.points - _FULL


def task_name(heading: str | None) -> str:
    """A task's name from its heading: the skill IDs at its end left out.

    Example:
        >>> task_name("Task 2: Read and fix TensorFlow errors (D1.03)"), task_name(None)
        ('Task 2: Read and fix TensorFlow errors', 'Before the tasks')
    """
    return _SKILL_IDS.sub("", heading).strip() if heading else NO_TASK


def cell_tasks(nb: Mapping[str, Any]) -> dict[str, str]:
    """``grade_id -> task name`` of every graded cell, in notebook order (the last ``##`` heading above it).

    Example:
        >>> cell_tasks({"cells": [{"cell_type": "markdown", "source": "## Task 1: Fit (D2.01)\\n### A detail"},
        ...     {"cell_type": "code", "source": "", "metadata": {"nbgrader": {"grade": True, "grade_id": "t1"}}}]})
        {'t1': 'Task 1: Fit'}
    """
    found: dict[str, str] = {}
    current: str | None = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in notebooks.source_text(cell).splitlines():
                if line.startswith("## "):
                    current = line[3:].strip()
        if notebooks.is_graded(cell):
            found[notebooks.nbgrader_meta(cell)["grade_id"]] = task_name(current)
    return found


def sentence(error_line: str) -> str:
    """What a learner reads of a failed check: ``GradingError``'s and ``AssertionError``'s message alone,
    any other error with its name (``NameError: name 'x' is not defined`` says more with it).

    Example:
        >>> sentence("GradingError: too big: use fewer units"), sentence("NameError: name 'x' is not defined")
        ('too big: use fewer units', "NameError: name 'x' is not defined")
        >>> sentence("AssertionError: ")
        'the check failed without a message'
    """
    name, _, message = error_line.partition(": ")
    if name in _PLAIN_FAILURES:
        return message.strip() or "the check failed without a message"
    return error_line.strip()


def cell_error(cell: Mapping[str, Any]) -> str:
    """The first line of a cell's first error as the feedback shows it, or "" when it has none.

    Example:
        >>> cell_error({"outputs": [{"output_type": "error", "ename": "NotImplementedError", "evalue": ""}]})[:60]
        'NotImplementedError: a solution cell this test uses still sa'
    """
    from tfcert.nbgrader_ext import short_error

    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return short_error(errors[0])[0] if errors else ""


def summarise(nb: Mapping[str, Any], scores: Mapping[str, float | None] | None = None) -> list[CellRow]:
    """The rows of a graded notebook, in notebook order.

    ``scores`` maps grade_id to the points the gradebook gave (missing: not
    graded); without it, the scores nbgrader's feedback step writes into each
    cell's metadata are read. A cell that lost points with no error output (a
    written answer, a manual grade) says so instead of a sentence.
    """
    tasks = cell_tasks(nb)
    rows = []
    for cell in nb.get("cells", []):
        if not notebooks.is_graded(cell):
            continue
        meta = notebooks.nbgrader_meta(cell)
        grade_id = meta["grade_id"]
        points = float(meta.get("points") or 0)
        score = scores.get(grade_id) if scores is not None else meta.get("score")
        score = None if score is None else float(score)
        row = CellRow(tasks[grade_id], grade_id, score, points)
        if not row.full_marks:
            error = cell_error(cell)
            why = sentence(error) if error else "not graded" if score is None else "points lost with no error shown"
            row = CellRow(row.task, grade_id, score, points, why)
        rows.append(row)
    return rows


def _num(x: float | None) -> str:
    """A score as people write it.

    Example:
        >>> _num(2.0), _num(1.5), _num(None)
        ('2', '1.5', '–')
    """
    return "–" if x is None else f"{x:g}"


def by_task(rows: Iterable[CellRow]) -> dict[str, list[CellRow]]:
    """Rows grouped by task, tasks in the order they come.

    Example:
        >>> [t for t in by_task([CellRow("T1", "a", 1, 1), CellRow("T2", "b", 0, 1), CellRow("T1", "c", 1, 1)])]
        ['T1', 'T2']
    """
    found: dict[str, list[CellRow]] = {}
    for row in rows:
        found.setdefault(row.task, []).append(row)
    return found


def totals(rows: Iterable[CellRow]) -> tuple[float, float]:
    """(points scored, points possible).

    Example:
        >>> totals([CellRow("T", "a", 1, 2), CellRow("T", "b", None, 1)])
        (1.0, 3.0)
    """
    rows = list(rows)
    return float(sum(r.score or 0.0 for r in rows)), float(sum(r.points for r in rows))


def render_text(rows: Sequence[CellRow], width: int = 100) -> str:
    """The summary as plain text for a terminal or a notebook cell: tasks, their cells, sentences wrapped."""
    lines = []

    def line(left: str, right: str) -> str:
        return f"{left:<{max(len(left) + 2, width - len(right))}}{right}"

    for task, mine in by_task(rows).items():
        got, possible = totals(mine)
        lines.append(line(task, f"{_num(got)} / {_num(possible)}"))
        for row in mine:
            mark = "✓" if row.full_marks else "✗"
            lines.append(line(f"  {mark} {row.grade_id}", f"{_num(row.score)} / {_num(row.points)}"))
            if row.sentence:
                lines += textwrap.wrap(row.sentence, width=width, initial_indent=" " * 6, subsequent_indent=" " * 6,
                                       break_on_hyphens=False)
    got, possible = totals(rows)
    lines.append(line("total", f"{_num(got)} / {_num(possible)}"))
    return "\n".join(lines)


#: The summary's look; every sentence and output wraps, and plots shrink to fit: the page never scrolls sideways.
CSS = """
.tfcert-summary { margin: 0.6em 0 0.2em; font-size: 14px; }
.tfcert-summary table { border-collapse: collapse; width: 100%; table-layout: fixed; }
.tfcert-summary th, .tfcert-summary td { text-align: left; vertical-align: top; padding: 3px 8px;
  border-bottom: 1px solid #e3e6ea; overflow-wrap: anywhere; white-space: normal; }
.tfcert-summary col.cell { width: 13em; } .tfcert-summary col.pts { width: 6em; }
.tfcert-summary tr.task td { background: #f3f5f8; font-weight: 600; }
.tfcert-summary td.pts { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.tfcert-summary tr.lost td.pts { color: #b0281a; font-weight: 600; }
.tfcert-summary tr.full td.why { color: #2e7d4f; }
.tfcert-summary code { font-size: 12px; }
div.output_area pre, div.input_area pre, div.highlight pre { white-space: pre-wrap; overflow-wrap: anywhere; }
div.output_area img, div.output_subarea img { max-width: 100%; height: auto; }
"""


def render_html(rows: Sequence[CellRow], anchors: bool = True) -> str:
    """The summary as an HTML table (every value escaped); ``anchors`` links each cell to ``#<grade_id>``.

    Example:
        >>> page = render_html([CellRow("Task 1: <b>", "t1", 0, 2, "use <Dense>")])
        >>> "&lt;b&gt;" in page and "use &lt;Dense&gt;" in page and '<a href="#t1">' in page
        True
    """
    e = html.escape
    body = []
    for task, mine in by_task(rows).items():
        got, possible = totals(mine)
        body.append(f'<tr class="task"><td colspan="2">{e(task)}</td>'
                    f'<td class="pts">{e(_num(got))} / {e(_num(possible))}</td></tr>')
        for row in mine:
            name = f'<a href="#{e(row.grade_id)}"><code>{e(row.grade_id)}</code></a>' if anchors \
                else f"<code>{e(row.grade_id)}</code>"
            why = e(row.sentence) if row.sentence else "full marks"
            body.append(f'<tr class="{"full" if row.full_marks else "lost"}"><td>{name}</td>'
                        f'<td class="why">{why}</td><td class="pts">{e(_num(row.score))} / {e(_num(row.points))}'
                        f'</td></tr>')
    got, possible = totals(rows)
    body.append(f'<tr class="task"><td colspan="2">Total</td><td class="pts">{e(_num(got))} / {e(_num(possible))}'
                f'</td></tr>')
    return ('<div class="tfcert-summary" id="summary"><table><colgroup><col class="cell"><col><col class="pts">'
            '</colgroup><thead><tr><th>graded cell</th><th>what it says</th><th class="pts">points</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')
