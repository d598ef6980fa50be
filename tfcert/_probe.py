"""The grader's clean process: inspect saved model files, one JSON report each.

Run by :func:`tfcert.grading.model_report` as a server,
``python -I -m tfcert._probe --serve``: one JSON request per line on stdin
(``path``, ``display``, ``dataset``, ``fit_examples``, ``raw_csv``), one
``TFCERT-PROBE {report}`` line back.
No learner code runs here: the model is loaded with ``safe_mode=True`` and
without compiling, Lambda layers are refused before Keras sees the file, and
the held-out split comes from :func:`tfcert.datasets.load_heldout`.
Every problem becomes one actionable sentence in ``report["error"]``.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

from tfcert import quiet_tensorflow

REFUSED_LAYERS = ("Lambda",)


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    return (line[:limit] + "...") if len(line) > limit else line


def _shape(shape: Any) -> list[int | None]:
    return [None if d is None else int(d) for d in tuple(shape)]


def _check_file(path: Path, display: Path | None = None) -> str | None:
    """A sentence describing why ``path`` is not a loadable .keras file, or None.

    ``display`` is the path as the learner wrote it, used in the messages.
    """
    display = display or path
    shown = path.name
    if path.is_dir():
        return (f"{shown} is a folder (a SavedModel from model.export or tf.saved_model.save), "
                "not a Keras file: save the model with model.save('models/NAME.keras')")
    if not path.exists():
        return f"no model file at {display}: run the cell that trains and saves it with model.save('{display}')"
    if path.suffix in (".h5", ".hdf5"):
        return f"{shown} is a legacy HDF5 file: save the model in the Keras 3 format with model.save('models/NAME.keras')"
    if path.suffix != ".keras":
        return f"{shown} does not end in .keras: Keras 3 saves models with model.save('models/NAME.keras')"
    if path.stat().st_size == 0:
        return f"{shown} is empty (0 bytes): the save was interrupted; run the saving cell again"
    if not zipfile.is_zipfile(path):
        return f"{shown} is not a Keras file (not a zip archive): it is corrupt or was written by something else; save it again with model.save"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "config.json" not in names:
            return f"{shown} is a zip archive without a Keras model config: save the model with model.save('{path.name}')"
        try:
            config_text = archive.read("config.json").decode("utf-8")
        except Exception as exc:  # a damaged member
            return f"{shown} is damaged ({_first_line(exc)}): save it again with model.save"
    try:
        config = json.loads(config_text)
    except ValueError:
        return f"{shown} has a damaged model config: save it again with model.save"
    classes = list(_classes(config))
    for refused in REFUSED_LAYERS:
        if any(name == refused for name, _ in classes):
            return (f"{shown} contains a {refused} layer, which the grader refuses to run because it can execute "
                    "arbitrary code: use built-in layers instead (Rescaling, Reshape, Flatten, ...)")
    custom = sorted({name for name, module in classes if not str(module).startswith("keras")})
    if custom:
        return (f"{shown} uses custom class(es) {', '.join(custom)} that the grader does not load (their code is "
                "not in the file): build the model from built-in Keras layers")
    return None


def _classes(node: Any) -> Any:
    """Yield (class_name, module) for every serialised Keras object in a config tree."""
    if isinstance(node, dict):
        if "class_name" in node and "module" in node:
            yield node["class_name"], node["module"]
        for value in node.values():
            yield from _classes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _classes(value)


def _final_activation(model: Any) -> str | None:
    for layer in reversed(model.layers):
        name = type(layer).__name__
        if name in ("Dropout", "Reshape", "Flatten", "InputLayer"):
            continue
        if name == "Softmax":
            return "softmax"
        activation = getattr(layer, "activation", None)
        if activation is None:
            return None
        return getattr(activation, "__name__", str(activation))
    return None


def _fit_to_input(model: Any, features: Any, shown: str, what: str) -> Any:
    """``features`` as the model takes them: a missing trailing channel of 1 is added, nothing else changes."""
    wanted = _shape(model.inputs[0].shape)[1:]
    if len(wanted) == features.ndim and wanted[-1] == 1:
        features = features[..., None]  # (n, 28, 28) images for a model that takes (28, 28, 1)
    if len(wanted) != features.ndim - 1 or any(w not in (None, f) for w, f in zip(wanted, features.shape[1:])):
        raise ValueError(f"{shown} takes inputs of shape {tuple(wanted)} per example but the {what} "
                         f"examples have shape {tuple(features.shape[1:])}: build the model for the data as "
                         "it is loaded (add a Flatten or Reshape layer inside the model instead of reshaping the data)")
    return features


def _predict_classes(model: Any, features: Any) -> Any:
    """Class indices: argmax of several outputs, or a single sigmoid output above 0.5."""
    import numpy as np

    outputs = np.asarray(model.predict(features, batch_size=256, verbose=0))
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        return (outputs.reshape(len(outputs), -1)[:, 0] > 0.5).astype("int64")
    return outputs.reshape(len(outputs), -1).argmax(axis=-1)


def _accuracy(model: Any, features: Any, labels: Any, shown: str, what: str) -> float:
    predicted = _predict_classes(model, _fit_to_input(model, features, shown, what))
    return float((predicted == labels).mean())


def _evaluate(model: Any, dataset: str, shown: str, fit_examples: int | None = None) -> dict[str, float]:
    """Held-out accuracy; with ``fit_examples``, also the accuracy on the first N training examples."""
    from tfcert.datasets import arrays, load_heldout

    features, labels = load_heldout(dataset)
    metrics = {"accuracy": _accuracy(model, features, labels, shown, f"held-out {dataset}"),
               "examples": float(len(labels))}
    if fit_examples:
        x_fit, y_fit = arrays(dataset, "train")
        metrics["train_accuracy"] = _accuracy(model, x_fit[:fit_examples], y_fit[:fit_examples], shown,
                                              f"{dataset} training")
    return metrics


def _raw_predictions(model: Any, raw_csv: Path) -> list[int]:
    """The model's classes for a raw pixel file (``id, pixel_0, ...``, 0-255), prepared the canonical way."""
    import numpy as np

    table = np.loadtxt(raw_csv, delimiter=",", skiprows=1, dtype="float32", ndmin=2)
    wanted = [1 if d is None else d for d in _shape(model.inputs[0].shape)[1:]]
    images = (table[:, 1:] / 255.0).reshape(len(table), *wanted)
    return [int(c) for c in _predict_classes(model, images)]


def probe(path: Path, dataset: str | None, display: Path | None = None, fit_examples: int | None = None,
          raw_csv: Path | None = None) -> dict[str, Any]:
    """Inspect ``path``; return the report dictionary (see ModelReport)."""
    report: dict[str, Any] = {"path": str(path), "error": None, "file_bytes": None, "metrics": {}}
    problem = _check_file(path, display)
    if path.is_file():
        report["file_bytes"] = path.stat().st_size
    if problem:
        report["error"] = problem
        return report

    quiet_tensorflow()
    import keras
    import numpy as np

    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:
        text = _first_line(exc)
        hint = ("it uses a custom class the grader does not know: build it from built-in Keras layers"
                if "custom" in text.lower() or "could not locate" in text.lower() or "unknown" in text.lower()
                else "save it again with model.save and check that it reloads with keras.models.load_model")
        report["error"] = f"{path.name} could not be loaded ({type(exc).__name__}: {text}): {hint}"
        return report

    report["layer_classes"] = [type(layer).__name__ for layer in model.layers]
    report["input_shapes"] = [_shape(t.shape) for t in model.inputs]
    report["input_dtypes"] = [str(t.dtype) for t in model.inputs]
    report["output_shape"] = _shape(model.outputs[0].shape)
    report["output_dtype"] = str(model.outputs[0].dtype)
    report["final_activation"] = _final_activation(model)
    report["total_params"] = int(model.count_params())
    report["trainable_params"] = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    report["non_trainable_params"] = report["total_params"] - report["trainable_params"]

    batch_shape = [2] + [1 if d is None else d for d in report["input_shapes"][0][1:]]
    try:
        sample = np.zeros(batch_shape, dtype=report["input_dtypes"][0])
        output = np.asarray(model(sample, training=False))
        if not np.all(np.isfinite(output)):
            report["error"] = (f"{path.name} outputs NaN or infinity on a batch of zeros: training diverged; "
                               "lower the learning rate or normalise the inputs, then train and save again")
            return report
    except Exception as exc:
        report["error"] = (f"{path.name} raised {type(exc).__name__} when called on a batch of shape "
                           f"{tuple(batch_shape)}: {_first_line(exc)}")
        return report

    if dataset:
        try:
            report["metrics"] = _evaluate(model, dataset, path.name, fit_examples)
        except ValueError as exc:
            report["metrics_error"] = str(exc) if str(exc).startswith(path.name) else (
                f"{path.name} could not be evaluated on the held-out {dataset} data ({_first_line(exc)})")
        except Exception as exc:
            report["metrics_error"] = (f"{path.name} could not be evaluated on the held-out {dataset} data "
                                       f"({type(exc).__name__}: {_first_line(exc)}): check its input shape")
    if raw_csv:
        try:
            report["raw_predictions"] = _raw_predictions(model, raw_csv)
        except Exception as exc:
            report["metrics_error"] = (f"{path.name} could not predict the raw test file ({type(exc).__name__}: "
                                       f"{_first_line(exc)})")
    return report


def _safe_probe(model_path: Path, dataset: str | None, display: Path | None, fit_examples: int | None,
                raw_csv: Path | None) -> dict[str, Any]:
    try:
        return probe(model_path, dataset, display, fit_examples, raw_csv)
    except Exception as exc:  # last resort: the grader must get a report, never a crash
        return {"path": str(model_path), "error": f"{model_path.name} could not be inspected "
                f"({type(exc).__name__}: {_first_line(exc)})", "metrics": {}}


def serve() -> int:
    """Answer one JSON request per stdin line with a ``TFCERT-PROBE {report}`` line, until stdin closes."""
    for line in sys.stdin:
        try:
            request = json.loads(line)
            report = _safe_probe(Path(request["path"]), request.get("dataset"),
                                 Path(request["display"]) if request.get("display") else None,
                                 request.get("fit_examples"),
                                 Path(request["raw_csv"]) if request.get("raw_csv") else None)
        except (ValueError, KeyError, TypeError) as exc:
            report = {"path": "?", "error": f"bad probe request ({type(exc).__name__})", "metrics": {}}
        print("TFCERT-PROBE " + json.dumps(report), flush=True)
        try:
            import keras

            keras.backend.clear_session()  # one model's graph never weighs on the next
        except Exception:
            pass
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] != ["--serve"]:
        print("usage: python -I -m tfcert._probe --serve (one JSON request per stdin line)", file=sys.stderr)
        return 2
    return serve()


if __name__ == "__main__":
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", os.environ.get("TFCERT_PROBE_GPUS", "-1"))
    sys.exit(main(sys.argv[1:]))
