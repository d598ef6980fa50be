"""Grading a batch: one task per submission, run by an executor, recorded by one coordinator.

A :class:`SubmissionTask` carries everything needed to grade one submission
anywhere: the assignment's instructor files (``nbgrader_config.py``,
``source/<assignment>/``, a gradebook that knows the assignment, the released
notebook) and the files the learner handed in. :func:`grade_submission` grades
it in a scratch course of its own, so nothing it does touches the class's
gradebook, and returns a :class:`SubmissionResult` (scores per graded cell, the
autograded notebook, what went wrong). It runs in a thread of this process
(:class:`LocalExecutor`) or on any machine of a Dask cluster
(:class:`DaskExecutor`); only the coordinator (:mod:`tfcert.course`) writes
results to the gradebook.

Two modes (:data:`MODES`):

* ``full`` re-executes the notebook with ``nbgrader autograde`` in the
  sandbox, except the test cells tagged ``verify``, which judge saved files:
  those run once, after the notebook, in a clean sandboxed process
  (:mod:`tfcert.verify`), where learner code cannot tamper with them.
* ``files`` is the exam's way: no notebook runs; the ``verify`` cells judge the
  model files and histories handed in beside the notebook. The other graded
  cells need the learner's kernel and score 0, with a sentence saying so.

Both modes share the verify step, so on the same files they agree cell by cell.

Example (grading one hand-in in files mode, in this process)::

    bundle = instructor_bundle(course_root, "d1_developer_skills", course_root, gradebook=False)
    task = SubmissionTask("d1_developer_skills", "ann", "files", bundle, read_tree(hand_in_folder))
    result = grade_submission(task)
    result.grades["d1_size_budget"], result.error
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from tfcert import notebooks, sandbox

#: The ways a submission can be graded.
MODES = ("full", "files")
#: What a handed-in folder may weigh in all; a larger one is refused, not copied.
MAX_SUBMISSION_MB = float(os.environ.get("TFCERT_MAX_SUBMISSION_MB", "256"))
#: The sentence a graded cell gets in files mode when it needs the learner's kernel.
NOT_JUDGED_FROM_FILES = ("this check needs your notebook re-executed, and this assignment was graded from "
                         "your saved files only (exam style): it scores 0 here")


#: Seconds nbgrader may take beyond a notebook's budget (kernel start, sanitising, saving grades).
NBGRADER_MARGIN_S = 300.0


class BatchError(RuntimeError):
    """A batch cannot start; the message says why and what to do."""


@dataclass
class SubmissionTask:
    """One submission to grade, with every file that needs: picklable, so it can travel to a cluster."""

    assignment: str
    student: str
    mode: str
    #: Instructor files by path relative to the course root (see :func:`instructor_bundle`).
    bundle: dict[str, bytes]
    #: The learner's files by path relative to ``submitted/<student>/<assignment>/``.
    submission: dict[str, bytes]
    #: Course folders on the grading machine that the sandbox must hide besides the scratch course.
    hide: tuple[str, ...] = ()
    #: Files and folders the sandbox hides entirely (a local gradebook database and its sockets).
    private: tuple[str, ...] = ()
    #: Seconds the notebook may run in full mode (its budget: Manifest.budget_seconds); past it, it stops.
    timeout_s: float = 3600.0
    #: The coordinator's held-out secret (:func:`tfcert.datasets.heldout_secret`), for workers that lack it; never shown.
    heldout_secret: str | None = field(default=None, repr=False)


@dataclass
class SubmissionResult:
    """What grading one submission found; the coordinator records it."""

    student: str
    mode: str
    #: grade_id -> (auto score or None, needs manual grading)
    grades: dict[str, tuple[float | None, bool]] = field(default_factory=dict)
    #: solution cell name -> nbgrader's automatic comment
    comments: dict[str, str | None] = field(default_factory=dict)
    #: The autograded folder, by path relative to ``autograded/<student>/<assignment>/``.
    files: dict[str, bytes] = field(default_factory=dict)
    #: Why the submission could not be graded at all; None when it was.
    error: str | None = None
    #: grade_id -> the failure that took back points the kernel had given (full mode).
    revoked: dict[str, str] = field(default_factory=dict)
    #: What grading repaired or met on the way, one sentence each (:mod:`tfcert.submission`).
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: ``hostname:pid`` of the process that graded it (a Dask worker, or this process).
    worker: str = ""


def one_line(error: str) -> str:
    """The line of a multi-line error that says what went wrong: the last ``SomeError: ...`` line, else the last line.

    Example:
        >>> one_line("Traceback ...\\n  File x\\nNotJSONError: not JSON\\n[AutogradeApp | ERROR] see above")
        'NotJSONError: not JSON'
    """
    import re

    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    named = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Exit|Interrupt|Expired)\b.*:", line)]
    return (named or lines or [""])[-1]


def database_paths(db_url: str) -> list[str]:
    """What a gradebook URL keeps on this machine, for the sandbox to hide: a SQLite file, a socket folder.

    Example:
        >>> database_paths("sqlite:////srv/course/gradebook.db")
        ['/srv/course/gradebook.db']
        >>> database_paths("postgresql+psycopg://postgres:@/postgres?host=/tmp/pg")
        ['/tmp/pg']
        >>> database_paths("postgresql+psycopg://grader@db.example.org/course")
        []
    """
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return [url.database] if url.database and url.database != ":memory:" else []
    host = url.query.get("host")
    hosts = host if isinstance(host, tuple) else (host,)
    return [h for h in hosts if isinstance(h, str) and h.startswith("/")] + (
        [url.host] if url.host and url.host.startswith("/") else [])


def submission_digest(files: dict[str, bytes]) -> str:
    """A fingerprint of a handed-in folder: it changes when any file's name or bytes change.

    Example:
        >>> submission_digest({"a.ipynb": b"{}"}) == submission_digest({"a.ipynb": b"{}"})
        True
        >>> submission_digest({"a.ipynb": b"{}"}) == submission_digest({"a.ipynb": b"{ }"})
        False
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def read_tree(folder: Path, skip: Callable[[Path], bool] = lambda p: False) -> dict[str, bytes]:
    """Every file under ``folder`` by relative POSIX path (checkpoints and caches left out).

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp()); (d / "m").mkdir(); _ = (d / "m" / "x.keras").write_bytes(b"k")
        >>> read_tree(d)
        {'m/x.keras': b'k'}
    """
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and not skip(rel) and not {
                ".ipynb_checkpoints", "__pycache__"} & set(rel.parts):
            found[rel.as_posix()] = path.read_bytes()
    return found


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (relative path -> bytes) under ``folder``; paths may not leave it."""
    folder = folder.resolve()
    for name, data in files.items():
        target = (folder / name).resolve()
        if folder not in target.parents:
            raise BatchError(f"refusing to write {name!r} outside {folder}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def instructor_bundle(course_root: Path, assignment: str, generated: Path,
                      gradebook: bool = True) -> dict[str, bytes]:
    """The instructor files a task needs: config, ``source/<assignment>/``, and ``generated``'s release.

    ``generated`` is a course where ``nbgrader generate_assignment`` ran: a
    scratch one from :func:`make_template` for full grading, whose gradebook
    (``gradebook``) knows the assignment and nothing else, whatever database the
    class uses; files mode needs no gradebook, only the released notebook for
    the feedback page, and takes it from the class's own course.
    """
    bundle = {"nbgrader_config.py": (course_root / "nbgrader_config.py").read_bytes()}
    if gradebook:
        bundle["gradebook.db"] = (generated / "gradebook.db").read_bytes()
    source = course_root / "source" / assignment
    bundle.update({f"source/{assignment}/{name}": data for name, data in read_tree(source).items()})
    release = generated / "release" / assignment
    bundle.update({f"release/{assignment}/{name}": data for name, data in read_tree(release).items()
                   if name.endswith(".ipynb")})
    return bundle


def make_template(course_root: Path, assignment: str, scratch: Path) -> Path:
    """A scratch course at ``scratch`` with the assignment generated into its own SQLite gradebook."""
    if scratch.exists():
        shutil.rmtree(scratch)
    (scratch / "source").mkdir(parents=True)
    shutil.copy(course_root / "nbgrader_config.py", scratch / "nbgrader_config.py")
    shutil.copytree(course_root / "source" / assignment, scratch / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    run_nbgrader(scratch, "generate_assignment", assignment, "--force", timeout=600)
    return scratch


def tool_env() -> dict[str, str]:
    """This environment with the running interpreter's ``bin/`` first on PATH.

    nbgrader calls helper programs (``alembic``, kernels) by name; a virtual
    environment used without being activated would otherwise not provide them.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


class NbgraderFailed(RuntimeError):
    """An nbgrader command failed; the message holds its last lines."""


def run_nbgrader(root: Path, *args: str, timeout: float = 3600,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``nbgrader ARGS`` in the course directory ``root`` (``env``: extra variables); NbgraderFailed on failure."""
    command = [sys.executable, "-m", "nbgrader", *args]
    run = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL, env={**tool_env(), **(env or {})}, preexec_fn=_die_with_parent)
    if run.returncode != 0:
        tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
        raise NbgraderFailed(f"nbgrader {' '.join(args)} failed (exit {run.returncode}):\n{tail}")
    return run


def _die_with_parent() -> None:
    """In a child process: be killed when the grader dies (Linux), so a killed batch leaves no grading behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def grade_submission(task: SubmissionTask) -> SubmissionResult:
    """Grade one submission in a scratch course of its own; never raises (failures are in ``error``)."""
    started = time.perf_counter()
    # The same for every task of a batch; the sandboxes this process starts read them.
    for variable, paths in ((sandbox.HIDE_ENV, task.hide), (sandbox.PRIVATE_ENV, task.private)):
        known = [p for p in os.environ.get(variable, "").split(os.pathsep) if p]
        if set(paths) - set(known):
            os.environ[variable] = os.pathsep.join(dict.fromkeys([*known, *paths]))
    if task.heldout_secret:  # in this process only, never os.environ: verify.run_cells sends it on stdin
        from tfcert.datasets import set_heldout_secret

        set_heldout_secret(task.heldout_secret)
    root_parent = sandbox.batch_root()
    root_parent.mkdir(mode=0o700, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"{task.student[:20]}-", dir=root_parent))
    try:
        write_tree(root, task.bundle)
        if task.mode == "full":
            result = _grade_full(root, task)
        elif task.mode == "files":
            result = _grade_files(root, task)
        else:
            raise BatchError(f"unknown grading mode {task.mode!r}: choose one of {', '.join(MODES)}")
    except Exception as exc:  # noqa: BLE001 - one submission's failure is reported, the batch goes on
        result = SubmissionResult(task.student, task.mode, error=f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    return result


def _grade_full(root: Path, task: SubmissionTask) -> SubmissionResult:
    """Re-execute the notebook with nbgrader (verify cells skipped), then run the verify cells outside it."""
    from tfcert.nbgrader_ext import BUDGET_ENV
    from tfcert.submission import kernel_problems, repair_submission
    from tfcert.verify import verify_submission

    submitted = root / "submitted" / task.student / task.assignment
    write_tree(submitted, task.submission)
    problems: list[str] = []
    for source in sorted((root / "source" / task.assignment).glob("*.ipynb")):
        path = submitted / source.name
        problem = notebook_problem(path)
        if problem:
            return SubmissionResult(task.student, task.mode, error=problem)
        problems += repair_submission(path, notebooks.read(root / "release" / task.assignment / source.name))
        settle_verify_tags(path, notebooks.read(source))
    # The notebook's budget is enforced inside nbgrader (ResilientExecute: what ran keeps its points);
    # the process itself gets a margin for starting, sanitising and saving before it is killed.
    try:
        run_nbgrader(root, "autograde", task.assignment, "--student", task.student, "--force", "--create",
                     timeout=task.timeout_s + NBGRADER_MARGIN_S, env={BUDGET_ENV: f"{task.timeout_s:.0f}"})
    except subprocess.TimeoutExpired:
        return SubmissionResult(task.student, task.mode, error=(
            f"nbgrader did not finish within {task.timeout_s + NBGRADER_MARGIN_S:.0f} s, the notebook's grading "
            f"time of {task.timeout_s:.0f} s plus {NBGRADER_MARGIN_S:.0f} s, and was stopped"))
    folder = root / "autograded" / task.student / task.assignment
    if not any(folder.glob("*.ipynb")):
        return SubmissionResult(task.student, task.mode, error="nbgrader produced no graded notebook")
    for path in sorted(folder.glob("*.ipynb")):
        problems += kernel_problems(path)
    revoked = verify_submission(root, task.assignment, task.student)
    grades, comments = _read_scores(root, task.assignment, task.student)
    return SubmissionResult(task.student, task.mode, grades=grades, comments=comments,
                            files=read_tree(folder), revoked=revoked, problems=problems)


def notebook_problem(path: Path) -> str | None:
    """Why the handed-in notebook at ``path`` cannot be executed, in one sentence; None when it can.

    Example:
        >>> import tempfile
        >>> bad = Path(tempfile.mkdtemp()) / "a1.ipynb"; _ = bad.write_text('{"cells": [ not')
        >>> notebook_problem(bad)[:44]
        'a1.ipynb is not a notebook (not valid JSON: '
    """
    import nbformat

    if not path.exists():
        return f"no {path.name} in the submission: the learner must hand in the assignment's notebook under that name"
    try:
        nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except UnicodeDecodeError:
        return f"{path.name} is not a notebook (not UTF-8 text): ask the learner to download it again from JupyterLab"
    except Exception as exc:  # noqa: BLE001 - NotJSONError, a dict without cells, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = "not valid JSON" if "JSON" in type(exc).__name__ or isinstance(exc, ValueError) else "not nbformat 4"
        return (f"{path.name} is not a notebook ({kind}: {first[:120]}): ask the learner to download it again "
                "from JupyterLab (File > Download) and hand that in")
    return None


def settle_verify_tags(path: Path, source_nb: dict[str, Any]) -> None:
    """Give the submitted notebook's cells the ``verify`` tags of the source, and only those.

    nbgrader restores a graded cell's source and nbgrader metadata, not its
    tags. Full grading skips ``verify`` cells in the kernel (they run outside
    it), so a learner who tagged another test cell ``verify`` would skip it, and
    one who removed the tag would move a check into a kernel they control.
    A file that is not a notebook is left for nbgrader to report.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError):
        return
    verified = {notebooks.nbgrader_meta(c).get("grade_id") for c in source_nb["cells"]
                if notebooks.VERIFY_TAG in notebooks.tags(c) and notebooks.is_graded(c)}
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        metadata = cell.setdefault("metadata", {})
        tags = [t for t in metadata.get("tags", []) if t != notebooks.VERIFY_TAG]
        if (metadata.get("nbgrader") or {}).get("grade_id") in verified:
            tags.append(notebooks.VERIFY_TAG)
        metadata["tags"] = tags
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_scores(root: Path, assignment: str, student: str) -> tuple[dict[str, tuple[float | None, bool]],
                                                                     dict[str, str | None]]:
    from tfcert.nbgrader_ext import open_gradebook

    grades: dict[str, tuple[float | None, bool]] = {}
    comments: dict[str, str | None] = {}
    with open_gradebook(root) as gb:
        submission = gb.find_submission(assignment, student)
        for nb in submission.notebooks:
            for grade in nb.grades:
                grades[grade.name] = (None if grade.auto_score is None else float(grade.auto_score),
                                      bool(grade.needs_manual_grade))
            for comment in nb.comments:
                comments[comment.name] = comment.auto_comment
    return grades, comments


def _grade_files(root: Path, task: SubmissionTask) -> SubmissionResult:
    """Judge the handed-in files with the source's verify cells; no learner notebook runs."""
    from tfcert.verify import run_cells, verified_cells

    folder = root / "autograded" / task.student / task.assignment
    write_tree(folder, task.submission)
    grades: dict[str, tuple[float | None, bool]] = {}
    files: dict[str, bytes] = {}
    for source_path in sorted((root / "source" / task.assignment).glob("*.ipynb")):
        source_nb = notebooks.read(source_path)
        checks = {grade_id: src for grade_id, src in verified_cells(source_nb).values()}
        outcome = run_cells(checks, folder, batch=task.assignment) if checks else {}
        release_nb = notebooks.read(root / "release" / task.assignment / source_path.name)
        handed_in = folder / source_path.name
        nb = files_mode_notebook(release_nb, _read_notebook_or_none(handed_in), outcome)
        points = notebooks.graded_cells(source_nb)
        for grade_id, most in points.items():
            passed = grade_id in outcome and outcome[grade_id] is None
            grades[grade_id] = (float(most) if passed else 0.0, False)
        files[source_path.name] = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()
    return SubmissionResult(task.student, task.mode, grades=grades, files=files)


def _read_notebook_or_none(path: Path) -> dict[str, Any] | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        return nb if isinstance(nb.get("cells"), list) else None
    except (OSError, ValueError, AttributeError):
        return None


def files_mode_notebook(release_nb: dict[str, Any], handed_in: dict[str, Any] | None,
                        outcome: dict[str, str | None]) -> dict[str, Any]:
    """The graded notebook of a files-mode submission, for the feedback page.

    The released notebook, with the learner's answers copied into its solution
    cells (by cell id, when the handed-in notebook can be read), and on each
    graded cell the result: nothing when its check passed, else an error whose
    sentence says what failed, or that files mode does not judge it.

    Example:
        >>> release = {"cells": [{"id": "t", "cell_type": "code", "source": "check()", "outputs": [],
        ...            "metadata": {"nbgrader": {"grade": True, "grade_id": "t", "points": 1}}}]}
        >>> files_mode_notebook(release, None, {"t": "GradingError: too big"})["cells"][0]["outputs"][0]["evalue"]
        'too big'
    """
    nb = json.loads(json.dumps(release_nb))
    answers = {}
    if handed_in is not None:
        answers = {c.get("id"): c.get("source") for c in handed_in["cells"]
                   if isinstance(c, dict) and notebooks.is_solution(c) and isinstance(c.get("source"), (str, list))}
    for cell in nb["cells"]:
        if notebooks.is_solution(cell) and cell.get("id") in answers:
            source = answers[cell["id"]]
            cell["source"] = "".join(source) if isinstance(source, list) else source
        if cell["cell_type"] != "code":
            continue
        cell["outputs"] = []
        if not notebooks.is_graded(cell):
            continue
        grade_id = notebooks.nbgrader_meta(cell)["grade_id"]
        message = outcome[grade_id] if grade_id in outcome else f"NotJudgedFromFiles: {NOT_JUDGED_FROM_FILES}"
        if message is not None:
            ename, _, evalue = message.partition(": ")
            cell["outputs"] = [{"output_type": "error", "ename": ename, "evalue": evalue,
                                "traceback": [f"{ename}: {evalue}"]}]
    return nb


# --- executors: where tasks run ---------------------------------------------------------------------------------

class LocalExecutor:
    """Tasks in threads of this process, ``workers`` at a time (each task runs its own sandboxed processes).

    Example:
        >>> with LocalExecutor(2) as ex:
        ...     sorted(r for _, r in ex.run([3, 1, 2], lambda n: n * 10))
        [10, 20, 30]
    """

    def __init__(self, workers: int = 1) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self.workers)

    def describe(self) -> str:
        return f"{self.workers} local worker{'s' * (self.workers != 1)}"

    def run(self, tasks: Iterable[Any], fn: Callable[[Any], Any]) -> Iterator[tuple[Any, Any]]:
        """``(task, fn(task))`` as each finishes; an exception is yielded as the result."""
        from concurrent.futures import as_completed

        futures = {self._pool.submit(fn, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as exc:  # noqa: BLE001
                yield futures[future], exc

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def on_dask_worker(fn: Callable[[Any], Any], task: Any) -> Any:
    """``fn(task)`` in a Dask worker, without the environment Dask's nanny sets for NumPy workloads.

    The nanny starts each worker with ``OMP_NUM_THREADS=1``,
    ``MALLOC_TRIM_THRESHOLD_=65536``, ... (``distributed.nanny.pre-spawn-environ``),
    which every kernel and clean process a task starts would inherit: retraining
    D3's augmented model took 49 s instead of 31 s under them. Grading on the
    cluster should cost and score what it does on this machine.

    Example:
        >>> on_dask_worker(len, "abc")
        3
    """
    try:
        import dask

        nanny_environ = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    except ImportError:
        nanny_environ = {}
    for name, value in nanny_environ.items():
        if os.environ.get(name) == str(value):
            del os.environ[name]
    return fn(task)


class DaskExecutor:
    """Tasks on a Dask distributed cluster (``tcp://scheduler:8786``); each worker needs tfcert installed.

    Every task carries its files, so workers need no shared file system; each
    grades in its own sandbox and returns its result to this process, which
    alone writes the gradebook.
    """

    def __init__(self, address: str, connect_timeout: float = 30) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise BatchError("grading on a cluster needs Dask distributed: pip install 'tfcert[cluster]'") from None
        try:
            self._client = Client(address, timeout=connect_timeout, set_as_default=False)
        except OSError as exc:
            raise BatchError(f"no Dask scheduler answered at {address} ({exc}): start one with `dask scheduler` "
                             "and workers with `dask worker ADDRESS`, or grade locally without --scheduler") from None
        self.address = address

    def describe(self) -> str:
        workers = self._client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        return f"the Dask cluster at {self.address} ({len(workers)} workers, {threads} threads)"

    def run(self, tasks: Iterable[Any], fn: Callable[[Any], Any]) -> Iterator[tuple[Any, Any]]:
        from distributed import as_completed

        import warnings

        futures = {}
        with warnings.catch_warnings():
            # Each task carries its files on purpose (no shared disk); Dask's advice to load data
            # on the workers instead does not apply.
            warnings.filterwarnings("ignore", message=r"\s*Sending large graph")
            for task in tasks:
                futures[self._client.submit(on_dask_worker, fn, task, pure=False)] = task
        for future in as_completed(list(futures), loop=self._client.loop):
            try:
                yield futures[future], future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker, a task that raised
                yield futures[future], exc
            future.release()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()
