"""What issue 9 added to the grader: retraining a recipe, regression models, and recording which functions ran.

Real models are trained and saved here and inspected by the real clean process.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from tfcert import datasets, grading, probe
from tfcert.grading import GradingError


def _digits_model(hidden: int = 64):
    import keras

    model = keras.Sequential([keras.Input(shape=(8, 8)), keras.layers.Flatten(),
                              keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def all_digits_model(tmp_path_factory):
    """A digits classifier trained on all 1,200 training images: the learner who ignored the allowed 40."""
    import keras

    import tfcert

    keras.utils.set_random_seed(0)
    x, y = datasets.load("digits", "train", as_numpy=True)
    path = tmp_path_factory.mktemp("recipes") / "digits.keras"
    model = _digits_model()
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    model.save(path)
    tfcert.save_history(history, path)
    return path


def test_retraining_judges_the_recipe_on_the_allowed_examples_not_the_saved_weights(all_digits_model):
    saved = probe.model_report(all_digits_model, dataset="digits", fit_examples=40)
    retrained = probe.model_report(all_digits_model, dataset="digits", retrain_examples=40)
    assert saved.metrics["accuracy"] > 0.9, "the weights trained on every image are good"
    assert retrained.metrics["retrained_epochs"] == 15.0, "as many epochs as the saved history lists"
    assert retrained.metrics["accuracy"] < saved.metrics["accuracy"] - 0.1, "40 images teach far less"
    assert retrained.metrics["train_accuracy"] > retrained.metrics["accuracy"]
    with pytest.raises(GradingError, match="digits.keras, retrained from scratch by the grader on the allowed "
                                           "training examples for 15 epochs, reaches a held-out accuracy of"):
        grading.check_metric(retrained, "accuracy", 0.9)


def test_a_recipe_is_retrained_once_per_batch_whoever_hands_it_in(all_digits_model, tmp_path, monkeypatch):
    """Two learners' files with other weights but the same recipe share one retraining, with the same numbers."""
    import shutil

    import keras

    from tfcert import _probe, verify

    def hand_in(learner: str, weights_scale: float, hidden: int | None = None):
        folder = tmp_path / learner
        folder.mkdir()
        model = keras.models.load_model(all_digits_model) if hidden is None else _digits_model(hidden)
        model.set_weights([w * weights_scale for w in model.get_weights()])
        model.save(folder / "digits.keras")
        shutil.copy(all_digits_model.with_suffix(".history.json"), folder / "digits.history.json")  # 15 epochs
        return folder

    ann, bob, cat = hand_in("ann", 1.0), hand_in("bob", 0.5), hand_in("cat", 1.0, hidden=32)
    assert _probe.recipe_key(ann / "digits.keras", {}) == _probe.recipe_key(bob / "digits.keras", {})
    cell = {"report": "r = grading.model_report('digits.keras', dataset='digits', retrain_examples=40)\n"
                      "raise SystemExit(repr(sorted(r.metrics.items())))"}
    batch = f"recipes-{tmp_path.name}"
    first = verify.run_cells(cell, ann, timeout=300, batch=batch)
    assert len(verify._RETRAINED[batch]) == 1
    again = verify.run_cells(cell, bob, timeout=300, batch=batch)
    assert len(verify._RETRAINED[batch]) == 1, "bob's recipe is ann's: not retrained"
    other = verify.run_cells(cell, cat, timeout=300, batch=batch)
    assert len(verify._RETRAINED[batch]) == 2, "cat's recipe has 32 hidden units: retrained"
    monkeypatch.setenv("TFCERT_RETRAIN_ONCE", "0")
    alone = verify.run_cells(cell, bob, timeout=300, batch=batch)
    assert "retrained_epochs', 15.0" in first["report"], first
    assert first == again == alone != other, "a shared retraining scores what retraining alone scores"


def test_retraining_a_model_saved_without_compile_settings_says_to_compile(tmp_path):
    model = _digits_model()
    path = tmp_path / "bare.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:  # the same file with its compile settings removed
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["compile_config"] = None
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    report = probe.model_report(path, dataset="digits", retrain_examples=40)
    assert report.metrics_error == ("bare.keras was saved without its optimizer and loss: compile the model before "
                                    "training and saving it (the grader retrains your model with them)")


@pytest.mark.parametrize("head, loss, message", [
    ("sigmoid", "mse", "the last layer's activation is 'sigmoid', expected linear"),
    (None, "mae", None),
])
def test_a_regression_is_graded_by_its_heldout_mae_beside_the_mean(tmp_path, head, loss, message):
    import keras

    keras.utils.set_random_seed(1)
    x, y = datasets.load("diabetes", "train", as_numpy=True)
    normalise = keras.layers.Normalization()
    normalise.adapt(x)
    model = keras.Sequential([keras.Input(shape=(10,)), normalise, keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, activation=head)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    model.fit(x, y, epochs=50, batch_size=32, verbose=0)
    path = tmp_path / "diabetes.keras"
    model.save(path)
    report = probe.model_report(path, dataset="diabetes")
    x_held, y_held = datasets.arrays("diabetes", "heldout")
    here = float(np.abs(model.predict(x_held, verbose=0).ravel() - y_held).mean())
    assert report.metrics["mae"] == pytest.approx(here, rel=1e-4)
    assert report.metrics["baseline_mae"] == pytest.approx(float(np.abs(y_held - y.mean()).mean()), rel=1e-5)
    if message is None:
        grading.check_final_activation(report, "linear")
        grading.check_regression(report, max_mae=50)
    else:
        with pytest.raises(GradingError, match=message):
            grading.check_final_activation(report, "linear")
        with pytest.raises(GradingError, match="always predicting the training mean is off by"):
            grading.check_regression(report, max_mae=50)


def test_a_regression_with_several_outputs_gets_one_sentence(tmp_path):
    import keras

    model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "wide.keras")
    report = probe.model_report(tmp_path / "wide.keras", dataset="diabetes")
    assert report.metrics_error == ("wide.keras outputs 3 values per row; a regression predicts one number: end the "
                                    "model with Dense(1) and no activation")


def test_calls_made_sees_a_course_helper_under_any_name():
    from tfcert import plots

    alias = plots.plot_history
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    _, record = grading.calls_made(lambda h: alias(h), history)
    with pytest.raises(GradingError, match="used tfcert.plots, which does the task for you: draw it yourself"):
        grading.check_avoids(record, plots, task="plot_curves", advice="draw it yourself")

    def own(h):
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(1, 2)
        axes[0].plot(h["loss"])
        return figure

    _, record = grading.calls_made(own, history)
    grading.check_avoids(record, plots, task="plot_curves", advice="draw it yourself")


def test_check_calls_looks_through_decorators_to_tfds_load():
    import tensorflow_datasets as tfds

    from tfcert.datasets.tfds_builders import prepared_dir

    folder = prepared_dir("breast_cancer")
    _, record = grading.calls_made(tfds.load, "tfcert_breast_cancer", split="validation", data_dir=folder)
    grading.check_calls(record, tfds.load, task="load", advice="call tfds.load", shown="tfds.load")
    _, record = grading.calls_made(datasets.load, "breast_cancer", "validation")
    with pytest.raises(GradingError, match="load never called tfds.load, the API this task practises: call tfds.load"):
        grading.check_calls(record, tfds.load, task="load", advice="call tfds.load", shown="tfds.load")
