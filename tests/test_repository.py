"""The repository's own consistency: notebooks' stored form, dependencies, and every static rule (tfcert lint)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tfcert import lint, notebooks

REPO = Path(__file__).resolve().parent.parent
ALL_NOTEBOOKS = list(notebooks.iter_notebooks(REPO / "notebooks", REPO / "source", REPO / "release"))


def test_there_are_notebooks_to_check():
    kinds = {p.relative_to(REPO).parts[0] for p in ALL_NOTEBOOKS}
    assert kinds == {"notebooks", "source", "release"}


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_is_stored_normalised_with_stable_ids(path):
    assert notebooks.problems(path) == []


def test_the_course_breaks_no_static_rule():
    """Everything `tfcert lint` checks: template, tags, verify cells, manifests, samples, release, checklist, README."""
    found = lint.problems(REPO)
    assert not found, "\n".join(found)


def _requirements(items: list[str]) -> set[str]:
    return {re.sub(r"\s+", "", item).lower() for item in items}


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = _requirements(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= _requirements(extra)
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = _requirements([p for p in pip if not p.startswith("-e")])
    assert listed == wanted, f"only in environment.yml: {sorted(listed - wanted)}; only in pyproject: {sorted(wanted - listed)}"


def test_tensorflow_range_admits_colab_and_newest():
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    spec = next(SpecifierSet(d[len("tensorflow"):]) for d in project["dependencies"] if d.startswith("tensorflow>"))
    assert "2.20.0" in spec and "2.21.0" in spec and "2.19.0" not in spec
