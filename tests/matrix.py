"""Which assignments' full sample matrix a test run grades, and the record of their last green full run.

``make test`` grades every assignment's reference, blank and security samples
(``core: true``) end to end each time. An assignment's whole sample matrix
(every mistake, the alternative, files-mode agreement on each, the exam's
references and weak solutions) costs far more, so it runs when something
that can change the assignment's scores has changed since its last green full
run, which ``matrix-record.json`` (beside this file) keeps: a digest per
assignment (and one for the mock exam) of

- its own files: ``source/<a>/``, ``release/<a>/``, ``samples/<a>/``
  (for the exam: ``tfcert/exam/`` and ``samples/exam/``);
- the code every grading goes through (:data:`SHARED`: the grading, probe,
  data, sandbox and nbgrader code of ``tfcert/``, ``nbgrader_config.py``);
- the installed versions of the packages that train and grade (:data:`VERSIONED`).

``make test-all`` (``TFCERT_TEST_MATRIX=all``) grades every matrix and rewrites
the record of each assignment whose tests all passed, in a run where no test
outside the assignments failed either. ``TFCERT_TEST_MATRIX=none`` grades no
matrix (a developer's quick run); the default, ``auto``, grades the stale ones.

Example:
    >>> sorted(MATRICES)[-1], "exam" in MATRICES
    ('exam', True)
    >>> digest("d1_developer_skills") == digest("d1_developer_skills") != digest("d2_neural_networks")
    True
    >>> chosen("none"), chosen("all") == MATRICES
    ([], True)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECORD = Path(__file__).resolve().parent / "matrix-record.json"
ENV = "TFCERT_TEST_MATRIX"

#: Code that every assignment's grading runs through: a change here pays every matrix, as it should. The modules of
#: tfcert/ left out (the command line, the class report, lint, the checklist, the Colab check, self-check) and
#: tfcert/exam/ (the exam's own matrix) change no assignment's scores.
SHARED_EXCLUDED = ("tfcert/cli.py", "tfcert/colab.py", "tfcert/lint.py", "tfcert/checklist.py", "tfcert/report.py",
                   "tfcert/selfcheck.py", "tfcert/exam/")
SHARED = ("tfcert/", "nbgrader_config.py")
#: Packages whose version can move a trained model's numbers or the grader's behaviour.
VERSIONED = ("tensorflow", "keras", "nbgrader", "numpy", "scikit-learn", "matplotlib")


def _assignments() -> list[str]:
    source = REPO / "source"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").exists())


#: Every sample matrix: one per assignment, and the mock exam's.
MATRICES: list[str] = [*_assignments(), "exam"]


@lru_cache(maxsize=1)
def _tracked() -> tuple[str, ...]:
    """The repository's files as a fresh clone has them (tracked, or new and not ignored), sorted."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout
    return tuple(sorted(p for p in listed.split("\0") if p and (REPO / p).is_file()))


def inputs(name: str) -> list[str]:
    """The files whose contents the digest of ``name`` (an assignment, or ``exam``) covers, relative to the repo."""
    own = ("tfcert/exam/", "samples/exam/") if name == "exam" else (f"source/{name}/", f"release/{name}/",
                                                                      f"samples/{name}/")
    def shared(path: str) -> bool:
        return path.startswith(SHARED) and not path.startswith(SHARED_EXCLUDED)
    return [p for p in _tracked() if p.startswith(own) or shared(p)]


def versions() -> dict[str, str]:
    """The installed version of each package in :data:`VERSIONED` ('absent' where it is not installed)."""
    found = {}
    for package in VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "absent"
    return found


def digest(name: str) -> str:
    """A content hash of everything that can change the scores of ``name``'s samples (16 hex digits)."""
    h = hashlib.sha256(json.dumps(versions(), sort_keys=True).encode())
    for path in inputs(name):
        h.update(path.encode() + b"\0" + (REPO / path).read_bytes() + b"\0")
    return h.hexdigest()[:16]


def record() -> dict[str, dict]:
    """The record of the last green full run of each matrix (empty when there is none)."""
    try:
        return json.loads(RECORD.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def stale() -> list[str]:
    """The matrices whose digest differs from the record: something that can change their scores changed."""
    kept = record()
    return [name for name in MATRICES if kept.get(name, {}).get("digest") != digest(name)]


def chosen(setting: str | None = None) -> list[str]:
    """The matrices this run grades: all, none, or (``auto``, the default) the stale ones."""
    setting = (setting if setting is not None else os.environ.get(ENV, "auto")).strip().lower() or "auto"
    if setting == "all":
        return list(MATRICES)
    if setting == "none":
        return []
    if setting != "auto":
        raise ValueError(f"{ENV}={setting!r}: use all, none or auto")
    return stale()


def write(passed: dict[str, dict]) -> None:
    """Record ``passed`` (matrix -> {tests, seconds}) as green now, with each one's current digest."""
    kept = record()
    for name, figures in passed.items():
        kept[name] = {"digest": digest(name), "passed": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                      **figures, "versions": versions()}
    RECORD.write_text(json.dumps(dict(sorted(kept.items())), indent=1) + "\n")


def main() -> int:
    """``python tests/matrix.py``: each matrix, fresh or stale, and when it last passed."""
    kept, old = record(), set(stale())
    for name in MATRICES:
        last = kept.get(name, {})
        state = "stale: make test runs its full matrix" if name in old else "fresh"
        print(f"{name:34} {state:40} last green: {last.get('passed', 'never')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
