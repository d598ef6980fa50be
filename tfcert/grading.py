"""What the hidden tests call: checks on a saved model, made in a clean process.

Hidden tests never trust numbers the learner's kernel computed. They call
:func:`model_report`, which loads the saved ``.keras`` file in a separate Python
process (isolated mode, no learner code, ``safe_mode=True``, Lambda layers
refused, see :mod:`tfcert._probe`), and then one ``check_*`` function per
graded property. A failed check raises :class:`GradingError` (an
``AssertionError``) whose message is one sentence a learner can act on; the
feedback shows that sentence and nothing of the test's source.

Example:
    >>> report = ModelReport(path="models/m.keras", error=None, input_shapes=[[None, 8, 8]])
    >>> check_input_shape(report, (None, 8, 8))
    >>> check_input_shape(report, (None, 64))
    Traceback (most recent call last):
    ...
    tfcert.grading.GradingError: m.keras: expected input shape (None, 64), got (None, 8, 8): change the shape of the Input layer (or add a Reshape/Flatten layer) so the model takes (None, 64)
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

#: Seconds the clean process may take to load, call and evaluate one model.
PROBE_TIMEOUT_S = 180


class GradingError(AssertionError):
    """A graded check failed; the message says what to change."""


@dataclass
class ModelReport:
    """What the clean process found in a saved model file."""

    path: str
    error: str | None = None
    file_bytes: int | None = None
    input_shapes: list[list[int | None]] = field(default_factory=list)
    input_dtypes: list[str] = field(default_factory=list)
    output_shape: list[int | None] = field(default_factory=list)
    output_dtype: str | None = None
    final_activation: str | None = None
    total_params: int = 0
    trainable_params: int = 0
    non_trainable_params: int = 0
    layer_classes: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    metrics_error: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name


def fmt_shape(shape: Sequence[int | None]) -> str:
    """Format a shape the way Keras prints it.

    Example:
        >>> fmt_shape([None, 28, 28, 1])
        '(None, 28, 28, 1)'
        >>> fmt_shape([None])
        '(None,)'
    """
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


_REPORTS: dict[tuple[str, int, int, str | None], ModelReport] = {}


def _probe_env() -> dict[str, str]:
    from tfcert import QUIET_TF_ENV

    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "TFCERT_PROBE_GPUS")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(QUIET_TF_ENV)
    env["KERAS_BACKEND"] = "tensorflow"
    return env


def model_report(path: str | os.PathLike[str], dataset: str | None = None,
                 timeout: float = PROBE_TIMEOUT_S) -> ModelReport:
    """Inspect a saved model in a clean process; cached per file version.

    Args:
        path: the ``.keras`` file the learner saved.
        dataset: an embedded dataset whose held-out split the model is
            evaluated on (``report.metrics["accuracy"]``), or None.
        timeout: seconds before the clean process is stopped.

    Never raises for a bad file: problems land in ``report.error``. Processes
    that run no learner code (the out-of-kernel verifier) set
    ``TFCERT_PROBE_IN_PROCESS=1`` to probe in place and skip one TensorFlow import.

    Example:
        >>> model_report("models/missing.keras").error
        "no model file at models/missing.keras: run the cell that trains and saves it with model.save('models/missing.keras')"
    """
    path = Path(path)
    stat = path.stat() if path.exists() else None
    key = (str(path.resolve()), stat.st_mtime_ns if stat else -1, stat.st_size if stat else -1, dataset)
    if key in _REPORTS:
        return _REPORTS[key]
    if os.environ.get("TFCERT_PROBE_IN_PROCESS") == "1":
        raw = _probe_here(path, dataset)
    else:
        raw = _probe_in_subprocess(path, dataset, timeout)
    raw["path"] = str(path)
    known = {f for f in ModelReport.__dataclass_fields__}
    report = ModelReport(**{k: v for k, v in raw.items() if k in known})
    if stat is not None:
        _REPORTS[key] = report
    return report


def _probe_here(path: Path, dataset: str | None) -> dict[str, Any]:
    """Probe in this process: only for processes that run no learner code (tfcert.verify's)."""
    from tfcert import _probe

    try:
        return _probe.probe(path.resolve(), dataset, display=path)
    except Exception as exc:
        return {"error": f"{path.name} could not be inspected ({type(exc).__name__}): save it again"}


def _probe_in_subprocess(path: Path, dataset: str | None, timeout: float) -> dict[str, Any]:
    """Probe in a fresh isolated interpreter (the learner's kernel never touches the model)."""
    with tempfile.TemporaryDirectory(prefix="tfcert-probe-") as workdir:
        out = Path(workdir) / "report.json"
        command = [sys.executable, "-I", "-m", "tfcert._probe", str(path.resolve()), str(out), "--display", str(path)]
        if dataset:
            command += ["--dataset", dataset]
        try:
            subprocess.run(command, cwd=workdir, env=_probe_env(), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, check=False)
            raw: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
        except subprocess.TimeoutExpired:
            raw = {"error": f"{path.name} took longer than {timeout:.0f} s to load and evaluate: "
                            "make the model smaller"}
        except (OSError, ValueError) as exc:
            raw = {"error": f"{path.name} could not be inspected ({type(exc).__name__}): save it again"}
        if not raw:
            raw = {"error": f"{path.name} crashed the loader (no report came back): save the model again "
                            "with model.save and check that keras.models.load_model reads it"}
    return raw


def check_loadable(report: ModelReport) -> None:
    """Fail with the loader's sentence if the file could not be loaded or called."""
    if report.error:
        raise GradingError(report.error)


def _shape_matches(found: Sequence[int | None], expected: Sequence[int | None]) -> bool:
    return len(found) == len(expected) and all(e is None or f == e for f, e in zip(found, expected))


def check_input_shape(report: ModelReport, expected: Sequence[int | None]) -> None:
    """The model's (first) input has ``expected`` shape; ``None`` matches any size."""
    check_loadable(report)
    found = report.input_shapes[0] if report.input_shapes else []
    if not _shape_matches(found, expected):
        raise GradingError(
            f"{report.name}: expected input shape {fmt_shape(expected)}, got {fmt_shape(found)}: change the shape "
            f"of the Input layer (or add a Reshape/Flatten layer) so the model takes {fmt_shape(expected)}")


def check_output_shape(report: ModelReport, expected: Sequence[int | None]) -> None:
    """The model's output has ``expected`` shape; ``None`` matches any size."""
    check_loadable(report)
    if not _shape_matches(report.output_shape, expected):
        units = expected[-1]
        raise GradingError(
            f"{report.name}: expected output shape {fmt_shape(expected)}, got {fmt_shape(report.output_shape)}: "
            f"the last layer should produce {units} value{'s' if units != 1 else ''} per example")


def check_final_activation(report: ModelReport, expected: str | Iterable[str]) -> None:
    """The last layer's activation is ``expected`` (or one of several)."""
    check_loadable(report)
    allowed = (expected,) if isinstance(expected, str) else tuple(expected)
    if report.final_activation not in allowed:
        want = " or ".join(allowed)
        raise GradingError(
            f"{report.name}: the last layer's activation is {report.final_activation!r}, expected {want}: "
            f"set activation='{allowed[0]}' on the output layer so the model outputs what the loss expects")


def check_input_dtype(report: ModelReport, expected: str = "float32") -> None:
    """The model takes ``expected`` inputs (the dtype of the data it is graded on)."""
    check_loadable(report)
    found = report.input_dtypes[0] if report.input_dtypes else None
    if found != expected:
        raise GradingError(
            f"{report.name}: the model's input dtype is {found}, expected {expected}: build the Input with "
            f"dtype='{expected}' (cast the data with tf.cast or .astype instead of changing the model)")


def check_params(report: ModelReport, *, max_total: int | None = None, max_trainable: int | None = None,
                 min_non_trainable: int | None = None) -> None:
    """Parameter budgets: total, trainable, and frozen (non-trainable) counts."""
    check_loadable(report)
    if max_total is not None and report.total_params > max_total:
        raise GradingError(
            f"{report.name}: the model has {report.total_params:,} parameters, the budget is {max_total:,}: "
            "use fewer or narrower layers (model.summary() shows where the parameters are)")
    if max_trainable is not None and report.trainable_params > max_trainable:
        raise GradingError(
            f"{report.name}: {report.trainable_params:,} trainable parameters, at most {max_trainable:,} allowed: "
            "freeze the pretrained base with base.trainable = False before compiling")
    if min_non_trainable is not None and report.non_trainable_params < min_non_trainable:
        raise GradingError(
            f"{report.name}: only {report.non_trainable_params:,} frozen parameters, expected at least "
            f"{min_non_trainable:,}: keep the pretrained base in the model and set base.trainable = False")


def check_file_size(report: ModelReport, max_kb: float) -> None:
    """The saved file is at most ``max_kb`` kilobytes (1 KB = 1024 bytes)."""
    if report.file_bytes is None:
        check_loadable(report)
        raise GradingError(f"{report.name}: the file size could not be read: save the model again")
    size_kb = report.file_bytes / 1024
    if size_kb > max_kb:
        raise GradingError(
            f"{report.name} is {size_kb:,.1f} KB, the limit is {max_kb:,.0f} KB: a smaller model (fewer "
            "parameters) makes a smaller file; each float32 parameter takes 4 bytes")


def check_metric(report: ModelReport, metric: str, minimum: float) -> None:
    """The held-out ``metric`` the clean process measured is at least ``minimum``."""
    check_loadable(report)
    if report.metrics_error:
        raise GradingError(report.metrics_error)
    if metric not in report.metrics:
        raise GradingError(f"{report.name}: no held-out {metric} was measured: the grader needs a dataset name")
    value = report.metrics[metric]
    if not value >= minimum:
        raise GradingError(
            f"{report.name}: held-out {metric} is {value:.3f}, the target is {minimum:.3f}: train longer, "
            "normalise the inputs, or give the model a little more capacity within the budget")


def history_path_for(model_path: str | os.PathLike[str]) -> Path:
    """Where the training history of a saved model lives (next to it).

    Example:
        >>> str(history_path_for("models/digits.keras"))
        'models/digits.history.json'
    """
    path = Path(model_path)
    return path.with_name(path.stem + ".history.json")


def load_history(path: str | os.PathLike[str]) -> dict[str, list[float]]:
    """Read a history file written by :func:`tfcert.save_history`; GradingError if unusable."""
    path = Path(path)
    if path.suffix == ".keras":
        path = history_path_for(path)
    if not path.exists():
        raise GradingError(f"no training history at {path}: call tfcert.save_history(history, MODEL_PATH) "
                           "after model.fit")
    try:
        data = json.loads(path.read_text())
        history = {str(k): [float(x) for x in v] for k, v in data.items()}
    except (ValueError, TypeError, AttributeError):
        raise GradingError(f"{path.name} is not a training history (a JSON object of lists of numbers): "
                           "save it again with tfcert.save_history(history, MODEL_PATH)") from None
    return history


def check_history(history: dict[str, list[float]] | str | os.PathLike[str], *, metric: str = "loss",
                  min_epochs: int = 2, max_gap: float | None = None) -> None:
    """The training curve falls, and the validation gap stays bounded if asked.

    ``falling``: the best value in the last third of the epochs is below the
    first epoch's value. ``max_gap``: ``val_<metric> - <metric>`` at the last
    epoch is at most ``max_gap`` (for a loss; for accuracy the sign flips).

    Example:
        >>> check_history({"loss": [1.0, 0.6, 0.4], "val_loss": [1.0, 0.7, 0.5]}, max_gap=0.2)
        >>> check_history({"loss": [1.0, 1.1]})
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: the training loss did not fall (first epoch 1.000, best of the last epochs 1.100): lower the learning rate, normalise the inputs, or train for more epochs
    """
    curves = history if isinstance(history, dict) else load_history(history)
    values = curves.get(metric)
    if not values:
        raise GradingError(f"the history has no {metric!r} curve (it has {sorted(curves)}): pass the History "
                           "that model.fit returned to tfcert.save_history")
    if len(values) < min_epochs:
        raise GradingError(f"the history has {len(values)} epoch(s), at least {min_epochs} are needed to see "
                           "the curve: train for more epochs")
    if any(not math.isfinite(v) for v in values):
        raise GradingError(f"the training {metric} became NaN or infinite: lower the learning rate")
    lower_is_better = "loss" in metric or "error" in metric
    tail = values[-max(1, len(values) // 3):]
    best_tail = min(tail) if lower_is_better else max(tail)
    improved = best_tail < values[0] if lower_is_better else best_tail > values[0]
    if not improved:
        raise GradingError(f"the training {metric} did not {'fall' if lower_is_better else 'rise'} (first epoch "
                           f"{values[0]:.3f}, best of the last epochs {best_tail:.3f}): lower the learning rate, "
                           "normalise the inputs, or train for more epochs")
    if max_gap is not None:
        val = curves.get(f"val_{metric}")
        if not val:
            raise GradingError(f"the history has no 'val_{metric}' curve: pass validation_data to model.fit")
        gap = (val[-1] - values[-1]) if lower_is_better else (values[-1] - val[-1])
        if gap > max_gap:
            raise GradingError(f"validation {metric} is {val[-1]:.3f} against {values[-1]:.3f} in training, a "
                               f"gap of {gap:.3f} (at most {max_gap:.3f} allowed): the model overfits; add "
                               "dropout or augmentation, shrink it, or stop earlier")
