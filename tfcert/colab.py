"""What the notebooks' Colab set-up installs, and whether it would replace Colab's own packages.

Every notebook's header cell (:data:`tfcert.HEADER_CELL`) runs, on Colab only,
``%pip install -q "tfcert @ git+https://github.com/tfcert-course/tfcert"``.
Colab comes with TensorFlow, Keras, TensorFlow Datasets and NumPy installed
(:data:`COLAB_PINS`); that install must leave every one of them as it is.
``tests/test_colab.py`` checks it: the cell's requirements are read here
(:func:`install_requirements`), pip's resolver works out in dry-run mode what
the install would bring for Colab's Python and platform (:func:`dry_run_args`),
and :func:`changed_pins` says, one sentence per pin, what would change.

Example:
    >>> import tfcert
    >>> nb = {"cells": [{"cell_type": "code", "id": "header", "source": tfcert.HEADER_CELL}]}
    >>> install_requirements(nb)
    ['tfcert @ git+https://github.com/tfcert-course/tfcert']
    >>> report = {"version": "1", "install": [{"metadata": {"name": "Keras", "version": "3.14.0"}}]}
    >>> changed_pins(report_installs(report), COLAB_PINS)
    ['keras 3.13.2 would become 3.14.0']
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Colab's runtime image (x86_64) as recorded when this check was written; `!python --version` and
# `!pip list` in a fresh Colab runtime show the current one. Update these whenever Colab's image moves
# to new versions: the dry-run test in tests/test_colab.py resolves against exactly these.
COLAB_PYTHON = "3.13"
COLAB_PINS: dict[str, str] = {
    "tensorflow": "2.20.0",
    "keras": "3.13.2",
    "tensorflow-datasets": "4.9.10",
    "numpy": "2.1.3",
}
#: Colab's C library, taken as Ubuntu 22.04's glibc 2.35 (`!ldd --version` on Colab): the newest manylinux
#: wheels it can install. Update it with the pins.
COLAB_GLIBC = (2, 35)

#: What the header cell installs on Colab: the course package, straight from its repository.
COURSE_REQUIREMENT = "tfcert @ git+https://github.com/tfcert-course/tfcert"

#: pip options that take a value as the next word (``-c FILE``): kept with the options, never read as requirements.
OPTIONS_WITH_VALUE = frozenset({
    "-c", "--constraint", "-r", "--requirement", "-e", "--editable", "-i", "--index-url", "--extra-index-url",
    "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--upgrade-strategy", "--python-version",
    "--platform", "--implementation", "--abi", "--only-binary", "--no-binary", "--report", "--log", "--cache-dir",
    "--src", "-C", "--config-settings", "--progress-bar", "--timeout", "--retries",
})
_PIP_INSTALL = re.compile(r"^\s*[%!]\s*pip3?\s+install\b(?P<args>.*)$")


def header_cell(nb: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's header: its code cell with id ``header``.

    Example:
        >>> header_cell({"cells": [{"cell_type": "code", "id": "header", "source": "import tfcert"}]})["source"]
        'import tfcert'
        >>> header_cell({"cells": []})
        Traceback (most recent call last):
        ...
        ValueError: the notebook has no code cell with id 'header' (the course header)
    """
    for cell in nb.get("cells", []):
        if cell.get("id") == "header" and cell.get("cell_type") == "code":
            return dict(cell)
    raise ValueError("the notebook has no code cell with id 'header' (the course header)")


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def install_line(nb: Mapping[str, Any]) -> str:
    """The header cell's one ``%pip install`` line (``!pip install`` counts too), as written.

    Example:
        >>> install_line({"cells": [{"cell_type": "code", "id": "header", "source": "%pip install -q numpy"}]})
        '%pip install -q numpy'
        >>> install_line({"cells": [{"cell_type": "code", "id": "header", "source": "import tfcert"}]})
        Traceback (most recent call last):
        ...
        ValueError: the header cell has no `%pip install` line
    """
    lines = [line for line in _source(header_cell(nb)).splitlines() if _PIP_INSTALL.match(line)]
    if not lines:
        raise ValueError("the header cell has no `%pip install` line")
    if len(lines) > 1:
        raise ValueError(f"the header cell has {len(lines)} `%pip install` lines, one expected: {lines}")
    return lines[0]


def _install_words(nb: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The install line's options (with their values) and its requirements, quotes removed."""
    match = _PIP_INSTALL.match(install_line(nb))
    assert match is not None  # install_line returns only matching lines
    words = shlex.split(match.group("args"), comments=True)
    options: list[str] = []
    requirements: list[str] = []
    takes_value = False
    for word in words:
        if takes_value:
            options.append(word)
            takes_value = False
        elif word.startswith("-"):
            options.append(word)
            takes_value = word in OPTIONS_WITH_VALUE
        else:
            requirements.append(word)
    return options, requirements


def install_requirements(nb: Mapping[str, Any]) -> list[str]:
    """The requirements the header cell's ``%pip install`` line installs: options dropped, quotes removed.

    A requirements or constraints file given with ``-r``/``-c`` is an option here
    (see :func:`install_options`), not read.

    Example:
        >>> cell = {"cell_type": "code", "id": "header",
        ...         "source": "if x:\\n    %pip install -q 'a>=1' -c pins.txt \\"b @ https://x/b.whl\\"  # why"}
        >>> install_requirements({"cells": [cell]})
        ['a>=1', 'b @ https://x/b.whl']
    """
    return _install_words(nb)[1]


def install_options(nb: Mapping[str, Any]) -> list[str]:
    """The options of the header cell's ``%pip install`` line, each followed by its value where it takes one.

    Example:
        >>> cell = {"cell_type": "code", "id": "header", "source": "%pip install -q -U --constraint pins.txt a"}
        >>> install_options({"cells": [cell]})
        ['-q', '-U', '--constraint', 'pins.txt']
    """
    return _install_words(nb)[0]


def install_guard(nb: Mapping[str, Any]) -> str | None:
    """The line that opens the block the install line sits in (comment dropped), or None at the cell's top level.

    Example:
        >>> import tfcert
        >>> install_guard({"cells": [{"cell_type": "code", "id": "header", "source": tfcert.HEADER_CELL}]})
        'if "google.colab" in sys.modules:'
        >>> print(install_guard({"cells": [{"cell_type": "code", "id": "header", "source": "%pip install a"}]}))
        None
    """
    lines = _source(header_cell(nb)).splitlines()
    index = lines.index(install_line(nb))
    indent = len(lines[index]) - len(lines[index].lstrip())
    for line in reversed(lines[:index]):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and len(line) - len(line.lstrip()) < indent:
            opening = re.match(r"^(.*?:)\s*(?:#.*)?$", stripped)
            return opening.group(1) if opening else stripped
    return None


def normalise_name(name: str) -> str:
    """A distribution name as PEP 503 compares them: lower case, runs of ``-_.`` made one ``-``.

    Example:
        >>> normalise_name("Tensorflow_Datasets"), normalise_name("ml.dtypes")
        ('tensorflow-datasets', 'ml-dtypes')
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def report_installs(report: Mapping[str, Any]) -> dict[str, str]:
    """What a ``pip install --dry-run --report FILE`` report says pip would install: ``{name: version}``.

    Names are normalised (:func:`normalise_name`), in the report's order.

    Example:
        >>> report_installs({"version": "1", "install": [
        ...     {"metadata": {"name": "tensorflow_datasets", "version": "4.9.10"}},
        ...     {"metadata": {"name": "PyYAML", "version": "6.0.3"}}]})
        {'tensorflow-datasets': '4.9.10', 'pyyaml': '6.0.3'}
        >>> report_installs({"version": "1"})
        Traceback (most recent call last):
        ...
        ValueError: not a pip installation report (no 'install' list): keys ['version']
    """
    if "install" not in report:
        raise ValueError(f"not a pip installation report (no 'install' list): keys {sorted(report)}")
    return {normalise_name(item["metadata"]["name"]): str(item["metadata"]["version"]) for item in report["install"]}


def changed_pins(would_install: Mapping[str, str], pins: Mapping[str, str] = COLAB_PINS) -> list[str]:
    """One sentence per pinned package the install would change; empty when it leaves every pin as it is.

    ``would_install`` is :func:`report_installs`'s answer. A pin it does not name
    stays as Colab has it. Versions are compared as written.

    Example:
        >>> changed_pins({"tensorflow": "2.21.0", "numpy": "2.1.3", "keras": "3.13.2"}, COLAB_PINS)
        ['tensorflow 2.20.0 would become 2.21.0']
        >>> changed_pins({"numpy": "2.1.3"}, {"NumPy": "2.1.3"})
        []
    """
    installs = {normalise_name(name): version for name, version in would_install.items()}
    return [f"{name} {version} would become {installs[normalise_name(name)]}"
            for name, version in pins.items()
            if normalise_name(name) in installs and installs[normalise_name(name)] != version]


def constraints(pins: Mapping[str, str] = COLAB_PINS) -> str:
    """A pip constraints file that holds every pin at its version.

    Example:
        >>> print(constraints({"keras": "3.13.2", "numpy": "2.1.3"}), end="")
        keras==3.13.2
        numpy==2.1.3
    """
    return "".join(f"{name}=={version}\n" for name, version in pins.items())


def colab_platforms(glibc: tuple[int, int] = COLAB_GLIBC, arch: str = "x86_64") -> list[str]:
    """The wheel platform tags Colab's pip accepts, newest first (pip does not work them out from one tag).

    Example:
        >>> tags = colab_platforms()
        >>> tags[0], tags[-1], "manylinux2014_x86_64" in tags
        ('manylinux_2_35_x86_64', 'manylinux1_x86_64', True)
    """
    major, newest = glibc
    return ([f"manylinux_{major}_{minor}_{arch}" for minor in range(newest, 4, -1)]
            + [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"])


def dry_run_args(requirement: str | Path, constraints_file: str | Path, report_file: str | Path,
                 find_links: str | Path | None = None) -> list[str]:
    """The ``pip`` arguments that resolve ``requirement`` for Colab without installing anything.

    ``--ignore-installed`` leaves this machine's packages out of it, ``--isolated``
    its pip settings (extra indexes, local wheel folders) and ``--index-url`` PyPI
    only, as Colab's pip sees it; ``--python-version``, ``--implementation`` and
    ``--platform`` (which need ``--only-binary=:all:``) choose Colab's wheels.
    The constraints file holds :data:`COLAB_PINS`, so pip fails rather than
    change one, and says why on its standard output (no ``--quiet``, which
    would hide the conflict). ``find_links`` is a folder of stand-in wheels, if any.

    Example:
        >>> args = dry_run_args("tfcert.whl", "pins.txt", "report.json")
        >>> args[:4], args[-3:]
        (['install', '--dry-run', '--ignore-installed', '--isolated'], ['-c', 'pins.txt', 'tfcert.whl'])
        >>> "--python-version" in args and "--only-binary=:all:" in args
        True
    """
    args = ["install", "--dry-run", "--ignore-installed", "--isolated", "--index-url", "https://pypi.org/simple",
            "--report", str(report_file),
            "--python-version", COLAB_PYTHON, "--implementation", "cp", "--only-binary=:all:"]
    for tag in colab_platforms():
        args += ["--platform", tag]
    if find_links is not None:
        args += ["--find-links", str(find_links)]
    return args + ["-c", str(constraints_file), str(requirement)]
