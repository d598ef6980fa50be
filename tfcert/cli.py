"""The ``tfcert`` command: release, demo, grade, check, progress, report, checklist, lint, doctor, fmt.

Example:
    $ tfcert demo            # the whole pipeline on the embedded data, in build/demo
    $ tfcert check           # a learner grades the assignment notebook in this folder, as the instructor would
    $ tfcert progress        # which checklist skills the learner's checks passed, and what to study next
    $ tfcert checklist       # which skills are taught and graded where
    $ tfcert lint            # the course's rules, checked without running anything
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tfcert import batch, course, manifest, notebooks, paths
from tfcert.datasets import DatasetError
from tfcert.exam.session import ExamError
from tfcert.samples import SampleError, load_samples

SHOWN_FAILURES = 3
#: Errors that mean "the course or the command is wrong", reported as one line instead of a traceback.
COURSE_ERRORS = (course.CourseError, manifest.ManifestError, SampleError, DatasetError, batch.BatchError, ExamError)


def cmd_release(args: argparse.Namespace) -> int:
    """Regenerate release/ from source/ with nbgrader, stored normalised."""
    root = Path(args.course).resolve()
    for assignment in args.assignments or paths.assignments(root):
        out = course.Course(root).release(assignment)
        print(f"released {assignment} -> {out.relative_to(root)}")
    return 0


def _report(crs: course.Course, assignment: str, outcome: dict[str, str | None]) -> int:
    print()
    print(course.grade_table(crs.scores(assignment)))
    print("\nwhat the feedback tells each learner about the points they lost:")
    for student, lost in crs.failures(assignment).items():
        print(f"  {student}:")
        for grade_id, message in lost[:SHOWN_FAILURES]:
            print(f"    {grade_id}: {message}")
        if len(lost) > SHOWN_FAILURES:
            print(f"    ... and {len(lost) - SHOWN_FAILURES} more")
    from tfcert.submission import report_line

    for student, problems in crs.problems.items():
        if problems:
            print(f"\n{report_line(student, problems)}")
    failed = {s: e for s, e in outcome.items() if e}
    for student, error in failed.items():
        print(f"\n! {student}: could not be graded: {batch.one_line(error)}")
    feedback = crs.feedback(assignment)
    print(f"\nfeedback ({len(feedback)} files):")
    for path in feedback:
        print(f"  {path}")
    grades_csv = crs.root / "grades.csv"
    crs.export_csv()
    print(f"grades exported to {grades_csv}")
    from tfcert import report

    page = report.write_report(crs.root, assignment, not_graded=failed, db_url=crs.db_url)
    print(f"class report: {page}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Release, submit the sample submissions, autograde, print grades, write feedback."""
    started = time.perf_counter()
    crs = course.Course.scratch_copy(Path(args.course).resolve(), args.out)
    print(f"course directory: {crs.root}")
    assignments = paths.assignments(crs.root) if args.assignment == "all" else [args.assignment]
    leaks: list[str] = []
    for assignment in assignments:
        leaks += _demo_one(crs, assignment, args)
    print("feedback contains hidden tests: " + (", ".join(leaks) if leaks else "no"))
    print(f"demo finished in {time.perf_counter() - started:.0f} s")
    return 1 if leaks else 0


def _demo_one(crs: course.Course, assignment: str, args: argparse.Namespace) -> list[str]:
    """The demo for one assignment; returns the feedback files that leak hidden tests."""
    print(f"\n=== {assignment}")
    crs.release(assignment)
    print(f"1. generated the learner version of {assignment} with nbgrader")
    samples = load_samples(assignment, crs.root)
    chosen = args.samples.split(",") if args.samples else list(manifest.load(assignment, crs.root).demo_samples)
    unknown = [name for name in chosen if name not in samples]
    if unknown:
        raise SampleError(f"no sample {', '.join(unknown)} for {assignment}: choose from {', '.join(samples)}")
    for name in chosen:
        crs.submit_sample(name, assignment, samples[name])
        print(f"2. submitted sample '{name}': {samples[name].description.strip()}")
    from tfcert import sandbox

    where = ("in a bubblewrap sandbox: no network, no view of source/ or the gradebook" if sandbox.available()
             else f"WITHOUT a sandbox ({sandbox.unavailable_reason()})")
    print(f"3. autograding {where}; each submission is re-executed and its saved models are checked "
          "in a clean process")
    outcome = crs.autograde(assignment, chosen, workers=args.workers)
    _report(crs, assignment, outcome)
    return [str(p) for p in crs.root.glob(f"feedback/*/{assignment}/*.html") if notebooks.leaked_markers(p.read_text())]


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade every submission in <course>/submitted (resuming a killed batch), then feedback and a CSV export."""
    from tfcert import sandbox

    if not sandbox.available() and not args.no_sandbox:
        print(f"refusing to run learner code unsandboxed: {sandbox.unavailable_reason()}; "
              "pass --no-sandbox to grade trusted submissions without it", file=sys.stderr)
        return 2
    if args.no_sandbox:
        os.environ["TFCERT_SANDBOX"] = "off"
    crs = course.Course(args.course, db_url=args.db)
    students = crs.students(args.assignment)
    if not students:
        print(f"no submissions in {crs.root / 'submitted'} for {args.assignment}: expected "
              f"submitted/<student>/{args.assignment}/{args.assignment}.ipynb", file=sys.stderr)
        return 2
    started = time.perf_counter()
    outcome = crs.autograde(args.assignment, students, workers=args.workers, mode=args.mode,
                            scheduler=args.scheduler, force=args.force)
    graded = len(students) - len(crs.skipped)
    minutes = (time.perf_counter() - started) / 60
    print(f"\ngraded {graded} submission(s) in {args.mode} mode in {minutes * 60:.0f} s"
          + (f" ({graded / minutes:.1f} per minute)" if graded and minutes > 0 else ""))
    if crs.skipped:
        print(f"left {len(crs.skipped)} already graded from the same files as they were (--force grades them again)")
    return _report(crs, args.assignment, outcome)


def cmd_check(args: argparse.Namespace) -> int:
    """Grade your own assignment notebook as the instructor's batch would; print the summary, write the feedback."""
    from tfcert import selfcheck

    try:
        result = selfcheck.check(args.notebook, course_root=Path(args.course).resolve(), progress=not args.quiet)
    except selfcheck.CheckError as exc:
        print(f"tfcert check: {exc}", file=sys.stderr)
        return 2
    return 0 if result is None or result.error is None else 1


def cmd_progress(args: argparse.Namespace) -> int:
    """Which checklist skills your checked assignments passed, per domain, and what to study next."""
    from tfcert import selfcheck

    print(selfcheck.progress(Path(args.checks) if args.checks else None, Path(args.course).resolve()))
    return 0


def cmd_exam_start(args: argparse.Namespace) -> int:
    """Start a mock exam: five problems as Python scripts, with this attempt's data and a clock."""
    from tfcert.exam import session

    attempt = session.start(args.folder, minutes=args.minutes, seed=args.seed)
    print((attempt.folder / "README.txt").read_text())
    print(f"the exam is in {attempt.folder}; open it as a project in PyCharm, or cd there in a terminal")
    return 0


def cmd_exam_grade(args: argparse.Namespace) -> int:
    """Grade a mock exam attempt: run each script sandboxed, judge its saved model on held-out data, 0-5 each."""
    import shutil

    from tfcert.exam import grade, session

    attempt = session.load(args.folder)
    if not args.saved and not attempt.over() and not sandbox_ok(args):
        return 2
    if attempt.over() and not args.saved:
        print(f"{grade.clock_line(attempt)}; the scripts are not run again")
    started = time.perf_counter()
    rows = grade.grade(attempt.folder, only=args.problems or None, saved=args.saved,
                       timeout=args.script_minutes * 60,
                       on_step=None if args.quiet else lambda step: print(f"... {step}", flush=True))
    width = min(100, shutil.get_terminal_size((100, 24)).columns)
    print(grade.render(rows, width=width, footer=f"graded in {time.perf_counter() - started:.0f} s; "
                       f"{grade.clock_line(attempt)}"))
    return 0


def sandbox_ok(args: argparse.Namespace) -> bool:
    """True when learner scripts can run in the sandbox (or --no-sandbox was asked for); else say why."""
    from tfcert import sandbox

    if args.no_sandbox or sandbox.available():
        if args.no_sandbox:
            os.environ["TFCERT_SANDBOX"] = "off"
        return True
    print(f"tfcert exam grade: the grading sandbox cannot run here: {sandbox.unavailable_reason()} "
          "(or grade with --no-sandbox, running your own scripts unsandboxed)", file=sys.stderr)
    return False


def cmd_report(args: argparse.Namespace) -> int:
    """Write the class report of one assignment: one HTML page from the gradebook and the graded notebooks."""
    from tfcert import report

    out = report.write_report(Path(args.course).resolve(), args.assignment, Path(args.out) if args.out else None,
                              pass_mark=args.pass_mark, db_url=args.db)
    print(f"class report written to {out}")
    return 0


def cmd_checklist(args: argparse.Namespace) -> int:
    """Print the coverage table of checklist.yml, then any coverage problem."""
    from tfcert import checklist

    print(checklist.coverage_table())
    found = checklist.problems()
    for problem in found:
        print(f"- {problem}")
    return 1 if found else 0


def cmd_lint(args: argparse.Namespace) -> int:
    """Check the course's rules without running anything: notebooks, manifests, samples, checklist, docs."""
    from tfcert import lint

    found = lint.problems(Path(args.course))
    for problem in found:
        print(f"- {problem}")
    print(f"{len(found)} problem(s) in {len(paths.assignments(args.course))} assignment(s)")
    return 1 if found else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check this machine can run the course: versions, devices, data, nbgrader."""
    import platform

    import tfcert

    print(f"python      {platform.python_version()}")
    tfcert.import_tensorflow_quietly()  # before setup() imports it: no native start-up lines in the report
    info = tfcert.setup()
    import keras
    import tensorflow as tf

    ok = tf.__version__ >= "2.20"
    print(f"tensorflow  {tf.__version__}{'' if ok else '  (too old: the course needs >= 2.20)'}")
    print(f"keras       {keras.__version__}")
    print(f"devices     {', '.join(info['devices'])}   colab: {info['in_colab']}")
    from tfcert import sandbox

    reason = sandbox.unavailable_reason()
    print(f"sandbox     {sandbox.bwrap_executable()}: ok" if reason is None else f"sandbox     off: {reason}")
    from tfcert import datasets

    x, _ = datasets.load("digits", split="train", as_numpy=True)
    print(f"data        digits train {x.shape}: ok   cache: {datasets.cache_dir()}")
    from tfcert import pretrained

    base = pretrained.cached_scenes_base()
    print(f"pretrained  course base: {base if base else 'not cached yet (trained on first use, about a minute)'}")
    try:
        import nbgrader

        print(f"nbgrader    {nbgrader.__version__}")
    except ImportError:
        print("nbgrader    not installed (learners do not need it; instructors: pip install 'tfcert[course]')")
    return 0 if ok else 1


def cmd_fmt(args: argparse.Namespace) -> int:
    """Normalise notebooks in place (outputs stripped, keys sorted, ids kept)."""
    paths = [Path(p) for p in args.paths] or list(notebooks.iter_notebooks("notebooks", "source", "release"))
    for path in paths:
        before = path.read_text()
        notebooks.write(notebooks.read(path), path)
        if path.read_text() != before:
            print(f"normalised {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tfcert", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help=cmd_release.__doc__)
    p.add_argument("assignments", nargs="*")
    p.add_argument("--course", default=str(paths.REPO_ROOT), help="course directory (default: this repository)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("demo", help=cmd_demo.__doc__)
    p.add_argument("--assignment", default="all", help="one assignment, or all of them (default)")
    p.add_argument("--course", default=str(paths.REPO_ROOT), help="course to copy (default: this repository)")
    p.add_argument("--out", default=str(paths.REPO_ROOT / "build" / "demo"), help="scratch course directory")
    p.add_argument("--samples", default="", help="comma-separated samples (default: the manifest's demo_samples)")
    p.add_argument("--workers", type=int, default=course.default_workers(),
                   help="submissions graded side by side (default: %(default)s, from the CPU count)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("grade", help=cmd_grade.__doc__)
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="course directory holding nbgrader_config.py and submitted/")
    p.add_argument("--mode", choices=batch.MODES, default="full",
                   help="full: re-execute each notebook (default); files: judge the handed-in model files and "
                        "histories only, exam style, without running the notebook")
    p.add_argument("--workers", type=int, default=None,
                   help="submissions graded side by side on this machine (default, from the CPU count and memory: "
                        f"{course.default_workers()} in full mode, {course.default_workers(mode='files')} in files mode)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster (tcp://host:8786) instead of this machine; the workers need "
                        "tfcert installed, and this process alone writes the gradebook")
    p.add_argument("--db", metavar="URL", help="the gradebook's database, as nbgrader's db_url "
                   "(postgresql+psycopg://user@host/db); default: gradebook.db in the course (SQLite)")
    p.add_argument("--force", action="store_true",
                   help="grade again submissions already graded from the same files (default: resume, skip them)")
    p.add_argument("--no-sandbox", action="store_true", help="run learner code without bubblewrap (trusted code only)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("check", help=cmd_check.__doc__)
    p.add_argument("notebook", nargs="?", help="your assignment notebook, or its folder (default: the working "
                   "directory); graded as last saved")
    p.add_argument("--course", default=str(paths.REPO_ROOT), help="the course's repository (default: this one)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("progress", help=cmd_progress.__doc__)
    p.add_argument("--course", default=str(paths.REPO_ROOT), help="the course's repository (default: this one)")
    p.add_argument("--checks", help="where checks are recorded (default: $TFCERT_CHECKS_DIR, else "
                   "$XDG_DATA_HOME/tfcert/checks)")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("report", help=cmd_report.__doc__)
    p.add_argument("assignment")
    p.add_argument("--course", default=".", help="course directory holding the gradebook and autograded/")
    p.add_argument("--db", metavar="URL", help="the gradebook's database URL, as for grade")
    p.add_argument("--out", help="the HTML file to write (default: <course>/reports/<assignment>.html)")
    p.add_argument("--pass-mark", type=float, default=0.6, help="share of the points a pass needs (default 0.6)")
    p.set_defaults(func=cmd_report)

    from tfcert.exam import grade as exam_grade, session as exam_session

    exam = sub.add_parser("exam", help="a mock exam: five problems as Python scripts, timed and graded")
    exam_sub = exam.add_subparsers(dest="exam_command", required=True)
    p = exam_sub.add_parser("start", help=cmd_exam_start.__doc__)
    p.add_argument("--folder", default="tfcert-exam", help="a new or empty folder for the attempt "
                   "(default: ./tfcert-exam)")
    p.add_argument("--minutes", type=int, default=exam_session.DEFAULT_MINUTES,
                   help="the time allowed (default: %(default)s, five hours, as the certificate exam)")
    p.add_argument("--seed", type=int, help="draw this attempt's variants from this seed (default: a random one; "
                   "an instructor gives one per learner)")
    p.set_defaults(func=cmd_exam_start)
    p = exam_sub.add_parser("grade", help=cmd_exam_grade.__doc__)
    p.add_argument("problems", nargs="*", help="problem numbers or script names (default: all five)")
    p.add_argument("--folder", default=".", help="the attempt's folder, or one inside it (default: here)")
    p.add_argument("--saved", action="store_true",
                   help="judge the saved .keras files without running the scripts again")
    p.add_argument("--script-minutes", type=float, default=exam_grade.SCRIPT_TIMEOUT_S / 60,
                   help="each script's time limit (default: %(default)g minutes)")
    p.add_argument("--no-sandbox", action="store_true", help="run the scripts without bubblewrap (your own code only)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_exam_grade)

    for name, func in (("checklist", cmd_checklist), ("doctor", cmd_doctor)):
        sub.add_parser(name, help=func.__doc__).set_defaults(func=func)

    p = sub.add_parser("lint", help=cmd_lint.__doc__)
    p.add_argument("--course", default=str(paths.REPO_ROOT), help="course directory (default: this repository)")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("fmt", help=cmd_fmt.__doc__)
    p.add_argument("paths", nargs="*")
    p.set_defaults(func=cmd_fmt)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except COURSE_ERRORS as exc:
        print(f"tfcert {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
