"""tfcert: the helper package shared by the course's notebooks and graders.

It loads data, plots and grades; it never hides the Keras API a lesson teaches.
Importing it is cheap and does not import TensorFlow, so the locked header cell
of every notebook can call :func:`setup` *before* TensorFlow is imported.

Example:
    >>> import tfcert
    >>> info = tfcert.setup(seed=42)
    >>> sorted(info)
    ['devices', 'in_colab', 'seed']
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from types import ModuleType
from typing import Iterator

__version__ = "0.1.0"

#: The first code cell of every notebook (locked in assignments). A test keeps
#: every notebook's header identical to this text.
HEADER_CELL = """\
# Course header (do not edit): quiet TensorFlow logs, fixed seeds, Colab set-up.
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must happen before TensorFlow is imported
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
if "google.colab" in sys.modules:  # Colab keeps its own TensorFlow; this only adds the course package
    %pip install -q "tfcert @ git+https://github.com/tfcert-course/tfcert"
import tfcert
COURSE = tfcert.setup(seed=42)
print(COURSE)"""

#: Environment that keeps TensorFlow from writing to stderr on import.
#: nbgrader scores a test cell that printed anything on stderr as failed.
QUIET_TF_ENV: dict[str, str] = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}


def quiet_tensorflow() -> None:
    """Set the environment that silences TensorFlow's C++ logging.

    Must run before ``import tensorflow``; harmless afterwards.

    Example:
        >>> quiet_tensorflow()
        >>> os.environ["TF_CPP_MIN_LOG_LEVEL"]
        '2'
    """
    for key, value in QUIET_TF_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" in sys.modules:  # already imported: quiet the Python loggers too
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)


#: TensorFlow's native start-up lines (absl and C++ logging, written to file descriptor 2
#: while TensorFlow loads and finds its devices), which no environment variable silences.
#: :func:`import_tensorflow_quietly` drops them; nbgrader's ``IgnorePattern`` uses the same pattern.
TF_STARTUP_NOISE = re.compile(
    r"absl::InitializeLog|cudart_stub\.cc|cuda_platform\.cc|cuInit|Could not find cuda drivers"
    r"|oneDNN custom operations|This TensorFlow binary is optimized|To enable the following instructions"
    r"|computation placer|Unable to register cu(DNN|FFT|BLAS) factory|TF-TRT Warning|successful NUMA node read"
)


def import_tensorflow_quietly() -> ModuleType:
    """Import TensorFlow and let it find its devices without its native start-up lines on stderr.

    TensorFlow's C++ side writes "All log messages before absl::InitializeLog()",
    "Could not find cuda drivers", "failed call to cuInit", ... straight to file
    descriptor 2 while it loads and initialises its platforms, whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says. For the course's own processes (the command
    line, the grading coordinator) this points descriptor 2 through a filter
    that drops the lines :data:`TF_STARTUP_NOISE` matches, for that moment only:
    every other line passes through, and afterwards stderr is untouched, so real
    errors still show. Also applies :func:`quiet_tensorflow`. Once TensorFlow is
    imported, this only returns it.

    Example:
        >>> tf = import_tensorflow_quietly()
        >>> tf.__name__, int(tf.constant(2) * 21)
        ('tensorflow', 42)
    """
    quiet_tensorflow()
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _stderr_without(TF_STARTUP_NOISE):
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA platform's start-up lines come now, not at the first op
    return tf


@contextlib.contextmanager
def _stderr_without(noise: re.Pattern[str]) -> Iterator[None]:
    r"""While the block runs, lines written to file descriptor 2 that ``noise`` matches are dropped; the rest pass on.

    Example (descriptor 2 of a fresh process, written to the way native code writes):
        >>> import subprocess
        >>> code = ("import os, re, tfcert\n"
        ...         "with tfcert._stderr_without(re.compile('cudart_stub')):\n"
        ...         "    os.write(2, b'I0000 cudart_stub.cc:31] Could not find cuda drivers\\nreal error\\n')\n"
        ...         "os.write(2, b'after the block: cudart_stub.cc shows again\\n')")
        >>> print(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr, end="")
        real error
        after the block: cudart_stub.cc shows again
    """
    import threading

    sys.stderr.flush()
    try:
        original = os.dup(2)
    except OSError:  # no descriptor 2 at all (pythonw): nothing to filter
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def copy_wanted_lines() -> None:
        with open(read_end, "rb") as lines:
            for line in lines:
                if not noise.search(line.decode("utf-8", "replace")):
                    os.write(original, line)

    copier = threading.Thread(target=copy_wanted_lines, daemon=True, name="tfcert-stderr-filter")
    copier.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)  # the pipe loses its last writer, so the copier reaches its end
        copier.join(timeout=10)
        if not copier.is_alive():  # else a child process still holds the pipe: keep the way out open
            os.close(original)


def in_colab() -> bool:
    """True when running inside a Google Colab runtime.

    Example:
        >>> in_colab()
        False
    """
    return "google.colab" in sys.modules


def setup(seed: int = 42) -> dict[str, object]:
    """Prepare a notebook: quiet logs, fixed seeds, Colab detection.

    Called by the locked header cell of every notebook. Seeds Python, NumPy and
    TensorFlow through ``keras.utils.set_random_seed`` so reruns give the same
    numbers on the same machine.

    Example:
        >>> setup(seed=0)["seed"]
        0
    """
    quiet_tensorflow()
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # Keras 3.15 warns on every fit given a tf.data.Dataset, because `shuffle` defaults to True there.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored", category=UserWarning)
    # ... and at the end of the first epoch over a dataset of unknown length (windows of a series cut with
    # window/flat_map), where nothing ran out: Keras only learns the epoch's length that way.
    warnings.filterwarnings("ignore", message=r"Your input ran out of data; interrupting training", category=UserWarning)
    logging.getLogger("absl").setLevel(logging.ERROR)
    import keras

    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)  # e.g. model.export's "INFO:tensorflow:Assets written"
    keras.utils.set_random_seed(seed)
    # Listing the devices here makes TensorFlow's one-off native start-up messages
    # land in this (ungraded) header cell rather than in a graded test cell.
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    return {"seed": seed, "in_colab": in_colab(), "devices": devices}


_SUBMODULES = ("checklist", "course", "datasets", "grading", "history", "lint", "manifest", "notebooks", "paths", "plots",
               "pretrained", "probe", "samples", "sandbox", "selfcheck", "summary", "verify", "colab")


def __getattr__(name: str) -> object:
    """Import submodules on first use, so ``import tfcert`` stays cheap (no TensorFlow).

    Example:
        >>> import tfcert
        >>> tfcert.datasets.LEARNER_SPLITS
        ('train', 'validation')
    """
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"tfcert.{name}")
    raise AttributeError(f"module 'tfcert' has no attribute {name!r}")


def check(notebook: "str | os.PathLike[str] | None" = None, **options: object) -> object:
    """Grade this assignment notebook as the instructor would; see :func:`tfcert.selfcheck.check`.

    In a cell of the assignment, after saving it: ``tfcert.check()``. It re-runs
    the saved notebook in the grading sandbox with a progress bar, prints one
    row per task and graded cell with its points and what to fix, and writes the
    feedback page to ``feedback/`` beside the notebook. Inside a notebook being
    graded it does nothing.
    """
    from tfcert.selfcheck import check as _check

    return _check(notebook, **options)  # type: ignore[arg-type]


def save_history(history: object, model_path: "str | os.PathLike[str]") -> "os.PathLike[str]":
    """Write a training history next to its model file; see :func:`tfcert.history.save_history`."""
    from tfcert.history import save_history as _save

    return _save(history, model_path)
