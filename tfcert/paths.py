"""Where a course keeps things: its root, its assignments and their notebooks.

A course directory is the repository root (or a scratch copy of it): each
assignment is a folder ``source/<assignment>/`` holding ``<assignment>.ipynb``
and ``manifest.yml``. Everything that loops over assignments (the command
line, the demo, the benches, the tests) asks :func:`assignments`.

Example:
    >>> assignments()[:2]
    ['d1_developer_skills', 'd2_neural_networks']
    >>> notebook_path(Path("/c"), "submitted", "d1", student="ann").as_posix()
    '/c/submitted/ann/d1/d1.ipynb'
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def assignments(root: str | Path = REPO_ROOT) -> list[str]:
    """The assignments of a course: the folders of ``source/`` that hold their notebook, sorted."""
    source = Path(root) / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / f"{p.name}.ipynb").exists())


def notebook_path(root: str | Path, directory: str, assignment: str, student: str | None = None) -> Path:
    """``<root>/<directory>[/<student>]/<assignment>/<assignment>.ipynb``, nbgrader's layout."""
    parts = [directory] + ([student] if student else []) + [assignment, f"{assignment}.ipynb"]
    return Path(root).joinpath(*parts)
