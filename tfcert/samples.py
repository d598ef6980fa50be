"""Sample submissions: the reference solution and plausible mistakes, with what each must score.

Each ``samples/<assignment>/<name>.yml`` describes one learner's notebook as
changes to the released version: ``blank: true`` hands it in untouched;
otherwise every solution cell gets the reference solution and ``replace``
swaps in other code by cell id. ``lose`` says which graded cells lose how many
points (or ``all``), ``messages`` the sentences the feedback must show.
``core: true`` marks a sample that every ``make test`` grades (the security
samples: a notebook that tampers with the checks, one that snoops for the
hidden tests); the reference and the blank are always graded, the other
samples in the full matrix (``make test-all``, or when the assignment changed).

A mistake can be handed in *focused* (:func:`focus_sections`): only the
sections (``##`` headings) that its replacements and lost points are in get
solutions, with the sections whose solutions they use; the other tasks stay as
released and score 0. The reference's full run already shows those tasks
working, so a test re-executes each mistake's own tasks only.

Example:
    >>> samples = load_samples("d1_developer_skills")
    >>> samples["reference"].lose, samples["blank"].blank
    ({}, True)
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tfcert import notebooks
from tfcert.paths import REPO_ROOT

SOLUTION_BLOCK = notebooks.marker_block(notebooks.BEGIN_SOLUTION, notebooks.END_SOLUTION)


class SampleError(ValueError):
    """A sample file that cannot be used; the message names the file and what to fix."""


@dataclass
class Sample:
    """A sample submission: the reference with some cells replaced, and what it should score."""

    name: str
    description: str
    blank: bool = False
    replace: dict[str, str] = field(default_factory=dict)
    lose: dict[str, float] | str = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    core: bool = False

    @property
    def always_graded(self) -> bool:
        """Whether every ``make test`` grades this sample, not only the full sample matrix.

        Example:
            >>> Sample("reference", "").always_graded, Sample("x", "", core=True).always_graded
            (True, True)
            >>> Sample("overfit", "a mistake").always_graded
            False
        """
        return self.core or self.blank or self.name == "reference"

    def expected_scores(self, max_points: dict[str, float], run: set[str] | None = None) -> dict[str, float]:
        """``grade_id -> expected score`` for this sample; ``run``: the graded cells of a focused hand-in (the
        others were left blank and score 0), None when every task was answered.

        Example:
            >>> Sample("s", "a mistake", lose={"t1": 1}).expected_scores({"t1": 2, "t2": 1})
            {'t1': 1.0, 't2': 1.0}
            >>> Sample("s", "a mistake", lose={"t1": 1}).expected_scores({"t1": 2, "t2": 1}, run={"t1"})
            {'t1': 1.0, 't2': 0.0}
        """
        if self.lose == "all":
            return {grade_id: 0.0 for grade_id in max_points}
        assert isinstance(self.lose, dict)
        unknown = set(self.lose) - set(max_points)
        if unknown:
            raise SampleError(f"sample {self.name}: unknown grade ids {sorted(unknown)}")
        return {g: points - float(self.lose.get(g, 0)) if run is None or g in run else 0.0
                for g, points in max_points.items()}


def reference_source(source: str) -> str:
    """A solution cell's source as a learner would write it: the markers removed.

    Example:
        >>> reference_source("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n")
        'def f():\\n    return 1\\n'
    """
    return SOLUTION_BLOCK.sub(lambda m: m.group(1), source)


def load_samples(assignment: str, root: Path = REPO_ROOT) -> dict[str, Sample]:
    """The sample submissions in ``samples/<assignment>/*.yml``, by name."""
    samples = {}
    for path in sorted((Path(root) / "samples" / assignment).glob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        try:
            samples[path.stem] = Sample(name=path.stem, **data)
        except TypeError as exc:
            raise SampleError(f"{path}: {exc}: the keys are description, blank, replace, lose, messages, core") from None
    if not samples:
        raise SampleError(f"no sample submissions in samples/{assignment}/: add at least reference.yml and blank.yml")
    return samples


def problems(assignment: str, source_nb: dict[str, Any], root: Path = REPO_ROOT) -> list[str]:
    """Why the samples of an assignment do not fit its source notebook; empty when they do.

    Checks, without running anything, what a run would otherwise find late:
    a reference and a blank sample exist, replaced cells are cells a learner can
    edit (nbgrader restores locked and graded cells), and lost points name
    graded cells and never exceed them.
    """
    try:
        samples = load_samples(assignment, root)
    except SampleError as exc:
        return [str(exc)]
    found = [f"samples/{assignment}: no {name}.yml" for name in ("reference", "blank") if name not in samples]
    editable = {c["id"] for c in source_nb["cells"]
                if not notebooks.nbgrader_meta(c).get("locked") and not notebooks.is_graded(c)}
    points = notebooks.graded_cells(source_nb)
    for sample in samples.values():
        where = f"samples/{assignment}/{sample.name}.yml"
        found += [f"{where}: replaces {cell_id!r}, which is not a cell the learner can edit (locked, graded or absent)"
                  for cell_id in sorted(set(sample.replace) - editable)]
        if isinstance(sample.lose, dict):
            for grade_id, lost in sample.lose.items():
                if grade_id not in points:
                    found.append(f"{where}: loses points on {grade_id!r}, which is not a graded cell")
                elif not 0 < float(lost) <= points[grade_id]:
                    found.append(f"{where}: loses {lost} on {grade_id}, which is worth {points[grade_id]:g}")
        elif sample.lose != "all":
            found.append(f"{where}: lose should map grade ids to points, or be 'all'")
    return found


def sections(nb: dict[str, Any]) -> dict[str, str]:
    """``cell id -> section``: the last ``##`` heading at or above each cell ('' before the first).

    Example:
        >>> sections({"cells": [{"id": "a", "cell_type": "code", "source": "x = 1"},
        ...     {"id": "b", "cell_type": "markdown", "source": "## Task 1: Fit\\n### Detail"},
        ...     {"id": "c", "cell_type": "code", "source": "fit()"}]})
        {'a': '', 'b': 'Task 1: Fit', 'c': 'Task 1: Fit'}
    """
    found, current = {}, ""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in notebooks.source_text(cell).splitlines():
                if line.startswith("## "):
                    current = line[3:].strip()
        found[cell["id"]] = current
    return found


def defined_names(source: str) -> set[str]:
    """The names a cell's top level binds (functions, classes, assignments, imports); empty if it does not parse.

    Example:
        >>> sorted(defined_names("import os\\nA, b = 1, 2\\ndef f(x):\\n    y = x\\nclass C: pass"))
        ['A', 'C', 'b', 'f', 'os']
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def free_names(source: str) -> set[str]:
    """The names a cell reads and never binds itself, the ``{names}`` of its shell lines (``!``) included.

    A cell that does not parse as Python gives every identifier in it: more than it reads, never less.

    Example:
        >>> sorted(free_names("def f(x):\\n    y = x + SCALE\\n    return y\\nprint(f(data))\\n!python {SCRIPT}"))
        ['SCALE', 'SCRIPT', 'data', 'print']
    """
    lines = source.splitlines()
    shell = [line for line in lines if line.lstrip().startswith(("!", "%"))]
    braced = {name for line in shell for group in re.findall(r"\{([^}]*)\}", line)
              for name in re.findall(r"[A-Za-z_]\w*", group)}
    try:
        tree = ast.parse("\n".join("" if line in shell else line for line in lines))
    except SyntaxError:
        return set(re.findall(r"[A-Za-z_]\w*", source))
    read, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return (read - bound) | braced


def focus_sections(source_nb: dict[str, Any], sample: Sample) -> set[str] | None:
    """The sections a focused hand-in of ``sample`` answers; None when it must answer them all.

    They are the sections of the cells it replaces and of the graded cells where it loses points, and then, again
    and again, every other section with a solution cell whose code defines a name that the chosen sections read and
    define nowhere themselves (a given cell of another task that loads data through that task's solution counts;
    what the sections without solution cells define is always there). A blank sample, the reference (it replaces
    nothing) and a sample that loses everything answer every section.

    Example:
        >>> nb = {"cells": [
        ...     {"id": "h1", "cell_type": "markdown", "source": "## Task 1"},
        ...     {"id": "s1", "cell_type": "code", "source": "def load(): ...", "metadata": {"nbgrader": {"solution": True}}},
        ...     {"id": "g1", "cell_type": "code", "source": "data = load()"},
        ...     {"id": "h2", "cell_type": "markdown", "source": "## Task 2"},
        ...     {"id": "s2", "cell_type": "code", "source": "def fit(): ...", "metadata": {"nbgrader": {"solution": True}}},
        ...     {"id": "g2", "cell_type": "code", "source": "fit(data)"},
        ...     {"id": "h3", "cell_type": "markdown", "source": "## Task 3"},
        ...     {"id": "s3", "cell_type": "code", "source": "def plot(): ...", "metadata": {"nbgrader": {"solution": True}}}]}
        >>> sorted(focus_sections(nb, Sample("s", "a mistake in task 2", replace={"s2": "def fit(d): return 1"})))
        ['Task 1', 'Task 2']
    """
    if sample.blank or not sample.replace or not isinstance(sample.lose, dict):
        return None
    section_of = sections(source_nb)
    grade_ids = {notebooks.nbgrader_meta(c)["grade_id"]: c["id"] for c in source_nb["cells"] if notebooks.is_graded(c)}
    code = {c["id"]: sample.replace.get(c["id"], reference_source(notebooks.source_text(c)))
            for c in source_nb["cells"] if c["cell_type"] == "code"}
    answerable = {section_of[c["id"]] for c in source_nb["cells"] if notebooks.is_solution(c)}
    defines = {i: defined_names(text) for i, text in code.items()}  # each cell parsed once, not once per round
    reads = {i: free_names(text) for i, text in code.items()}
    always = set().union(*(names for i, names in defines.items() if section_of[i] not in answerable))
    chosen = {section_of[i] for i in sample.replace if i in section_of}
    chosen |= {section_of[grade_ids[g]] for g in sample.lose if g in grade_ids}
    while True:
        inside = [i for i in code if section_of[i] in chosen]
        wanted = set().union(*(reads[i] for i in inside)) - set().union(*(defines[i] for i in inside)) - always
        needed = {section_of[i] for i, names in defines.items()
                  if section_of[i] in answerable - chosen and names & wanted}
        if not needed:
            return chosen
        chosen |= needed


def graded_in(source_nb: dict[str, Any], chosen: set[str] | None) -> set[str] | None:
    """The grade ids of the graded cells in the ``chosen`` sections (None: all of them, as ``chosen``)."""
    if chosen is None:
        return None
    section_of = sections(source_nb)
    return {notebooks.nbgrader_meta(c)["grade_id"] for c in source_nb["cells"]
            if notebooks.is_graded(c) and section_of[c["id"]] in chosen}


def build_submission(source_nb: dict[str, Any], release_nb: dict[str, Any], sample: Sample,
                     focused: bool = False) -> dict[str, Any]:
    """The notebook a learner would hand in for ``sample``.

    Starts from the released notebook (what a learner receives); unless the
    sample is blank, fills each solution cell with the reference solution and
    then applies the sample's replacements (cell id -> new source). ``focused``:
    only the solution cells of :func:`focus_sections` are filled; the others
    stay as released.
    """
    nb = notebooks.normalise(release_nb)
    if sample.blank:
        return nb
    chosen = focus_sections(source_nb, sample) if focused else None
    section_of = sections(source_nb)
    reference = {c["id"]: reference_source(c["source"]) for c in source_nb["cells"]
                 if notebooks.is_solution(c) and (chosen is None or section_of[c["id"]] in chosen)}
    ids = {c["id"] for c in nb["cells"]}
    missing = set(sample.replace) - ids
    if missing:
        raise SampleError(f"sample {sample.name} replaces cells that do not exist: {sorted(missing)}")
    for cell in nb["cells"]:
        if cell["id"] in reference:
            cell["source"] = reference[cell["id"]]
        if cell["id"] in sample.replace:
            cell["source"] = sample.replace[cell["id"]].rstrip("\n")
    return nb
