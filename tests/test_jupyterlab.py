"""A finished assignment runs top to bottom in JupyterLab, in a real browser, as a learner runs it.

The other notebook tests execute notebooks headless (nbclient, nbgrader); none
of them goes through the program a learner actually uses. Here the project's
own JupyterLab (started from this environment, offline, on a free local port,
with its settings, workspaces and runtime files in a temporary folder) serves
the released D1 notebook with the reference solution typed in, and headless
Chromium (the system's program, driven by Playwright) clicks Run -> Run All
Cells in JupyterLab's menu, waits for the kernel to finish, saves with Ctrl+S
and reads the saved notebook back through the server's REST API.

What passing proves:

* the course's notebook, its header (``import tfcert; tfcert.setup(seed=42)``),
  the embedded data cache and the ``%%writefile`` / ``!python`` cells work in a
  JupyterLab kernel, not only under nbclient;
* every code cell ran once, in order, with no error output, so JupyterLab never
  stopped Run All at an error; the visible test cells (graded cells, those
  tagged ``verify`` included) pass and write nothing on stderr, as nbgrader wants;
* a matplotlib plot (``plots.plot_history``) reaches the browser as a decoded
  inline PNG, and the page raised no JavaScript error.

A screenshot of the notebook at its plot is kept in
``build/test-artifacts/jupyterlab-<assignment>.png``. A second, cheap test runs
a three-cell notebook whose middle cell raises, proving that the same checks
catch a failing cell and name it.

D1 is the assignment: it grades fastest (``reference_seconds: 60``) and draws a
training-curve plot in a visible cell.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

import tfcert
from tfcert import notebooks, paths, report, samples

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "d1_developer_skills"
ARTIFACTS = REPO / "build" / "test-artifacts"

#: JupyterLab answers /api/status within seconds; a busy 2-core machine gets a generous margin.
SERVER_START_SECONDS = 120
#: D1's reference takes about 60 s to grade on 2 cores; the browser and a shared machine get ample room.
RUN_ALL_SECONDS = 540
#: How long the notebook page and its kernel may take to be ready.
PAGE_READY_SECONDS = 120

#: User settings for the test's JupyterLab (written to a temporary settings folder, never the learner's):
#: every cell attached to the page (JupyterLab 4.6 renders notebooks windowed by default), no news or
#: update checks (they would need the internet), no autosave.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    # Only the test's Ctrl+S writes the notebook: an autosave must not race the test's read of it.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

#: What the page says about the open notebook: the kernel's status and each code cell's input prompt.
CELL_STATE_JS = """() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    if (!panel) return {status: null, prompts: []};
    const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
    const prompts = Array.from(panel.querySelectorAll('.jp-Notebook .jp-CodeCell'))
        .map(cell => (cell.querySelector('.jp-InputPrompt')?.textContent ?? '').trim());
    return {status: indicator ? indicator.dataset.status : null, prompts};
}"""

#: The plots in the page's output areas: for each <img>, whether it loaded and its natural size.
PLOTS_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output img')).map(img => ({
    complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    mime: img.closest('[data-mime-type]')?.dataset.mimeType ?? null}))"""

#: Output areas in which JupyterLab reports that rendering an output failed (e.g. a JavaScript output that threw).
RENDER_FAILURES_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
    .map(node => node.textContent)
    .filter(text => /Javascript Error:|Renderer Failure/.test(text))"""

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- the server


@dataclass
class LabServer:
    """A running JupyterLab: where it listens, its token, the folder it serves and its log."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """``path`` on this server, with the token."""
        return f"{self.base}/{path.lstrip('/')}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 10) -> Any:
        """Call the server's REST API and return the decoded JSON answer (None when empty)."""
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the server wrote, for failure messages."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"(no server log: {exc})"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    """A local TCP port that nothing listens on now (the OS picks it: bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lab_environment(home: Path) -> dict[str, str]:
    """The server's environment: its config, settings, workspaces, runtime and IPython files under ``home``.

    ``JUPYTER_DATA_DIR`` and ``JUPYTER_PATH`` are left alone, so the extensions and
    kernels installed in this environment are found. TensorFlow is kept quiet
    (``tfcert.QUIET_TF_ENV``) and ``MPLBACKEND`` unset so the kernel's inline
    backend puts plots in the outputs.
    """
    env = {**os.environ, **tfcert.QUIET_TF_ENV}
    for name in ("MPLBACKEND", "KERAS_MAX_EPOCHS", "JUPYTER_TOKEN"):
        env.pop(name, None)
    env.update({
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab" / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    })
    return env


def _write_lab_settings(settings_dir: Path) -> None:
    """Write :data:`LAB_SETTINGS` as JupyterLab user settings files in ``settings_dir``."""
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2), encoding="utf-8")


def _wait_until_answering(server: LabServer, seconds: float) -> None:
    """Poll ``/api/status`` until the server answers; fail with its log tail if it exits or never does."""
    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with status {server.process.returncode} before answering; "
                        f"its log ends:\n{server.log_tail()}")
        try:
            server.api("api/status", timeout=5)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = exc
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer {server.base}/api/status within {seconds:.0f} s "
                f"(last error: {last_error}); its log ends:\n{server.log_tail()}")


def _stop(server: LabServer) -> None:
    """Shut the server's kernels down, then stop the server: terminate, and kill if it lingers."""
    if server.process.poll() is None:
        try:
            for kernel in server.api("api/kernels"):
                server.api(f"api/kernels/{kernel['id']}", method="DELETE", timeout=30)
        except Exception:  # noqa: BLE001 - best effort: the server shuts its kernels down on SIGTERM too
            pass
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=30)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[LabServer]:
    """JupyterLab from this environment, headless, serving an empty temporary folder; always stopped."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "root"
    root.mkdir()
    env = _lab_environment(home)
    _write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    port, token = _free_port(), secrets.token_hex(24)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.allow_root=True",  # containers often run as root
               f"--LabApp.user_settings_dir={env['JUPYTERLAB_SETTINGS_DIR']}",
               f"--LabApp.workspaces_dir={env['JUPYTERLAB_WORKSPACES_DIR']}",
               "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]
    log = home / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT)
    server = LabServer(process=process, port=port, token=token, root=root, log=log)
    try:
        _wait_until_answering(server, SERVER_START_SECONDS)
        yield server
    finally:
        _stop(server)


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, the system's program (no browser download); skipped when there is none."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package drives the browser")
    chromium = report.find_chromium()
    if chromium is None:
        pytest.skip(f"no Chromium program on PATH (looked for {', '.join(report.CHROMIUM_NAMES)}; "
                    "install Debian's chromium or set TFCERT_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class LabRun:
    """What running a notebook in JupyterLab left: the page, the saved notebook, the page's JavaScript errors."""

    page: Any
    saved: dict[str, Any]
    page_errors: list[str]
    seconds: float


def _open_notebook(page, lab: LabServer, path: str) -> None:
    """Open ``path`` in JupyterLab and wait until its cells are shown and its kernel is started, connected and idle.

    The page's kernel indicator may read "idle" before any kernel exists, so
    the server must also list an idle kernel session for the notebook, both
    at once on two polls in a row.
    """
    page.goto(lab.url(f"lab/tree/{path}"), wait_until="domcontentloaded")
    deadline, steady, state, sessions = time.monotonic() + PAGE_READY_SECONDS, 0, None, None
    while time.monotonic() < deadline:
        state = page.evaluate(CELL_STATE_JS)
        sessions = [s["kernel"]["execution_state"] for s in lab.api("api/sessions") if s.get("path") == path]
        ready = state["status"] == "idle" and bool(state["prompts"]) and sessions == ["idle"]
        steady = steady + 1 if ready else 0
        if steady >= 2:
            return
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not show {path} with an idle kernel within {PAGE_READY_SECONDS} s: page "
                f"{state}, server kernel states for it {sessions}; server log ends:\n{lab.log_tail()}")


def _run_all_cells(page, seconds: float = 60) -> None:
    """Click Run -> Run All Cells in JupyterLab's menu bar (command ``runmenu:run-all``); wait until it starts.

    Started means a cell shows ``[*]`` or an execution count, so a click that
    did nothing fails here, within ``seconds``, not after the whole run's timeout.
    """
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    item = page.locator('.lm-Menu-item[data-command="runmenu:run-all"]', has_text="Run All Cells")
    item.wait_for(state="visible")
    assert "lm-mod-disabled" not in (item.get_attribute("class") or ""), \
        "Run -> Run All Cells is disabled: the notebook is not JupyterLab's current tab"
    item.click()
    try:
        page.wait_for_function(f"() => ({CELL_STATE_JS})().prompts.some(p => /^\\[(\\*|\\d+)\\]:$/.test(p))",
                               timeout=seconds * 1000, polling=250)
    except Exception as exc:  # noqa: BLE001 - Playwright's TimeoutError
        pytest.fail(f"Run -> Run All Cells started no cell within {seconds:.0f} s ({type(exc).__name__}); "
                    f"page state {page.evaluate(CELL_STATE_JS)}")


def _wait_until_run_finishes(page, lab: LabServer, seconds: float) -> None:
    """Wait until the kernel is idle, no cell shows ``[*]`` and at least one ran; the same for 3 polls in a row.

    JupyterLab queues every cell at once (all show ``[*]``), so the notebook is
    only idle with no ``[*]`` once Run All is over: every cell ran, or one
    failed and JupyterLab dropped the rest of the queue.
    """
    deadline, steady, last = time.monotonic() + seconds, 0, None
    while time.monotonic() < deadline:
        state = page.evaluate(CELL_STATE_JS)
        done = (state["status"] == "idle" and "[*]:" not in state["prompts"]
                and any(re.fullmatch(r"\[\d+\]:", p) for p in state["prompts"]))
        steady = steady + 1 if done and state == last else int(done)
        if steady >= 3:
            return
        last = state
        time.sleep(1)
    ran = sum(bool(re.fullmatch(r"\[\d+\]:", p)) for p in last["prompts"]) if last else 0
    pytest.fail(f"Run All Cells did not finish within {seconds:.0f} s: {ran} of "
                f"{len(last['prompts']) if last else '?'} code cells ran, kernel {last and last['status']}, "
                f"prompts {last and last['prompts']}; server log ends:\n{lab.log_tail()}")


def _save(page, lab: LabServer, path: str, seconds: float = 60) -> dict[str, Any]:
    """Press Ctrl+S in JupyterLab, wait for the server to answer its save, and return the notebook as stored.

    The stored notebook is read only once JupyterLab's save request (a PUT to
    the contents API) has been answered: the server writes a notebook in place,
    and a read that lands mid-write finds invalid JSON and makes the server put
    the new file aside as ``.invalid`` and restore the old one.
    """
    def is_save(response) -> bool:
        return response.request.method == "PUT" and f"/api/contents/{path}" in response.url

    try:
        with page.expect_response(is_save, timeout=seconds * 1000) as saved:
            page.keyboard.press("Control+s")
    except Exception as exc:  # noqa: BLE001 - Playwright's TimeoutError
        pytest.fail(f"Ctrl+S did not save {path} within {seconds:.0f} s ({type(exc).__name__}); "
                    f"server log ends:\n{lab.log_tail()}")
    assert saved.value.ok, f"saving {path} failed: HTTP {saved.value.status}; server log ends:\n{lab.log_tail()}"
    return lab.api(f"api/contents/{path}?content=1&type=notebook")["content"]


def _run_in_lab(browser, lab: LabServer, path: str) -> LabRun:
    """Open ``path`` in JupyterLab, Run All Cells, wait for the end, save; the page stays open for checks.

    If any step fails, the page as it was is kept as
    ``build/test-artifacts/jupyterlab-failed-<notebook>.png`` and closed.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        _open_notebook(page, lab, path)
        started = time.monotonic()
        _run_all_cells(page)
        _wait_until_run_finishes(page, lab, RUN_ALL_SECONDS)
        seconds = time.monotonic() - started
        return LabRun(page=page, saved=_save(page, lab, path), page_errors=page_errors, seconds=seconds)
    except BaseException:
        _keep_failure_screenshot(page, path)
        page.close()
        raise


def _keep_failure_screenshot(page, path: str) -> None:
    """Save the page as ``build/test-artifacts/jupyterlab-failed-<notebook>.png``; never raises (best effort)."""
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"jupyterlab-failed-{Path(path).stem}.png"
        page.screenshot(path=str(shot))
        print(f"\nthe page when it failed: {shot}")
    except Exception as exc:  # noqa: BLE001 - the original failure matters, not this one
        print(f"\nno screenshot of the failed page: {exc}")


# --------------------------------------------------------------------------- the checks


def _text(value: str | list[str]) -> str:
    """A notebook field that may be stored as a list of lines, as one string."""
    return "".join(value) if isinstance(value, list) else value


def _run_problems(nb: dict[str, Any]) -> list[str]:
    """What went wrong in a notebook JupyterLab ran and saved: errors, cells that never ran, order; empty if none.

    Each message names the cell by its id and its place among the code cells.
    """
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    found, never = [], []
    for index, cell in enumerate(code, 1):
        name = f"cell {cell.get('id')!r} (code cell {index} of {len(code)})"
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                found.append(f"{name} raised {output['ename']}: {output['evalue']}")
        if cell.get("execution_count") is None:
            never.append(cell.get("id"))
    if never:
        found.append(f"{len(never)} code cell{'s' if len(never) > 1 else ''} never ran "
                     f"(Run All stops at the first error): {never}")
    counts = [c.get("execution_count") for c in code]
    if not never and counts != list(range(1, len(code) + 1)):
        found.append(f"the code cells did not run once each, top to bottom: execution counts {counts}")
    return found


def _test_cell_problems(nb: dict[str, Any]) -> list[str]:
    """The visible test cells (graded; ``verify`` ones included) that did not pass cleanly: not run, error, stderr."""
    found = []
    for cell in nb["cells"]:
        if not notebooks.is_graded(cell) or cell["cell_type"] != "code":
            continue
        name = f"test cell {cell['id']!r}" + (" (verify)" if notebooks.VERIFY_TAG in notebooks.tags(cell) else "")
        if cell.get("execution_count") is None:
            found.append(f"{name} never ran")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                found.append(f"{name} failed: {output['ename']}: {output['evalue']}")
            elif output["output_type"] == "stream" and output["name"] == "stderr":
                text = _text(output["text"])[:300]
                found.append(f"{name} wrote on stderr (nbgrader scores that as failed): {text!r}")
    return found


def _finished_assignment(root: Path, assignment: str) -> str:
    """Put in ``root`` the released assignment as a learner who finished it has it; return the notebook's path."""
    source = notebooks.read(paths.notebook_path(REPO, "source", assignment))
    release_nb_path = paths.notebook_path(REPO, "release", assignment)
    release = notebooks.read(release_nb_path)
    nb = samples.build_submission(source, release, samples.load_samples(assignment, REPO)["reference"])
    target = root / assignment
    shutil.copytree(release_nb_path.parent, target,
                    ignore=shutil.ignore_patterns("models", ".ipynb_checkpoints", release_nb_path.name))
    notebooks.write(nb, target / f"{assignment}.ipynb")
    return f"{assignment}/{assignment}.ipynb"


def _screenshot_at_plot(page, name: str) -> Path:
    """Scroll the first plot into view and save the page as ``build/test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the notebook finish scrolling and repainting
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------- the tests


def test_finished_assignment_runs_in_jupyterlab(lab, browser):
    """D1 with the reference solution: Run All Cells in JupyterLab runs every cell cleanly and shows its plot."""
    path = _finished_assignment(lab.root, ASSIGNMENT)
    started = time.monotonic()
    run = _run_in_lab(browser, lab, path)
    try:
        assert not (problems := _run_problems(run.saved)), \
            f"{ASSIGNMENT} did not run cleanly in JupyterLab:\n" + "\n".join(problems)
        graded = [c for c in run.saved["cells"] if notebooks.is_graded(c)]
        assert any(notebooks.VERIFY_TAG in notebooks.tags(c) for c in graded), "D1 has test cells tagged verify"
        assert not (problems := _test_cell_problems(run.saved)), "\n".join(problems)

        plots = run.page.evaluate(PLOTS_JS)
        assert any(p["complete"] and p["width"] > 0 and p["mime"] == "image/png" for p in plots), \
            f"no plot was drawn in the browser (images in output areas: {plots})"
        assert not (failures := run.page.evaluate(RENDER_FAILURES_JS)), f"outputs failed to render: {failures}"
        assert not run.page_errors, f"JavaScript errors on the page: {run.page_errors}"

        shot = _screenshot_at_plot(run.page, f"jupyterlab-{ASSIGNMENT}")
        print(f"\nscreenshot: {shot}\nRun All Cells took {run.seconds:.0f} s "
              f"({time.monotonic() - started:.0f} s with opening and saving)")
    finally:
        run.page.close()


def test_a_failing_cell_stops_run_all_and_is_named(lab, browser):
    """The checks above catch a failing cell: Run All stops there, and the message names it and what never ran."""
    nb = {"cells": [{"cell_type": "code", "id": "fine", "metadata": {}, "source": 'print("fine")',
                     "outputs": [], "execution_count": None},
                    {"cell_type": "code", "id": "boom", "metadata": {}, "source": 'raise ValueError("deliberate")',
                     "outputs": [], "execution_count": None},
                    {"cell_type": "code", "id": "after", "metadata": {}, "source": 'print("never")',
                     "outputs": [], "execution_count": None}],
          "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                      "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    notebooks.write(nb, lab.root / "broken" / "broken.ipynb")
    run = _run_in_lab(browser, lab, "broken/broken.ipynb")
    try:
        assert _run_problems(run.saved) == [
            "cell 'boom' (code cell 2 of 3) raised ValueError: deliberate",
            "1 code cell never ran (Run All stops at the first error): ['after']",
        ]
        assert not run.page_errors, f"JavaScript errors on the page: {run.page_errors}"
    finally:
        run.page.close()
