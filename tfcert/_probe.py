"""The grader's clean process: inspect saved model files, one JSON report each.

Run by :func:`tfcert.probe.model_report` as a server,
``python -I -m tfcert._probe --serve``: one JSON request per line on stdin
(``path``, ``display``, ``dataset``, ``fit_examples``, ``retrain_examples``,
``retrain_epochs``, ``ablate_augmentation``, ``features_from``, ``images``,
``raw_csv``, ``vocabulary``, ``vocabulary_display``, ``target``), one
``TFCERT-PROBE {report}`` line back.
No learner code runs here: the model is loaded with ``safe_mode=True`` and
without compiling, Lambda layers are refused before Keras sees the file, and
the held-out data comes from :mod:`tfcert.datasets`. The dataset's kind
(:mod:`tfcert.datasets.kinds`) gives the batch the model is called on first
and the evaluation: accuracy for image, table and text classifiers (raw
sentences, or token ids made with the learner's vocabulary file), MAE against
the naive forecast for forecasters, next-word accuracy for text generators
(with the vocabulary file).
Every problem becomes one actionable sentence in ``report["error"]`` (the
model cannot be used) or ``report["metrics_error"]`` (it cannot be evaluated).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

from tfcert import quiet_tensorflow

REFUSED_LAYERS = ("Lambda",)
#: The seed of every retraining (``retrain_examples``), so a recipe scores the same on every run.
RETRAIN_SEED = 1234
RETRAIN_BATCH_SIZE = 32
#: TensorFlow's intra- and inter-op threads in the processes that judge models. How many threads split
#: an operation changes its rounding, and retraining a recipe amplifies that (D3's augmentation gain for
#: the reference: 0.09 with 2 threads, 0.045 with 1), so the grader uses the same count on every machine:
#: that of the 2-core CPU its thresholds were calibrated on, whatever the grading machine has.
JUDGE_THREADS = 2


def pin_judge_threads(environ: Any = os.environ) -> None:
    """Give TensorFlow :data:`JUDGE_THREADS` threads per pool; call it at a clean process's start, before TensorFlow.

    Example:
        >>> env = {}; pin_judge_threads(env); env
        {'TF_NUM_INTRAOP_THREADS': '2', 'TF_NUM_INTEROP_THREADS': '2'}
    """
    for variable in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        environ[variable] = str(JUDGE_THREADS)


#: Retrainings this grading process already did, ``recipe_key -> report fields``: the verifier seeds it from its
#: request and reports what it retrained in :data:`RETRAINED_NOW` (see :func:`tfcert.verify.run_cells`).
RETRAINED: dict[str, dict[str, Any]] = {}
RETRAINED_NOW: dict[str, dict[str, Any]] = {}


def recipe_key(path: Path, options: dict[str, Any]) -> str:
    """A fingerprint of what retraining the model at ``path`` yields: its recipe and the grader's options.

    The grader retrains a fresh copy (new weights, :data:`RETRAIN_SEED`) on its
    own examples and measures it on the public draw, so the result depends on
    the file's ``config.json`` (layers, optimizer, loss; not the weights) and on
    ``options`` only. Two learners who built and compiled the same model share
    one retraining. Names count (layers', optimizer's), so a recipe is matched
    exactly: learners running the same notebook get the same names.

    Example:
        >>> import keras, tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]); m.compile(optimizer="adam", loss="mse")
        >>> a, b = d / "ann.keras", d / "bob" / "ann.keras"; b.parent.mkdir()
        >>> m.save(a); m.set_weights([w + 1 for w in m.get_weights()]); m.save(b)  # other weights, the same recipe
        >>> recipe_key(a, {"epochs": 3}) == recipe_key(b, {"epochs": 3}) != recipe_key(a, {"epochs": 4})
        True
    """
    import hashlib

    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json").decode("utf-8"))
    text = json.dumps({"config": config, "file": path.name, "options": options}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KerasWithoutScikitLearn:
    """An import hook that keeps scikit-learn out of Keras's optional ``SKLearn*`` wrappers, and only them.

    Importing Keras imports scikit-learn, when it is installed, for wrappers no
    check uses: about a fifth of a clean process's start (1.2 s of 5.7 on a
    2-core CPU), paid by every submission graded. Anything else still imports
    scikit-learn as usual (the generated datasets do). Install it with
    :meth:`install` at a judging process's start, before TensorFlow.

    Example:
        >>> hook = KerasWithoutScikitLearn()
        >>> hook.find_spec("sklearn") is None  # asked from anywhere else: the usual import
        True
        >>> code = "try:\\n    hook.find_spec('sklearn.base')\\nexcept ImportError as exc:\\n    refused = exc.name"
        >>> exec(code, ns := {"__name__": "keras.src.wrappers.fixes", "hook": hook})
        >>> ns["refused"]
        'sklearn.base'
    """

    WRAPPERS = "keras.src.wrappers"

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] == "sklearn":
            frame = sys._getframe(1)
            while frame is not None:
                if str(frame.f_globals.get("__name__", "")).startswith(self.WRAPPERS):
                    raise ModuleNotFoundError(f"No module named {name!r} (left out of Keras's wrappers when judging)",
                                              name=name)
                frame = frame.f_back
        return None

    @classmethod
    def install(cls) -> None:
        """Put the hook first on ``sys.meta_path`` (once)."""
        if not any(isinstance(finder, cls) for finder in sys.meta_path):
            sys.meta_path.insert(0, cls())


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


def _raw_predictions(model: Any, raw_csv: Path) -> list[int]:
    """The model's classes for a raw pixel file (``id, pixel_0, ...``, 0-255), prepared the canonical way."""
    import numpy as np

    from tfcert.datasets.kinds import ClassifierKind

    table = np.loadtxt(raw_csv, delimiter=",", skiprows=1, dtype="float32", ndmin=2)
    wanted = [1 if d is None else d for d in _shape(model.inputs[0].shape)[1:]]
    images = (table[:, 1:] / 255.0).reshape(len(table), *wanted)
    outputs = np.asarray(model.predict(images, batch_size=256, verbose=0))
    return [int(c) for c in ClassifierKind.predicted_classes(outputs)]


def _as_model_input(values: Any) -> Any:
    """Arrays as Keras takes them: strings become a ``tf.string`` tensor (Keras refuses NumPy string arrays)."""
    if getattr(values, "dtype", None) is not None and values.dtype.kind in "US":
        import tensorflow as tf

        return tf.constant(values)
    return values


def _nested_layers(layer: Any) -> list[Any]:
    """The layers inside ``layer``: a wrapper's (``Bidirectional``'s LSTM), a nested model's, at any depth."""
    inner = list(getattr(layer, "layers", None) or [])
    inner += [getattr(layer, name) for name in ("forward_layer", "backward_layer", "layer")
              if getattr(layer, name, None) is not None and getattr(layer, name) is not layer]
    return [found for child in inner for found in (child, *_nested_layers(child))]


def _description(model: Any) -> dict[str, Any]:
    """What a report says about the model itself: layers, input and output, activation, parameters."""
    import numpy as np

    total = int(model.count_params())
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return {"layer_classes": [type(layer).__name__ for layer in model.layers],
            "nested_layer_classes": [type(inner).__name__ for layer in model.layers for inner in _nested_layers(layer)],
            "input_shapes": [_shape(t.shape) for t in model.inputs],
            "input_dtypes": [str(t.dtype) for t in model.inputs],
            "output_shape": _shape(model.outputs[0].shape), "output_dtype": str(model.outputs[0].dtype),
            "final_activation": _final_activation(model), "total_params": total, "trainable_params": trainable,
            "non_trainable_params": total - trainable}


def _smoke_test(model: Any, model_input: Any, spec: Any, shown: str) -> str | None:
    """Call the model once on the sample batch of the dataset's kind; a sentence if that fails, else None."""
    import numpy as np

    from tfcert.datasets import kinds

    batch_shape = model_input.batch_shape(2)
    try:
        batch = spec.kind.sample_batch(model_input, spec) if spec else kinds.default_sample_batch(model_input)
        batch_shape = batch.values.shape
        output = np.asarray(model(_as_model_input(batch.values), training=False))
    except Exception as exc:
        return (f"{shown} raised {type(exc).__name__} when called on a batch of shape {tuple(batch_shape)}: "
                f"{_first_line(exc)}")
    if not np.all(np.isfinite(output)):
        return (f"{shown} outputs NaN or infinity on {batch.described_as}: training diverged; "
                "lower the learning rate or normalise the inputs, then train and save again")
    return None


def _retrained(model: Any, path: Path, spec: Any, model_input: Any, examples: int, epochs: int, options: Any) -> Any:
    """A fresh copy of ``model`` (same layers, optimizer and loss, new weights) trained on the first ``examples``.

    Raises ``kinds.EvaluationError`` with one sentence when the file has no
    compile settings or the copy cannot be trained.
    """
    import keras
    import numpy as np

    from tfcert.datasets import kinds

    with zipfile.ZipFile(path) as archive:
        compile_config = json.loads(archive.read("config.json").decode("utf-8")).get("compile_config")
    if not compile_config:
        raise kinds.EvaluationError(
            f"{path.name} was saved without its optimizer and loss: compile the model before training and saving "
            "it (the grader retrains your model with them)")
    if not isinstance(spec.kind, kinds.ClassifierKind):
        raise kinds.EvaluationError(f"the grader retrains classifiers only, and {spec.name} is a {spec.kind.name} set")
    keras.utils.set_random_seed(RETRAIN_SEED)
    copy = keras.models.clone_model(model)
    try:
        copy.compile_from_config(compile_config)
        # A whole epoch per call into TensorFlow: the same steps and numbers, less Python between them (~20% faster).
        copy.steps_per_execution = max(1, -(-examples // RETRAIN_BATCH_SIZE))
        fixed_size = dataclasses.replace(options, images="files") if options.images else options  # fit takes batches
        x, y = (part[:examples] for part in spec.kind.examples(spec, "train", fixed_size))
        probed = kinds.ProbedModel(shown=path.name, input=model_input, predict=lambda values: values)
        x = spec.kind.model_inputs(spec, x, probed, f"{spec.name} training", fixed_size)
        copy.fit(x, y, epochs=epochs, batch_size=RETRAIN_BATCH_SIZE, shuffle=True, verbose=0)
    except kinds.EvaluationError:
        raise
    except Exception as exc:
        raise kinds.EvaluationError(
            f"the grader could not retrain {path.name} on {examples} {spec.name} training examples "
            f"({type(exc).__name__}: {_first_line(exc)}): check that the model trains with the optimizer and "
            "loss it was compiled with on the data as the task loads it") from None
    if not all(np.all(np.isfinite(np.asarray(w))) for w in copy.weights):
        raise kinds.EvaluationError(f"retrained by the grader, {path.name} diverged (NaN weights): lower the "
                                    "learning rate or normalise the inputs inside the model")
    return copy


#: Class-name prefix of Keras's augmentation layers (RandomFlip, RandomRotation, ...), active only in training.
AUGMENTATION_PREFIX = "Random"


def _without_augmentation(model: Any, shown: str) -> Any:
    """A Sequential model built like ``model`` minus its augmentation layers; EvaluationError otherwise."""
    import keras

    from tfcert.datasets import kinds

    if not isinstance(model, keras.Sequential):
        raise kinds.EvaluationError(
            f"{shown} is not a keras.Sequential model: build it as one, so the grader can retrain it without its "
            "augmentation layers and measure what they bring")
    config = model.get_config()
    kept = [layer for layer in config["layers"] if not layer["class_name"].startswith(AUGMENTATION_PREFIX)]
    return keras.Sequential.from_config({**config, "layers": kept})


FEATURE_BASES = ("course",)


def _on_features(model: Any, spec: Any, source: str, shown: str) -> tuple[Any, Any]:
    """A ``predict`` that feeds ``model`` the features a pretrained base extracts, and the images' ModelInput.

    Raises ``kinds.EvaluationError`` when the model does not take the base's features.
    """
    import numpy as np
    import tensorflow as tf

    from tfcert import pretrained
    from tfcert.datasets import kinds

    if source not in FEATURE_BASES:
        raise kinds.EvaluationError(f"unknown feature base {source!r}: the grader has {', '.join(FEATURE_BASES)}")
    base = pretrained.load_base(source)
    width = int(base.output_shape[-1])
    wanted = _shape(model.inputs[0].shape)[1:]
    if wanted not in ([width], [None]):
        raise kinds.EvaluationError(
            f"{shown} takes inputs of shape {tuple(wanted)} per example, but the {source} base gives {width} features "
            f"per image: build the classifier with keras.Input(shape=({width},))")
    side = tuple(base.input_shape[1:3])

    def predict(images: Any) -> Any:
        features = base.predict(tf.image.resize(images, side), batch_size=128, verbose=0)
        return np.asarray(model.predict(features, batch_size=256, verbose=0))

    return predict, kinds.ModelInput(tuple(spec.input_shape), "float32")


def _evaluation(model: Any, model_input: Any, spec: Any, shown: str, options: Any,
                features_from: str | None = None) -> dict[str, Any]:
    """The report's ``metrics`` and ``target``, measured by the dataset's kind on its held-out split."""
    import numpy as np

    from tfcert.datasets import kinds

    def predict(values: Any) -> Any:
        if isinstance(values, list):  # images of their own sizes, for a model that takes any size: one at a time
            return np.concatenate([np.asarray(model(value[None], training=False)) for value in values])
        return np.asarray(model.predict(_as_model_input(values), batch_size=256, verbose=0))

    if features_from:
        predict, model_input = _on_features(model, spec, features_from, shown)
    probed = kinds.ProbedModel(shown=shown, input=model_input, predict=predict)
    return {"metrics": spec.kind.evaluate(spec, probed, options), "target": spec.kind.graded_target(spec, options)}


def _judging_draw(retrain_examples: int | None) -> Any:
    """The held-out draw a report is measured on: the secret one, unless the grader retrains the model itself.

    A model the grader retrains from scratch on the allowed examples
    (``retrain_examples``) owes nothing to what the learner saw, so it is
    measured on the public draw its thresholds were calibrated on. Comparisons
    of two retrainings on a few hundred examples (the augmentation's gain)
    vary by several points from one draw to the next, enough to fail a
    correct recipe under some secrets.

    Example:
        >>> from tfcert import datasets
        >>> from tfcert.datasets._registry import GRADER_SEED, grader_seed
        >>> datasets.set_heldout_secret("s3cret")
        >>> with _judging_draw(150):
        ...     grader_seed() == GRADER_SEED
        True
        >>> with _judging_draw(None):
        ...     grader_seed() == GRADER_SEED
        False
        >>> datasets.set_heldout_secret(None)
    """
    from contextlib import nullcontext

    from tfcert.datasets import public_heldout

    return public_heldout() if retrain_examples else nullcontext()


def _file_digest(path: Path | None) -> str | None:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else None


def _judged_on_data(model: Any, path: Path, dataset: str, spec: Any, unknown_dataset: Exception | None,
                    model_input: Any, options: Any, retrain_examples: int | None, retrain_epochs: int | None,
                    features_from: str | None, ablate_augmentation: bool) -> dict[str, Any]:
    """The report's ``metrics``, ``target`` and ``metrics_error``: the model (or the grader's copy, retrained) on held-out data."""
    from tfcert.datasets import kinds

    found: dict[str, Any] = {}
    with _judging_draw(retrain_examples):
        try:
            if spec is None:
                raise unknown_dataset or ValueError(f"unknown dataset {dataset!r}")
            judged = model
            if retrain_examples:
                epochs = int(retrain_epochs or 1)
                judged = _retrained(model, path, spec, model_input, int(retrain_examples), epochs, options)
            found.update(_evaluation(judged, model_input, spec, path.name, options, features_from))
            if retrain_examples:
                found["metrics"]["retrained_epochs"] = float(epochs)
            if retrain_examples and ablate_augmentation:
                plain = _without_augmentation(model, path.name)
                plain = _retrained(plain, path, spec, model_input, int(retrain_examples), epochs, options)
                plain_metrics = _evaluation(plain, model_input, spec, path.name, options)["metrics"]
                found["metrics"].update({f"unaugmented_{key}": plain_metrics[key]
                                         for key in ("accuracy", "train_accuracy")})
        except kinds.EvaluationError as exc:  # the kind's own sentence
            found["metrics_error"] = str(exc)
        except ValueError as exc:
            found["metrics_error"] = str(exc) if str(exc).startswith(path.name) else (
                f"{path.name} could not be evaluated on the held-out {dataset} data ({_first_line(exc)})")
        except Exception as exc:
            found["metrics_error"] = (f"{path.name} could not be evaluated on the held-out {dataset} data "
                                      f"({type(exc).__name__}: {_first_line(exc)}): check its input shape")
    return found


def probe(path: Path, dataset: str | None, display: Path | None = None, fit_examples: int | None = None,
          raw_csv: Path | None = None, *, vocabulary: Path | None = None, vocabulary_display: str | None = None,
          target: str | None = None, retrain_examples: int | None = None,
          retrain_epochs: int | None = None, features_from: str | None = None,
          images: str | None = None, ablate_augmentation: bool = False) -> dict[str, Any]:
    """Inspect ``path``; return the report dictionary (see :class:`tfcert.probe.ModelReport`)."""
    report: dict[str, Any] = {"path": str(path), "error": None, "file_bytes": None, "metrics": {}}
    problem = _check_file(path, display)
    if path.is_file():
        report["file_bytes"] = path.stat().st_size
    if problem:
        report["error"] = problem
        return report

    quiet_tensorflow()
    import keras

    from tfcert.datasets import kinds
    from tfcert.datasets._registry import spec_for

    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:
        text = _first_line(exc)
        hint = ("it uses a custom class the grader does not know: build it from built-in Keras layers"
                if "custom" in text.lower() or "could not locate" in text.lower() or "unknown" in text.lower()
                else "save it again with model.save and check that it reloads with keras.models.load_model")
        report["error"] = f"{path.name} could not be loaded ({type(exc).__name__}: {text}): {hint}"
        return report
    report.update(_description(model))

    try:
        spec, unknown_dataset = (spec_for(dataset) if dataset else None), None
    except ValueError as exc:  # an unknown dataset: the evaluation below says so
        spec, unknown_dataset = None, exc
    model_input = kinds.ModelInput(tuple(report["input_shapes"][0][1:]), report["input_dtypes"][0])
    report["error"] = _smoke_test(model, model_input, spec, path.name)
    if report["error"]:
        return report

    if dataset:
        options = kinds.EvaluationOptions(fit_examples=retrain_examples or fit_examples, vocabulary=vocabulary,
                                          vocabulary_shown=vocabulary_display, target=target, images=images)

        def judge() -> dict[str, Any]:
            return _judged_on_data(model, path, dataset, spec, unknown_dataset, model_input, options,
                                   retrain_examples, retrain_epochs, features_from, ablate_augmentation)

        if retrain_examples:  # the result is the recipe's, whoever handed it in: retrain it once per batch
            key = recipe_key(path, {"dataset": dataset, "examples": retrain_examples, "epochs": retrain_epochs,
                                    "images": images, "ablate": ablate_augmentation, "features": features_from,
                                    "target": target, "vocabulary": _file_digest(vocabulary)})
            if key not in RETRAINED:
                RETRAINED[key] = RETRAINED_NOW[key] = judge()
            report.update(copy.deepcopy(RETRAINED[key]))  # a copy: checks may not alter the memo
        else:
            report.update(judge())
    if raw_csv:
        try:
            report["raw_predictions"] = _raw_predictions(model, raw_csv)
        except Exception as exc:
            report["metrics_error"] = (f"{path.name} could not predict the raw test file ({type(exc).__name__}: "
                                       f"{_first_line(exc)})")
    return report


def _safe_probe(request: dict[str, Any]) -> dict[str, Any]:
    """The report for one request; an unexpected failure becomes a report too, never a crash."""
    model_path = Path(request["path"])

    def optional_path(key: str) -> Path | None:
        return Path(request[key]) if request.get(key) else None

    try:
        return probe(model_path, request.get("dataset"), optional_path("display"), request.get("fit_examples"),
                     optional_path("raw_csv"), vocabulary=optional_path("vocabulary"),
                     vocabulary_display=request.get("vocabulary_display"), target=request.get("target"),
                     retrain_examples=request.get("retrain_examples"), retrain_epochs=request.get("retrain_epochs"),
                     features_from=request.get("features_from"), images=request.get("images"),
                     ablate_augmentation=bool(request.get("ablate_augmentation")))
    except Exception as exc:  # last resort: the grader must get a report, never a crash
        return {"path": str(model_path), "error": f"{model_path.name} could not be inspected "
                f"({type(exc).__name__}: {_first_line(exc)})", "metrics": {}}


def serve() -> int:
    """Answer one JSON request per stdin line with a ``TFCERT-PROBE {report}`` line, until stdin closes."""
    for line in sys.stdin:
        try:
            request = json.loads(line)
            report = _safe_probe(request)
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
    pin_judge_threads()
    KerasWithoutScikitLearn.install()
    sys.exit(main(sys.argv[1:]))
