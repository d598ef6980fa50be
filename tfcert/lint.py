"""The course's rules, checked statically: no nbgrader, no kernel, seconds instead of minutes.

Most rules of CONTRIBUTING.md used to surface only when a whole submission was
graded end to end (a ``verify`` cell that leans on a learner's variable loses
the reference its points only after nbgrader re-ran everything). :func:`problems`
finds them by reading the files: ``tfcert lint`` prints them, and the fast
test suite (``make test-fast``) fails on any.

Example:
    >>> verify_cell_problems("c1", "report = grading.model_report('models/m.keras')\\nassert report.error is None")
    []
    >>> verify_cell_problems("c2", "grading.check_metric(glyph_report, 'accuracy', 0.9)")
    ['verify cell c2 uses glyph_report, which a clean process does not have: a verify cell may use only os, subprocess, sys, tempfile, Path, grading and what it defines or imports itself']
"""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path
from typing import Any

from tfcert import notebooks
from tfcert.paths import REPO_ROOT, assignments

SETTING = re.compile(r"\bTFCERT_[A-Z][A-Z0-9_]*\b")


def _bound_and_loaded(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Names a piece of code binds anywhere, and names it reads."""
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, loaded


def _preamble_names() -> tuple[str, ...]:
    """The names :data:`tfcert.verify.PREAMBLE` binds, in order: all a verify cell may assume."""
    from tfcert.verify import PREAMBLE

    return tuple(dict.fromkeys((alias.asname or alias.name).split(".")[0] for node in ast.parse(PREAMBLE).body
                               if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names))


#: Names a verify cell may use without defining them.
PREAMBLE_NAMES = _preamble_names()


def verify_cell_problems(cell_id: str, source: str) -> list[str]:
    """Why a ``verify`` test cell would not run in a clean process (tfcert.verify); empty when it would."""
    if re.search(r"^\s*[%!]", source, re.M):
        return [f"verify cell {cell_id} uses IPython syntax (% or !): a clean process runs plain Python; "
                "use subprocess.run instead"]
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"verify cell {cell_id} is not valid Python ({exc.msg}, line {exc.lineno})"]
    bound, loaded = _bound_and_loaded(tree)
    free = sorted(loaded - bound - set(PREAMBLE_NAMES) - set(dir(builtins)))
    return [f"verify cell {cell_id} uses {name}, which a clean process does not have: a verify cell may use only "
            f"{', '.join(PREAMBLE_NAMES)} and what it defines or imports itself" for name in free]


def trains(source: str) -> bool:
    """True when a cell calls ``.fit(`` when it runs (not only inside a function or a written file).

    Example:
        >>> trains("history = model.fit(x, y, epochs=5)")
        True
        >>> trains("def broken():\\n    model.fit(x, y)")
        False
    """
    if source.lstrip().startswith("%%"):  # a cell magic (%%writefile ...): not Python run here
        return False
    python = re.sub(r"^(\s*)[%!].*$", r"\1pass", source, flags=re.M)
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return ".fit(" in source
    deferred = {id(n) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                        ast.ClassDef, ast.Lambda))
                for n in ast.walk(node)}
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fit"
               and id(node) not in deferred for node in ast.walk(tree))


def training_cell_problems(path: Path, nb: dict[str, Any]) -> list[str]:
    """Cells that train carry the ``train`` tag (graded test cells may fit tiny models); models are saved as .keras."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or notebooks.is_graded(cell):
            continue
        if trains(cell["source"]) and notebooks.TRAIN_TAG not in notebooks.tags(cell):
            found.append(f"{path}: cell {cell['id']} trains (calls .fit) but is not tagged {notebooks.TRAIN_TAG!r}: "
                         "tag it, so the benches time it and readers know it takes a while")
        if notebooks.TRAIN_TAG in notebooks.tags(cell) and not re.search(r"\.fit\(|train", cell["source"]):
            found.append(f"{path}: cell {cell['id']} is tagged {notebooks.TRAIN_TAG!r} but trains nothing")
        if re.search(r"\.save\(\s*['\"][^'\"]+\.h5['\"]", cell["source"]):
            found.append(f"{path}: cell {cell['id']} saves a .h5 file: save models as .keras")
    return found


def template_problems(path: Path, nb: dict[str, Any], assignment: bool) -> list[str]:
    """The notebook template: one H1 title with an Open in Colab badge first, the course header as first code cell."""
    import tfcert

    found = []
    first = nb["cells"][0] if nb["cells"] else {"cell_type": None, "source": ""}
    if first["cell_type"] != "markdown" or not first["source"].startswith("# "):
        found.append(f"{path}: the first cell should be the H1 title (a Markdown cell starting with '# ')")
    elif "colab.research.google.com" not in first["source"]:
        found.append(f"{path}: the title cell should carry an Open in Colab badge")
    titles = sum(1 for c in nb["cells"] if c["cell_type"] == "markdown"
                 for line in c["source"].splitlines() if re.match(r"^# ", line))
    if titles != 1:
        found.append(f"{path}: {titles} H1 headings, one expected (use ## for sections)")
    first_code = next((c for c in nb["cells"] if c["cell_type"] == "code"), None)
    if first_code is None or first_code["source"] != tfcert.HEADER_CELL:
        found.append(f"{path}: the first code cell should be exactly tfcert.HEADER_CELL (the course header)")
    elif assignment and not (notebooks.nbgrader_meta(first_code).get("locked")
                             and notebooks.nbgrader_meta(first_code).get("grade_id") == "header"):
        found.append(f"{path}: the header should be a locked nbgrader cell with grade_id 'header'")
    return found


#: Calls a graded cell may end with: they return None, so nbgrader reads no partial credit from them.
VALUELESS_CALLS = ("print", "plt.close", "grading.check_")


def graded_cell_value_problems(cell_id: str, source: str) -> list[str]:
    """A graded cell must not end in an expression with a value: nbgrader would read it as partial credit.

    Example:
        >>> graded_cell_value_problems("c1", "model.fit(x, y)")
        ['graded cell c1 ends in the expression `model.fit(x, y)`, whose value nbgrader would read as a partial-credit score: end it in a statement (assign the value, e.g. `_ = ...`)']
        >>> graded_cell_value_problems("c2", "report = r()\\ngrading.check_metric(report, 'accuracy', 0.9)")
        []
    """
    try:
        tree = ast.parse(re.sub(r"^(\s*)[%!].*$", r"\1pass", source, flags=re.M))
    except SyntaxError:
        return []
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or source.rstrip().endswith(";"):
        return []
    text = ast.unparse(last.value)
    if isinstance(last.value, ast.Call) and ast.unparse(last.value.func).startswith(VALUELESS_CALLS):
        return []
    shown = text if len(text) <= 60 else text[:57] + "..."
    return [f"graded cell {cell_id} ends in the expression `{shown}`, whose value nbgrader would read as a "
            "partial-credit score: end it in a statement (assign the value, e.g. `_ = ...`)"]


HINT_HEADING = re.compile(r"\*(D\d+\.\d{2} [^*]+)\*")


def hint_problems(path: Path, nb: dict[str, Any], lesson_headings: list[str]) -> list[str]:
    """Every ``## Task`` has one collapsed hint cell (id ``taskN-hint``) naming real lesson headings, no answer.

    A hint names each lesson section as ``*D2.09 Prevent overfitting ...*``, exactly as the heading reads.
    """
    found = []
    cells = nb["cells"]
    starts = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and c["source"].startswith("## Task")]
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(cells)
        task = cells[start]["source"].splitlines()[0][3:].split(":")[0]
        hints = [c for c in cells[start:end] if c["id"].endswith("-hint")]
        if len(hints) != 1:
            found.append(f"{path}: {task} has {len(hints)} hint cells, one expected (a locked Markdown cell "
                         "with id taskN-hint holding <details><summary>Hint</summary> ...)")
            continue
        text = hints[0]["source"]
        named = [" ".join(heading.split()) for heading in HINT_HEADING.findall(text)]
        if "<details>" not in text or not named:
            found.append(f"{path}: the hint of {task} should be collapsed (<details>) and name a lesson section as "
                         "*D<n>.<nn> heading*")
        found += [f"{path}: the hint of {task} names *{heading}*, which is not a heading of the lesson"
                  for heading in named if heading not in lesson_headings]
    return found


TASK_ROW = re.compile(r"^\|\s*(\d+)\.[^|]*\|[^|]*\|\s*(\d+(?:\.\d+)?)\s*\|\s*$", re.MULTILINE)


def task_points_problems(path: Path, nb: dict[str, Any]) -> list[str]:
    """The overview's task table (``| 1. Name | Skills | Points |``) gives each ``## Task N`` its graded points.

    Example:
        >>> md = lambda text: {"cell_type": "markdown", "source": text, "id": "x"}
        >>> graded = lambda points: {"cell_type": "code", "source": "", "id": "g", "metadata": {"nbgrader": {
        ...     "grade": True, "grade_id": "g", "points": points}}}
        >>> nb = {"cells": [md("| 1. Text | D4.02 | 3 |\\n| 2. Reviews | D4.03 | 4 |"), md("## Task 1: Text"),
        ...                 graded(2), graded(1), md("## Task 2: Reviews"), graded(5)]}
        >>> task_points_problems(Path("a.ipynb"), nb)
        ['a.ipynb: the overview gives Task 2 4 points, its graded cells carry 5']
    """
    tables = [c for c in nb["cells"] if c["cell_type"] == "markdown" and TASK_ROW.search(c["source"])]
    if not tables:
        return []
    announced = {int(n): float(points) for n, points in TASK_ROW.findall(tables[0]["source"])}
    carried: dict[int, float] = {}
    task = None
    for cell in nb["cells"]:
        heading = re.match(r"## Task (\d+)", cell["source"]) if cell["cell_type"] == "markdown" else None
        if heading:
            task = int(heading.group(1))
            carried.setdefault(task, 0.0)
        elif task is not None and cell["cell_type"] == "code" and notebooks.is_graded(cell):
            carried[task] += float(notebooks.nbgrader_meta(cell).get("points", 0))
    found = []
    for number in sorted(set(announced) | set(carried)):
        want, got = announced.get(number), carried.get(number)
        if want is None or got is None:
            where = "not in the overview table" if want is None else "in the overview table but has no ## Task heading"
            found.append(f"{path}: Task {number} is {where}")
        elif want != got:
            found.append(f"{path}: the overview gives Task {number} {want:g} points, its graded cells carry {got:g}")
    return found


def release_problems(assignment: str, source: dict[str, Any], release: dict[str, Any]) -> list[str]:
    """The committed learner version matches its source's cells and leaks nothing (nbgrader checks the rest)."""
    where = f"release/{assignment}"
    found = []
    if [c["id"] for c in release["cells"]] != [c["id"] for c in source["cells"]]:
        found.append(f"{where}: its cells differ from source/{assignment}: run `tfcert release {assignment}`")
    for cell in release["cells"]:
        if notebooks.leaked_markers(cell["source"]):
            found.append(f"{where}: cell {cell['id']} shows {notebooks.leaked_markers(cell['source'])}: "
                         f"run `tfcert release {assignment}`")
    return found


def assignment_problems(root: Path, assignment: str) -> list[str]:
    """Manifest, samples, verify cells, graded cells' last lines, hints, training cells and release of one assignment."""
    from tfcert import checklist, manifest, samples

    found: list[str] = []
    try:
        found += manifest.problems(manifest.load(assignment, root), root)
    except manifest.ManifestError as exc:
        found.append(str(exc))
    source_path = root / "source" / assignment / f"{assignment}.ipynb"
    source = notebooks.read(source_path)
    found += samples.problems(assignment, source, root)
    for cell in source["cells"]:
        if cell["cell_type"] == "code" and notebooks.is_graded(cell) and notebooks.VERIFY_TAG in notebooks.tags(cell):
            found += [f"{source_path.relative_to(root)}: {p}" for p in verify_cell_problems(cell["id"], cell["source"])]
    for cell in source["cells"]:
        if cell["cell_type"] == "code" and notebooks.is_graded(cell):
            found += [f"{source_path.relative_to(root)}: {p}" for p in graded_cell_value_problems(cell["id"],
                                                                                                cell["source"])]
    found += training_cell_problems(source_path.relative_to(root), source)
    found += task_points_problems(source_path.relative_to(root), source)
    lesson = next((root / d.lesson for d in checklist.domains(root) if d.assignment == assignment and d.lesson), None)
    if lesson is not None and lesson.exists():
        headings = [h.lstrip("#").strip() for h in notebooks.headings(notebooks.read(lesson))]
        found += hint_problems(source_path.relative_to(root), source, headings)
    release_path = root / "release" / assignment / f"{assignment}.ipynb"
    if release_path.exists():
        found += release_problems(assignment, source, notebooks.read(release_path))
    else:
        found.append(f"release/{assignment} is missing: run `tfcert release {assignment}` and commit it")
    return found


def readme_problems(root: Path) -> list[str]:
    """README's domain table names every domain's lesson and assignment as checklist.yml does."""
    from tfcert import checklist

    readme = (root / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\|\s*(D\d+)\b.*$", readme, re.M)}
    found = []
    for domain in checklist.domains(root):
        row = rows.get(domain.id)
        if row is None:
            found.append(f"README.md: the domain table has no row for {domain.id}")
            continue
        for wanted in (domain.lesson, f"release/{domain.assignment}/"):
            if wanted and wanted not in row:
                found.append(f"README.md: the {domain.id} row should name {wanted} (as checklist.yml does)")
    return found


def settings_problems(root: Path) -> list[str]:
    """Every ``TFCERT_*`` environment setting the package reads is in README's settings table."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*`(TFCERT_[A-Z0-9_]+)`", readme, re.M))
    used = {name for path in sorted((root / "tfcert").rglob("*.py")) for name in SETTING.findall(path.read_text())}
    return [f"README.md: the settings table does not document {name}" for name in sorted(used - documented)] + \
           [f"README.md: the settings table documents {name}, which the package never reads"
            for name in sorted(documented - used)]


def problems(root: str | Path = REPO_ROOT) -> list[str]:
    """Every rule break the course's files show, one sentence each; empty when the course is clean."""
    from tfcert import checklist

    root = Path(root).resolve()
    found: list[str] = []
    for path in notebooks.iter_notebooks(root / "notebooks", root / "source", root / "release"):
        found += [p.replace(str(root) + "/", "") for p in notebooks.problems(path)]
    for path in notebooks.iter_notebooks(root / "notebooks", root / "source", root / "release"):
        nb = notebooks.read(path)
        found += template_problems(path.relative_to(root), nb, assignment=path.relative_to(root).parts[0] != "notebooks")
    for path in notebooks.iter_notebooks(root / "notebooks"):
        found += training_cell_problems(path.relative_to(root), notebooks.read(path))
    for assignment in assignments(root):
        found += assignment_problems(root, assignment)
    found += [f"checklist.yml: {p}" for p in checklist.problems(root)]
    found += readme_problems(root)
    if (root / "tfcert").is_dir():
        found += settings_problems(root)
    return found
