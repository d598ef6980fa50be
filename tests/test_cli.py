"""The tfcert command's small subcommands (release, grade and demo run in test_autograde's way; lint in test_lint)."""

from __future__ import annotations

import json

import nbformat

from tfcert import cli, notebooks


def test_doctor_reports_versions_devices_and_data(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for line in ("tensorflow  2.", "keras       3.", "devices     CPU", "digits train (1200, 8, 8): ok", "nbgrader", "sandbox     ",
                 "pretrained  course base: "):
        assert line in out


def test_fmt_normalises_a_notebook_in_place(tmp_path):
    path = tmp_path / "messy.ipynb"
    cell = nbformat.v4.new_code_cell("print(1)", id="say-one")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    cell.execution_count = 7
    path.write_text(json.dumps(nbformat.v4.new_notebook(cells=[cell]), indent=4))
    assert notebooks.problems(path), "a notebook with outputs is not in the stored form"
    assert cli.main(["fmt", str(path)]) == 0
    assert notebooks.problems(path) == []
    assert notebooks.read(path)["cells"][0]["id"] == "say-one", "ids are kept"


def test_grade_with_no_submissions_says_where_it_looked(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("tfcert.sandbox.available", lambda: True)
    assert cli.main(["grade", "d1_developer_skills", "--course", str(tmp_path)]) == 2
    assert "submitted/<student>/d1_developer_skills/d1_developer_skills.ipynb" in capsys.readouterr().err
