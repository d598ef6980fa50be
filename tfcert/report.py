"""How a class did on one assignment: one self-contained HTML page for the instructor.

The page shows the score distribution, the pass rate of each graded cell, the
feedback sentences the class got most often, the mastery of each checklist
skill the assignment grades, and a table of students. Plots are inline PNG
images drawn with matplotlib's Agg renderer, so the file opens anywhere,
offline, with no scripts, stylesheets or fonts fetched. Every value on the
page is HTML-escaped: student names and feedback sentences come from learners.

The summaries are pure functions of plain values (what
:meth:`tfcert.course.Course.scores` and :meth:`~tfcert.course.Course.failures`
return, and the skills of :mod:`tfcert.checklist`); :func:`write_report`
gathers them from a graded course and writes ``reports/<assignment>.html``.

Example:
    >>> from tfcert.course import CellScore
    >>> scores = [CellScore("ann", "t1", 2, 2), CellScore("ann", "t2", 1, 1),
    ...           CellScore("bob", "t1", 0, 2), CellScore("bob", "t2", 1, 1)]
    >>> failures = {"bob": [("t1", "GradingError: expected 10 outputs, got 1: use Dense(10)")]}
    >>> report = build_report(scores, failures, [], "d0_demo")
    >>> report.mean, report.pass_rate
    (2.0, 0.5)
    >>> [(c.grade_id, c.pass_rate) for c in report.cells]
    [('t1', 0.5), ('t2', 1.0)]
    >>> report.sentences[0].text
    'expected 10 outputs, got 1: use Dense(10)'
    >>> page = render_html(report)
    >>> page.startswith("<!DOCTYPE html>") and "<h1>Class report: d0_demo</h1>" in page
    True

From a graded course (``tfcert report ASSIGNMENT`` does this)::

    write_report(Path("."), "d1_developer_skills")   # -> reports/d1_developer_skills.html
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol, Sequence

from tfcert import checklist, notebooks, paths
from tfcert.checklist import Skill

#: Share of the assignment's points a student needs to pass, unless told otherwise.
DEFAULT_PASS_MARK = 0.6
#: How many feedback sentences the page lists.
DEFAULT_TOP_SENTENCES = 10
#: Names the system's Chromium goes by, looked up on PATH in this order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: ``ErrorName: sentence`` (a dotted name whose last part is capitalised, as exception classes are).
_ERROR_PREFIX = re.compile(r"^((?:[A-Za-z_]\w*\.)*[A-Z]\w*): ?(.*)$", re.S)
_FULL = 1e-9  # a score this close to the cell's points is full marks


# --------------------------------------------------------------------------- the summaries


class Score(Protocol):
    """One student's score on one graded cell, as :meth:`tfcert.course.Course.scores` lists them."""

    student: str
    grade_id: str
    score: float
    max_score: float


@dataclass(frozen=True)
class StudentTotal:
    """One student's points on the assignment and the graded cells they did not get full marks on."""

    student: str
    score: float
    max_score: float
    missed: tuple[str, ...] = ()

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


@dataclass(frozen=True)
class CellSummary:
    """How the class did on one graded cell; ``passed`` counts students with full marks on it."""

    grade_id: str
    max_score: float
    students: int
    passed: int
    mean_score: float
    skills: tuple[str, ...] = ()

    @property
    def pass_rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


@dataclass(frozen=True)
class SkillMastery:
    """How the class did on one checklist skill: ``mastered`` students got full marks on all its ``cells``."""

    id: str
    skill: str
    cells: tuple[str, ...]
    students: int
    mastered: int
    mean_fraction: float
    taught: str | None = None
    lesson: str | None = None

    @property
    def mastery(self) -> float:
        return self.mastered / self.students if self.students else 0.0


@dataclass(frozen=True)
class Sentence:
    """A feedback sentence, the students who got it and the graded cells it came from."""

    text: str
    error: str
    students: tuple[str, ...]
    cells: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass
class Report:
    """Everything the page shows, computed by :func:`build_report`."""

    assignment: str
    max_score: float
    pass_mark: float
    totals: list[StudentTotal]
    cells: list[CellSummary]
    skills: list[SkillMastery]
    sentences: list[Sentence]
    distinct_sentences: int = 0
    not_graded: dict[str, str] = field(default_factory=dict)
    generated: str | None = None
    #: grade_id -> the task it belongs to (:func:`tfcert.summary.cell_tasks`); empty when unknown
    tasks: dict[str, str] = field(default_factory=dict)
    #: grade_id -> (the sentence most students got on it, how many got it), for cells some student lost points on
    cell_sentences: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def submissions(self) -> int:
        return len(self.totals)

    @property
    def pass_score(self) -> float:
        """The points a student needs to pass."""
        return self.pass_mark * self.max_score

    @property
    def mean(self) -> float:
        return statistics.fmean(t.score for t in self.totals) if self.totals else 0.0

    @property
    def median(self) -> float:
        return float(statistics.median(t.score for t in self.totals)) if self.totals else 0.0

    @property
    def lowest(self) -> float:
        return min((t.score for t in self.totals), default=0.0)

    @property
    def highest(self) -> float:
        return max((t.score for t in self.totals), default=0.0)

    @property
    def passed(self) -> int:
        return sum(1 for t in self.totals if t.score >= self.pass_score - _FULL)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.submissions if self.submissions else 0.0


def split_error(text: str) -> tuple[str, str]:
    """``"ErrorName: sentence"`` as (error name, sentence); text without such a prefix is all sentence.

    Example:
        >>> split_error("GradingError: m.keras is 120 KB, the limit is 100 KB")
        ('GradingError', 'm.keras is 120 KB, the limit is 100 KB')
        >>> split_error("the kernel died")
        ('', 'the kernel died')
        >>> split_error("m.keras: not found")
        ('', 'm.keras: not found')
        >>> split_error("KeyError: ")
        ('KeyError', 'KeyError')
    """
    match = _ERROR_PREFIX.match(text.strip())
    if not match:
        return "", text.strip()
    name, sentence = match.group(1), match.group(2).strip()
    return name, sentence or name


def cell_points(scores: Iterable[Score], cells: Mapping[str, float] | None = None) -> dict[str, float]:
    """``grade_id -> points`` of the assignment: ``cells`` in their order, then any other cell scored.

    Example:
        >>> from tfcert.course import CellScore
        >>> cell_points([CellScore("ann", "t2", 1, 1), CellScore("ann", "t1", 0, 2)], {"t1": 2})
        {'t1': 2.0, 't2': 1.0}
    """
    points = {grade_id: float(p) for grade_id, p in (cells or {}).items()}
    for s in scores:
        points.setdefault(s.grade_id, float(s.max_score))
    return points


def _by_student(scores: Iterable[Score]) -> dict[str, dict[str, Score]]:
    found: dict[str, dict[str, Score]] = {}
    for s in scores:
        found.setdefault(s.student, {})[s.grade_id] = s
    return found


def _full_marks(score: Score | None, points: float) -> bool:
    return score is not None and score.score >= points - _FULL


def student_totals(scores: Sequence[Score], cells: Mapping[str, float] | None = None) -> list[StudentTotal]:
    """Each student's total, best first (ties by name); a cell missing from a student's scores counts 0.

    Example:
        >>> from tfcert.course import CellScore
        >>> scores = [CellScore("ann", "t1", 1, 2), CellScore("bob", "t1", 2, 2), CellScore("bob", "t2", 1, 1)]
        >>> [(t.student, t.score, t.max_score, t.missed) for t in student_totals(scores)]
        [('bob', 3.0, 3.0, ()), ('ann', 1.0, 3.0, ('t1', 't2'))]
    """
    points = cell_points(scores, cells)
    totals = []
    for student, mine in _by_student(scores).items():
        missed = tuple(g for g, p in points.items() if not _full_marks(mine.get(g), p))
        totals.append(StudentTotal(student, float(sum(s.score for s in mine.values() if s.grade_id in points)),
                                   float(sum(points.values())), missed))
    return sorted(totals, key=lambda t: (-t.score, t.student))


def skills_of_cells(skills: Iterable[Skill]) -> dict[str, list[str]]:
    """``grade_id -> IDs of the skills it grades``, from checklist rows.

    Example:
        >>> rows = [Skill("D1.05", "size", "D1", graded=["s1", "s2"]), Skill("D1.06", "save", "D1", graded=["s2"])]
        >>> skills_of_cells(rows)
        {'s1': ['D1.05'], 's2': ['D1.05', 'D1.06']}
    """
    found: dict[str, list[str]] = {}
    for skill in skills:
        for grade_id in skill.graded:
            found.setdefault(grade_id, []).append(skill.id)
    return found


def cell_summaries(scores: Sequence[Score], cells: Mapping[str, float] | None = None,
                   skills: Iterable[Skill] = ()) -> list[CellSummary]:
    """Pass rate (share of students with full marks) and mean points of each graded cell, in cell order.

    Every student who has a score counts for every cell; a cell missing from
    their scores (nbgrader records all of a submission's graded cells, so a gap
    means it was not graded) counts as 0 points, not passed.

    Example:
        >>> from tfcert.course import CellScore
        >>> scores = [CellScore("ann", "t1", 2, 2), CellScore("ann", "t2", 0, 1), CellScore("bob", "t1", 1, 2)]
        >>> [(c.grade_id, c.passed, c.students, c.mean_score) for c in cell_summaries(scores)]
        [('t1', 1, 2, 1.5), ('t2', 0, 2, 0.0)]
    """
    points = cell_points(scores, cells)
    students = _by_student(scores)
    graded_by = skills_of_cells(skills)
    found = []
    for grade_id, max_score in points.items():
        got = [mine.get(grade_id) for mine in students.values()]
        found.append(CellSummary(
            grade_id, max_score, len(got), sum(1 for s in got if _full_marks(s, max_score)),
            statistics.fmean(s.score if s else 0.0 for s in got) if got else 0.0,
            tuple(graded_by.get(grade_id, ()))))
    return found


def skill_mastery(scores: Sequence[Score], skills: Iterable[Skill],
                  cells: Mapping[str, float] | None = None) -> list[SkillMastery]:
    """Mastery of each skill graded by cells of this assignment, weakest first.

    A student masters a skill when they got full marks on every cell of the
    assignment that grades it; ``mean_fraction`` is the class's share of those
    cells' points. Skills no cell of the assignment grades are left out.

    Example:
        >>> from tfcert.course import CellScore
        >>> rows = [Skill("D1.05", "size", "D1", graded=["s1", "s2"]), Skill("D1.06", "save", "D1", graded=["s2"]),
        ...         Skill("D2.01", "keras", "D2", graded=["other"])]
        >>> scores = [CellScore("ann", "s1", 1, 1), CellScore("ann", "s2", 2, 2),
        ...           CellScore("bob", "s1", 0, 1), CellScore("bob", "s2", 2, 2)]
        >>> [(m.id, m.mastered, m.students, round(m.mean_fraction, 2)) for m in skill_mastery(scores, rows)]
        [('D1.05', 1, 2, 0.83), ('D1.06', 2, 2, 1.0)]
    """
    points = cell_points(scores, cells)
    students = _by_student(scores)
    found = []
    for skill in skills:
        mine = tuple(g for g in skill.graded if g in points)
        if not mine:
            continue
        possible = sum(points[g] for g in mine)
        mastered = sum(1 for got in students.values() if all(_full_marks(got.get(g), points[g]) for g in mine))
        fractions = [sum(got[g].score for g in mine if g in got) / possible if possible else 0.0
                     for got in students.values()]
        found.append(SkillMastery(skill.id, skill.skill, mine, len(students), mastered,
                                  statistics.fmean(fractions) if fractions else 0.0, skill.taught, skill.lesson))
    return sorted(found, key=lambda m: (m.mastery, m.mean_fraction, m.id))


def frequent_sentences(failures: Mapping[str, Sequence[tuple[str, str]]],
                       top: int | None = DEFAULT_TOP_SENTENCES) -> list[Sentence]:
    """Identical feedback sentences grouped, most students first (ties by sentence), at most ``top``.

    ``failures`` is ``student -> [(grade_id, "ErrorName: sentence")]``; a
    student counts once per sentence however many cells gave it.

    Example:
        >>> failures = {"ann": [("t1", "GradingError: too big"), ("t2", "GradingError: too big")],
        ...             "bob": [("t1", "GradingError: too big"), ("t3", "NameError: name 'x' is not defined")]}
        >>> [(s.text, s.count, s.cells) for s in frequent_sentences(failures)]
        [('too big', 2, ('t1', 't2')), ("name 'x' is not defined", 1, ('t3',))]
    """
    students: dict[str, set[str]] = {}
    cells: dict[str, dict[str, None]] = {}
    for student, failed in failures.items():
        for grade_id, text in failed:
            students.setdefault(text, set()).add(student)
            cells.setdefault(text, {})[grade_id] = None
    ranked = sorted(students, key=lambda text: (-len(students[text]), split_error(text)[1], text))
    found = []
    for text in ranked[:top] if top is not None else ranked:
        name, sentence = split_error(text)
        found.append(Sentence(sentence, name, tuple(sorted(students[text])), tuple(cells[text])))
    return found


def sentence_per_cell(failures: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, tuple[str, int]]:
    """``grade_id -> (sentence, students)``: the sentence most students read on each failed cell, as their
    summary shows it (:func:`tfcert.summary.sentence`), ties by sentence.

    Example:
        >>> sentence_per_cell({"ann": [("t1", "GradingError: too big")], "bob": [("t1", "GradingError: too big")],
        ...                    "cat": [("t1", "NameError: name 'x' is not defined")]})
        {'t1': ('too big', 2)}
    """
    from tfcert.summary import sentence

    counts: dict[str, dict[str, set[str]]] = {}
    for student, failed in failures.items():
        for grade_id, text in failed:
            counts.setdefault(grade_id, {}).setdefault(sentence(text), set()).add(student)
    return {grade_id: min(((text, len(who)) for text, who in by_text.items()), key=lambda p: (-p[1], p[0]))
            for grade_id, by_text in counts.items()}


def build_report(scores: Sequence[Score], failures: Mapping[str, Sequence[tuple[str, str]]],
                 skills: Iterable[Skill], assignment: str, *, cells: Mapping[str, float] | None = None,
                 tasks: Mapping[str, str] | None = None,
                 not_graded: Mapping[str, str] | None = None, pass_mark: float = DEFAULT_PASS_MARK,
                 top: int | None = DEFAULT_TOP_SENTENCES, generated: str | None = None) -> Report:
    """Every summary of the page, from plain values.

    Args:
        scores: per-cell scores of every graded submission (:meth:`Course.scores`).
        failures: ``student -> [(grade_id, "ErrorName: sentence")]`` (:meth:`Course.failures`).
        skills: checklist rows (:func:`tfcert.checklist.load`); those this assignment's cells grade are used.
        assignment: its name, the page's title.
        cells: ``grade_id -> points`` of the assignment in notebook order, when known (otherwise
            the cells and points found in ``scores``, in their order).
        tasks: ``grade_id -> task`` (:func:`tfcert.summary.cell_tasks`), heading the page's summary of tasks.
        not_graded: ``student -> reason`` for submissions that could not be graded.
        pass_mark: share of the assignment's points a student needs to pass.
        top: how many feedback sentences to keep (``None``: all).
        generated: when the data was read, shown under the title.
    """
    if not 0 <= pass_mark <= 1:
        raise ValueError(f"pass_mark is a share of the points, between 0 and 1; got {pass_mark}: write 0.6 for 60 %")
    scores = list(scores)
    skills = list(skills)
    points = cell_points(scores, cells)
    return Report(
        assignment=assignment, max_score=float(sum(points.values())), pass_mark=pass_mark,
        totals=student_totals(scores, points), cells=cell_summaries(scores, points, skills),
        skills=skill_mastery(scores, skills, points), sentences=frequent_sentences(failures, top),
        distinct_sentences=len({text for failed in failures.values() for _, text in failed}),
        not_graded=dict(not_graded or {}), generated=generated, tasks=dict(tasks or {}),
        cell_sentences=sentence_per_cell(failures))


# --------------------------------------------------------------------------- the plots

#: (bar colour, tint, text colour) for a share of students under half, under 80 %, and above.
_LOW, _MID, _HIGH = ("#c0392b", "#fde2e0", "#8e2a1f"), ("#e0a100", "#fff1c2", "#6f5200"), \
    ("#2e8b57", "#dcf1e4", "#1d5e3a")


def _tone(rate: float) -> tuple[str, str, str]:
    """Colours for a share of students: red under half, amber under 80 %, green from 80 %.

    Example:
        >>> _tone(0.3)[0], _tone(0.6)[0], _tone(0.8)[0]
        ('#c0392b', '#e0a100', '#2e8b57')
    """
    return _LOW if rate < 0.5 else _MID if rate < 0.8 else _HIGH


def png_data_uri(fig: Any) -> str:
    """A matplotlib figure as a ``data:image/png;base64,...`` address for an ``<img>``.

    Example:
        >>> from matplotlib.figure import Figure
        >>> png_data_uri(Figure(figsize=(1, 1))).startswith("data:image/png;base64,iVBORw0KGgo")
        True
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=144)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float, height: float) -> Any:
    """A figure of its own, drawn by Agg on saving (no pyplot: no global backend or figure list is touched)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


def histogram_figure(report: Report) -> Any:
    """Histogram of the students' totals (bars under the pass mark in red), the pass mark and the maximum marked."""
    fig = _figure(11.5, 2.6)
    ax = fig.add_subplot()
    totals = [t.score for t in report.totals]
    top = max(report.max_score, max(totals, default=0.0))
    bins: Any = [b - 0.5 for b in range(int(top) + 2)] if top <= 40 else 20
    _, edges, patches = ax.hist(totals, bins=bins, color=_HIGH[0], edgecolor="white")
    for left, right, patch in zip(edges[:-1], edges[1:], patches):
        if (left + right) / 2 < report.pass_score - _FULL:
            patch.set_facecolor(_LOW[0])
    ax.axvline(report.pass_score, color="#444", linestyle="--", linewidth=1.2,
               label=f"pass mark {_num(report.pass_score)}")
    ax.axvline(report.max_score, color="#1f2933", linewidth=2, label=f"maximum {_num(report.max_score)}")
    ax.set_xlim(-0.7, top + 0.7)
    ax.set_xlabel("total points", fontsize=9)
    ax.set_ylabel("students", fontsize=9)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _style(ax)
    return fig


def _bars(labels: Sequence[str], rates: Sequence[float], xlabel: str, width: float) -> Any:
    """Horizontal bars of shares (0 to 100 %), first label on top, each bar labelled with its value."""
    fig = _figure(width, 0.75 + 0.26 * max(1, len(labels)))
    ax = fig.add_subplot()
    y = list(range(len(labels)))
    ax.barh(y, [100 * r for r in rates], color=[_tone(r)[0] for r in rates], height=0.7)
    for i, rate in zip(y, rates):
        ax.text(100 * rate + 1, i, f"{100 * rate:.0f} %", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel(xlabel, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _style(ax)
    return fig


def pass_rate_figure(report: Report) -> Any:
    """Pass rate of each graded cell, in notebook order."""
    return _bars([c.grade_id for c in report.cells], [c.pass_rate for c in report.cells],
                 "students with full marks on the cell (%)", width=5.6)


def _shorten(text: str, limit: int = 60) -> str:
    """``text`` cut at a word to at most ``limit`` characters, with an ellipsis when cut.

    Example:
        >>> _shorten("D1.07 Know the differences between TensorFlow and Keras versions", 40)
        'D1.07 Know the differences between…'
    """
    if len(text) <= limit:
        return text
    return text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def mastery_figure(report: Report) -> Any:
    """Mastery of each checklist skill, weakest on top, labelled with the lesson heading that teaches it."""
    return _bars([_shorten(m.taught or m.id) for m in report.skills], [m.mastery for m in report.skills],
                 "students with full marks on every cell that grades the skill (%)", width=11.5)


# --------------------------------------------------------------------------- the page


def _num(x: float) -> str:
    """A score as the page writes it: at most one decimal.

    Example:
        >>> _num(12.0), _num(12.25), _num(1 / 3)
        ('12', '12.2', '0.3')
    """
    return f"{round(x, 1):g}"


def _pct(x: float) -> str:
    """A share as a whole percentage, with a no-break space before the sign.

    Example:
        >>> _pct(2 / 3)
        '67\\xa0%'
    """
    return f"{100 * x:.0f}\u00a0%"


def _e(value: Any) -> str:
    """``value`` as HTML text: every value on the page goes through here.

    Example:
        >>> _e("<script>alert(1)</script>")
        '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape(str(value), quote=True)


def _table(table_id: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]],
           raw: Sequence[int] = ()) -> str:
    """An HTML table: ``columns`` are (heading, CSS class); cells are escaped but those of the ``raw`` columns.

    Classes: ``num`` (right-aligned figures), ``text`` (free text that wraps
    anywhere, such as learners' names and sentences), ``id`` (identifiers,
    never broken inside). The table sits in a box that scrolls sideways on
    its own if a window is too narrow for it, so the page itself never does.

    Example:
        >>> print(_table("t", [("student", "text"), ("total", "num")], [("<b>", "3")]))
        <div class="wide"><table id="t">
        <thead><tr><th class="text">student</th><th class="num">total</th></tr></thead>
        <tbody>
        <tr><td class="text">&lt;b&gt;</td><td class="num">3</td></tr>
        </tbody></table></div>
    """
    def cell(tag: str, i: int, value: str) -> str:
        kind = columns[i][1]
        attr = f' class="{_e(kind)}"' if kind else ""
        return f"<{tag}{attr}>{value if i in raw and tag == 'td' else _e(value)}</{tag}>"

    lines = [f'<div class="wide"><table id="{_e(table_id)}">',
             "<thead><tr>" + "".join(cell("th", i, h) for i, (h, _) in enumerate(columns)) + "</tr></thead>",
             "<tbody>"]
    lines += ["<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows]
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _breakable(name: str) -> str:
    """A file name as HTML that may wrap after its underscores and dots, and nowhere else.

    Example:
        >>> _breakable("01_developer_skills.ipynb")
        '01_<wbr>developer_<wbr>skills.<wbr>ipynb'
    """
    return re.sub(r"([_.])", r"\1<wbr>", _e(name))


def _img(figure: Any, alt: str) -> str:
    """An inline PNG of ``figure``, shown at its size in CSS pixels (or narrower, to fit)."""
    uri = png_data_uri(figure)
    width, height = (round(v * 96) for v in figure.get_size_inches())
    return f'<img src="{_e(uri)}" alt="{_e(alt)}" width="{width}" height="{height}">'


def _pill(rate: float) -> str:
    """A share of students as a coloured label (HTML).

    Example:
        >>> _pill(0.25)
        '<span class="pill" style="background:#fde2e0;color:#8e2a1f">25\\xa0%</span>'
    """
    _, tint, ink = _tone(rate)
    return f'<span class="pill" style="background:{tint};color:{ink}">{_e(_pct(rate))}</span>'


CSS = """
:root { color-scheme: light; --ink: #1f2933; --muted: #5f6b7a; --line: #dde2e8; --soft: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 30px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
p { margin: 4px 0 10px; }
.muted { color: var(--muted); font-size: 0.88rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 14px 0 6px; }
.card { background: var(--soft); border-radius: 8px; padding: 8px 14px; }
.card b { display: block; font-size: 1.45rem; line-height: 1.25; }
.card span { color: var(--muted); font-size: 0.85rem; }
.pair { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 24px; align-items: start; }
@media (max-width: 960px) { .pair { grid-template-columns: minmax(0, 1fr); } }
img { max-width: 100%; height: auto; display: block; margin: 4px 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; }
tbody tr:nth-child(even) td { background: #fafbfc; }
tr.task td { background: var(--soft) !important; font-weight: 600; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.text { overflow-wrap: anywhere; }
.id { overflow-wrap: normal; }
.file { overflow-wrap: normal; }
.wide { overflow-x: auto; }
.pill { display: inline-block; min-width: 3.6em; padding: 0 6px; border-radius: 9px; font-weight: 600;
        font-size: 0.82rem; text-align: right; }
.empty { padding: 14px 16px; background: #fff4e5; border-left: 4px solid #e0a100; border-radius: 4px; }
.error { color: var(--muted); font-size: 0.8rem; }
code { font: 0.85rem ui-monospace, "DejaVu Sans Mono", monospace; }
"""


def _summary(report: Report) -> str:
    cards = [
        (str(report.submissions), "graded submissions"),
        (f"{_num(report.mean)} / {_num(report.max_score)}", "mean total"),
        (_num(report.median), "median total"),
        (f"{_num(report.lowest)} – {_num(report.highest)}", "lowest – highest"),
        (_pct(report.pass_rate), f"passed ({report.passed} of {report.submissions})"),
    ]
    if report.not_graded:
        cards.append((str(len(report.not_graded)), "could not be graded"))
    body = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(label)}</span></div>' for v, label in cards)
    return (f'<section id="summary"><div class="cards">{body}</div>'
            f'<p class="muted">Pass mark: {_e(_pct(report.pass_mark))} of the points '
            f'({_e(_num(report.pass_score))} of {_e(_num(report.max_score))}). A graded cell counts as passed '
            f'with full marks on it.</p></section>')


def _tasks_section(report: Report) -> str:
    """The class's side of the summary each learner's feedback opens with: tasks, their cells, what was lost."""
    from tfcert.summary import NO_TASK

    rows = []
    current = None
    for c in report.cells:
        task = report.tasks.get(c.grade_id, NO_TASK)
        if task != current:
            current = task
            mine = [x for x in report.cells if report.tasks.get(x.grade_id, NO_TASK) == task]
            rows.append(f'<tr class="task"><td colspan="4">{_e(task)}</td>'
                        f'<td class="num">{_e(_num(sum(x.max_score for x in mine)))}</td></tr>')
        text, count = report.cell_sentences.get(c.grade_id, ("", 0))
        said = f'{_e(text)} <span class="muted">({_e(count)} of {_e(c.students)})</span>' if text else "–"
        rows.append(f'<tr><td class="id"><code>{_e(c.grade_id)}</code></td><td class="num">{_pill(c.pass_rate)}</td>'
                    f'<td class="num">{_e(_num(c.mean_score))}</td><td class="text">{said}</td>'
                    f'<td class="num">{_e(_num(c.max_score))}</td></tr>')
    head = ('<thead><tr><th class="id">graded cell</th><th class="num">full marks</th><th class="num">mean</th>'
            '<th class="text">what most of those who lost points read</th><th class="num">points</th></tr></thead>')
    return (f'<section id="tasks"><h2>Tasks at a glance</h2><p class="muted">What each learner\'s feedback opens '
            f'with, summed over the class: every task and graded cell, the share of students with full marks, '
            f'and the sentence most of the others read.</p><div class="wide"><table id="tasks-table">{head}'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _distribution_section(report: Report) -> str:
    chart = _img(histogram_figure(report), f"Histogram of the total points of {report.submissions} students, "
                 f"with the pass mark ({_num(report.pass_score)}) and the maximum ({_num(report.max_score)}) marked")
    return f'<section id="distribution"><h2>Score distribution</h2>{chart}</section>'


def _cells_section(report: Report) -> str:
    rows = [(_e(c.grade_id), _e(_num(c.max_score)), _e(f"{c.passed} / {c.students}"), _pill(c.pass_rate),
             _e(_num(c.mean_score)), _e(", ".join(c.skills) or "–")) for c in report.cells]
    table = _table("cells", [("graded cell", "id"), ("points", "num"), ("passed", "num"), ("pass rate", "num"),
                             ("mean points", "num"), ("skills", "id")], rows, raw=range(6))
    chart = _img(pass_rate_figure(report), f"Bar chart: share of students with full marks on each graded cell of "
                 f"{report.assignment}, in notebook order")
    return (f'<section id="graded-cells"><h2>Pass rate per graded cell</h2><div class="pair"><div>{chart}</div>'
            f'<div>{table}</div></div></section>')


def _skills_section(report: Report) -> str:
    if not report.skills:
        return ('<section id="skills"><h2>Mastery per checklist skill</h2>'
                '<p class="muted">No checklist skill names a graded cell of this assignment.</p></section>')
    rows = []
    for m in report.skills:
        taught = "–"
        if m.taught:
            lesson = f'<br><span class="muted file">{_breakable(Path(m.lesson).name)}</span>' if m.lesson else ""
            taught = _e(m.taught) + lesson
        rows.append((_e(m.id), _e(m.skill), _e(f"{m.mastered} / {m.students}"), _pill(m.mastery),
                     _e(_pct(m.mean_fraction)), _e(", ".join(m.cells)), taught))
    table = _table("skills", [("skill", "id"), ("what it is", "text"), ("mastered", "num"), ("mastery", "num"),
                              ("share of points", "num"), ("graded by", "id"), ("taught in", "text")], rows, raw=range(7))
    chart = _img(mastery_figure(report), f"Bar chart: share of students who mastered each checklist skill that "
                 f"{report.assignment} grades, weakest first")
    return (f'<section id="skills"><h2>Mastery per checklist skill</h2><p class="muted">Weakest first. A student '
            f'masters a skill with full marks on every cell that grades it; the lesson section that teaches it is '
            f'the place to send those who did not.</p>{chart}{table}</section>')


def _sentences_section(report: Report) -> str:
    if not report.sentences:
        return ('<section id="feedback"><h2>Most frequent feedback</h2>'
                '<p class="muted">No graded cell failed with an error.</p></section>')
    rows = []
    for s in report.sentences:
        error = f'<br><span class="error">{_e(s.error)}</span>' if s.error and s.error != "GradingError" else ""
        rows.append((_e(s.count), _e(s.text) + error, _e(", ".join(s.cells))))
    table = _table("sentences", [("students", "num"), ("sentence", "text"), ("graded cells", "id")], rows,
                   raw=range(3))
    shown = f"the {len(report.sentences)} most frequent of {report.distinct_sentences}" \
        if report.distinct_sentences > len(report.sentences) else f"all {report.distinct_sentences}"
    return (f'<section id="feedback"><h2>Most frequent feedback</h2><p class="muted">Failed checks as the learners '
            f'read them in their feedback, {_e(shown)} distinct sentences; each student counts once per '
            f'sentence.</p>{table}</section>')


def _students_section(report: Report) -> str:
    rows = [(t.student, _num(t.score), _pct(t.fraction), "yes" if t.score >= report.pass_score - _FULL else "no",
             ", ".join(t.missed) or "–") for t in report.totals]
    table = _table("students", [("student", "text"), ("total", "num"), ("share", "num"), ("passed", ""),
                                ("cells without full marks", "id")], rows)
    return (f'<section id="students"><h2>Students</h2><p class="muted">Best first; totals out of '
            f'{_e(_num(report.max_score))}.</p>{table}</section>')


def _not_graded_section(report: Report) -> str:
    if not report.not_graded:
        return ""
    rows = [(student, reason) for student, reason in sorted(report.not_graded.items())]
    table = _table("not-graded-table", [("student", "text"), ("why", "text")], rows)
    return f'<section id="not-graded"><h2>Could not be graded</h2>{table}</section>'


def render_html(report: Report) -> str:
    """The page: valid HTML5, self-contained (inline CSS and PNG, no scripts), every value escaped."""
    title = f"Class report: {report.assignment}"
    when = f" · read {report.generated}" if report.generated else ""
    about = f"{report.submissions} graded submission(s), {len(report.cells)} graded cells, " \
            f"{_num(report.max_score)} points{when}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>", "</head>", "<body>", "<main>", f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(about)}</p>',
    ]
    if not report.totals:
        parts.append(f'<p class="empty" id="no-submissions">There are no graded submissions of '
                     f'{_e(report.assignment)} yet: grade them first (<code>tfcert grade {_e(report.assignment)}'
                     f'</code>).</p>')
    else:
        parts += [_summary(report), _tasks_section(report), _distribution_section(report), _cells_section(report), _skills_section(report),
                  _sentences_section(report), _students_section(report)]
    parts += [_not_graded_section(report), "</main>", "</body>", "</html>", ""]
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- from a course


def course_skills(course_root: Path, assignment: str) -> list[Skill]:
    """The checklist rows of the course at ``course_root`` (the repository's when it has none) for ``assignment``.

    Example:
        >>> [s.id for s in course_skills(paths.REPO_ROOT, "d1_developer_skills")][:2]
        ['D1.01', 'D1.02']
    """
    root = course_root if (course_root / "checklist.yml").exists() else paths.REPO_ROOT
    return [s for s in checklist.load(root) if s.graded and (s.assignment in (None, assignment))]


def assignment_cells(course_root: Path, assignment: str) -> dict[str, float]:
    """``grade_id -> points`` of the assignment's graded cells in notebook order (empty if its source is missing)."""
    for directory in ("source", "release"):
        path = paths.notebook_path(course_root, directory, assignment)
        if path.exists():
            return notebooks.graded_cells(notebooks.read(path))
    return {}


def assignment_tasks(course_root: Path, assignment: str) -> dict[str, str]:
    """``grade_id -> task`` of the assignment's graded cells (empty if its notebook is missing).

    Example:
        >>> assignment_tasks(paths.REPO_ROOT, "d1_developer_skills")["d1_fix_loss"]
        'Task 2: Read and fix TensorFlow errors'
    """
    from tfcert.summary import cell_tasks

    for directory in ("source", "release"):
        path = paths.notebook_path(course_root, directory, assignment)
        if path.exists():
            return cell_tasks(notebooks.read(path))
    return {}


def write_report(course_root: str | Path, assignment: str, out: str | Path | None = None, *,
                 not_graded: Mapping[str, str] | None = None, pass_mark: float = DEFAULT_PASS_MARK,
                 top: int | None = DEFAULT_TOP_SENTENCES, db_url: str | None = None) -> Path:
    """Write the class report of a graded assignment; returns its path.

    Reads the gradebook and the autograded notebooks of the course at
    ``course_root`` (:meth:`Course.scores`, :meth:`Course.failures`) and writes
    ``<course_root>/reports/<assignment>.html`` unless ``out`` is given. A
    course with no graded submission of the assignment gets a page that says so.
    ``db_url`` is the gradebook's database when it is not the course's SQLite file.
    """
    from tfcert.course import Course

    course_root = Path(course_root).resolve()
    if not course_root.is_dir():
        raise FileNotFoundError(f"{course_root} is not a directory: give the course directory "
                                "(the one with nbgrader_config.py and gradebook.db)")
    course = Course(course_root, db_url=db_url)
    handed_in = bool(course.students(assignment))  # otherwise leave the gradebook alone: nothing is graded
    report = build_report(course.scores(assignment) if handed_in else [],
                          course.failures(assignment) if handed_in else {},
                          course_skills(course_root, assignment), assignment,
                          cells=assignment_cells(course_root, assignment), tasks=assignment_tasks(course_root, assignment),
                          not_graded=not_graded,
                          pass_mark=pass_mark, top=top, generated=datetime.now().strftime("%Y-%m-%d %H:%M"))
    path = Path(out) if out is not None else course_root / "reports" / f"{assignment}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) program to render pages headless, or None.

    ``TFCERT_CHROMIUM`` names one explicitly; otherwise the names in
    :data:`CHROMIUM_NAMES` are looked up on PATH.

    Example:
        >>> find_chromium() is None or Path(find_chromium()).is_file()
        True
    """
    chosen = os.environ.get("TFCERT_CHROMIUM")
    if chosen:
        found = shutil.which(chosen)
        return found if found else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None
