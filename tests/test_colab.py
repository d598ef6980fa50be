"""The Colab set-up cell never replaces Colab's TensorFlow, Keras, TensorFlow Datasets or NumPy.

Every notebook's header cell runs ``%pip install -q "tfcert @ git+..."`` on Colab
only. The fast tests read that line from every notebook and check the helpers
of :mod:`tfcert.colab`; the slow one asks pip's resolver, in dry-run mode and for
Colab's Python and platform, what that install would bring, with Colab's pinned
versions as constraints, and fails on any pin it would change.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import tfcert
from tfcert import colab, notebooks

# Packages Colab has preinstalled (dependencies of its pins) that PyPI ships only as source. pip cannot
# build a source distribution for another platform (--platform needs --only-binary=:all:), and on Colab
# they are installed already, so the dry run is given an empty wheel of each, at Colab's version.
COLAB_SOURCE_ONLY = {"promise": "2.3"}  # tensorflow-datasets' dependency; promise has no wheel on PyPI

# pip evaluates dependency markers (``numpy>=2.1; python_version >= "3.13"``) for the Python that runs
# it, whatever --python-version says: this runs pip with the marker environment of Colab's Python. The
# report's "environment" shows which environment pip used; the test checks it.
PIP_AS_COLAB = """\
import json, sys
from pip._vendor.packaging import markers
_host_environment = markers.default_environment
def _colab_environment():
    environment = _host_environment()
    environment.update(json.loads(sys.argv[1]))
    return environment
markers.default_environment = _colab_environment
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""
COLAB_MARKERS = {"python_version": colab.COLAB_PYTHON, "python_full_version": f"{colab.COLAB_PYTHON}.0",
                 "implementation_version": f"{colab.COLAB_PYTHON}.0", "implementation_name": "cpython",
                 "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
                 "platform_machine": "x86_64", "os_name": "posix"}


def _header_nb(source: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "id": "title", "source": "# Title"},
                      {"cell_type": "code", "id": "header", "source": source}]}


# --- every notebook's header cell ---------------------------------------------------------------


def test_every_notebook_installs_only_the_course_package_and_only_on_colab(repo):
    paths = list(notebooks.iter_notebooks(*(repo / name for name in ("notebooks", "source", "release"))))
    assert len(paths) >= 15, paths  # five lessons, five assignments and their five releases
    found = []
    for path in paths:
        nb = notebooks.read(path)
        try:
            requirements, options, guard = colab.install_requirements(nb), colab.install_options(nb), \
                colab.install_guard(nb)
        except ValueError as exc:
            found.append(f"{path.relative_to(repo)}: {exc}")
            continue
        if requirements != [colab.COURSE_REQUIREMENT]:
            found.append(f"{path.relative_to(repo)}: installs {requirements}, not [{colab.COURSE_REQUIREMENT!r}]")
        if options != ["-q"]:  # e.g. -U or --force-reinstall would reinstall Colab's packages
            found.append(f"{path.relative_to(repo)}: installs with options {options}, not ['-q']")
        if guard != 'if "google.colab" in sys.modules:':
            found.append(f"{path.relative_to(repo)}: the install runs under {guard!r}, not only on Colab")
    assert found == []


def test_the_course_header_installs_the_course_requirement():
    nb = _header_nb(tfcert.HEADER_CELL)
    assert colab.install_requirements(nb) == [colab.COURSE_REQUIREMENT]
    assert colab.install_options(nb) == ["-q"]
    assert colab.install_guard(nb) == 'if "google.colab" in sys.modules:'


# --- parsing the install line ------------------------------------------------------------------


def test_install_requirements_drops_options_and_quotes():
    nb = _header_nb('import sys\nif "google.colab" in sys.modules:\n'
                    '    !pip install --quiet -U "a @ git+https://x/a" \'b>=1,<2\' -c pins.txt c  # note\n')
    assert colab.install_requirements(nb) == ["a @ git+https://x/a", "b>=1,<2", "c"]
    assert colab.install_options(nb) == ["--quiet", "-U", "-c", "pins.txt"]


def test_a_notebook_without_an_install_line_or_header_is_a_clear_error():
    with pytest.raises(ValueError, match="no `%pip install` line"):
        colab.install_requirements(_header_nb("import tfcert"))
    with pytest.raises(ValueError, match="no code cell with id 'header'"):
        colab.install_requirements({"cells": [{"cell_type": "code", "id": "setup", "source": "%pip install a"}]})
    with pytest.raises(ValueError, match="2 `%pip install` lines"):
        colab.install_requirements(_header_nb("%pip install a\n%pip install b"))


def test_an_install_outside_the_colab_guard_is_seen():
    assert colab.install_guard(_header_nb('%pip install -q "tfcert"')) is None
    source = 'if "google.colab" in sys.modules:\n    pass\nelse:  # everywhere else\n    %pip install -q tfcert'
    assert colab.install_guard(_header_nb(source)) == "else:"


# --- reading pip's report and the pins -----------------------------------------------------------


def test_report_installs_normalises_names():
    report = {"version": "1", "install": [{"metadata": {"name": "TensorFlow", "version": "2.20.0"}},
                                          {"metadata": {"name": "tensorflow_datasets", "version": "4.9.10"}},
                                          {"metadata": {"name": "ml.dtypes", "version": "0.5.3"}}]}
    assert colab.report_installs(report) == {"tensorflow": "2.20.0", "tensorflow-datasets": "4.9.10",
                                             "ml-dtypes": "0.5.3"}


def test_changed_pins_is_empty_when_every_pin_stays():
    would_install = dict(colab.COLAB_PINS, tfcert="0.1.0", pandas="2.2.3")
    assert colab.changed_pins(would_install, colab.COLAB_PINS) == []
    assert colab.changed_pins({"tfcert": "0.1.0"}, colab.COLAB_PINS) == []  # pins pip leaves alone


def test_changed_pins_names_each_pin_that_would_change():
    """The check can fail: a fabricated report in which the install would bring Keras 3.14.0."""
    report = {"version": "1", "install": [{"metadata": {"name": name, "version": version}}
                                          for name, version in dict(colab.COLAB_PINS, keras="3.14.0").items()]}
    assert colab.changed_pins(colab.report_installs(report), colab.COLAB_PINS) == ["keras 3.13.2 would become 3.14.0"]
    report["install"][0]["metadata"]["version"] = "2.21.0"  # tensorflow too
    assert colab.changed_pins(colab.report_installs(report), colab.COLAB_PINS) == [
        "tensorflow 2.20.0 would become 2.21.0", "keras 3.13.2 would become 3.14.0"]


def test_the_constraints_hold_every_pin():
    lines = colab.constraints(colab.COLAB_PINS).splitlines()
    assert lines == [f"{name}=={version}" for name, version in colab.COLAB_PINS.items()]
    assert set(colab.COLAB_PINS) == {"tensorflow", "keras", "tensorflow-datasets", "numpy"}


# --- the real check: pip's resolver, for Colab -----------------------------------------------------


def _pypi_unreachable() -> str | None:
    """Why PyPI cannot be reached from here, or None when it can."""
    try:
        with socket.create_connection(("pypi.org", 443), timeout=5):
            return None
    except OSError as exc:
        return f"PyPI (pypi.org:443) cannot be reached from this machine ({exc})"


def _stand_in_wheel(folder: Path, name: str, version: str) -> Path:
    """An empty wheel that says it is ``name`` ``version``, with no dependencies."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        archive.writestr(f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nGenerator: tests/test_colab.py\n"
                                               "Root-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(f"{dist_info}/RECORD", "")
    return wheel


def _wheel_of_the_project(repo: Path, tmp_path: Path) -> Path:
    """A wheel of the working tree: what `pip install "tfcert @ git+..."` builds on Colab.

    Built from a copy, so the build leaves nothing in the repository (setuptools writes build/ next to
    pyproject.toml), and in pip's build isolation, as Colab builds it: pyproject.toml asks for a newer
    setuptools than a virtual environment usually has.
    """
    source = tmp_path / "source"
    shutil.copytree(repo, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "models",
        "submitted", "autograded", "feedback", "reports", "gradebook.db"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "wheel"),
                            str(source)], check=False, capture_output=True, text=True, timeout=600)
    if built.returncode != 0:
        pytest.fail(f"building a wheel of the project failed:\n{built.stdout}\n{built.stderr}")
    (wheel,) = (tmp_path / "wheel").glob("tfcert-*.whl")
    return wheel


@pytest.mark.slow
def test_installing_the_course_on_colab_changes_none_of_colabs_pins(repo, tmp_path):
    """pip resolves the header's install for Colab (Python 3.13, manylinux x86_64) with Colab's pins held.

    The git URL is out of reach here, so a wheel of this working tree stands in for it. Resolution fails
    if the course package needs any pinned package at another version; the report is checked as well,
    so that a typo in the constraints cannot hide a change.
    """
    unreachable = _pypi_unreachable()
    if unreachable:
        pytest.skip(unreachable)
    wheel = _wheel_of_the_project(repo, tmp_path)
    stand_ins = tmp_path / "stand-ins"
    for name, version in COLAB_SOURCE_ONLY.items():
        _stand_in_wheel(stand_ins, name, version)
    pins = tmp_path / "colab-pins.txt"
    pins.write_text(colab.constraints(colab.COLAB_PINS), encoding="utf-8")
    report_file = tmp_path / "report.json"
    args = colab.dry_run_args(wheel, pins, report_file, find_links=stand_ins)
    started = time.monotonic()
    resolved = subprocess.run([sys.executable, "-c", PIP_AS_COLAB, json.dumps(COLAB_MARKERS), *args],
                              check=False, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    command = "pip " + " ".join(args)
    if resolved.returncode != 0:
        hint = ""
        if "No matching distribution found" in resolved.stderr:
            hint = ("\nIf that package is one PyPI ships only as source and Colab has preinstalled, add it to "
                    "COLAB_SOURCE_ONLY in tests/test_colab.py.")
        said = "\n".join(resolved.stdout.splitlines()[-25:])  # pip explains a conflict on stdout, at the end
        pytest.fail(f"pip cannot install the course on Colab without changing Colab's pins {colab.COLAB_PINS} "
                    f"({seconds:.0f} s):\n$ {command}\n{said}\n{resolved.stderr}{hint}")

    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["environment"]["python_version"] == colab.COLAB_PYTHON, (
        "pip did not evaluate markers for Colab's Python (has pip's vendored packaging moved?)", report["environment"])
    would_install = colab.report_installs(report)
    beside = {name: version for name, version in would_install.items() if name not in colab.COLAB_PINS}
    print(f"pip resolved the course for Colab in {seconds:.1f} s:\n$ {command}\n"
          f"pins: {({name: would_install.get(name) for name in colab.COLAB_PINS})}\nbeside them: {beside}")
    assert "tfcert" in would_install, would_install
    changed = colab.changed_pins(would_install, colab.COLAB_PINS)
    missing = [name for name in colab.COLAB_PINS if name not in would_install]
    assert not changed and not missing, (
        f"the install would change Colab's pins: {changed}; pinned packages pip did not resolve at all: {missing}\n"
        f"$ {command}\n{resolved.stderr}")
