"""A sandboxed Jupyter kernel for autograding: learner code runs inside bubblewrap.

nbgrader runs each submission's code in a kernel. This module provides the
kernel ``tfcert-sandbox``: the same IPython kernel, started inside
`bubblewrap <https://github.com/containers/bubblewrap>`_ with

* no network (a new, empty network namespace; the kernel talks to nbgrader over
  Unix sockets in Jupyter's runtime folder, ``KernelManager.transport = "ipc"``);
* no view of the course's secrets: ``source/`` (solutions, hidden tests),
  ``submitted/``, ``autograded/`` (other students), ``feedback/`` and the
  gradebook are hidden; only the submission's own working folder is writable;
* the rest of the file system read-only, a private writable ``TMPDIR`` and ``HOME``;
* bounded resources: address space, CPU seconds, file size, and every process
  of the sandbox killed with it (a new PID namespace, ``--die-with-parent``).

``nbgrader_config.py`` calls :func:`configure` to use it when bubblewrap is available.

Example:
    >>> cmd = bwrap_command(["python", "-V"], workdir=Path("/c/autograded/ann/a1"), course=Path("/c"),
    ...                     socket_dir=Path("/run/j"), private=Path("/tmp/p"), exists=lambda p: True)
    >>> cmd[:1], "--unshare-all" in cmd, ["--tmpfs", "/c/source"] == cmd[cmd.index("/c/source") - 1:cmd.index("/c/source") + 1]
    (['bwrap'], True, True)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from tfcert.datasets._registry import SHARED_ENV, cache_dir

KERNEL_NAME = "tfcert-sandbox"
#: Course folders the learner's code must not see.
HIDDEN_DIRS = ("source", "submitted", "autograded", "feedback")
#: Course files the learner's code must not see.
HIDDEN_FILES = ("gradebook.db", "grades.csv")
MEMORY_GB = float(os.environ.get("TFCERT_SANDBOX_MEMORY_GB", "8"))
CPU_SECONDS = int(os.environ.get("TFCERT_SANDBOX_CPU_SECONDS", "1800"))
FILE_MB = int(os.environ.get("TFCERT_SANDBOX_FILE_MB", "512"))


def available() -> bool:
    """True when bubblewrap can be used here (Linux with ``bwrap`` on PATH), unless TFCERT_SANDBOX=off."""
    return os.environ.get("TFCERT_SANDBOX", "on") != "off" and shutil.which("bwrap") is not None


def find_course_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``nbgrader_config.py``."""
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").exists():
            return folder
    return None


def bwrap_command(command: list[str], *, workdir: Path, course: Path | None, socket_dir: Path | None, private: Path,
                  exists: Callable[[Path], bool] = Path.exists, network: bool | None = None) -> list[str]:
    """The bubblewrap command line that runs ``command`` sandboxed in ``workdir``.

    ``private`` is a fresh folder that becomes the sandbox's HOME and TMPDIR
    (``/tmp`` itself stays read-only: the interpreter or the course may live there).
    ``socket_dir`` holds a kernel's Unix sockets; without one a kernel talks TCP, so
    ``network`` defaults to shared then (pass ``network=False`` for a plain command).
    """
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--unshare-all", "--die-with-parent", "--new-session"]
    if network if network is not None else socket_dir is None:
        args.append("--share-net")
    # The course being graded, and the checkout this package was installed from
    # (its source/ holds the same solutions when the course runs from a copy).
    package_checkout = Path(__file__).resolve().parent.parent
    for root in dict.fromkeys(r for r in (course, package_checkout) if r is not None):
        for name in HIDDEN_DIRS:
            if exists(root / name):
                args += ["--tmpfs", str(root / name)]
        for name in HIDDEN_FILES:
            if exists(root / name):
                args += ["--ro-bind", "/dev/null", str(root / name)]
    if socket_dir is not None:
        args += ["--bind", str(socket_dir), str(socket_dir)]
    args += ["--bind", str(workdir), str(workdir), "--bind", str(private), str(private), "--setenv", "HOME", str(private), "--setenv", "TMPDIR", str(private),
             "--setenv", "MPLCONFIGDIR", str(private / ".matplotlib"),
             # The grader's data cache, filled before grading, read-only here; new data goes to the private HOME.
             "--setenv", SHARED_ENV, os.environ.get(SHARED_ENV) or str(cache_dir()), "--unsetenv", "TFCERT_DATA_DIR",
             # ipykernel exits when its parent looks like PID 1, which it is in a new PID namespace;
             # --die-with-parent does that job here.
             "--unsetenv", "JPY_PARENT_PID", "--chdir", str(workdir), "--"]
    return args + command


def run_sandboxed(command: list[str], workdir: Path, timeout: float,
                  input_text: str = "") -> subprocess.CompletedProcess[str]:
    """Run a plain command in the sandbox (no network), in ``workdir``; sandbox off: run it directly."""
    private = Path(tempfile.mkdtemp(prefix="tfcert-sandbox-"))
    try:
        if available():
            command = bwrap_command(command, workdir=workdir, course=find_course_root(workdir), socket_dir=None,
                                    private=private, network=False)
        return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                              input=input_text, preexec_fn=_limit_resources)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _limit_resources() -> None:
    memory = int(MEMORY_GB * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_MB * 1024**2, FILE_MB * 1024**2))


def launch(connection_file: str) -> int:
    """Run a sandboxed IPython kernel (the kernel spec's command); clean up its private folder after."""
    workdir = Path.cwd()
    connection = Path(connection_file).resolve()
    info = json.loads(connection.read_text())
    socket_dir = Path(info["ip"]).resolve().parent if info.get("transport") == "ipc" else None
    if socket_dir is None:
        print("tfcert sandbox: the kernel uses TCP, so it keeps the network; set "
              "KernelManager.transport = 'ipc' to cut it off", file=sys.stderr)
    private = Path(tempfile.mkdtemp(prefix="tfcert-sandbox-"))
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection)]
    command = bwrap_command(kernel, workdir=workdir, course=find_course_root(workdir),
                            socket_dir=socket_dir, private=private)
    child = subprocess.Popen(command, preexec_fn=_limit_resources)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    finally:
        shutil.rmtree(private, ignore_errors=True)


def install_kernelspec(base: Path | None = None) -> Path:
    """Write the ``tfcert-sandbox`` kernel spec for this interpreter; return the Jupyter path to add."""
    base = base or Path(os.environ.get("TFCERT_CACHE", Path.home() / ".cache" / "tfcert")) / "jupyter"
    spec_dir = base / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "tfcert.sandbox", "{connection_file}"],
        "display_name": "Python 3 (tfcert sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }
    text = json.dumps(spec, indent=1)
    target = spec_dir / "kernel.json"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return base


def configure(c: Any) -> bool:
    """Make nbgrader run kernels in the sandbox (``c`` is nbgrader's config); False without bubblewrap.

    Installs the kernel spec, puts it on JUPYTER_PATH, and has kernels talk over
    Unix sockets in a folder of their own, the only one bound into the sandbox
    besides the submission's.
    """
    if not available():
        return False
    base = install_kernelspec()
    paths = [str(base)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    sockets = base.parent / "sockets"
    sockets.mkdir(parents=True, exist_ok=True)
    c.Execute.kernel_name = KERNEL_NAME
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(sockets / "kernel")
    return True


if __name__ == "__main__":
    sys.exit(launch(sys.argv[1]))
