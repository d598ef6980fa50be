"""nbgrader extensions: feedback that shows what failed without showing the hidden tests.

nbgrader's feedback HTML is rendered from the autograded notebook, which holds
the hidden tests and full tracebacks that quote them (jupyter/nbgrader#917).
:class:`HideHiddenTests` runs in ``GenerateFeedback`` and

* removes every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block
  from the cells' source, leaving a one-line note in its place;
* cuts each error's traceback down to its last line, ``ErrorName: message``,
  which for a failed check is the actionable sentence from
  :class:`tfcert.grading.GradingError`;
* keeps only that error line among a test cell's outputs: learner code can make
  a test cell print (an IPython hook that echoes each cell's source, say), and
  whatever a test cell printed could quote the hidden test.

Example:
    >>> strip_hidden_tests("a = 1\\n### BEGIN HIDDEN TESTS\\nassert a == 1\\n### END HIDDEN TESTS\\n")
    'a = 1\\n# (hidden tests ran here)\\n'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from tfcert import notebooks

COURSE_ID = "tfcert"


def open_gradebook(course_root: Path, db_url: str | None = None):
    """nbgrader's gradebook of the course at ``course_root`` (use as a context manager).

    ``db_url`` is any database nbgrader takes (``postgresql+psycopg://...``); by
    default the course's own ``gradebook.db`` (SQLite).
    """
    import os
    import sys

    from nbgrader.api import Gradebook

    # A new gradebook is migrated by running `alembic` by name: it must be found even in a virtual
    # environment that was not activated.
    here = str(Path(sys.executable).parent)
    if here not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([here, os.environ.get("PATH", "")])
    return Gradebook(db_url or f"sqlite:///{course_root / 'gradebook.db'}", course_id=COURSE_ID)


HIDDEN_BLOCK = notebooks.marker_block(notebooks.BEGIN_HIDDEN_TESTS, notebooks.END_HIDDEN_TESTS)
HIDDEN_NOTE = "# (hidden tests ran here)\n"


def strip_hidden_tests(source: str) -> str:
    """Replace each hidden-test block in ``source`` with a one-line note."""
    return HIDDEN_BLOCK.sub(HIDDEN_NOTE, source)


def short_error(output: dict[str, Any]) -> list[str]:
    """The one-line traceback kept for an error output.

    Example:
        >>> short_error({"ename": "GradingError", "evalue": "m.keras is 120 KB, the limit is 100 KB"})
        ['GradingError: m.keras is 120 KB, the limit is 100 KB']
        >>> short_error({"ename": "NotImplementedError", "evalue": ""})
        ['NotImplementedError: a solution cell this test uses still says raise NotImplementedError(): write your code there']
    """
    name, value = output.get("ename", "Error"), output.get("evalue", "")
    if name == "NotImplementedError" and not value:
        value = "a solution cell this test uses still says raise NotImplementedError(): write your code there"
    return [f"{name}: {value}"]


class HideHiddenTests(Preprocessor):
    """Strip hidden tests and long tracebacks from notebooks before feedback is rendered."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        cell.source = strip_hidden_tests(cell.source)
        is_test = notebooks.is_graded(cell)
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = short_error(output)
                kept.append(output)
            elif not is_test:
                kept.append(output)
        cell.outputs = kept
        return cell, resources
