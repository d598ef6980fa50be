"""The grading sandbox, for real: a bubblewrap kernel started the way nbgrader starts it.

Learner code inside must not see the course's secrets, write outside its own
folder, reach the network (even this machine's loopback), or take unbounded memory.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from traitlets.config import Config

from tfcert import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available(), reason="bubblewrap is not installed (apt-get install bubblewrap)")

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
    monkeypatch.chdir(workdir)
    km = KernelManager(kernel_name=config.Execute.kernel_name, config=config)
    assert km.transport == "ipc"
    km.start_kernel(cwd=str(workdir))
    outputs: list[str] = []
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        kc.execute_interactive(PROBE.replace("{course!r}", repr(str(course))).replace("{port}", str(port)), timeout=120,
                               output_hook=lambda msg: outputs.append(msg["content"].get("text", "")))
    finally:
        km.shutdown_kernel(now=True)
        listener.close()
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
