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

import os
import sys

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
    logging.getLogger("absl").setLevel(logging.ERROR)
    import keras

    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)  # e.g. model.export's "INFO:tensorflow:Assets written"
    keras.utils.set_random_seed(seed)
    # Listing the devices here makes TensorFlow's one-off native start-up messages
    # land in this (ungraded) header cell rather than in a graded test cell.
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    return {"seed": seed, "in_colab": in_colab(), "devices": devices}


_SUBMODULES = ("checklist", "course", "datasets", "grading", "history", "notebooks", "plots", "pretrained")


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


def save_history(history: object, model_path: "str | os.PathLike[str]") -> "os.PathLike[str]":
    """Write a training history next to its model file; see :func:`tfcert.history.save_history`."""
    from tfcert.history import save_history as _save

    return _save(history, model_path)
