"""The skills checklist (``checklist.yml``): what is taught where, and graded by which cells.

Example:
    >>> skills = load()
    >>> [s.id for s in skills if s.domain == "D1"][:3]
    ['D1.01', 'D1.02', 'D1.03']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tfcert import notebooks
from tfcert.paths import REPO_ROOT

SKILL_ID = re.compile(r"^D\d+\.\d{2}$")


@dataclass
class Domain:
    """A skill domain of the handbook: its lesson and assignment (paths fixed before they exist)."""

    id: str
    title: str
    lesson: str | None = None
    assignment: str | None = None


@dataclass
class Skill:
    id: str
    skill: str
    domain: str
    lesson: str | None = None
    assignment: str | None = None
    taught: str | None = None
    graded: list[str] = field(default_factory=list)
    taught_only: str | None = None


def domains(root: Path = REPO_ROOT) -> list[Domain]:
    """The domains of ``checklist.yml``, in order.

    Example:
        >>> [d.id for d in domains()]
        ['D1', 'D2', 'D3', 'D4', 'D5']
    """
    data = yaml.safe_load((Path(root) / "checklist.yml").read_text())
    return [Domain(id=d["id"], title=d["title"], lesson=d.get("lesson"), assignment=d.get("assignment"))
            for d in data["domains"]]


def load(root: Path = REPO_ROOT) -> list[Skill]:
    """Every skill of ``checklist.yml`` with its domain's lesson and assignment."""
    data = yaml.safe_load((root / "checklist.yml").read_text())
    skills = []
    for domain in data["domains"]:
        for entry in domain["skills"]:
            skills.append(Skill(domain=domain["id"], lesson=domain.get("lesson"),
                                assignment=domain.get("assignment"), **entry))
    return skills


def problems(root: Path = REPO_ROOT) -> list[str]:
    """Why the checklist and the notebooks disagree; empty when every active domain is covered.

    A domain is active once its lesson notebook exists. Then each of its skills
    must name a heading of that lesson that starts with the skill's ID, and
    either grade_ids that are graded cells of the domain's assignment or a
    ``taught_only`` reason.
    """
    found: list[str] = []
    skills = load(root)
    ids = [s.id for s in skills]
    found += [f"duplicate skill id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    found += [f"malformed skill id {i!r}" for i in ids if not SKILL_ID.match(i)]
    headings: dict[str, list[str]] = {}
    graded: dict[str, dict[str, float]] = {}
    for skill in skills:
        if not skill.lesson or not (root / skill.lesson).exists():
            continue
        if skill.lesson not in headings:
            headings[skill.lesson] = notebooks.headings(notebooks.read(root / skill.lesson))
        if not skill.taught:
            found.append(f"{skill.id}: no lesson section (taught:) named")
        elif skill.taught not in headings[skill.lesson]:
            found.append(f"{skill.id}: {skill.lesson} has no heading {skill.taught!r}")
        elif not skill.taught.startswith(skill.id):
            found.append(f"{skill.id}: its lesson heading should start with {skill.id}")
        if skill.taught_only:
            if skill.graded:
                found.append(f"{skill.id}: both graded and taught_only")
            continue
        if not skill.graded:
            found.append(f"{skill.id}: not graded (add grade_ids, or taught_only with the reason)")
            continue
        source = root / "source" / str(skill.assignment) / f"{skill.assignment}.ipynb"
        if not source.exists():
            found.append(f"{skill.id}: assignment {source.relative_to(root)} does not exist")
            continue
        if skill.assignment not in graded:
            graded[str(skill.assignment)] = notebooks.graded_cells(notebooks.read(source))
        for grade_id in skill.graded:
            if grade_id not in graded[str(skill.assignment)]:
                found.append(f"{skill.id}: {grade_id} is not a graded cell of {skill.assignment}")
    for assignment, cells in graded.items():
        assessed = {g for s in skills if s.assignment == assignment for g in s.graded}
        found += [f"{assignment}: graded cell {g} assesses no checklist skill" for g in sorted(set(cells) - assessed)]
    return found


def coverage_table(root: Path = REPO_ROOT) -> str:
    """One line per skill: ID, taught (heading or '-'), graded (cells, 'taught only' or '-')."""
    rows = [("ID", "taught in", "graded by")]
    for skill in load(root):
        active = bool(skill.lesson and (root / skill.lesson).exists())
        taught = f"{Path(skill.lesson).name} § {skill.id}" if active and skill.taught else "-"
        graded = ", ".join(skill.graded) if skill.graded else ("taught only" if skill.taught_only else "-")
        rows.append((skill.id, taught, graded if active else "-"))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, width)).rstrip() for row in rows]
    done = sum(1 for s in load(root) if s.lesson and (root / s.lesson).exists())
    lines.append(f"\n{done} of {len(rows) - 1} skills in domains that have a lesson; "
                 f"{len(problems(root))} coverage problem(s).")
    return "\n".join(lines)
