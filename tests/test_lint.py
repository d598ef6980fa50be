"""tfcert lint: each static rule fires on the mistake it exists for, with a sentence that says what to do.

These are the rule breaks that used to surface only when nbgrader graded a whole
submission; here they are found in milliseconds, without nbgrader or a kernel.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tfcert import cli, lint, manifest, notebooks, paths

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def course(tmp_path) -> Path:
    """A copy of the course's files that the rules read."""
    for name in ("checklist.yml", "README.md", "notebooks", "source", "release", "samples"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    assert lint.problems(tmp_path) == []
    return tmp_path


def _edit_cell(root: Path, relative: str, cell_id: str, **changes) -> None:
    path = root / relative
    nb = notebooks.read(path)
    cell = next(c for c in nb["cells"] if c["id"] == cell_id)
    for key, value in changes.items():
        if key == "tags":
            cell["metadata"]["tags"] = value
        else:
            cell[key] = value
    notebooks.write(nb, path)


D2 = "source/d2_neural_networks/d2_neural_networks.ipynb"


def test_a_verify_cell_that_leans_on_the_learners_kernel_is_found(course):
    _edit_cell(course, D2, "d2-glyph-shapes", source="grading.check_input_shape(glyph_model, (None, 28, 28))")
    found = lint.problems(course)
    assert any("verify cell d2-glyph-shapes uses glyph_model, which a clean process does not have" in p for p in found)


def test_ipython_syntax_in_a_verify_cell_is_found():
    assert "uses IPython syntax" in lint.verify_cell_problems("c", "!ls models")[0]
    assert lint.verify_cell_problems("c", "import json\nfor f in Path('models').iterdir():\n    json.loads(f.read_text())") == []


def test_an_untagged_training_cell_is_found(course):
    _edit_cell(course, D2, "regularised-train", tags=[])
    assert any("cell regularised-train trains (calls .fit) but is not tagged 'train'" in p for p in lint.problems(course))


def test_a_model_saved_as_h5_is_found(course):
    _edit_cell(course, "notebooks/02_neural_networks.ipynb", "d2-02-fit",
               source="history = model.fit(x, y)\nmodel.save('models/m.h5')")
    assert any("saves a .h5 file" in p for p in lint.problems(course))


def test_a_sample_that_replaces_a_locked_cell_or_loses_unknown_points_is_found(course):
    path = course / "samples/d2_neural_networks/overfit.yml"
    data = yaml.safe_load(path.read_text())
    data["replace"]["d2-glyph-shapes"] = "pass"
    data["lose"]["d2_no_such_cell"] = 1
    data["lose"]["d2_plot"] = 5
    path.write_text(yaml.safe_dump(data))
    found = "\n".join(lint.problems(course))
    assert "replaces 'd2-glyph-shapes', which is not a cell the learner can edit" in found
    assert "loses points on 'd2_no_such_cell', which is not a graded cell" in found
    assert "loses 5 on d2_plot, which is worth 1" in found


def test_manifest_mistakes_are_found(course):
    path = course / "source/d2_neural_networks/manifest.yml"
    data = yaml.safe_load(path.read_text())
    data["data"]["glyphs"].append("folders")
    data["data"]["mnist"] = ["arrays"]
    data["demo_samples"].append("genius")
    data["probe"] = [{"model": "models/elsewhere.keras", "dataset": "glyphs"}]
    data["domain"] = "D3"
    path.write_text(yaml.safe_dump(data))
    found = "\n".join(lint.problems(course))
    assert "glyphs has no form 'folders': its forms are" in found
    assert "unknown dataset 'mnist'" in found
    assert "demo sample 'genius' has no samples/d2_neural_networks/genius.yml" in found
    assert "probe model models/elsewhere.keras is never named in the notebook" in found
    assert "checklist.yml names 'd3_image_classification' as the assignment of D3, not 'd2_neural_networks'" in found


@pytest.mark.parametrize("data, message", [
    ({"domain": "D1", "extras": 1}, "unknown key(s) extras: the keys are domain, data, pretrained, demo_samples, probe"),
    ({"data": {}}, "'domain' is required"),
    ({"domain": "D1", "data": {"digits": "arrays"}}, "the forms of digits should be a list of names"),
    ({"domain": "D1", "probe": [{"model": "m.keras"}]}, "'probe' should be a list of {model: models/NAME.keras, dataset: NAME}"),
    ([1, 2], "expected a mapping of domain, data"),
])
def test_manifest_schema_errors_say_what_to_write(data, message):
    with pytest.raises(manifest.ManifestError, match=None) as caught:
        manifest.parse("a1", data)
    assert message in str(caught.value) and str(caught.value).startswith("source/a1/manifest.yml: ")


def test_a_missing_manifest_is_named(course):
    (course / "source/d1_developer_skills/manifest.yml").unlink()
    assert any("source/d1_developer_skills/manifest.yml is missing" in p for p in lint.problems(course))


def test_a_stale_release_and_a_notebook_outside_the_stored_form_are_found(course):
    path = course / "release/d1_developer_skills/d1_developer_skills.ipynb"
    nb = notebooks.read(path)
    next(c for c in nb["cells"] if c["id"] == "size-build")["source"] = "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"
    notebooks.write(nb, path)
    lesson = course / "notebooks/01_developer_skills.ipynb"
    lesson.write_text(json.dumps(notebooks.read(lesson), indent=1, sort_keys=True) + "\n")  # sources as strings
    found = "\n".join(lint.problems(course))
    assert "release/d1_developer_skills: cell size-build shows ['BEGIN SOLUTION', 'END SOLUTION']" in found
    assert "notebooks/01_developer_skills.ipynb: not in the stored form" in found


def test_a_graded_cell_that_ends_in_a_value_is_found(course):
    _edit_cell(course, D2, "d2-plot", source="curves_figure = plot_curves(glyph_history)\ncurves_figure.axes")
    found = "\n".join(lint.problems(course))
    assert "graded cell d2-plot ends in the expression `curves_figure.axes`, whose value nbgrader would read" in found
    _edit_cell(course, D2, "d2-plot", source="curves_figure = plot_curves(glyph_history)\ncurves_figure.axes;")
    assert not any("d2-plot" in p for p in lint.problems(course)), "a trailing semicolon shows no value"


def test_every_task_has_a_hint_that_names_a_real_lesson_section(course):
    _edit_cell(course, D2, "task3-hint", source="<details><summary>Hint</summary>\n\nLesson 2, "
               "*D2.16 Stop training early*: look at on_epoch_end.\n</details>")
    path = course / D2
    nb = notebooks.read(path)
    nb["cells"] = [c for c in nb["cells"] if c["id"] != "task6-hint"]
    notebooks.write(nb, path)
    found = "\n".join(lint.problems(course))
    assert "the hint of Task 3 names *D2.16 Stop training early*, which is not a heading of the lesson" in found
    assert "Task 6 has 0 hint cells, one expected" in found


def test_the_template_is_checked(course):
    _edit_cell(course, "notebooks/01_developer_skills.ipynb", "header", source="import tensorflow as tf")
    assert any("the first code cell should be exactly tfcert.HEADER_CELL" in p for p in lint.problems(course))


def test_readme_rows_follow_the_checklist(course):
    readme = course / "README.md"
    readme.write_text(readme.read_text().replace("`release/d2_neural_networks/`", "`release/d2/`"))
    assert "README.md: the D2 row should name release/d2_neural_networks/ (as checklist.yml does)" in lint.problems(course)


def test_every_setting_the_package_reads_is_documented(tmp_path):
    (tmp_path / "tfcert").mkdir()
    (tmp_path / "tfcert" / "m.py").write_text('import os\nos.environ.get("TFCERT_NEW_KNOB")\n')
    (tmp_path / "README.md").write_text("| `TFCERT_OLD_KNOB` | 1 | gone |\n")
    assert lint.settings_problems(tmp_path) == [
        "README.md: the settings table does not document TFCERT_NEW_KNOB",
        "README.md: the settings table documents TFCERT_OLD_KNOB, which the package never reads"]


def test_lint_command_prints_problems_and_fails(course, capsys):
    _edit_cell(course, D2, "regularised-train", tags=[])
    assert cli.main(["lint", "--course", str(course)]) == 1
    out = capsys.readouterr().out
    assert "regularised-train trains" in out and f"1 problem(s) in {len(paths.assignments(course))} assignment(s)" in out
