"""Out-of-kernel verification: re-run the model checks where learner code cannot reach them.

nbgrader runs test cells in the learner's own kernel, so learner code could
tamper with them (replace ``grading.check_params`` with a no-op, install an
IPython hook that rewrites test cells, ...). Test cells tagged ``verify`` are
therefore self-contained: given :data:`PREAMBLE`, they need nothing from the
learner's kernel, only files (saved models, histories, scripts). Full grading
skips them in the kernel (``c.Execute.skip_cells_with_tag``); after ``nbgrader
autograde``, :func:`verify_submission` runs them, as the course's source notebook
has them, in a fresh Python process in the sandbox, in the submission's
autograded folder. A cell that fails there loses its points in the gradebook,
and the failure is added to the cell's outputs so the feedback shows it. Files
mode (:mod:`tfcert.batch`) runs the same cells on handed-in files.

The instructor's held-out secret (:func:`tfcert.datasets.heldout_secret`), when
the grading process has one, reaches the clean process on its standard input
with the cells, never through its environment, so a learner's script that a
cell runs inherits nothing, and the clean process makes its memory unreadable
to such a script.

Example:
    >>> run_cells({"ok": "assert 1 + 1 == 2", "bad": "raise grading.GradingError('m.keras is too big')",
    ...            "threads": "assert os.environ['TF_NUM_INTRAOP_THREADS'] == '2'"})
    {'ok': None, 'bad': 'GradingError: m.keras is too big', 'threads': None}
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from tfcert import notebooks

VERIFY_TAG = notebooks.VERIFY_TAG
#: What a verified cell may assume, and all it may assume.
PREAMBLE = "import os, subprocess, sys, tempfile\nfrom pathlib import Path\nfrom tfcert import grading\n"
TIMEOUT_S = 900


def _run_all(cells: dict[str, str]) -> dict[str, str | None]:
    """Execute each cell after PREAMBLE in a fresh namespace; ``id -> None or 'Error: message'``."""
    results: dict[str, str | None] = {}
    for cell_id, source in cells.items():
        namespace: dict[str, Any] = {"__name__": "__verify__"}
        try:
            exec(compile(PREAMBLE + source, f"<verify {cell_id}>", "exec"), namespace)
            results[cell_id] = None
        except BaseException as exc:  # noqa: BLE001 - every failure, SystemExit included, is a failed check
            results[cell_id] = f"{type(exc).__name__}: {exc}"
    return results


#: Recipes retrained by the verifiers this process started, per assignment (see :func:`tfcert._probe.recipe_key`).
_RETRAINED: dict[str, dict[str, dict[str, Any]]] = {}
RETRAINED_MARKER = "TFCERT-RETRAINED "


def run_cells(cells: dict[str, str], workdir: Path | None = None, timeout: float = TIMEOUT_S,
              batch: str | None = None) -> dict[str, str | None]:
    """Run ``cells`` (id -> source) in one clean, sandboxed Python process in ``workdir``.

    With ``batch`` (the assignment being graded), the recipes the grader
    retrains (``retrain_examples``) are retrained once per recipe for all the
    runs of this process with that ``batch``: a recipe's result does not depend
    on who handed it in. ``TFCERT_RETRAIN_ONCE=0`` retrains every time.
    """
    from tfcert import datasets, sandbox

    workdir = Path(workdir or Path.cwd()).resolve()
    command = [sys.executable, "-I", "-m", "tfcert.verify"]
    memo = (_RETRAINED.setdefault(batch, {}) if batch and os.environ.get("TFCERT_RETRAIN_ONCE", "1") != "0"
            else None)
    # The held-out secret goes on stdin with the cells, never into the environment (see __main__).
    request = {"cells": cells, "heldout_secret": datasets.heldout_secret(), "retrained": dict(memo or {})}
    try:
        run = sandbox.run_sandboxed(command, workdir, timeout, input_text=json.dumps(request))
    except Exception as exc:  # timeout, or the sandbox could not start
        return {cell_id: f"VerificationError: the clean re-run did not finish ({type(exc).__name__})" for cell_id in cells}
    marker = "TFCERT-VERIFY "
    lines = [line for line in run.stdout.splitlines() if line.startswith(marker)]
    if not lines:
        tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return {cell_id: f"VerificationError: the clean re-run failed ({tail})" for cell_id in cells}
    retrained = [line for line in run.stdout.splitlines() if line.startswith(RETRAINED_MARKER)]
    if memo is not None and retrained:
        try:
            found = json.loads(retrained[-1][len(RETRAINED_MARKER):])
        except ValueError:
            found = {}
        memo.update({k: v for k, v in found.items() if isinstance(v, dict)} if isinstance(found, dict) else {})
    return json.loads(lines[-1][len(marker):])


def verified_cells(nb: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """``cell id -> (grade_id, source)`` for the graded cells tagged ``verify``."""
    return {cell["id"]: (notebooks.nbgrader_meta(cell)["grade_id"], notebooks.source_text(cell))
            for cell in nb["cells"]
            if cell["cell_type"] == "code" and notebooks.is_graded(cell) and VERIFY_TAG in notebooks.tags(cell)}


def verify_submission(course_root: Path, assignment: str, student: str) -> dict[str, str]:
    """Run a graded submission's ``verify`` cells outside its kernel; returns ``grade_id -> message`` revoked.

    The cells come from the course's ``source/`` notebook, never from the
    learner's (whose tags and metadata the learner controls). Full grading
    skips them in the kernel, where nbgrader gives them their points; here each
    one that fails loses them, and its failure is added to the graded
    notebook's cell so the feedback shows it.
    """
    from tfcert.nbgrader_ext import open_gradebook, short_error

    folder = course_root / "autograded" / student / assignment
    revoked: dict[str, str] = {}
    for path in sorted(folder.glob("*.ipynb")):
        source = course_root / "source" / assignment / path.name
        if not source.exists():
            continue
        checks = {grade_id: src for grade_id, src in verified_cells(notebooks.read(source)).values()}
        if not checks:
            continue
        failed = {grade_id: message for grade_id, message in run_cells(checks, folder, batch=assignment).items()
                  if message is not None}
        if not failed:
            continue
        nb = notebooks.read_with_outputs(path)
        with open_gradebook(course_root) as gb:
            for grade_id, message in failed.items():
                gb.find_grade(grade_id, path.stem, assignment, student).auto_score = 0
                revoked[grade_id] = message
            gb.db.commit()
        for cell in nb["cells"]:
            message = failed.get(notebooks.nbgrader_meta(cell).get("grade_id"))
            if message is None or not notebooks.is_graded(cell):
                continue
            ename, _, evalue = message.partition(": ")
            output = {"output_type": "error", "ename": ename, "evalue": f"{evalue} (checked outside your kernel)"}
            output["traceback"] = short_error(output)
            cell.setdefault("outputs", []).append(output)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return revoked


if __name__ == "__main__":
    from tfcert import quiet_tensorflow
    from tfcert._probe import KerasWithoutScikitLearn, pin_judge_threads

    quiet_tensorflow()
    pin_judge_threads()  # the same numbers on every grading machine
    KerasWithoutScikitLearn.install()  # a second less to start
    os.environ["TFCERT_PROBE_IN_PROCESS"] = "1"  # this process runs no learner code: probe in place
    request = json.loads(sys.stdin.read())
    if request.get("heldout_secret"):
        from tfcert import datasets

        datasets.set_heldout_secret(request["heldout_secret"])
        if sys.platform.startswith("linux"):  # a learner script a cell runs cannot read this process's memory
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    from tfcert import _probe

    _probe.RETRAINED.update(request.get("retrained") or {})
    results = _run_all(request["cells"])
    try:  # what was retrained here, for the next submissions of the batch; never at the cost of the results
        print(RETRAINED_MARKER + json.dumps(_probe.RETRAINED_NOW, default=float))
    except (TypeError, ValueError):
        pass
    print("TFCERT-VERIFY " + json.dumps(results))
