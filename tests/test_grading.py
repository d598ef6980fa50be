"""tfcert.grading: every check with a model that passes and one that fails.

The models are real Keras models saved to real .keras files and inspected by the
real clean process; corrupt and hostile files are made byte by byte.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tfcert import grading, probe
from tfcert.grading import GradingError, ModelReport


def _digits_model(hidden: int = 32, input_shape=(8, 8), activation: str = "softmax", dtype: str = "float32"):
    import keras

    layers = [keras.Input(shape=input_shape, dtype=dtype), keras.layers.Flatten()] if len(input_shape) > 1 else [
        keras.Input(shape=input_shape, dtype=dtype)]
    layers += [keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(10, activation=activation)]
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Saved model files, each made to pass or fail particular checks."""
    import tfcert

    tfcert.setup(seed=0)
    import keras

    from tfcert import datasets

    out = tmp_path_factory.mktemp("models")
    x, y = datasets.load("digits", split="train", as_numpy=True)
    files: dict[str, Path] = {}

    trained = _digits_model()
    history = trained.fit(x, y, epochs=30, verbose=0)
    files["trained"] = out / "trained.keras"
    trained.save(files["trained"])
    tfcert.save_history(history, files["trained"])

    files["untrained"] = out / "untrained.keras"
    _digits_model().save(files["untrained"])

    files["big"] = out / "big.keras"
    _digits_model(hidden=512).save(files["big"])

    files["flat_input"] = out / "flat_input.keras"
    _digits_model(input_shape=(64,)).save(files["flat_input"])

    files["channels"] = out / "channels.keras"  # (8, 8, 1): the held-out (8, 8) images get their channel
    channels = _digits_model(input_shape=(8, 8, 1))
    channels.fit(x[..., None], y, epochs=30, verbose=0)
    channels.save(files["channels"])

    files["sigmoid"] = out / "sigmoid.keras"
    _digits_model(activation="sigmoid").save(files["sigmoid"])

    files["int_input"] = out / "int_input.keras"
    _digits_model(dtype="int32").save(files["int_input"])

    nan = _digits_model()
    nan.set_weights([np.full(w.shape, np.nan, dtype="float32") for w in nan.get_weights()])
    files["nan"] = out / "nan.keras"
    nan.save(files["nan"])

    files["lambda"] = out / "lambda.keras"
    keras.Sequential([keras.Input(shape=(8, 8)), keras.layers.Lambda(lambda t: t * 2.0),
                      keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]).save(files["lambda"])

    @keras.saving.register_keras_serializable(package="learner")
    class Doubler(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    files["custom"] = out / "custom.keras"
    keras.Sequential([keras.Input(shape=(8, 8)), Doubler(), keras.layers.Flatten(),
                      keras.layers.Dense(10, activation="softmax")]).save(files["custom"])

    # Loads fine (the length is unknown when built) but raises when called on real data.
    files["raises"] = out / "raises.keras"
    keras.Sequential([keras.Input(shape=(None,)), keras.layers.Reshape((4,)),
                      keras.layers.Dense(10, activation="softmax")]).save(files["raises"])

    files["h5"] = out / "legacy.h5"
    files["h5"].write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    files["corrupt"] = out / "corrupt.keras"
    files["corrupt"].write_bytes(b"definitely not a zip archive" * 10)
    files["empty"] = out / "empty.keras"
    files["empty"].write_bytes(b"")
    files["truncated"] = out / "truncated.keras"
    files["truncated"].write_bytes(files["trained"].read_bytes()[:2000])
    files["no_config"] = out / "no_config.keras"
    with zipfile.ZipFile(files["no_config"], "w") as archive:
        archive.writestr("weights.bin", b"\0" * 16)
    files["savedmodel"] = out / "exported"
    trained.export(files["savedmodel"], verbose=False)
    files["missing"] = out / "missing.keras"
    return files


def report(models, name, dataset="digits") -> ModelReport:
    return grading.model_report(models[name], dataset=dataset)


def test_trained_model_passes_every_check(models):
    r = report(models, "trained")
    assert r.error is None, r.error
    grading.check_input_shape(r, (None, 8, 8))
    grading.check_output_shape(r, (None, 10))
    grading.check_final_activation(r, "softmax")
    grading.check_input_dtype(r, "float32")
    grading.check_params(r, max_total=5_000, max_trainable=5_000)
    grading.check_file_size(r, max_kb=100)
    grading.check_metric(r, "accuracy", 0.9)
    grading.check_history(models["trained"])
    assert r.total_params == 8 * 8 * 32 + 32 + 32 * 10 + 10
    assert r.layer_classes == ["Flatten", "Dense", "Dense"]


def test_untrained_model_misses_the_accuracy_target(models):
    with pytest.raises(GradingError, match=r"held-out accuracy of 0\.\d+, the target is 0\.900"):
        grading.check_metric(report(models, "untrained"), "accuracy", 0.9)


def test_big_model_breaks_parameter_and_file_budgets(models):
    r = report(models, "big")
    with pytest.raises(GradingError, match=r"38,410 parameters, the budget is 5,000"):
        grading.check_params(r, max_total=5_000)
    with pytest.raises(GradingError, match=r"big\.keras is [\d,.]+ KB, the limit is 100 KB"):
        grading.check_file_size(r, max_kb=100)


def test_frozen_parameter_budgets():
    r = ModelReport(path="t.keras", total_params=1000, trainable_params=900, non_trainable_params=100)
    with pytest.raises(GradingError, match="freeze the pretrained base"):
        grading.check_params(r, max_trainable=500)
    with pytest.raises(GradingError, match="only 100 frozen parameters"):
        grading.check_params(r, min_non_trainable=500)
    grading.check_params(r, max_trainable=900, min_non_trainable=100)


def test_wrong_input_shape_is_named_with_both_shapes(models):
    r = report(models, "flat_input")
    with pytest.raises(GradingError, match=r"expected input shape \(None, 8, 8\), got \(None, 64\)"):
        grading.check_input_shape(r, (None, 8, 8))
    with pytest.raises(GradingError, match=r"takes inputs of shape \(64,\) per example but the held-out digits"):
        grading.check_metric(r, "accuracy", 0.9)


def test_wrong_final_activation(models):
    r = report(models, "sigmoid", dataset=None)
    with pytest.raises(GradingError, match=r"activation is 'sigmoid', expected softmax"):
        grading.check_final_activation(r, "softmax")
    grading.check_final_activation(r, ("softmax", "sigmoid"))


def test_wrong_output_shape():
    r = ModelReport(path="m.keras", output_shape=[None, 1])
    with pytest.raises(GradingError, match=r"expected output shape \(None, 10\), got \(None, 1\)"):
        grading.check_output_shape(r, (None, 10))


def test_wrong_input_dtype(models):
    r = report(models, "int_input", dataset=None)
    assert r.error is None, r.error
    with pytest.raises(GradingError, match="input dtype is int32, expected float32"):
        grading.check_input_dtype(r, "float32")


@pytest.mark.parametrize("name, message", [
    ("missing", r"no model file at .*missing\.keras: run the cell that trains and saves it"),
    ("h5", r"legacy HDF5 file: save the model in the Keras 3 format"),
    ("corrupt", r"not a Keras file \(not a zip archive\)"),
    ("empty", r"is empty \(0 bytes\)"),
    ("truncated", r"not a Keras file \(not a zip archive\)|is damaged|could not be loaded"),
    ("no_config", r"zip archive without a Keras model config"),
    ("savedmodel", r"is a folder \(a SavedModel"),
    ("lambda", r"contains a Lambda layer, which the grader refuses to run"),
    ("custom", r"uses custom class\(es\) Doubler that the grader does not load"),
    ("nan", r"outputs NaN or infinity"),
    ("raises", r"raised \w+ when called on a batch of shape \(2, 1\)"),
])
def test_bad_files_give_one_actionable_sentence_not_a_crash(models, name, message):
    r = report(models, name, dataset=None)
    assert r.error is not None
    assert "\n" not in r.error and "Traceback" not in r.error
    with pytest.raises(GradingError, match=message):
        grading.check_input_shape(r, (None, 8, 8))


def test_reports_are_cached_per_file_version(models, tmp_path):
    first = report(models, "trained")
    assert report(models, "trained") is first
    copy = tmp_path / "copy.keras"
    copy.write_bytes(models["trained"].read_bytes())
    assert grading.model_report(copy, dataset="digits") is not first


def test_probe_timeout_is_a_message(models):
    r = grading.model_report(models["untrained"], dataset=None, timeout=0.01)
    assert r.error and "took longer than" in r.error


def test_history_checks(tmp_path):
    grading.check_history({"loss": [1.0, 0.7, 0.5], "val_loss": [1.0, 0.8, 0.6]}, max_gap=0.2)
    with pytest.raises(GradingError, match="did not fall"):
        grading.check_history({"loss": [0.5, 0.6, 0.7]})
    with pytest.raises(GradingError, match="gap of 0.500"):
        grading.check_history({"loss": [1.0, 0.5, 0.1], "val_loss": [1.0, 0.7, 0.6]}, max_gap=0.2)
    with pytest.raises(GradingError, match="rise"):
        grading.check_history({"accuracy": [0.5, 0.4]}, metric="accuracy")
    with pytest.raises(GradingError, match="NaN"):
        grading.check_history({"loss": [1.0, float("nan")]})
    with pytest.raises(GradingError, match="at least 2 are needed"):
        grading.check_history({"loss": [1.0]})
    with pytest.raises(GradingError, match="no 'val_loss' curve"):
        grading.check_history({"loss": [1.0, 0.5]}, max_gap=0.1)
    with pytest.raises(GradingError, match="no training history at"):
        grading.load_history(tmp_path / "none.keras")
    bad = tmp_path / "bad.history.json"
    bad.write_text(json.dumps(["not", "a", "dict"]))
    with pytest.raises(GradingError, match="is not a training history"):
        grading.load_history(bad)


def test_in_process_probe_matches_the_clean_process(models, monkeypatch):
    clean = [grading.model_report(models[name], dataset="digits") for name in ("trained", "lambda")]
    probe.reset()
    monkeypatch.setenv("TFCERT_PROBE_IN_PROCESS", "1")
    here = [grading.model_report(models[name], dataset="digits") for name in ("trained", "lambda")]
    assert here[0] is not clean[0]
    assert here == clean


def test_the_verifier_loads_keras_without_scikit_learn_and_still_lets_the_datasets_use_it(tmp_path):
    """Keras's SKLearn wrappers (a second of every clean process's start) are left out; scikit-learn itself is not."""
    from tfcert import verify

    cells = {"lean": "import keras\nassert 'sklearn' not in sys.modules, 'Keras pulled in scikit-learn'",
             "datasets": "from sklearn.datasets import load_digits\nassert load_digits().data.shape == (1797, 64)"}
    assert verify.run_cells(cells, tmp_path, timeout=300) == {"lean": None, "datasets": None}


def test_a_trailing_channel_is_added_to_held_out_images(models):
    r = report(models, "channels")
    grading.check_input_shape(r, (None, 8, 8, 1))
    grading.check_metric(r, "accuracy", 0.9)


def test_generalisation_gap_is_measured_by_the_grader(models):
    r = grading.model_report(models["trained"], dataset="digits", fit_examples=200)
    assert 0.9 < r.metrics["train_accuracy"] <= 1.0
    grading.check_generalisation_gap(r, 0.10)
    with pytest.raises(GradingError, match="the training accuracy was not measured"):
        grading.check_generalisation_gap(report(models, "trained"), 0.10)
    memoriser = ModelReport(path="m.keras", metrics={"accuracy": 0.58, "train_accuracy": 1.0})
    with pytest.raises(GradingError, match=r"100.0 % right on its training examples but 58.0 % on held-out data"):
        grading.check_generalisation_gap(memoriser, 0.15)


def test_hidden_layers_are_counted(models):
    grading.check_hidden_layers(report(models, "trained", dataset=None), 1)
    with pytest.raises(GradingError, match="1 hidden layer with weights before its output layer, at least 2"):
        grading.check_hidden_layers(report(models, "trained", dataset=None), 2)


def test_stopped_at_target():
    grading.check_stopped_at_target({"val_accuracy": [0.5, 0.96]}, "val_accuracy", 0.95, max_epochs=100)
    with pytest.raises(GradingError, match="training went on after val_accuracy reached 0.95 at epoch 2"):
        grading.check_stopped_at_target({"val_accuracy": [0.5, 0.96, 0.97]}, "val_accuracy", 0.95, max_epochs=100)
    with pytest.raises(GradingError, match="never reached 0.95 in 100 epochs"):
        grading.check_stopped_at_target({"val_accuracy": [0.5] * 100}, "val_accuracy", 0.95, max_epochs=100)
    with pytest.raises(GradingError, match="stopped after 3 epochs although val_accuracy never reached"):
        grading.check_stopped_at_target({"val_accuracy": [0.5] * 3}, "val_accuracy", 0.95, max_epochs=100)
    with pytest.raises(GradingError, match="has no 'val_accuracy' curve"):
        grading.check_stopped_at_target({"loss": [0.5]}, "val_accuracy", 0.95, max_epochs=100)


def _write_predictions(path: Path, labels: list[str]) -> Path:
    path.write_text("id,label\n" + "".join(f"{i},{label}\n" for i, label in enumerate(labels)))
    return path


def test_predictions_are_compared_with_the_graders_own(models, tmp_path):
    """The grader predicts the raw file with the saved model and compares the learner's file with it."""
    from tfcert import datasets

    raw = datasets.to_raw_csv("digits", split="validation", limit=60)
    classes = [str(c) for c in datasets.DATASETS["digits"].classes]
    labels = datasets.arrays("digits", "validation")[1][:60].tolist()
    r = grading.model_report(models["trained"], raw_csv=raw)
    assert r.raw_predictions is not None and len(r.raw_predictions) == 60

    import keras
    import pandas as pd

    model = keras.models.load_model(models["trained"])
    table = pd.read_csv(raw)
    right = model.predict(table.iloc[:, 1:].to_numpy("float32").reshape(-1, 8, 8) / 255, verbose=0).argmax(1)
    grading.check_predictions(_write_predictions(tmp_path / "right.csv", [classes[i] for i in right]),
                              r, classes, labels, min_accuracy=0.85)

    # Transposed images: a plausible reshape mistake the agreement check catches.
    wrong = model.predict(table.iloc[:, 1:].to_numpy("float32").reshape(-1, 8, 8).transpose(0, 2, 1) / 255,
                          verbose=0).argmax(1)
    with pytest.raises(GradingError, match="agrees with trained.keras on only"):
        grading.check_predictions(_write_predictions(tmp_path / "wrong.csv", [classes[i] for i in wrong]),
                                  r, classes, labels)
    # Copying the true labels instead of predicting disagrees with what the handed-in model predicts.
    cheat = _write_predictions(tmp_path / "cheat.csv", [classes[i] for i in labels])
    with pytest.raises(GradingError, match="agrees with untrained.keras on only"):
        grading.check_predictions(cheat, grading.model_report(models["untrained"], raw_csv=raw), classes, labels)
    with pytest.raises(GradingError, match="exactly the columns id and label"):
        bad = tmp_path / "bad.csv"
        bad.write_text("index,prediction\n0,1\n")
        grading.check_predictions(bad, r, classes, labels)
    with pytest.raises(GradingError, match="ids 0 to 59 in order"):
        grading.check_predictions(_write_predictions(tmp_path / "short.csv", ["1"] * 10), r, classes, labels)
    with pytest.raises(GradingError, match="not class names"):
        grading.check_predictions(_write_predictions(tmp_path / "probs.csv", ["0.93"] * 60), r, classes, labels)
    with pytest.raises(GradingError, match="no predictions file"):
        grading.check_predictions(tmp_path / "missing.csv", r, classes, labels)


@pytest.mark.parametrize("script, answered", [
    # stray output before the report, written in one go with it
    ("import sys\nfor line in sys.stdin:\n    sys.stdout.write('noise\\nTFCERT-PROBE {\"error\": null}\\n'); sys.stdout.flush()", True),
    ("import sys, time\nfor line in sys.stdin:\n    time.sleep(30)", False),  # never answers
    ("import sys\nsys.stdin.readline(); sys.exit(3)", False),  # dies mid-request
])
def test_the_probe_server_survives_noise_silence_and_death(script, answered):
    import sys
    import time

    server = probe._ProbeServer([sys.executable, "-c", script])
    started = time.monotonic()
    report = server.ask({"path": "m.keras"}, timeout=3)
    assert (report == {"error": None}) == answered
    assert time.monotonic() - started < 10
    if not answered:
        assert server.process is None, "a silent or dead server is stopped, and the next request starts a new one"
    server.stop()
