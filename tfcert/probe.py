"""The grader's probe client: reports on saved models, made in a clean process.

:func:`model_report` sends a saved ``.keras`` file to one clean interpreter,
``python -I -m tfcert._probe --serve`` (isolated mode, no learner code,
``safe_mode=True``, Lambda layers and custom classes refused, see
:mod:`tfcert._probe`), kept running so TensorFlow is imported once per
kernel, and returns what it found as a :class:`ModelReport`: shapes,
activation, parameter counts, file size, and the held-out metrics of the
dataset's kind (accuracy for classifiers, ``mae`` against the ``naive_mae``
for forecasters). Reports are cached per file version. The checks that judge
a report are in :mod:`tfcert.grading`.

Example:
    >>> report = model_report("models/missing.keras", dataset="digits")
    >>> report.error.startswith("no model file at models/missing.keras"), report.metrics
    (True, {})
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

__all__ = ["MAX_RETRAIN_EPOCHS", "PROBE_TIMEOUT_S", "ModelReport", "fmt_shape", "model_report", "probe_env", "reset"]

#: Seconds the clean process may take to load, call and evaluate one model.
PROBE_TIMEOUT_S = 180
#: The most epochs the grader retrains a model for (``retrain_examples``), whatever its history says.
MAX_RETRAIN_EPOCHS = 60


@dataclass
class ModelReport:
    """What the clean process found in a saved model file.

    ``metrics`` holds what the dataset's kind measures on its held-out split:
    ``accuracy`` and ``examples`` for classifiers (``train_accuracy`` with
    ``fit_examples``), ``mae``, ``naive_mae`` and ``examples`` for
    forecasters, whose graded column is ``target``; ``next_word_accuracy``,
    ``frequency_baseline`` and ``examples`` for next-word models. ``metrics_error`` says in
    one sentence why nothing could be measured; ``error`` why the file could
    not be used at all.
    """

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
    #: Layers inside the model's layers: the LSTM of a ``Bidirectional``, the layers of a nested model.
    nested_layer_classes: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    metrics_error: str | None = None
    raw_predictions: list[int] | None = None
    dataset: str | None = None
    target: str | None = None

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


def probe_env() -> dict[str, str]:
    """The whole environment of the clean process: the few variables it needs, and quiet TensorFlow.

    Nothing else of the learner's environment reaches it (``PYTHONPATH``,
    ``PYTHONSTARTUP`` ... could bring learner code in).

    Example:
        >>> env = probe_env()
        >>> env["KERAS_BACKEND"], "PYTHONPATH" in env
        ('tensorflow', False)
    """
    from tfcert import QUIET_TF_ENV

    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "TFCERT_PROBE_GPUS",
            "TFCERT_DATA_DIR", "TFCERT_DATA_SHARED")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(QUIET_TF_ENV)
    env["KERAS_BACKEND"] = "tensorflow"
    return env


def _version(path: Path | None) -> tuple[Any, ...]:
    """What identifies one version of a file: its resolved path, modification time and size.

    Example:
        >>> _version(Path("/no/such/model.keras"))
        ('/no/such/model.keras', -1, -1)
    """
    if path is None:
        return (None,)
    stat = path.stat() if path.exists() else None
    return (str(path.resolve()), stat.st_mtime_ns if stat else -1, stat.st_size if stat else -1)


def model_report(path: str | os.PathLike[str], dataset: str | None = None, timeout: float = PROBE_TIMEOUT_S, *,
                 fit_examples: int | None = None, raw_csv: str | os.PathLike[str] | None = None,
                 vocabulary: str | os.PathLike[str] | None = None, target: str | None = None,
                 retrain_examples: int | None = None, features_from: str | None = None,
                 images: str | None = None, ablate_augmentation: bool = False) -> ModelReport:
    """Inspect a saved model in a clean process; cached per file version.

    Args:
        path: the ``.keras`` file the learner saved.
        dataset: an embedded dataset whose held-out split the model is
            evaluated on, by the dataset's kind: ``report.metrics["accuracy"]``
            for image, table and text classifiers; ``report.metrics["mae"]``
            and ``["naive_mae"]`` for forecasters; ``["next_word_accuracy"]``
            and ``["frequency_baseline"]`` for a next-word model of a corpus
            (``verses``, with ``vocabulary``). None: no evaluation.
        timeout: seconds before the clean process is stopped.
        fit_examples: also measure the accuracy on the first N training
            examples of ``dataset`` (``report.metrics["train_accuracy"]``), the
            ones the learner was told to train on: the grader's own view of
            the generalisation gap.
        raw_csv: a raw pixel file (:func:`tfcert.datasets.to_raw_csv`); the clean
            process predicts its classes, preparing the rows the canonical way
            (scaled to [0, 1], reshaped to the model's input): ``report.raw_predictions``.
        vocabulary: for a text model that takes token ids, the vocabulary file
            the learner saved (``TextVectorization.get_vocabulary()``, one token
            per line); the clean process vectorises the held-out sentences with
            it. Models that take raw strings do not need it; next-word models
            do (output ``i`` is read as the probability of ``vocabulary[i]``).
        target: for a forecaster, the column graded (default: the set's own,
            e.g. ``^GSPC`` for ``stocks``).
        retrain_examples: judge the learner's *recipe*, not the weights they
            saved: the clean process rebuilds the model from its file (fresh
            weights, the same layers, optimizer and loss), trains it on the
            first N training examples of ``dataset`` for as many epochs as
            the history saved beside the model lists (at most
            :data:`MAX_RETRAIN_EPOCHS`, batches of 32, a fixed seed), and
            reports that model: ``metrics["train_accuracy"]`` on those N
            examples, the held-out metrics, and ``metrics["retrained_epochs"]``.
            Training on more data than the task allows then gains nothing.
        ablate_augmentation: with ``retrain_examples``, also retrain the
            model without its augmentation layers (``Random*``; a
            ``keras.Sequential`` model only) the same way, and report that
            copy's ``metrics["unaugmented_accuracy"]`` and
            ``["unaugmented_train_accuracy"]``: what the augmentation brings,
            measured by the grader.
        features_from: for a classifier trained on the features a pretrained
            base extracts (``"course"``: :func:`tfcert.pretrained.scenes_base`),
            the clean process resizes each held-out image of ``dataset`` to
            the base's input, runs the base, and gives the model the features;
            the report's metrics are those of base and model together.
        images: for an image set that has class folders, give the model the
            images as their files hold them instead of the set's arrays:
            ``"files"``: pixel values 0-255, resized (bilinear) to the model's
            input size, exactly what ``keras.utils.image_dataset_from_directory``
            gives; ``"original_size"``: each image at its own size, for a model
            that takes any size (``keras.Input(shape=(None, None, 3))``). Labels
            are numbered as the folders number them (alphabetical class
            names). ``metrics["accuracy_on_unit_scale"]`` says what the model
            would score on pixels divided by 255, a sign that it scales its
            inputs outside itself. Retraining uses ``"files"``.

    Never raises for a bad file: problems land in ``report.error`` (or
    ``report.metrics_error``). Processes that run no learner code (the
    out-of-kernel verifier) set ``TFCERT_PROBE_IN_PROCESS=1`` to probe in
    place and skip one TensorFlow import.

    Example:
        >>> model_report("models/missing.keras").error
        "no model file at models/missing.keras: run the cell that trains and saves it with model.save('models/missing.keras')"
    """
    path = Path(path)
    vocabulary_path = Path(vocabulary) if vocabulary else None
    retrain_epochs = _retrain_epochs(path) if retrain_examples else None
    options = {"fit_examples": fit_examples, "retrain_examples": retrain_examples,
               "retrain_epochs": retrain_epochs, "ablate_augmentation": ablate_augmentation,
               "features_from": features_from, "images": images,
               "raw_csv": str(Path(raw_csv).resolve()) if raw_csv else None,
               "vocabulary": str(vocabulary_path.resolve()) if vocabulary_path else None,
               "vocabulary_display": str(vocabulary_path) if vocabulary_path else None, "target": target}
    key = (*_version(path), dataset, *options.values(), *_version(vocabulary_path))
    if key in _REPORTS:
        return _REPORTS[key]
    if os.environ.get("TFCERT_PROBE_IN_PROCESS") == "1":
        raw = _probe_here(path, dataset, options)
    else:
        raw = _probe_in_server(path, dataset, timeout, options)
    raw["path"] = str(path)
    raw["dataset"] = dataset
    known = set(ModelReport.__dataclass_fields__)
    report = ModelReport(**{k: v for k, v in raw.items() if k in known})
    if path.exists():
        _REPORTS[key] = report
    return report


def _retrain_epochs(model_path: Path) -> int:
    """The epochs the learner trained for (their saved history), between 1 and :data:`MAX_RETRAIN_EPOCHS`.

    Example:
        >>> _retrain_epochs(Path("models/missing.keras"))
        1
    """
    from tfcert.history import history_path_for

    try:
        curves = json.loads(history_path_for(model_path).read_text())
        epochs = len(curves.get("loss", []))
    except (OSError, ValueError, AttributeError):
        epochs = 1
    return max(1, min(int(epochs), MAX_RETRAIN_EPOCHS))


def reset(keep_process: bool = False) -> None:
    """Forget every cached report and stop the clean process (the next report starts a fresh one).

    ``keep_process=True`` only forgets the reports: the next one is measured
    again by the running process (what a warm timing needs).

    Example:
        >>> reset()
    """
    _REPORTS.clear()
    if not keep_process:
        _SERVER.stop()


def _probe_here(path: Path, dataset: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """Probe in this process: only for processes that run no learner code (tfcert.verify's)."""
    from tfcert import _probe

    return _probe._safe_probe({"path": str(path.resolve()), "display": str(path), "dataset": dataset, **options})


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
                self.command, cwd=workdir, env=probe_env(),
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
