"""The grader gives image models the photographs as their class folders hold them (``model_report(images=...)``).

``"files"``: pixel values 0-255 resized to the model's input, exactly what
``image_dataset_from_directory`` gives; ``"original_size"``: each image at its
own size, for a model that takes any size. Labels follow the folders' order.
"""

from __future__ import annotations

import numpy as np
import pytest

import tfcert
from tfcert import datasets, grading, probe
from tfcert.datasets import kinds
from tfcert.grading import GradingError

pytestmark = pytest.mark.slow

SIDE = 32


def test_the_grader_sees_the_validation_folder_exactly_as_image_dataset_from_directory_does():
    import keras

    spec = datasets.DATASETS["scenes"]
    images, labels = spec.kind.examples(spec, "validation", kinds.EvaluationOptions(images="files"))
    folder = datasets.to_image_folders("scenes") / "validation"
    loaded = keras.utils.image_dataset_from_directory(folder, image_size=(SIDE, SIDE), shuffle=False,
                                                      batch_size=None, verbose=False)
    assert loaded.class_names == ["airplane", "anchor", "snowflake", "sun", "umbrella"]
    assert loaded.class_names != list(spec.classes), "the set lists its classes in another order than the folders"
    pixels = np.stack([x.numpy() for x, _ in loaded])
    folder_labels = np.array([int(y) for _, y in loaded])
    order = np.argsort(labels, kind="stable")  # the loader lists class by class, files in name (= split) order
    assert np.array_equal(labels[order], folder_labels)
    mine = kinds.resized_pixels([images[i] for i in order], (SIDE, SIDE))
    assert np.abs(mine - pixels).mean() < 1.0, "the same decoded pixels, resized the same way"


def _train(tmp_path, name, *, any_size=False, scale_inside=True, epochs=4):
    import keras

    keras.utils.set_random_seed(3)
    folder = datasets.to_image_folders("scenes_binary") / "train"
    data = keras.utils.image_dataset_from_directory(folder, image_size=(SIDE, SIDE), batch_size=32, verbose=False,
                                                    seed=1).cache()
    if not scale_inside:
        data = data.map(lambda x, y: (x / 255.0, y))
    layers = [keras.Input(shape=(None, None, 3) if any_size else (SIDE, SIDE, 3))]
    layers += [keras.layers.Resizing(SIDE, SIDE)] if any_size else []
    layers += [keras.layers.Rescaling(1 / 255)] if scale_inside else []
    layers += [keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.MaxPooling2D(),
               keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
               keras.layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(data, epochs=epochs, verbose=0)
    path = tmp_path / name
    model.save(path)
    tfcert.save_history(history, path)
    return path


def test_a_fixed_size_model_is_graded_on_resized_files_and_refused_at_original_sizes(tmp_path):
    path = _train(tmp_path, "fixed.keras")
    files = probe.model_report(path, dataset="scenes_binary", images="files")
    assert files.metrics_error is None and files.metrics["examples"] == 200
    assert files.metrics["accuracy"] > files.metrics["accuracy_on_unit_scale"], "it scales inside itself"
    original = probe.model_report(path, dataset="scenes_binary", images="original_size")
    assert "takes images of 32x32 pixels only" in original.metrics_error
    with pytest.raises(GradingError, match=r"keras.Input\(shape=\(None, None, 3\)\) and resize inside the model"):
        grading.check_metric(original, "accuracy", 0.5)


def test_a_model_that_takes_any_size_is_graded_on_each_image_at_its_own_size(tmp_path):
    path = _train(tmp_path, "any_size.keras", any_size=True)
    report = probe.model_report(path, dataset="scenes_binary", images="original_size")
    assert report.input_shapes == [[None, None, None, 3]]
    assert report.metrics_error is None and report.metrics["examples"] == 200
    files = probe.model_report(path, dataset="scenes_binary", images="files")
    assert abs(report.metrics["accuracy"] - files.metrics["accuracy"]) < 0.1, "resizing inside or outside: alike"


def test_a_model_that_scales_outside_itself_is_told_to_move_the_scaling_inside(tmp_path):
    path = _train(tmp_path, "scaled_outside.keras", scale_inside=False, epochs=8)
    report = probe.model_report(path, dataset="scenes_binary", images="files")
    target = report.metrics["accuracy_on_unit_scale"] - 0.01
    assert report.metrics["accuracy"] < target, "fed 0-255 pixels, a model trained on [0, 1] fails"
    with pytest.raises(GradingError, match=r"on pixels divided by 255 it would reach .*keras.layers.Rescaling"):
        grading.check_metric(report, "accuracy", target)


def test_retraining_reads_the_files_too(tmp_path):
    path = _train(tmp_path, "recipe.keras", epochs=3)
    report = probe.model_report(path, dataset="scenes_binary", images="files", retrain_examples=100)
    assert report.metrics_error is None, report.metrics_error
    assert report.metrics["retrained_epochs"] == 3.0 and "train_accuracy" in report.metrics


def _recipe(tmp_path, name, layers, epochs=3):
    import json

    import keras

    from tfcert.history import history_path_for

    model = layers if isinstance(layers, keras.Model) else keras.Sequential(layers)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    path = tmp_path / name
    model.save(path)
    history_path_for(path).write_text(json.dumps({"loss": [1.0] * epochs}))
    return path


def _small_cnn(*augmentation):
    import keras

    return [keras.Input(shape=(SIDE, SIDE, 3)), *augmentation, keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid")]


def test_the_grader_measures_what_augmentation_brings_by_retraining_without_it(tmp_path):
    import keras

    plain = _recipe(tmp_path, "plain.keras", _small_cnn())
    report = probe.model_report(plain, dataset="scenes_binary", images="files", retrain_examples=60,
                                ablate_augmentation=True)
    assert report.metrics_error is None, report.metrics_error
    assert report.metrics["unaugmented_accuracy"] == report.metrics["accuracy"], "no augmentation: the same run"
    assert report.metrics["unaugmented_train_accuracy"] == report.metrics["train_accuracy"]
    with pytest.raises(GradingError, match="the augmentation cuts it by 0.000, at least 0.050 asked"):
        grading.check_augmentation_effect(report, min_gap_cut=0.05)

    flipped = _recipe(tmp_path, "flipped.keras", _small_cnn(keras.layers.RandomFlip("horizontal")))
    report = probe.model_report(flipped, dataset="scenes_binary", images="files", retrain_examples=60,
                                ablate_augmentation=True)
    assert report.metrics_error is None, report.metrics_error
    assert report.metrics["unaugmented_accuracy"] != report.metrics["accuracy"], "a different recipe, trained apart"


def test_a_model_the_grader_cannot_strip_of_its_augmentation_is_refused_with_advice(tmp_path):
    import keras

    inputs = keras.Input(shape=(SIDE, SIDE, 3))
    outputs = keras.Sequential(_small_cnn(keras.layers.RandomFlip("horizontal"))[1:])(inputs)
    functional = _recipe(tmp_path, "functional.keras", keras.Model(inputs, outputs))
    report = probe.model_report(functional, dataset="scenes_binary", images="files", retrain_examples=30,
                                ablate_augmentation=True)
    assert "is not a keras.Sequential model: build it as one" in report.metrics_error
