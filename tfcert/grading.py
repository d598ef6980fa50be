"""What the hidden tests call: checks on a saved model, made in a clean process.

Hidden tests never trust numbers the learner's kernel computed. They call
:func:`model_report` (from :mod:`tfcert.probe`), which loads the saved
``.keras`` file in a separate Python process (isolated mode, no learner code,
``safe_mode=True``, Lambda layers refused, see :mod:`tfcert._probe`) and
measures it on held-out data by the dataset's kind, and then one ``check_*``
function per graded property (:func:`check_metric` for accuracy,
:func:`check_forecast` for forecasters). A failed check raises
:class:`GradingError` (an ``AssertionError``) whose message is one sentence a
learner can act on; the feedback shows that sentence and nothing of the
test's source.

Example:
    >>> report = ModelReport(path="models/m.keras", error=None, input_shapes=[[None, 8, 8]])
    >>> check_input_shape(report, (None, 8, 8))
    >>> check_input_shape(report, (None, 64))
    Traceback (most recent call last):
    ...
    tfcert.grading.GradingError: m.keras: expected input shape (None, 64), got (None, 8, 8): change the shape of the Input layer (or add a Reshape/Flatten layer) so the model takes (None, 64)
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from tfcert.history import history_path_for
from tfcert.probe import PROBE_TIMEOUT_S, ModelReport, fmt_shape, model_report

__all__ = [
    "PROBE_TIMEOUT_S", "WEIGHTED_LAYERS", "CallRecord", "GradingError", "ModelReport", "calls_made",
    "check_calls", "check_file_size", "check_final_activation",
    "check_forecast", "check_generalisation_gap", "check_hidden_layers", "check_history", "check_input_dtype",
    "check_input_shape", "check_layers", "check_loadable", "check_metric", "check_next_word", "check_output_shape", "check_params", "check_predictions",
    "check_regression",
    "check_augmentation_effect", "check_avoids", "check_stopped_at_target", "fmt_shape", "history_path_for", "load_history", "model_report",
]


class GradingError(AssertionError):
    """A graded check failed; the message says what to change."""


def check_loadable(report: ModelReport) -> None:
    """Fail with the loader's sentence if the file could not be loaded or called."""
    if report.error:
        raise GradingError(report.error)


def _shape_matches(found: Sequence[int | None], expected: Sequence[int | None]) -> bool:
    return len(found) == len(expected) and all(e is None or f == e for f, e in zip(found, expected))


def check_input_shape(report: ModelReport, expected: Sequence[int | None], *, any_size: bool = False) -> None:
    """The model's (first) input has ``expected`` shape; ``None`` matches any size.

    ``any_size``: the model must take images of any height and width, so its
    input's two axes after the batch axis must be None too.

    Example:
        >>> fixed = ModelReport(path="m.keras", input_shapes=[[None, 64, 64, 3]])
        >>> check_input_shape(fixed, (None, None, None, 3))
        >>> check_input_shape(fixed, (None, None, None, 3), any_size=True)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras takes images of 64x64 pixels only, (None, 64, 64, 3): build it on keras.Input(shape=(None, None, 3)), so it takes images of any size, and resize inside the model with keras.layers.Resizing
    """
    check_loadable(report)
    found = report.input_shapes[0] if report.input_shapes else []
    if not _shape_matches(found, expected):
        raise GradingError(
            f"{report.name}: expected input shape {fmt_shape(expected)}, got {fmt_shape(found)}: change the shape "
            f"of the Input layer (or add a Reshape/Flatten layer) so the model takes {fmt_shape(expected)}")
    if any_size and any(side is not None for side in found[1:3]):
        raise GradingError(
            f"{report.name} takes images of {found[1]}x{found[2]} pixels only, {fmt_shape(found)}: build it on "
            "keras.Input(shape=(None, None, 3)), so it takes images of any size, and resize inside the model with "
            "keras.layers.Resizing")


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


def _measured(report: ModelReport, *keys: str, missing: str) -> list[float]:
    """The report's metrics ``keys``, after what every metric check checks first; GradingError(``missing``) if absent.

    Example:
        >>> _measured(ModelReport(path="m.keras", metrics={"mae": 2.0}), "mae", missing="no MAE")
        [2.0]
        >>> _measured(ModelReport(path="m.keras", metrics={}), "mae", missing="no MAE")
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras: no MAE
    """
    check_loadable(report)
    if report.metrics_error:
        raise GradingError(report.metrics_error)
    if any(key not in report.metrics for key in keys):
        raise GradingError(f"{report.name}: {missing}")
    return [report.metrics[key] for key in keys]


def _judged(report: ModelReport) -> str:
    """How a message names the model measured: the file, or the copy the grader retrained.

    Example:
        >>> _judged(ModelReport(path="models/m.keras"))
        'm.keras'
        >>> _judged(ModelReport(path="models/m.keras", metrics={"retrained_epochs": 12.0}))
        'm.keras, retrained from scratch by the grader on the allowed training examples for 12 epochs,'
    """
    epochs = report.metrics.get("retrained_epochs")
    if epochs:
        return f"{report.name}, retrained from scratch by the grader on the allowed training examples for {epochs:.0f} epochs,"
    return report.name


def check_metric(report: ModelReport, metric: str, minimum: float, *, advice: str | None = None) -> None:
    """The held-out ``metric`` the clean process measured is at least ``minimum``.

    ``advice`` ends the message when the target is missed (the default speaks
    of training longer, normalising and capacity).

    Example:
        >>> check_metric(ModelReport(path="m.keras", metrics={"accuracy": 0.25, "accuracy_on_unit_scale": 0.9}),
        ...              "accuracy", 0.8)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras reaches a held-out accuracy of 0.250, the target is 0.800; on pixels divided by 255 it would reach 0.900: the model expects images in [0, 1] but the files hold 0-255, so scale inside the model with keras.layers.Rescaling(1./255) and train again
    """
    value, = _measured(report, metric, missing=f"no held-out {metric} was measured: the grader needs a dataset name")
    if value >= minimum:
        return
    unit_scale = report.metrics.get("accuracy_on_unit_scale")
    if metric == "accuracy" and unit_scale is not None and unit_scale >= minimum:
        advice = (f"; on pixels divided by 255 it would reach {unit_scale:.3f}: the model expects images in [0, 1] "
                  "but the files hold 0-255, so scale inside the model with keras.layers.Rescaling(1./255) and "
                  "train again")
    else:
        advice = ": " + (advice or "train longer, normalise the inputs, or give the model a little more capacity "
                         "within the budget")
    raise GradingError(f"{_judged(report)} reaches a held-out {metric} of {value:.3f}, the target is {minimum:.3f}"
                       f"{advice}")


def check_layers(report: ModelReport, any_of: Iterable[str], *, what: str, advice: str) -> None:
    """The saved model has at least one layer of a class in ``any_of`` (``what`` names them in the message).

    Layers inside other layers count: the ``LSTM`` of a ``Bidirectional``,
    the layers of a nested model.

    Example:
        >>> report = ModelReport(path="m.keras", layer_classes=["Rescaling", "Flatten", "Dense", "Dense"])
        >>> check_layers(report, ("Dense",), what="a Dense layer", advice="add one")
        >>> check_layers(report, ("Conv2D", "SeparableConv2D"), what="a convolution layer",
        ...              advice="start the model with Conv2D and MaxPooling2D blocks")
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras has no convolution layer (its layers: Rescaling, Flatten, Dense, Dense): start the model with Conv2D and MaxPooling2D blocks
        >>> check_layers(ModelReport(path="m.keras", layer_classes=["Bidirectional"], nested_layer_classes=["LSTM", "LSTM"]),
        ...              ("LSTM",), what="an LSTM layer", advice="add one")
    """
    check_loadable(report)
    wanted = set(any_of)
    if not wanted & {*report.layer_classes, *report.nested_layer_classes}:
        layers = ", ".join(report.layer_classes) or "none"
        if report.nested_layer_classes:
            layers += f"; inside them: {', '.join(report.nested_layer_classes)}"
        raise GradingError(f"{report.name} has no {what.removeprefix('a ').removeprefix('an ')} (its layers: {layers}): "
                           f"{advice}")


def check_forecast(report: ModelReport, *, max_mae: float | None = None,
                   max_ratio_to_naive: float | None = None, advice: str | None = None) -> None:
    """A forecaster's held-out MAE is at most ``max_mae``, and at most ``max_ratio_to_naive`` times the naive one's.

    The clean process forecasts each held-out step one step ahead from the
    window of values before it (``report.metrics["mae"]``) and compares it with
    the naive forecast, the previous step's value (``["naive_mae"]``), on the
    same steps. ``max_ratio_to_naive=1.0`` asks for a model at least as good as
    the naive forecast. ``advice`` replaces the default sentence on what to
    try, for a task that knows its likely mistakes.

    Example:
        >>> report = ModelReport(path="m.keras", dataset="synthetic", target="value",
        ...                      metrics={"mae": 7.5, "naive_mae": 6.0, "examples": 180.0})
        >>> check_forecast(report, max_mae=8.0)
        >>> check_forecast(report, max_ratio_to_naive=1.0)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras: its one-step-ahead forecasts of value on the 180 held-out steps of synthetic are off by 7.500 on average (MAE), 1.25 times the naive forecast's 6.000 (the previous value); the target is at most 1.00 times the naive MAE: use a longer window, normalise inside the model (a Normalization layer), and train for more epochs
    """
    mae, naive = _measured(report, "mae", "naive_mae", missing="no held-out forecast was measured: the grader "
                           "needs the name of a series dataset, model_report(path, dataset=...)")
    ratio = mae / naive if naive > 0 else math.inf
    steps = int(report.metrics.get("examples", 0))
    measured = (f"{report.name}: its one-step-ahead forecasts of {report.target or 'the series'} on the {steps} "
                f"held-out steps{f' of {report.dataset}' if report.dataset else ''} are off by {mae:.3f} on average "
                f"(MAE), {ratio:.2f} times the naive forecast's {naive:.3f} (the previous value)")
    advice = advice or "use a longer window, normalise inside the model (a Normalization layer), and train for more epochs"
    if max_mae is not None and not mae <= max_mae:
        raise GradingError(f"{measured}; the target is an MAE of at most {max_mae:.3f}: {advice}")
    if max_ratio_to_naive is not None and not ratio <= max_ratio_to_naive:
        raise GradingError(f"{measured}; the target is at most {max_ratio_to_naive:.2f} times the naive MAE: {advice}")


def check_window_input(report: ModelReport, window: int, columns: int = 1) -> None:
    """The forecaster takes windows of ``window`` steps: ``(None, window)`` or ``(None, window, 1)`` for one column,
    ``(None, window, columns)`` for several.

    Example:
        >>> check_window_input(ModelReport(path="m.keras", input_shapes=[[None, 30, 1]]), 30)
        >>> check_window_input(ModelReport(path="m.keras", input_shapes=[[None, 30, 1]]), 30, columns=3)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras takes inputs of shape (None, 30, 1); the task asks for windows of 30 steps of 3 columns, (None, 30, 3): build it on keras.Input(shape=(30, 3))
    """
    check_loadable(report)
    found = list(report.input_shapes[0]) if report.input_shapes else []
    wanted = [[None, window, columns]] + ([[None, window]] if columns == 1 else [])
    if found not in wanted:
        shape = (window,) if columns == 1 else (window, columns)
        what = f"{window} steps" + (f" of {columns} columns" if columns > 1 else " of one value")
        raise GradingError(f"{report.name} takes inputs of shape {fmt_shape(found)}; the task asks for windows of "
                           f"{what}, {' or '.join(fmt_shape(w) for w in wanted)}: build it on keras.Input(shape={shape})")


def check_regression(report: ModelReport, *, max_mae: float) -> None:
    """A regression model's held-out MAE, measured by the clean process, is at most ``max_mae``.

    The report also holds ``baseline_mae``, the error of always predicting the
    training mean; messages compare the two so a learner sees how much the
    model learned.

    Example:
        >>> report = ModelReport(path="m.keras", dataset="diabetes",
        ...                      metrics={"mae": 62.5, "baseline_mae": 74.1, "examples": 72.0})
        >>> check_regression(report, max_mae=48)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras: its predictions for the 72 held-out rows of diabetes are off by 62.500 on average (MAE; always predicting the training mean is off by 74.100); the target is at most 48.000: normalise the inputs (a Normalization layer adapted on the training features), end in Dense(1) with no activation, train with the MSE or MAE loss, and raise the learning rate if the loss falls slowly
    """
    mae, baseline = _measured(report, "mae", "baseline_mae", missing="no held-out regression error was measured: "
                              "the grader needs the name of a regression dataset, model_report(path, dataset=...)")
    if not mae <= max_mae:
        rows = int(report.metrics.get("examples", 0))
        raise GradingError(
            f"{report.name}: its predictions for the {rows} held-out rows"
            f"{f' of {report.dataset}' if report.dataset else ''} are off by {mae:.3f} on average (MAE; always "
            f"predicting the training mean is off by {baseline:.3f}); the target is at most {max_mae:.3f}: normalise "
            "the inputs (a Normalization layer adapted on the training features), end in Dense(1) with no "
            "activation, train with the MSE or MAE loss, and raise the learning rate if the loss falls slowly")


def check_next_word(report: ModelReport, *, min_accuracy: float) -> None:
    """A next-word model's accuracy on held-out lines, measured by the clean process, is at least ``min_accuracy``.

    The report also holds ``frequency_baseline``, the accuracy of always
    predicting the most frequent word; messages compare the two so a learner
    sees how much the model learned (see
    :class:`tfcert.datasets.kinds.CorpusKind`).

    Example:
        >>> report = ModelReport(path="m.keras", dataset="verses", metrics={
        ...     "next_word_accuracy": 0.21, "frequency_baseline": 0.13, "examples": 1266.0})
        >>> check_next_word(report, min_accuracy=0.2)
        >>> check_next_word(report, min_accuracy=0.6)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras predicts the next word right at 0.210 of the 1266 places in the held-out lines of verses (always predicting the most frequent word: 0.130); the target is 0.600: feed the ids of the words before, padded with 0 in front, through an Embedding and an LSTM to Dense(len(vocabulary), activation='softmax'), and train until the training accuracy stops rising
    """
    accuracy, baseline = _measured(report, "next_word_accuracy", "frequency_baseline", missing=(
        "no next-word accuracy was measured: the grader needs the corpus and the vocabulary file, "
        "model_report(path, dataset='verses', vocabulary=...)"))
    if not accuracy >= min_accuracy:
        places = int(report.metrics.get("examples", 0))
        raise GradingError(
            f"{_judged(report)} predicts the next word right at {accuracy:.3f} of the {places} places in the held-out "
            f"lines{f' of {report.dataset}' if report.dataset else ''} (always predicting the most frequent word: "
            f"{baseline:.3f}); the target is {min_accuracy:.3f}: feed the ids of the words before, padded with 0 in "
            "front, through an Embedding and an LSTM to Dense(len(vocabulary), activation='softmax'), and train "
            "until the training accuracy stops rising")


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

    Needs ``model_report(..., fit_examples=N)``, or ``retrain_examples=N`` to
    judge a copy the grader trains itself on those N examples only.

    Example:
        >>> report = ModelReport(path="m.keras", metrics={"accuracy": 0.60, "train_accuracy": 1.0})
        >>> check_generalisation_gap(report, 0.15)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras is 100.0 % right on its training examples but 60.0 % on held-out data, a gap of 0.400 (at most 0.150 allowed): the model memorises its training set; add augmentation (RandomRotation, RandomTranslation, RandomZoom) or dropout, or shrink it
    """
    train, heldout = _measured(report, "train_accuracy", "accuracy", missing="the training accuracy was not "
                               "measured: call model_report(..., fit_examples=N)")
    if train - heldout > max_gap:
        raise GradingError(
            f"{_judged(report)} is {train:.1%} right on its training examples but {heldout:.1%} on held-out data, a "
            f"gap of {train - heldout:.3f} (at most {max_gap:.3f} allowed): the model memorises its training set; "
            "add augmentation (RandomRotation, RandomTranslation, RandomZoom) or dropout, or shrink it"
            .replace("%", " %"))


def check_augmentation_effect(report: ModelReport, *, min_gap_cut: float | None = None,
                              min_accuracy_gain: float | None = None) -> None:
    """What the augmentation layers bring, measured by the grader: the same recipe retrained with and without them.

    Needs ``model_report(..., retrain_examples=N, ablate_augmentation=True)``.
    ``min_gap_cut``: the generalisation gap (training minus held-out accuracy)
    must be at least this much smaller with the augmentation than without;
    ``min_accuracy_gain``: the held-out accuracy at least this much higher.
    A gap cut only counts when the held-out accuracy did not fall: augmentation
    so strong that the network can no longer fit its training examples also
    narrows the gap, by lowering the training accuracy, and teaches nothing.

    Example:
        >>> report = ModelReport(path="m.keras", metrics={"accuracy": 0.70, "train_accuracy": 1.0,
        ...     "unaugmented_accuracy": 0.69, "unaugmented_train_accuracy": 1.0, "retrained_epochs": 40.0})
        >>> check_augmentation_effect(report, min_gap_cut=0.05)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras, retrained from scratch by the grader on the allowed training examples for 40 epochs, has a generalisation gap of 0.300 (100.0 % on its training examples, 70.0 % held out); without its augmentation layers the same network's gap is 0.310: the augmentation cuts it by 0.010, at least 0.050 asked. Add transformations that keep the answer (RandomFlip("horizontal"), RandomTranslation, RandomZoom) and train for enough epochs to learn from them
        >>> harmful = ModelReport(path="m.keras", metrics={"accuracy": 0.66, "train_accuracy": 0.913,
        ...     "unaugmented_accuracy": 0.68, "unaugmented_train_accuracy": 1.0})
        >>> check_augmentation_effect(harmful, min_gap_cut=0.05)
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: m.keras has a smaller generalisation gap than the same network without its augmentation layers (0.253 against 0.320) only because it fits its training examples less well (91.3 % against 100.0 %): its held-out accuracy fell from 68.0 % to 66.0 %. The transformations change the photographs too much: keep the ones that keep the answer and make them milder (smaller factors)
    """
    train, heldout, plain_train, plain_heldout = _measured(
        report, "train_accuracy", "accuracy", "unaugmented_train_accuracy", "unaugmented_accuracy",
        missing="what the augmentation brings was not measured: call model_report(..., retrain_examples=N, "
                "ablate_augmentation=True)")
    advice = ("Add transformations that keep the answer (RandomFlip(\"horizontal\"), RandomTranslation, RandomZoom) "
              "and train for enough epochs to learn from them")
    gap, plain_gap = train - heldout, plain_train - plain_heldout
    if min_gap_cut is not None and plain_gap - gap < min_gap_cut:
        raise GradingError(
            f"{_judged(report)} has a generalisation gap of {gap:.3f} ({train:.1%} on its training examples, "
            f"{heldout:.1%} held out); without its augmentation layers the same network's gap is {plain_gap:.3f}: "
            f"the augmentation cuts it by {plain_gap - gap:.3f}, at least {min_gap_cut:.3f} asked. {advice}"
            .replace("%", " %"))
    if min_gap_cut is not None and heldout < plain_heldout:
        raise GradingError(
            f"{_judged(report)} has a smaller generalisation gap than the same network without its augmentation "
            f"layers ({gap:.3f} against {plain_gap:.3f}) only because it fits its training examples less well "
            f"({train:.1%} against {plain_train:.1%}): its held-out accuracy fell from {plain_heldout:.1%} to "
            f"{heldout:.1%}. The transformations change the photographs too much: keep the ones that keep the answer "
            "and make them milder (smaller factors)".replace("%", " %"))
    if min_accuracy_gain is not None and heldout - plain_heldout < min_accuracy_gain:
        raise GradingError(
            f"{_judged(report)} reaches a held-out accuracy of {heldout:.3f}; without its augmentation layers the "
            f"same network reaches {plain_heldout:.3f}: a gain of {heldout - plain_heldout:.3f}, at least "
            f"{min_accuracy_gain:.3f} asked. {advice}")


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


@dataclass(frozen=True)
class CallRecord:
    """The Python functions a call ran (their code objects), from :func:`calls_made`.

    ``ran(target)`` says whether one of them is ``target``: a function (its
    code, whatever name the learner imported it under; decorators are looked
    through), a module (any function defined in its file) or a package (any
    function defined in one of its files, sub-packages included).

    Example:
        >>> import json
        >>> _, record = calls_made(json.dumps, {"a": 1})
        >>> record.ran(json.dumps), record.ran(json.loads), record.ran(json)
        (True, False, True)
        >>> import email.utils
        >>> record.ran(email), calls_made(email.utils.quote, "a")[1].ran(email)
        (False, True)
    """

    codes: frozenset[types.CodeType]

    def ran(self, target: Callable[..., Any] | types.ModuleType) -> bool:
        if isinstance(target, types.ModuleType):
            files = {os.path.realpath(code.co_filename) for code in self.codes}
            folders = [os.path.realpath(folder) + os.sep for folder in getattr(target, "__path__", [])]
            if folders:  # a package: any function defined in one of its files
                return any(f.startswith(tuple(folders)) for f in files)
            source = getattr(target, "__file__", None)
            return source is not None and os.path.realpath(source) in files
        code = getattr(inspect.unwrap(target), "__code__", None)
        return code is not None and code in self.codes


def calls_made(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> tuple[Any, CallRecord]:
    """Call ``function(*args, **kwargs)``; return its result and a :class:`CallRecord` of what it ran.

    The record shows whether the learner's function used the API a task
    teaches (:func:`check_calls`) or a course helper that does the task for
    them (:func:`check_avoids`). Only this thread's Python calls are recorded.

    Example:
        >>> result, record = calls_made(sorted, [3, 1, 2])
        >>> result, record.ran(json.dumps)
        ([1, 2, 3], False)
    """
    codes: set[types.CodeType] = set()

    def record(frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call":
            codes.add(frame.f_code)

    previous = sys.getprofile()
    sys.setprofile(record)
    try:
        result = function(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    return result, CallRecord(frozenset(codes))


def check_calls(record: CallRecord, api: Callable[..., Any], *, task: str, advice: str,
                shown: str | None = None) -> None:
    """``task`` ran ``api`` (for example ``tfds.load``), the API the task teaches; else GradingError with ``advice``.

    ``shown`` is how the message names ``api`` (default: its top-level package and qualified name).

    Example:
        >>> _, record = calls_made(json.loads, "[1]")
        >>> check_calls(record, json.dumps, task="load_rows", advice="call json.dumps")
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: load_rows never called json.dumps, the API this task practises: call json.dumps
    """
    if not record.ran(api):
        package = getattr(api, "__module__", "").split(".")[0]
        name = shown or f"{package}.{getattr(api, '__qualname__', api)}".lstrip(".")
        raise GradingError(f"{task} never called {name}, the API this task practises: {advice}")


def check_avoids(record: CallRecord, helper: Callable[..., Any] | types.ModuleType, *, task: str,
                 advice: str) -> None:
    """``task`` did not run ``helper`` (a course function or module that would do the task for the learner).

    Example:
        >>> _, record = calls_made(json.dumps, [1])
        >>> check_avoids(record, json, task="to_text", advice="write the text yourself")
        Traceback (most recent call last):
        ...
        tfcert.grading.GradingError: to_text used json, which does the task for you: write the text yourself
    """
    if record.ran(helper):
        raise GradingError(f"{task} used {getattr(helper, '__name__', helper)}, which does the task for you: {advice}")
