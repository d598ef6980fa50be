"""The repository's own consistency: notebooks' stored form, headers, dependencies, checklist."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

import tfcert
from tfcert import checklist, notebooks
from tfcert.course import nbgrader_cell

REPO = Path(__file__).resolve().parent.parent
ALL_NOTEBOOKS = list(notebooks.iter_notebooks(REPO / "notebooks", REPO / "source", REPO / "release"))


def test_there_are_notebooks_to_check():
    kinds = {p.relative_to(REPO).parts[0] for p in ALL_NOTEBOOKS}
    assert kinds == {"notebooks", "source", "release"}


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_is_stored_normalised_with_stable_ids(path):
    assert notebooks.problems(path) == []


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_follows_the_template(path):
    nb = notebooks.read(path)
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert first_code["source"] == tfcert.HEADER_CELL, f"{path.name}: the first code cell must be tfcert.HEADER_CELL"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and first["source"].startswith("# "), "one H1 title first"
    assert "colab.research.google.com" in first["source"], "an Open in Colab badge under the title"
    assert sum(1 for c in nb["cells"] if c["cell_type"] == "markdown"
               for line in c["source"].splitlines() if re.match(r"^# ", line)) == 1, "exactly one H1"
    if "notebooks" not in path.relative_to(REPO).parts:
        meta = nbgrader_cell(first_code)
        assert meta.get("locked") and meta.get("grade_id") == "header", "the header is a locked nbgrader cell"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_training_cells_are_tagged_and_save_keras_files(path):
    nb = notebooks.read(path)
    for cell in nb["cells"]:
        if "train" in cell.get("metadata", {}).get("tags", []):
            assert ".fit(" in cell["source"] or "train" in cell["source"], f"{cell['id']}: tagged train, trains nothing"
        if cell["cell_type"] == "code":
            assert not re.search(r"\.save\(\s*['\"][^'\"]+\.h5['\"]", cell["source"]), f"{cell['id']}: saves .h5"


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


def test_checklist_covers_every_skill_of_active_domains():
    assert checklist.problems() == []
    ids = [s.id for s in checklist.load()]
    assert len(ids) == 7 + 19 + 7 + 9 + 10, "every handbook checklist item, once"


def test_checklist_reports_untaught_and_ungraded_skills(tmp_path):
    for name in ("checklist.yml", "notebooks", "source"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    data = yaml.safe_load((tmp_path / "checklist.yml").read_text())
    d1 = data["domains"][0]["skills"]
    d1[0]["graded"] = []
    d1[1]["taught"] = "D1.02 A heading that does not exist"
    d1[2]["graded"] = ["no_such_cell"]
    (tmp_path / "checklist.yml").write_text(yaml.safe_dump(data))
    found = "\n".join(checklist.problems(tmp_path))
    assert "D1.01: not graded" in found
    assert "has no heading 'D1.02 A heading that does not exist'" in found
    assert "no_such_cell is not a graded cell" in found
    assert "graded cell d1_script_runs assesses no checklist skill" in found


def test_checklist_command_prints_the_coverage_table(capsys):
    from tfcert.cli import main

    assert main(["checklist"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"D1\.03\s+01_developer_skills\.ipynb § D1\.03\s+d1_error_names", out)
    assert re.search(r"D1\.04 .* taught only", out)
