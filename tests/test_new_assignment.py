"""A new domain is a routine addition: its own files and checklist rows, nothing else.

The test adds a throwaway domain, D9 (a lesson, an nbgrader source with its
manifest, samples, the domain's rows of checklist.yml and its row of README's
domain table), to a copy of the course, then shows
that every tool finds it by itself: the static rules, the checklist, the
release, the benches, and (slow) the demo, which grades its samples sandboxed.
Finally it compares the copy with the repository: no other file changed.
"""

from __future__ import annotations

import filecmp
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

import tfcert
from tfcert import checklist, cli, course, lint, notebooks, paths

REPO = Path(__file__).resolve().parent.parent
COPIED = ("nbgrader_config.py", "checklist.yml", "README.md", "notebooks", "source", "release", "samples", "bench")
DOMAIN, NEW, LESSON = "D9", "d9_throwaway", "notebooks/09_throwaway.ipynb"
SKILLS = [{"id": "D9.01", "skill": "Double a number."}, {"id": "D9.02", "skill": "Say why doubling is linear."}]
GRADE_ID = f"{DOMAIN.lower()}_double"
BADGE = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/)"


def _nbgrader(cell: nbformat.NotebookNode, grade_id: str, *, solution: bool = False, points: int = 0) -> None:
    cell.metadata["nbgrader"] = {"grade": bool(points), "grade_id": grade_id, "locked": not solution,
                                 "schema_version": 3, "solution": solution, "task": False}
    if points:
        cell.metadata["nbgrader"]["points"] = points


def add_throwaway_domain(root: Path) -> None:
    """Write the files a new domain adds, the way a contributor would, its checklist rows and README row."""
    lesson = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# Throwaway lesson\n\n{BADGE}", id="title"),
        nbformat.v4.new_code_cell(tfcert.HEADER_CELL, id="header"),
        *[nbformat.v4.new_markdown_cell(f"## {s['id']} {s['skill']}", id=f"skill-{i}") for i, s in enumerate(SKILLS)],
    ])
    notebooks.write(lesson, root / LESSON)

    cells = [nbformat.v4.new_markdown_cell(f"# Throwaway assignment\n\n{BADGE}", id="title"),
             nbformat.v4.new_code_cell(tfcert.HEADER_CELL, id="header"),
             nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                                       id="double"),
             nbformat.v4.new_code_cell('assert double(21) == 42, "double(21) should be 42: multiply x by two"\n'
                                       "### BEGIN HIDDEN TESTS\nassert double(-3) == -6, \"double(-3) should be -6\"\n"
                                       "### END HIDDEN TESTS", id=GRADE_ID.replace("_", "-"))]
    _nbgrader(cells[0], "title")
    _nbgrader(cells[1], "header")
    _nbgrader(cells[2], "double", solution=True)
    _nbgrader(cells[3], GRADE_ID, points=2)
    source = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}})
    notebooks.write(source, paths.notebook_path(root, "source", NEW))
    (root / "source" / NEW / "manifest.yml").write_text(yaml.safe_dump(
        {"domain": DOMAIN, "data": {"digits": ["arrays"]}, "demo_samples": ["reference", "blank", "off_by_one"]}))

    samples = root / "samples" / NEW
    samples.mkdir(parents=True)
    (samples / "reference.yml").write_text("description: The reference.\nlose: {}\n")
    (samples / "blank.yml").write_text("description: Untouched.\nblank: true\nlose: all\n")
    (samples / "off_by_one.yml").write_text(yaml.safe_dump({
        "description": "Adds one too many.", "replace": {"double": "def double(x):\n    return 2 * x + 1\n"},
        "lose": {GRADE_ID: 2}, "messages": ["double(21) should be 42"]}))

    data = yaml.safe_load((root / "checklist.yml").read_text())
    data["domains"].append({"id": DOMAIN, "title": "Throwaway", "lesson": LESSON, "assignment": NEW, "skills": [
        {**skill, "taught": f"{skill['id']} {skill['skill']}", "graded": [GRADE_ID]} for skill in SKILLS]})
    (root / "checklist.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    readme = (root / "README.md").read_text(encoding="utf-8")
    last_row = [line for line in readme.splitlines() if re.match(r"^\|\s*D\d+\b", line)][-1]
    readme = readme.replace(last_row, f"{last_row}\n| {DOMAIN} Throwaway | `{LESSON}` | `release/{NEW}/` |", 1)
    (root / "README.md").write_text(readme, encoding="utf-8")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    for name in COPIED:
        src = REPO / name
        (_copytree if src.is_dir() else _copy)(src, root / name)
    add_throwaway_domain(root)
    return root


def _copy(src: Path, dst: Path) -> None:
    dst.write_bytes(src.read_bytes())


def _copytree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("models", ".ipynb_checkpoints", "__pycache__"))


def _changed_files(root: Path) -> set[str]:
    """Files of the copy that are new or differ from the repository's."""
    changed = set()
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and relative.parts[0] in COPIED and "__pycache__" not in relative.parts:
            original = REPO / relative
            if not original.exists() or not filecmp.cmp(path, original, shallow=False):
                changed.add(relative.as_posix())
    return changed


def test_every_tool_finds_the_new_assignment(scratch):
    assert paths.assignments(scratch) == sorted([*paths.assignments(REPO), NEW])
    assert lint.problems(scratch) == [f"release/{NEW} is missing: run `tfcert release {NEW}` and commit it"]
    assert cli.main(["release", NEW, "--course", str(scratch)]) == 0
    assert lint.problems(scratch) == [], "released, the new domain breaks no rule"
    assert checklist.problems(scratch) == []
    first = f"{DOMAIN}.01"
    row = rf"^{re.escape(first)}\s+{re.escape(Path(LESSON).name)} § {re.escape(first)}\s+{GRADE_ID}$"
    assert re.search(row, checklist.coverage_table(scratch), re.MULTILINE), "its first skill: taught and graded"

    listed = subprocess.run([sys.executable, str(scratch / "bench" / "autograde_one.py"), "--list", "--course",
                             str(scratch)], capture_output=True, text=True, check=True).stdout
    assert f"{NEW}: autograde reference and blank" in listed
    assert set(_changed_files(scratch)) == {
        "checklist.yml", "README.md", LESSON, f"source/{NEW}/{NEW}.ipynb", f"source/{NEW}/manifest.yml",
        f"release/{NEW}/{NEW}.ipynb", f"samples/{NEW}/reference.yml", f"samples/{NEW}/blank.yml",
        f"samples/{NEW}/off_by_one.yml"}, "a new domain edits nothing but its own files, its checklist rows and its README row"


@pytest.mark.slow
def test_the_demo_grades_the_new_assignment_sandboxed(scratch, tmp_path, capsys):
    if not (scratch / "release" / NEW).exists():
        course.Course(scratch).release(NEW)
    out = tmp_path / "demo"
    assert cli.main(["demo", "--course", str(scratch), "--assignment", NEW, "--out", str(out), "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "in a bubblewrap sandbox" in printed
    scores = {(s.student, s.grade_id): s.score for s in course.Course(out).scores(NEW)}
    assert scores == {("reference", GRADE_ID): 2.0, ("blank", GRADE_ID): 0.0, ("off_by_one", GRADE_ID): 0.0}
    assert f"{GRADE_ID}: AssertionError: double(21) should be 42: multiply x by two" in printed
