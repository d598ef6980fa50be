"""Sample submissions: the reference solution and plausible mistakes, with what each must score.

Each ``samples/<assignment>/<name>.yml`` describes one learner's notebook as
changes to the released version: ``blank: true`` hands it in untouched;
otherwise every solution cell gets the reference solution and ``replace``
swaps in other code by cell id. ``lose`` says which graded cells lose how many
points (or ``all``), ``messages`` the sentences the feedback must show.

Example:
    >>> samples = load_samples("d1_developer_skills")
    >>> samples["reference"].lose, samples["blank"].blank
    ({}, True)
"""

from __future__ import annotations

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

    def expected_scores(self, max_points: dict[str, float]) -> dict[str, float]:
        """``grade_id -> expected score`` for this sample.

        Example:
            >>> Sample("s", "a mistake", lose={"t1": 1}).expected_scores({"t1": 2, "t2": 1})
            {'t1': 1.0, 't2': 1.0}
        """
        if self.lose == "all":
            return {grade_id: 0.0 for grade_id in max_points}
        assert isinstance(self.lose, dict)
        unknown = set(self.lose) - set(max_points)
        if unknown:
            raise SampleError(f"sample {self.name}: unknown grade ids {sorted(unknown)}")
        return {g: points - float(self.lose.get(g, 0)) for g, points in max_points.items()}


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
            raise SampleError(f"{path}: {exc}: the keys are description, blank, replace, lose, messages") from None
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


def build_submission(source_nb: dict[str, Any], release_nb: dict[str, Any], sample: Sample) -> dict[str, Any]:
    """The notebook a learner would hand in for ``sample``.

    Starts from the released notebook (what a learner receives); unless the
    sample is blank, fills each solution cell with the reference solution and
    then applies the sample's replacements (cell id -> new source).
    """
    nb = notebooks.normalise(release_nb)
    if sample.blank:
        return nb
    reference = {c["id"]: reference_source(c["source"]) for c in source_nb["cells"] if notebooks.is_solution(c)}
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
