"""Held-out data drawn from an instructor secret that learner code cannot reach (issue 13).

With ``TFCERT_HELDOUT_SECRET`` (or ``TFCERT_HELDOUT_SECRET_FILE``) on the grading
machine, the held-out split of every generated set is a draw no learner can
rebuild; the learner splits and the real sets do not change; the secret draw
never lands in the data cache sandboxed kernels read; the sandbox sees neither
the variables nor the file; the out-of-kernel verifier gets the secret on its
standard input and gives it to nothing it starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from tfcert import datasets, sandbox, verify
from tfcert.datasets import _registry, glyphs, kinds, scenes

GENERATED = ("synthetic", "seasonal_multi", "verses", "reviews", "complaints", "glyphs", "scenes_binary", "scenes")
#: Sets whose learner splits are cheap to build, checked to be the same with and without a secret.
CHEAP = ("synthetic", "seasonal_multi", "verses", "reviews", "complaints")
REAL = ("digits", "breast_cancer", "goog", "stocks")
SECRET, OTHER = "correct horse battery staple 13", "another instructor's secret"


def fingerprint(arrays: tuple[np.ndarray, np.ndarray]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def forget() -> None:
    """Drop every split built in this process, so the next call builds it again."""
    _registry._MEMORY.clear()
    kinds._decoded_split.cache_clear()


@pytest.fixture()
def clean(tmp_path, monkeypatch):
    """No secret anywhere, a fresh private cache, no shared cache, nothing in memory; small image held-out splits."""
    for name in (_registry.SECRET_ENV, _registry.SECRET_FILE_ENV, _registry.SHARED_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TFCERT_DATA_DIR", str(tmp_path / "cache"))
    # The image sets cut to a few examples a split: the seeds, not the sizes, are under test.
    for split, count in zip(_registry.ALL_SPLITS, (40, 10, 30)):
        monkeypatch.setitem(glyphs.SIZES, split, count)
        for info in scenes.SETS.values():
            monkeypatch.setitem(info["sizes"], split, count // 2)
    datasets.set_heldout_secret(None)
    forget()
    yield tmp_path / "cache"
    datasets.set_heldout_secret(None)
    forget()


def heldout(name: str, secret: str | None, monkeypatch) -> str:
    if secret is None:
        monkeypatch.delenv(_registry.SECRET_ENV, raising=False)
    else:
        monkeypatch.setenv(_registry.SECRET_ENV, secret)
    forget()
    return fingerprint(datasets.load_heldout(name))


def test_a_secret_draws_another_heldout_split_and_leaves_the_rest_alone(clean, monkeypatch):
    for name in GENERATED:
        public = heldout(name, None, monkeypatch)
        mine = heldout(name, SECRET, monkeypatch)
        assert mine != public, f"{name}: the secret's held-out split is the public one"
        assert heldout(name, OTHER, monkeypatch) not in (public, mine), f"{name}: two secrets draw the same split"
        if name in CHEAP:
            assert heldout(name, SECRET, monkeypatch) == mine, f"{name}: the same secret draws another split"
    for name in CHEAP:
        for split in datasets.LEARNER_SPLITS:
            monkeypatch.delenv(_registry.SECRET_ENV)
            forget()
            public = fingerprint(datasets.arrays(name, split))
            monkeypatch.setenv(_registry.SECRET_ENV, SECRET)
            forget()
            assert fingerprint(datasets.arrays(name, split)) == public, f"{name}/{split} changed with the secret"
    for name in REAL:  # a fixed part of real data: no secret can hide it (README says so)
        assert heldout(name, SECRET, monkeypatch) == heldout(name, None, monkeypatch)


def test_the_secret_draw_stays_out_of_the_data_cache(clean, monkeypatch):
    monkeypatch.setenv(_registry.SECRET_ENV, SECRET)
    secret_draw = fingerprint(datasets.load_heldout("reviews"))
    mark = _registry.heldout_fingerprint()
    assert mark != "public" and SECRET not in mark
    for name in ("reviews", "glyphs", "scenes_binary"):  # the cached sets, as the grader prepares them
        datasets.prepare(name, ["arrays"])
        datasets.load_heldout(name)
    datasets.prepare("scenes_binary", ["folders"])
    files = [path for path in clean.rglob("*") if path.is_file()]
    assert files, "the grader's cache holds the prepared sets"
    for path in files:
        assert SECRET not in str(path) and mark not in str(path), path
        assert SECRET.encode() not in path.read_bytes(), path
    with np.load(clean / "reviews" / "v1" / "heldout.npz") as stored:  # the public draw, as kernels may see it
        cached = fingerprint((stored["features"], stored["labels"]))
    assert cached != secret_draw
    with datasets.public_heldout():
        forget()
        assert cached == fingerprint(datasets.load_heldout("reviews"))
    images = {p.relative_to(clean / "files" / "scenes_binary-v2").parts[0]
              for p in (clean / "files" / "scenes_binary-v2").rglob("*.jpg")}
    assert images == set(datasets.LEARNER_SPLITS), "held-out photographs are never written as files"


@pytest.mark.skipif(not sandbox.available(), reason=f"no sandbox here: {sandbox.unavailable_reason()}")
def test_sandboxed_code_gets_neither_the_secret_nor_its_draw(clean, tmp_path, monkeypatch):
    secret_file = tmp_path / "instructor" / "heldout-secret"
    secret_file.parent.mkdir()
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    monkeypatch.setenv(_registry.SECRET_FILE_ENV, str(secret_file))
    monkeypatch.setenv(_registry.SECRET_ENV, SECRET)
    assert datasets.heldout_is_secret()
    secret_draw = fingerprint(datasets.load_heldout("synthetic"))
    with datasets.public_heldout():
        public = fingerprint(datasets.load_heldout("synthetic"))
    code = f"""
import hashlib, json, os
import numpy as np
from tfcert import datasets
found = {{"env": [os.environ.get(k) for k in ("TFCERT_HELDOUT_SECRET", "TFCERT_HELDOUT_SECRET_FILE")]}}
try:
    found["file"] = open({str(secret_file)!r}).read()
except OSError as error:
    found["file"] = type(error).__name__
h = hashlib.sha256()
for a in datasets.arrays("synthetic", "heldout"):
    h.update(np.ascontiguousarray(a).tobytes())
found["draw"], found["secret"] = h.hexdigest(), datasets.heldout_is_secret()
print("RESULT" + json.dumps(found))
"""
    workdir = tmp_path / "work"
    workdir.mkdir()
    run = sandbox.run_sandboxed([sys.executable, "-I", "-c", code], workdir, timeout=120)
    assert "RESULT" in run.stdout, run.stderr
    found = json.loads(run.stdout.split("RESULT", 1)[1])
    assert found["env"] == [None, None]
    assert SECRET not in found["file"], "the secret file is hidden"
    assert found["draw"] == public != secret_draw and found["secret"] is False


def test_the_verifier_draws_from_the_secret_and_passes_it_to_nothing_it_starts(clean, tmp_path, monkeypatch):
    with datasets.public_heldout():
        public = fingerprint(datasets.load_heldout("synthetic"))
    monkeypatch.setenv(_registry.SECRET_ENV, SECRET)
    draw = """
import hashlib
import numpy as np
from tfcert import datasets
h = hashlib.sha256()
for a in datasets.load_heldout("synthetic"):
    h.update(np.ascontiguousarray(a).tobytes())
assert datasets.heldout_is_secret(), "the verifier has no secret"
if h.hexdigest() == PUBLIC:
    raise AssertionError("the verifier evaluates on the public held-out draw")
""".replace("PUBLIC", repr(public))
    child = """
look = "import os; print([os.environ.get(k) for k in ('TFCERT_HELDOUT_SECRET', 'TFCERT_HELDOUT_SECRET_FILE')])"
seen = subprocess.run([sys.executable, "-c", look], capture_output=True, text=True).stdout.strip()
if seen != "[None, None]":
    raise AssertionError(f"a script the verifier runs sees {seen}")
assert "TFCERT_HELDOUT_SECRET" not in os.environ
peek = f"open('/proc/{os.getpid()}/mem', 'rb')"
run = subprocess.run([sys.executable, "-c", peek], capture_output=True, text=True)
# As root the sandbox keeps every capability in its user namespace, ptrace's included: only an
# ordinary user's grader can show that a learner's script cannot read the verifier's memory.
if run.returncode == 0 and os.geteuid() != 0:
    raise AssertionError("a script the verifier runs can read the verifier's memory")
"""
    workdir = tmp_path / "work"
    workdir.mkdir()
    assert verify.run_cells({"draw": draw, "child": child}, workdir, timeout=300) == {"draw": None, "child": None}


def test_a_secret_file_must_be_private_and_outside_every_course(clean, tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "secrets").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    inside = course / "secrets" / "heldout"
    inside.write_text(SECRET)
    inside.chmod(0o600)
    monkeypatch.setenv(_registry.SECRET_FILE_ENV, str(inside))
    with pytest.raises(datasets.HeldoutSecretError, match=r"inside the course directory .*move the file outside"):
        datasets.heldout_secret()
    with pytest.raises(datasets.HeldoutSecretError):  # the batch stops before grading anything
        datasets.warn_if_reproducible()
    shared = tmp_path / "elsewhere" / "heldout"
    shared.parent.mkdir()
    shared.write_text(SECRET)
    shared.chmod(0o644)
    monkeypatch.setenv(_registry.SECRET_FILE_ENV, str(shared))
    with pytest.raises(datasets.HeldoutSecretError, match=r"other users can access \(mode 644\): .*chmod 600"):
        datasets.heldout_secret()
    shared.chmod(0o600)
    assert datasets.heldout_secret() == SECRET and datasets.heldout_is_secret()
    shared.write_text("\n")
    with pytest.raises(datasets.HeldoutSecretError, match="empty: write a long random text"):
        datasets.heldout_secret()
    monkeypatch.setenv(_registry.SECRET_FILE_ENV, str(tmp_path / "missing"))
    with pytest.raises(datasets.HeldoutSecretError, match="cannot be read .*secrets.token_urlsafe"):
        datasets.heldout_secret()


def test_grading_warns_once_without_a_secret_and_never_with_one(clean, monkeypatch):
    monkeypatch.setitem(_registry._WARNED, "done", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert datasets.warn_if_reproducible() is True
        assert datasets.warn_if_reproducible() is False
    assert [type(w.message) for w in caught] == [datasets.HeldoutReproducibleWarning]
    assert "set TFCERT_HELDOUT_SECRET (or TFCERT_HELDOUT_SECRET_FILE)" in str(caught[0].message)
    monkeypatch.setitem(_registry._WARNED, "done", False)
    monkeypatch.setenv(_registry.SECRET_ENV, SECRET)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert datasets.warn_if_reproducible() is False
    assert caught == []


def test_the_secret_travels_with_a_task_but_is_never_shown_and_the_sandbox_drops_it(monkeypatch, tmp_path):
    from tfcert import batch

    task = batch.SubmissionTask("a1", "ann", "files", {}, {}, heldout_secret=SECRET)
    assert SECRET not in repr(task) and pickle.loads(pickle.dumps(task)).heldout_secret == SECRET
    secret_file = tmp_path / "heldout-secret"
    monkeypatch.setenv(_registry.SECRET_FILE_ENV, str(secret_file))
    cmd = sandbox.bwrap_command(["python"], workdir=Path("/w"), course=None, socket_dir=None, private=Path("/p"),
                                exists=lambda p: True, executable="/usr/bin/bwrap")
    assert cmd[cmd.index(str(secret_file.resolve())) - 2:cmd.index(str(secret_file.resolve()))] == ["--ro-bind", "/dev/null"]
    for name in (_registry.SECRET_ENV, _registry.SECRET_FILE_ENV):
        assert cmd[cmd.index(name) - 1] == "--unsetenv"
    assert os.environ.get(_registry.SECRET_ENV) is None
