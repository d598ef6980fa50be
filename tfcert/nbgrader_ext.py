"""nbgrader extensions: feedback that shows what failed without showing the hidden tests; kernels that die.

nbgrader's feedback HTML is rendered from the autograded notebook, which holds
the hidden tests and full tracebacks that quote them (jupyter/nbgrader#917).
:class:`HideHiddenTests` runs in ``GenerateFeedback`` and

* removes every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block
  from the cells' source, leaving a one-line note in its place;
* cuts each error's traceback down to its last line, ``ErrorName: message``,
  which for a failed check is the actionable sentence from
  :class:`tfcert.grading.GradingError`;
* keeps only that error line among a test cell's outputs: learner code can make
  a test cell print (an IPython hook that echoes each cell's source, say), and
  whatever a test cell printed could quote the hidden test.

:class:`FeedbackSummary` runs in ``GenerateFeedback`` before it: the page's head
names each task and graded cell with its points and the sentence that says
why points were lost (:mod:`tfcert.summary`), in place of nbgrader's list of
"Test cell" links, rendered by :class:`FeedbackExporter`.

:class:`ResilientExecute` runs in ``Autograde`` in place of nbgrader's ``Execute``:
a kernel that dies or stops answering costs the cells after it, not the whole
submission, and each of them says why (:func:`kernel_stop_reason`).

Example:
    >>> strip_hidden_tests("a = 1\\n### BEGIN HIDDEN TESTS\\nassert a == 1\\n### END HIDDEN TESTS\\n")
    'a = 1\\n# (hidden tests ran here)\\n'
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, default

from tfcert import notebooks, submission

COURSE_ID = "tfcert"
#: Where the course's nbconvert templates live (the feedback page's: ``feedback.html.j2``).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: A file that :class:`ResilientExecute` rewrites after each cell as ``<cells done> <cells>`` (a progress bar reads it).
PROGRESS_ENV = "TFCERT_PROGRESS_FILE"


def _nbgrader_templates() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page (its ``feedback`` template), headed by the course's summary.

    Set as ``c.GenerateFeedback.exporter_class``: it renders
    ``tfcert/templates/feedback.html.j2``, which extends nbgrader's page
    (``nbgrader/feedback/index.html.j2``) and replaces its list of links. Nothing
    else changes: nbgrader's formgrader keeps its own templates.
    """

    @default("extra_loaders")
    def _course_loaders(self) -> list[Any]:
        from jinja2 import FileSystemLoader, PrefixLoader

        return [PrefixLoader({"tfcert": FileSystemLoader(str(TEMPLATES_DIR)),
                              "nbgrader": FileSystemLoader(str(_nbgrader_templates()))})]

    @default("template_file")
    def _course_template(self) -> str:
        return "tfcert/feedback.html.j2"


def open_gradebook(course_root: Path, db_url: str | None = None):
    """nbgrader's gradebook of the course at ``course_root`` (use as a context manager).

    ``db_url`` is any database nbgrader takes (``postgresql+psycopg://...``); by
    default the course's own ``gradebook.db`` (SQLite).
    """
    import os
    import sys

    from nbgrader.api import Gradebook

    # A new gradebook is migrated by running `alembic` by name: it must be found even in a virtual
    # environment that was not activated.
    here = str(Path(sys.executable).parent)
    if here not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([here, os.environ.get("PATH", "")])
    return Gradebook(db_url or f"sqlite:///{course_root / 'gradebook.db'}", course_id=COURSE_ID)


HIDDEN_BLOCK = notebooks.marker_block(notebooks.BEGIN_HIDDEN_TESTS, notebooks.END_HIDDEN_TESTS)
HIDDEN_NOTE = "# (hidden tests ran here)\n"


def strip_hidden_tests(source: str) -> str:
    """Replace each hidden-test block in ``source`` with a one-line note."""
    return HIDDEN_BLOCK.sub(HIDDEN_NOTE, source)


def short_error(output: dict[str, Any]) -> list[str]:
    """The one-line traceback kept for an error output.

    Example:
        >>> short_error({"ename": "GradingError", "evalue": "m.keras is 120 KB, the limit is 100 KB"})
        ['GradingError: m.keras is 120 KB, the limit is 100 KB']
        >>> short_error({"ename": "NotImplementedError", "evalue": ""})
        ['NotImplementedError: a solution cell this test uses still says raise NotImplementedError(): write your code there']
    """
    name, value = output.get("ename", "Error"), output.get("evalue", "")
    if name == "NotImplementedError" and not value:
        value = "a solution cell this test uses still says raise NotImplementedError(): write your code there"
    return [f"{name}: {value}"]


class HideHiddenTests(Preprocessor):
    """Strip hidden tests and long tracebacks from notebooks before feedback is rendered."""

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        cell.source = strip_hidden_tests(cell.source)
        is_test = notebooks.is_graded(cell)
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = short_error(output)
                kept.append(output)
            elif not is_test:
                kept.append(output)
        cell.outputs = kept
        return cell, resources


class FeedbackSummary(Preprocessor):
    """Put the summary of a graded notebook (:func:`tfcert.summary.summarise`) in the feedback's resources.

    Runs after nbgrader's ``GetGrades`` (which writes each cell's score into its
    metadata); the course's feedback template shows ``resources["tfcert_summary"]``
    at the top of the page, styled by ``resources["tfcert_css"]``.
    """

    enabled = Bool(True, help="nbconvert preprocessors are off unless enabled").tag(config=True)

    def preprocess(self, nb, resources):
        from tfcert import summary

        resources["tfcert_summary"] = summary.render_html(summary.summarise(nb))
        resources["tfcert_css"] = summary.CSS
        return nb, resources


# --- Grading a notebook whose kernel dies ------------------------------------------------------------------

#: What in a cell's outputs says it ran out of memory (Python, C++, glibc, TensorFlow).
MEMORY_SIGNS = re.compile(r"MemoryError|bad_alloc|Cannot allocate memory|Out of memory|OOM when allocating")
#: A kernel whose address space reached this share of the sandbox's limit ran out of memory.
MEMORY_SHARE = 0.9


def report_progress(done: int, total: int, environ: Any = os.environ) -> None:
    """Write ``"<done> <total>"`` to the file :data:`PROGRESS_ENV` names, if any (``tfcert check``'s bar reads it).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "progress"
        >>> report_progress(3, 40, {PROGRESS_ENV: str(path)}); path.read_text()
        '3 40'
    """
    target = environ.get(PROGRESS_ENV)
    if not target:
        return
    try:
        partial = Path(f"{target}.partial")
        partial.write_text(f"{done} {total}")
        partial.replace(target)
    except OSError:
        pass


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def kernel_stop_reason(status: int | None, *, unresponsive: bool = False, peak_gb: float | None = None,
                       memory_signs: bool = False, limits: dict[str, float] | None = None) -> tuple[str, str]:
    """Why a kernel stopped and what to do, as two clauses of a sentence: ``(why, advice)``.

    ``status`` is the exit status of the kernel's process as the sandbox reports
    it (128 + N when signal N killed it; bubblewrap's convention), or None when
    unknown; ``peak_gb`` the most address space the kernel was seen using;
    ``limits`` the sandbox's limits (``memory_gb``, ``cpu_seconds``, ``file_mb``),
    None when the kernel did not run in the sandbox.

    Example:
        >>> kernel_stop_reason(3)[0]
        'it exited with status 3'
        >>> why, advice = kernel_stop_reason(137, peak_gb=3.9, limits={"memory_gb": 4})
        >>> why
        "it was killed by signal 9 (SIGKILL) after reaching the sandbox's memory limit of 4 GB (TFCERT_SANDBOX_MEMORY_GB)"
        >>> advice
        'use less memory (smaller arrays, batches or models; del what you no longer need)'
        >>> kernel_stop_reason(None, unresponsive=True)[0]
        'it stopped answering after running past its time limit, and was stopped'
    """
    limits = limits or {}
    signal_number = status - 128 if status is not None and 128 < status < 128 + 65 else \
        -status if status is not None and status < 0 else None
    if unresponsive:
        why = "it stopped answering after running past its time limit, and was stopped"
    elif signal_number is not None:
        why = f"it was killed by signal {signal_number} ({_signal_name(signal_number)})"
    elif status is not None:
        why = f"it exited with status {status}"
    else:
        why = "it stopped"
    memory_gb = limits.get("memory_gb")
    if memory_gb and (memory_signs or (peak_gb or 0) >= MEMORY_SHARE * memory_gb):
        return (f"{why} after reaching the sandbox's memory limit of {memory_gb:g} GB (TFCERT_SANDBOX_MEMORY_GB)",
                "use less memory (smaller arrays, batches or models; del what you no longer need)")
    if memory_signs:
        return f"{why} after running out of memory", "use less memory (smaller arrays, batches or models)"
    if signal_number == signal.SIGXCPU and limits.get("cpu_seconds"):
        return (f"{why}: it used up the sandbox's CPU-time limit of {limits['cpu_seconds']:g} s "
                "(TFCERT_SANDBOX_CPU_SECONDS)", "make it do less work (fewer epochs, less data, a smaller model)")
    if signal_number == signal.SIGXFSZ and limits.get("file_mb"):
        return (f"{why}: it wrote a file past the sandbox's limit of {limits['file_mb']:g} MB (TFCERT_SANDBOX_FILE_MB)",
                "write smaller files")
    if unresponsive:
        return why, "make it finish in time, and let it be interrupted (do not catch KeyboardInterrupt or ignore SIGINT)"
    return why, "find what ends the Python process there (os._exit, os.kill, a crashing native library)"


def kernel_died_messages(prompt: int | None, why: str, advice: str, not_run: int,
                         heading: str | None = None) -> tuple[str, str, str]:
    """The sentences a kernel death leaves: on the cell that was running, on each cell not run, in the note.

    ``prompt`` is the running cell's execution count (feedback shows ``In [7]:``
    beside it), ``heading`` the last Markdown heading above it. The sentence on
    the running cell matches :data:`tfcert.submission.RUNNING`, the others begin
    with :data:`tfcert.submission.NOT_RUN` (what :func:`tfcert.submission.kernel_problems` reads).

    Example:
        >>> here, later, note = kernel_died_messages(7, "it exited with status 3", "fix it", 2, "Task 2: Errors")
        >>> here
        'your kernel stopped while running this cell (In [7]): it exited with status 3, so the cells after it were not run; fix it, and run the whole notebook again'
        >>> later
        'not run: your kernel stopped while running the cell In [7] above (it exited with status 3)'
        >>> note
        'Your kernel stopped while running the cell In [7] under "Task 2: Errors": it exited with status 3. The 2 code cells after it were not run, and the tests among them scored 0. Fix it, and run the whole notebook again.'
    """
    cell = f"In [{prompt}]" if prompt else "a cell"
    under = f' under "{heading}"' if heading else ""
    again = "and run the whole notebook again"
    rest = ", so the cells after it were not run" if not_run else ""
    lost = (f"The {not_run} code cell{'' if not_run == 1 else 's'} after it were not run, and the tests among them "
            "scored 0. " if not_run else "")
    return (f"your kernel stopped while running this cell ({cell}): {why}{rest}; {advice}, {again}",
            f"{submission.NOT_RUN}your kernel stopped while running the cell {cell} above ({why})",
            f"Your kernel stopped while running the cell {cell}{under}: {why}. {lost}{advice[0].upper()}{advice[1:]}, "
            f"{again}.")


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants, parents first (empty when ``root`` is gone or /proc is missing)."""
    children: dict[int, list[int]] = {}
    try:
        entries = [e.name for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return []
    for name in entries:
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(name))
    tree, queue = [], [root] if Path(f"/proc/{root}").exists() else []
    while queue:
        pid = queue.pop(0)
        tree.append(pid)
        queue += children.get(pid, [])
    return tree


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _status_kb(pid: int, key: str) -> int | None:
    """A ``/proc/PID/status`` field in kB (``VmPeak``, ``VmSize``), None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


#: The environment variable that gives ResilientExecute its budget (seconds for the whole notebook).
BUDGET_ENV = "TFCERT_GRADING_BUDGET_S"


class ResilientExecute(Execute):
    """nbgrader's ``Execute`` that survives a kernel that dies or stops answering.

    nbgrader's ``Execute`` lets nbclient's ``DeadKernelError`` escape: the whole
    submission then fails, scores 0 and leaves a traceback in nbgrader's log; a
    kernel that stops answering (memory exhausted, SIGINT ignored) costs a full
    timeout for every cell left. Here the cells that ran keep their outputs (and
    their points), and each code cell not run gets a ``KernelDied`` error saying
    which cell stopped the kernel and why: the exit status the sandbox reports
    (``python -m tfcert.sandbox`` returns bubblewrap's, 128 + N for signal N), the
    sandbox's memory limit when the kernel's address space was seen near it (its
    ``VmPeak``, sampled every second while a cell runs) or its outputs say it
    ran out of memory, the CPU-time or file-size limit for SIGXCPU and SIGXFSZ.
    After a cell times out, a kernel that does not answer a ``kernel_info``
    request within ``unresponsive_timeout`` seconds is stopped the same way.
    With a ``budget`` (seconds for the whole notebook), a cell still running when it
    runs out is interrupted and the cells after it are not run, each told why,
    so a notebook of many slow cells cannot hold a grading worker for an hour;
    what ran keeps its points.
    A note at the top of the notebook (:func:`tfcert.submission.add_note`) tells the
    learner. Every ``Execute`` setting (``c.Execute.timeout``, ...) applies.
    """

    unresponsive_timeout = Integer(
        60, help="Seconds a kernel has to answer after a cell timed out before it is stopped as unresponsive"
    ).tag(config=True)
    budget = Float(
        0.0, help="Seconds the whole notebook may run (0: no limit); past it the running cell is interrupted and "
                  "the cells after it are not run. Default: TFCERT_GRADING_BUDGET_S, which the batch grader sets "
                  "from the assignment's reference time (tfcert.manifest.Manifest.budget_seconds)"
    ).tag(config=True)

    @default("budget")
    def _budget_from_environment(self) -> float:
        try:
            return max(0.0, float(os.environ.get(BUDGET_ENV, "0")))
        except ValueError:
            return 0.0

    def _get_timeout(self, cell):
        """A cell's timeout, cut to what is left of the notebook's budget."""
        timeout = super()._get_timeout(cell)
        deadline = getattr(self, "_deadline", None)
        if deadline is None:
            return timeout
        left = max(1, int(deadline - monotonic()) + 1)
        return left if timeout is None else min(timeout, left)

    def _over_budget(self) -> bool:
        deadline = getattr(self, "_deadline", None)
        return deadline is not None and monotonic() >= deadline

    def _budget_reason(self) -> tuple[str, str]:
        return (f"the notebook used up its grading time of {self.budget:.0f} s",
                "make it faster (fewer epochs, a smaller model, less data; the reference solution needs a "
                "fraction of that time)")

    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._peak_kb = 0
        self._kernel_pid: int | None = None
        stopped: tuple[int, str, str] | None = None  # (index, why, advice)
        with self.setup_kernel():
            assert self.kc
            info_msg = self.wait_for_reply(self.kc.kernel_info())
            assert info_msg
            self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            self._sample_memory()
            self._deadline = monotonic() + self.budget if self.budget else None
            for index, cell in enumerate(self.nb.cells):
                report_progress(index, len(self.nb.cells))
                started = monotonic()
                if self._over_budget() and cell.cell_type == "code" and cell.source.strip() \
                        and self.skip_cells_with_tag not in cell.metadata.get("tags", []):
                    stopped = (index, *self._budget_reason())
                    break
                try:
                    self.preprocess_cell(cell, resources, index)
                    timed_out = self._timed_out(cell)
                except DeadKernelError:
                    self._sample_memory()
                    stopped = (index, *kernel_stop_reason(self._exit_status(), peak_gb=self._peak_kb / 1024**2,
                                                          memory_signs=self._memory_signs(cell), limits=self._limits()))
                    break
                except CellTimeoutError:  # nbclient gave up waiting for the cell's output to end
                    cell.execution_count = self.code_cells_executed or None
                    late = bool(self.timeout) and monotonic() - started >= self.timeout
                    cell.outputs.append(_error(
                        (self.error_on_timeout or {}).get("ename") or "CellTimeoutError",
                        f"this cell did not finish within {self.timeout} s" if late else
                        f"this cell's output did not end within {self.iopub_timeout} s of the cell finishing"))
                    timed_out = True
                self._sample_memory()
                if timed_out and self._over_budget():
                    if not self._responds(self.unresponsive_timeout):
                        self._stop_kernel()
                    stopped = (index, *self._budget_reason())
                    break
                if timed_out and not self._responds(self.unresponsive_timeout):
                    self._stop_kernel()
                    stopped = (index, *kernel_stop_reason(None, unresponsive=True, peak_gb=self._peak_kb / 1024**2,
                                                          memory_signs=self._memory_signs(cell), limits=self._limits()))
                    break
        report_progress(len(self.nb.cells), len(self.nb.cells))
        if stopped is not None:
            self._mark_not_run(*stopped)
        self.set_widgets_metadata()
        return self.nb, self.resources

    # -- what happened ----------------------------------------------------------------------------------

    def _limits(self) -> dict[str, float] | None:
        from tfcert import sandbox

        if self.kernel_name != sandbox.KERNEL_NAME:
            return None
        return {"memory_gb": sandbox.MEMORY_GB, "cpu_seconds": sandbox.CPU_SECONDS, "file_mb": sandbox.FILE_MB}

    def _launcher(self):
        """The kernel's process as jupyter_client started it (``python -m tfcert.sandbox`` when sandboxed)."""
        return getattr(getattr(self.km, "provisioner", None), "process", None)

    def _exit_status(self) -> int | None:
        process = self._launcher()
        if process is None:
            return None
        try:
            return process.wait(timeout=5)
        except Exception:  # noqa: BLE001 - still running, or not a Popen: unknown
            return None

    def _sample_memory(self) -> None:
        """Record the most address space the kernel process has used so far (its ``VmPeak``)."""
        if self._kernel_pid is None:
            process = self._launcher()
            # Found when the kernel has just started: the launcher, bubblewrap's two processes (their command
            # lines name ipykernel too) and, deepest, the kernel; any other kernel: the biggest process.
            tree = _process_tree(process.pid) if process is not None else []
            named = [pid for pid in tree if b"ipykernel" in _cmdline(pid)]
            sizes = {pid: _status_kb(pid, "VmSize") or 0 for pid in tree}
            self._kernel_pid = named[-1] if named else max(sizes, key=sizes.get) if sizes else None
        if self._kernel_pid is not None:
            self._peak_kb = max(self._peak_kb, _status_kb(self._kernel_pid, "VmPeak") or 0)

    async def _async_check_alive(self) -> None:
        # nbclient checks the kernel once a second while a cell runs: sample its memory then too.
        self._sample_memory()
        await super()._async_check_alive()

    def _memory_signs(self, cell) -> bool:
        texts = [f"{o.get('ename', '')} {o.get('evalue', '')} {o.get('text', '')}" for o in cell.get("outputs", [])]
        return any(MEMORY_SIGNS.search(text) for text in texts)

    def _timed_out(self, cell) -> bool:
        name = (self.error_on_timeout or {}).get("ename")
        return bool(name) and any(o.get("output_type") == "error" and o.get("ename") == name
                                  for o in cell.get("outputs", []))

    async def _async_responds(self, timeout: float) -> bool:
        """True when the kernel answers a ``kernel_info`` request within ``timeout`` seconds."""
        msg_id = await ensure_async(self.kc.kernel_info())
        deadline = monotonic() + timeout
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return False
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=remaining))
            except Empty:
                return False
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True

    _responds = run_sync(_async_responds)

    async def _async_stop_kernel(self) -> None:
        if await ensure_async(self.km.is_alive()):
            await ensure_async(self.km.shutdown_kernel(now=True))

    _stop_kernel = run_sync(_async_stop_kernel)

    # -- what the notebook says ------------------------------------------------------------------------

    def _mark_not_run(self, index: int, why: str, advice: str) -> None:
        skip = self.skip_cells_with_tag
        later = [c for c in self.nb.cells[index + 1:]
                 if c.cell_type == "code" and c.source.strip() and skip not in c.metadata.get("tags", [])]
        running = self.nb.cells[index]
        running.execution_count = self.code_cells_executed or None
        here, not_run, note = kernel_died_messages(running.execution_count, why, advice, len(later),
                                                   submission.heading_above(self.nb.cells, index))
        running.outputs.append(_error(submission.KERNEL_DIED, here))
        for cell in later:
            cell.outputs = [_error(submission.KERNEL_DIED, not_run)]
            cell.execution_count = None
        self.log.warning("Kernel stopped in cell %d: %s; %d code cells after it not run", index, why, len(later))
        submission.add_note(self.nb, [note])
        self.nb.cells[0] = nbformat.from_dict(self.nb.cells[0])


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
