"""checklist.yml: every handbook skill, where it is taught, which cells grade it (what the file's header promises)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from tfcert import checklist

REPO = Path(__file__).resolve().parent.parent


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
