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

import atexit
import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
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
    raw_predictions: list[int] | None = None

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


_REPORTS: dict[tuple[Any, ...], ModelReport] = {}


def _probe_env() -> dict[str, str]:
    from tfcert import QUIET_TF_ENV

    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "TFCERT_PROBE_GPUS",
            "TFCERT_DATA_DIR", "TFCERT_DATA_SHARED")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(QUIET_TF_ENV)
    env["KERAS_BACKEND"] = "tensorflow"
    return env


def model_report(path: str | os.PathLike[str], dataset: str | None = None, timeout: float = PROBE_TIMEOUT_S, *,
                 fit_examples: int | None = None, raw_csv: str | os.PathLike[str] | None = None) -> ModelReport:
    """Inspect a saved model in a clean process; cached per file version.

    Args:
        path: the ``.keras`` file the learner saved.
        dataset: an embedded dataset whose held-out split the model is
            evaluated on (``report.metrics["accuracy"]``), or None.
        timeout: seconds before the clean process is stopped.
        fit_examples: also measure the accuracy on the first N training
            examples of ``dataset`` (``report.metrics["train_accuracy"]``), the
            ones the learner was told to train on: the grader's own view of
            the generalisation gap.
        raw_csv: a raw pixel file (:func:`tfcert.datasets.to_raw_csv`); the clean
            process predicts its classes, preparing the rows the canonical way
            (scaled to [0, 1], reshaped to the model's input): ``report.raw_predictions``.

    Never raises for a bad file: problems land in ``report.error``. Processes
    that run no learner code (the out-of-kernel verifier) set
    ``TFCERT_PROBE_IN_PROCESS=1`` to probe in place and skip one TensorFlow import.

    Example:
        >>> model_report("models/missing.keras").error
        "no model file at models/missing.keras: run the cell that trains and saves it with model.save('models/missing.keras')"
    """
    path = Path(path)
    stat = path.stat() if path.exists() else None
    options = {"fit_examples": fit_examples, "raw_csv": str(Path(raw_csv).resolve()) if raw_csv else None}
    key = (str(path.resolve()), stat.st_mtime_ns if stat else -1, stat.st_size if stat else -1, dataset,
           *options.values())
    if key in _REPORTS:
        return _REPORTS[key]
    if os.environ.get("TFCERT_PROBE_IN_PROCESS") == "1":
        raw = _probe_here(path, dataset, options)
    else:
        raw = _probe_in_server(path, dataset, timeout, options)
    raw["path"] = str(path)
    known = {f for f in ModelReport.__dataclass_fields__}
    report = ModelReport(**{k: v for k, v in raw.items() if k in known})
    if stat is not None:
        _REPORTS[key] = report
    return report


def _probe_here(path: Path, dataset: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """Probe in this process: only for processes that run no learner code (tfcert.verify's)."""
    from tfcert import _probe

    raw_csv = Path(options["raw_csv"]) if options.get("raw_csv") else None
    try:
        return _probe.probe(path.resolve(), dataset, display=path, fit_examples=options.get("fit_examples"),
                            raw_csv=raw_csv)
    except Exception as exc:
        return {"error": f"{path.name} could not be inspected ({type(exc).__name__}): save it again"}


class _ProbeServer:
    """One clean interpreter that inspects model after model, so TensorFlow is imported once per kernel.

    It runs ``python -I -m tfcert._probe --serve``: no learner code, the same
    isolation as a one-off probe, one JSON request per line on stdin and one
    ``TFCERT-PROBE {report}`` line back (other output is skipped). A request
    that times out or crashes the server kills it; the next request starts a
    fresh one.
    """

    MARKER = "TFCERT-PROBE "

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-I", "-m", "tfcert._probe", "--serve"]
        self.process: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()

    def _start(self) -> subprocess.Popen[str]:
        if self.process is None or self.process.poll() is not None:
            workdir = tempfile.mkdtemp(prefix="tfcert-probe-")
            self.process = subprocess.Popen(
                self.command, cwd=workdir, env=_probe_env(),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
            self.lines = queue.Queue()
            threading.Thread(target=self._pump, args=(self.process, self.lines), daemon=True).start()
        return self.process

    @staticmethod
    def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        """Move the server's stdout lines to ``lines``; None once it closes."""
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """The report for ``request``; None if the server died or ran out of time (it is then stopped)."""
        process = self._start()
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                line = self.lines.get(timeout=left)
                if line is None:  # the server died
                    break
                if line.startswith(self.MARKER):
                    return json.loads(line[len(self.MARKER):])
        except (OSError, ValueError, queue.Empty):
            pass
        self.stop()
        return None


_SERVER = _ProbeServer()
atexit.register(_SERVER.stop)


def _probe_in_server(path: Path, dataset: str | None, timeout: float, options: dict[str, Any]) -> dict[str, Any]:
    """Probe in the clean probe process (the learner's kernel never touches the model)."""
    request = {"path": str(path.resolve()), "display": str(path), "dataset": dataset, **options}
    started = time.monotonic()
    raw = _SERVER.ask(request, timeout)
    if raw is not None:
        return raw
    if time.monotonic() - started >= timeout - 1:
        return {"error": f"{path.name} took longer than {timeout:.0f} s to load and evaluate: make the model smaller"}
    return {"error": f"{path.name} crashed the loader (no report came back): save the model again "
                     "with model.save and check that keras.models.load_model reads it"}


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


#: Layers that hold weights a network learns with (what "several layers" counts).
WEIGHTED_LAYERS = ("Dense", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "LSTM", "GRU",
                   "SimpleRNN", "Bidirectional", "Embedding")


def check_hidden_layers(report: ModelReport, minimum: int) -> None:
    """At least ``minimum`` weighted layers before the output layer (Dense, Conv2D, LSTM, ...).

    Example:
        >>> check_hidden_layers(ModelReport(path="m.keras", layer_classes=["Flatten", "Dense", "Dense"]), 2)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras has 1 hidden layer with weights before its output layer, at least 2 asked: stack more Dense (or Conv2D) layers between the input and the output
    """
    check_loadable(report)
    hidden = sum(name in WEIGHTED_LAYERS for name in report.layer_classes) - 1
    if hidden < minimum:
        raise GradingError(f"{report.name} has {max(hidden, 0)} hidden layer{'s' if hidden != 1 else ''} with weights "
                           f"before its output layer, at least {minimum} asked: stack more Dense (or Conv2D) "
                           "layers between the input and the output")


def check_generalisation_gap(report: ModelReport, max_gap: float) -> None:
    """Accuracy on the training examples minus held-out accuracy, both measured by the grader, is at most ``max_gap``.

    Needs ``model_report(..., fit_examples=N)``.

    Example:
        >>> report = ModelReport(path="m.keras", metrics={"accuracy": 0.60, "train_accuracy": 1.0})
        >>> check_generalisation_gap(report, 0.15)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras: 100.0 % right on its training examples but 60.0 % on held-out data, a gap of 0.400 (at most 0.150 allowed): the model memorises its training set; add augmentation (RandomRotation, RandomTranslation, RandomZoom) or dropout, or shrink it
    """
    check_loadable(report)
    if report.metrics_error:
        raise GradingError(report.metrics_error)
    if "train_accuracy" not in report.metrics:
        raise GradingError(f"{report.name}: the training accuracy was not measured: call "
                           "model_report(..., fit_examples=N)")
    train, heldout = report.metrics["train_accuracy"], report.metrics["accuracy"]
    if train - heldout > max_gap:
        raise GradingError(
            f"{report.name}: {train:.1%} right on its training examples but {heldout:.1%} on held-out data, a gap "
            f"of {train - heldout:.3f} (at most {max_gap:.3f} allowed): the model memorises its training set; add "
            "augmentation (RandomRotation, RandomTranslation, RandomZoom) or dropout, or shrink it".replace("%", " %"))


def check_stopped_at_target(history: dict[str, list[float]] | str | os.PathLike[str], monitor: str, target: float,
                            max_epochs: int) -> None:
    """Training ended at the first epoch whose ``monitor`` reached ``target``, before ``max_epochs``.

    What a callback that stops training at a threshold leaves in the history.

    Example:
        >>> check_stopped_at_target({"accuracy": [0.5, 0.8, 0.95]}, "accuracy", 0.9, max_epochs=50)
        >>> check_stopped_at_target({"accuracy": [0.5, 0.95, 0.97]}, "accuracy", 0.9, max_epochs=50)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: training went on after accuracy reached 0.9 at epoch 2 (it ran 3 epochs): the callback should set self.model.stop_training = True at the end of the first epoch that reaches the target
    """
    curves = history if isinstance(history, dict) else load_history(history)
    values = curves.get(monitor)
    if not values:
        raise GradingError(f"the history has no {monitor!r} curve (it has {sorted(curves)}): monitor a metric "
                           "that model.fit reports, and pass validation_data for val_ metrics")
    reached = [epoch for epoch, value in enumerate(values) if value >= target]
    if not reached:
        if len(values) >= max_epochs:
            raise GradingError(f"{monitor} never reached {target} in {len(values)} epochs, so the callback could "
                               "not stop training: check the model learns, then train again")
        raise GradingError(f"training stopped after {len(values)} epochs although {monitor} never reached {target}: "
                           "stop only when the monitored value reaches the target")
    first = reached[0]
    if len(values) > first + 1:
        raise GradingError(f"training went on after {monitor} reached {target} at epoch {first + 1} (it ran "
                           f"{len(values)} epochs): the callback should set self.model.stop_training = True at the "
                           "end of the first epoch that reaches the target")


def check_predictions(predictions_csv: str | os.PathLike[str], report: ModelReport, classes: Sequence[str],
                      labels: Sequence[int], *, min_agreement: float = 0.98, min_accuracy: float = 0.0) -> None:
    """A predictions file (``id,label`` with class names) matches what the saved model predicts, and is accurate.

    ``report`` comes from ``model_report(model, raw_csv=...)``: the grader's own
    predictions of the same model on the same raw file, prepared the canonical
    way. Agreement checks the learner's preparation (shape, scale, argmax);
    ``labels`` (the true classes, in file order) check the accuracy.
    """
    import csv

    check_loadable(report)
    if report.metrics_error:
        raise GradingError(report.metrics_error)
    path = Path(predictions_csv)
    if not path.exists():
        raise GradingError(f"no predictions file at {path}: write it with columns id,label")
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GradingError(f"{path.name} is not a readable CSV file ({type(exc).__name__}): write it with "
                           "pandas' to_csv(index=False)") from None
    if not rows or set(rows[0]) != {"id", "label"}:
        found = sorted(rows[0]) if rows else "no rows"
        raise GradingError(f"{path.name} should have exactly the columns id and label, found {found}")
    expected_ids = [str(i) for i in range(len(labels))]
    if [row["id"] for row in rows] != expected_ids:
        raise GradingError(f"{path.name} should have one row per raw image, ids 0 to {len(labels) - 1} in order, "
                           f"found {len(rows)} rows")
    unknown = sorted({row["label"] for row in rows} - set(classes))
    if unknown:
        raise GradingError(f"{path.name} has labels that are not class names: {unknown[:3]}: map each predicted "
                           f"index to its name, one of {', '.join(classes)}")
    predicted = [list(classes).index(row["label"]) for row in rows]
    model_says = report.raw_predictions or []
    agreement = sum(p == m for p, m in zip(predicted, model_says)) / len(predicted)
    if agreement < min_agreement:
        raise GradingError(
            f"{path.name} agrees with {report.name} on only {agreement:.1%} of the images (at least "
            f"{min_agreement:.0%} expected): prepare the raw rows as the model was trained (scale 0-255 to 0-1, "
            "reshape to model.input_shape), then take the argmax of each prediction".replace("%", " %"))
    accuracy = sum(p == y for p, y in zip(predicted, labels)) / len(predicted)
    if accuracy < min_accuracy:
        raise GradingError(f"{path.name}: {accuracy:.1%} of the predictions are right, the target is "
                           f"{min_accuracy:.0%}: improve the model, then predict again".replace("%", " %"))
