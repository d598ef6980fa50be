"""Work that several tests need, done once per test session, whichever test process asks first.

Grading a reference trains its models for minutes; the end-to-end tests, the
class-grading tests and others all need the same graded folder. :func:`once`
builds it in a folder that every pytest-xdist process of the session shares
(the parent of each process's base temporary folder), under a file lock: the
first caller builds, the others wait and read what it left.

Example:
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp())
    >>> once(base, "answer", lambda folder: {"value": 42})[1]
    {'value': 42}
    >>> once(base, "answer", lambda folder: {"value": 0})[1]   # built already: the first result
    {'value': 42}
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest


def session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every test process of this session shares: xdist's processes each get ``<session>/popen-gwN``."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def locked(root: Path, key: str) -> Iterator[Path]:
    """Hold the session-wide lock named ``key`` (other test processes asking for it wait); yields the shared folder."""
    shared = Path(root) / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield shared


def once(root: Path, key: str, build: Callable[[Path], dict[str, Any]]) -> tuple[Path, dict[str, Any]]:
    """``build(folder)`` once for ``key`` under ``root``; ``(folder, the JSON result it returned)``.

    A build that raised raises again for every later caller, with the first traceback, instead of running again.
    """
    with locked(root, key) as shared:
        folder, result, failed = shared / key, shared / f"{key}.json", shared / f"{key}.failed"
        if result.exists():
            return folder, json.loads(result.read_text())
        if failed.exists():
            raise RuntimeError(f"building {key} failed in another test process:\n{failed.read_text()}")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        try:
            value = build(folder)
        except BaseException:
            failed.write_text(traceback.format_exc())
            raise
        result.write_text(json.dumps(value))
        return folder, value


def prepare_data(tmp_path_factory: pytest.TempPathFactory, assignment: str) -> None:
    """Build what ``assignment``'s manifest loads into the data cache, each set and base under a lock of its own, so
    two test processes never generate one set, or train the course's pretrained base, at the same time (the
    grader's own preparation before a batch then finds them built)."""
    from tfcert import datasets, import_tensorflow_quietly, manifest, pretrained

    import_tensorflow_quietly()
    root = session_root(tmp_path_factory)
    spec = manifest.load(assignment, Path(__file__).resolve().parent.parent)
    for name, forms in spec.data.items():
        with locked(root, f"data-{name}"), contextlib.redirect_stdout(io.StringIO()):
            datasets.prepare(name, forms)
    if "scenes" in spec.pretrained:
        course_base(tmp_path_factory)


def course_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course's pretrained base, trained once per machine (cached) and never by two test processes at once."""
    from tfcert import pretrained

    with locked(session_root(tmp_path_factory), "pretrained-scenes"):
        return pretrained.scenes_base_path()


#: D1's solution cells whose reference runs in a second, no training, and the graded cells they earn.
CHEAP = {"fix-dtype": "d1_fix_dtype", "port-optimizer": "d1_port_optimizer", "api-lookup": "d1_api_lookup"}


def cheap_submission(release: dict[str, Any], source: dict[str, Any],
                     replace: dict[str, str] | None = None) -> dict[str, Any]:
    """D1's release with the :data:`CHEAP` solutions filled in from the reference, then ``replace`` (cell id ->
    source): a notebook that a kernel runs in seconds and that earns exactly the CHEAP cells' points."""
    import copy

    from tfcert.samples import reference_source

    nb = copy.deepcopy(release)
    reference = {c["id"]: reference_source(c["source"]) for c in source["cells"] if c["id"] in CHEAP}
    for cell in nb["cells"]:
        cell["source"] = (replace or {}).get(cell["id"], reference.get(cell["id"], cell["source"]))
    return nb


#: A submission that is not a notebook, handed in mid-batch beside every assignment's core samples.
BROKEN = "zz_broken_file"


def core_batch(tmp_path_factory: pytest.TempPathFactory, assignment: str) -> tuple[Any, dict[str, Any]]:
    """The assignment's reference, blank and security samples (``core: true``) and a broken file, graded once per
    session in a scratch course by the real nbgrader in the sandbox: ``(the course, {"outcome", "revoked",
    "samples"})``. The end-to-end tests check it, and the class-grading tests hand in what its reference saved."""
    from tfcert import course, sandbox
    from tfcert.samples import load_samples

    repo = Path(__file__).resolve().parent.parent
    workers = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2  # one kernel per test process when several run

    def build(folder: Path) -> dict[str, Any]:
        assert sandbox.available(), f"grading runs learner code in bubblewrap: {sandbox.unavailable_reason()}"
        prepare_data(tmp_path_factory, assignment)
        crs = course.Course.scratch_copy(repo, folder / "course")
        crs.release(assignment)
        chosen = [name for name, sample in load_samples(assignment, crs.root).items() if sample.always_graded]
        for name in chosen:
            crs.submit_sample(name, assignment, name, focused=True)
        crs.submit(BROKEN, assignment, '{"cells": [ this is not a notebook')
        order = chosen[:1] + [BROKEN] + chosen[1:]  # the broken one mid-batch
        outcome = crs.autograde(assignment, order, progress=False, workers=workers)
        return {"outcome": outcome, "revoked": crs.revoked, "samples": chosen}

    folder, result = once(session_root(tmp_path_factory), f"{assignment}-core", build)
    return course.Course(folder / "course"), result
