"""The embedded datasets: how long they take to make and load, and what the targets mean.

For each set this prints the time to generate it into an empty cache and to load
it back (medians of --runs runs), then trains a weak baseline and a reference
model on its train split and reports their held-out metric and training time on
this machine. The reference model's metric is measured the way the grader
measures it: by the set's kind (:meth:`tfcert.datasets.kinds.DataKind.evaluate`:
accuracy for classifiers, one-step-ahead MAE for forecasters, whose baseline
is the naive forecast). The gap between the two is what makes a graded target
meaningful.

    python bench/datasets.py [--runs 3] [--only glyphs,reviews] [--quick]

``--quick`` trains every model for one epoch: a check that the bench runs, not a measurement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Callable, NamedTuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

from tfcert import datasets  # noqa: E402
from tfcert.datasets import _registry, kinds  # noqa: E402

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # retracing notes from evaluating many small models

QUICK = False


class Result(NamedTuple):
    baseline: str
    baseline_metric: float
    baseline_seconds: float
    reference: str
    reference_metric: float
    reference_seconds: float


def timed(action):
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def epochs(count: int) -> int:
    return 1 if QUICK else count


def keras_fit(model, x, y, count, loss="sparse_categorical_crossentropy", batch_size=32):
    model.compile(optimizer="adam", loss=loss, metrics=None)
    seconds, _ = timed(lambda: model.fit(x, y, epochs=epochs(count), batch_size=batch_size, verbose=0))
    return seconds


def graded(name: str, input_shape: tuple, dtype: str, predict: Callable[[np.ndarray], np.ndarray]) -> dict:
    """The held-out metrics of a reference model, measured by the set's kind as the grader measures them."""
    spec = datasets.DATASETS[name]
    model = kinds.ProbedModel(f"{name} reference", kinds.ModelInput(input_shape, dtype), predict)
    return spec.kind.evaluate(spec, model, kinds.EvaluationOptions())


def predictor(model, prepare=lambda x: x):
    return lambda x: np.asarray(model.predict(prepare(x), verbose=0, batch_size=256))


def image(name: str) -> Result:
    import keras
    from sklearn.linear_model import LogisticRegression

    spec = datasets.DATASETS[name]
    x, y = datasets.arrays(name, "train")
    xh, yh = datasets.arrays(name, "heldout")
    base_t, logreg = timed(lambda: LogisticRegression(max_iter=300).fit(x.reshape(len(x), -1), y))
    base = float(logreg.score(xh.reshape(len(xh), -1), yh))
    if spec.input_shape == (8, 8):
        model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                                  keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10, activation="softmax")])
        secs, what, prepare = keras_fit(model, x, y, 40), "MLP 2,410 params, 40 epochs", (lambda images: images)
    elif len(spec.input_shape) == 3:  # photos: a small CNN at 64x64
        def prepare(images):
            return tf.image.resize(images, (64, 64)).numpy()

        model = keras.Sequential([
            keras.Input((64, 64, 3)), keras.layers.RandomFlip("horizontal"),
            keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Flatten(), keras.layers.Dropout(0.3), keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(spec.num_classes, activation="softmax")])
        secs, what = keras_fit(model, prepare(x), y, 30), "small CNN at 64x64, 30 epochs"
    else:
        def prepare(images):
            return images[..., None]

        model = keras.Sequential([
            keras.Input((*spec.input_shape, 1)), keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(), keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(spec.num_classes, activation="softmax")])
        secs, what = keras_fit(model, prepare(x), y, 5), "small CNN, 5 epochs"
    metrics = graded(name, spec.input_shape, "float32", predictor(model, prepare))
    return Result("logistic regression on pixels", base, base_t, what, metrics["accuracy"], secs)


def table(name: str) -> Result:
    import keras
    from sklearn.preprocessing import StandardScaler

    spec = datasets.DATASETS[name]
    x, y = datasets.arrays(name, "train")
    _, yh = datasets.arrays(name, "heldout")
    base = float((yh == np.bincount(y).argmax()).mean())
    scaler = StandardScaler().fit(x)
    model = keras.Sequential([keras.Input(spec.input_shape), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    secs = keras_fit(model, scaler.transform(x), y, 50, loss="binary_crossentropy")
    metrics = graded(name, spec.input_shape, "float32", predictor(model, scaler.transform))
    return Result("majority class", base, 0.0, "Dense(16) on standardised features", metrics["accuracy"], secs)


def text(name: str) -> Result:
    import keras
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    spec = datasets.DATASETS[name]
    x, y = datasets.arrays(name, "train")
    xh, yh = datasets.arrays(name, "heldout")
    vec = CountVectorizer()
    base_t, logreg = timed(lambda: LogisticRegression(max_iter=1000).fit(vec.fit_transform(x), y))
    base = float(logreg.score(vec.transform(xh), yh))
    vectorize = keras.layers.TextVectorization(max_tokens=200, output_sequence_length=20)
    vectorize.adapt(x)
    model = keras.Sequential([keras.Input((20,), dtype="int64"), keras.layers.Embedding(200, 32),
                              keras.layers.Bidirectional(keras.layers.LSTM(64)),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(spec.num_classes, activation="softmax")])
    secs = keras_fit(model, np.asarray(vectorize(x)), y, 15)
    metrics = graded(name, (), "string", predictor(model, lambda texts: np.asarray(vectorize(texts))))
    return Result("bag of words + logistic regression", base, base_t, "Embedding + BiLSTM(64) + Dense, 15 epochs",
                  metrics["accuracy"], secs)


def series(name: str) -> Result:
    """Naive forecast vs a Dense model on windows of differences, one step ahead on the held-out steps of the target."""
    import keras

    spec = datasets.DATASETS[name]
    column = spec.kind.columns.index(spec.kind.target)

    def target(split):
        values = datasets.arrays(name, split)[1]
        return values.reshape(len(values), -1)[:, column]

    history = np.concatenate([target("train"), target("validation")])
    window = 30 if len(history) > 500 else 12
    steps = np.diff(history)
    scale = float(np.abs(steps).std())
    train_end = len(target("train")) - 1
    xs = np.stack([steps[i:i + window] for i in range(train_end - window)]) / scale
    ys = steps[window:train_end] / scale
    model = keras.Sequential([keras.Input((window,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="huber")
    secs, _ = timed(lambda: model.fit(xs, ys, epochs=epochs(60), batch_size=32, verbose=0))

    def forecast(windows):  # windows of window + 1 values: the last value plus the predicted change
        changes = model.predict(np.diff(windows, axis=1) / scale, verbose=0)[:, 0] * scale
        return (windows[:, -1] + changes)[:, None]

    metrics = graded(name, (window + 1,), "float32", forecast)
    return Result("naive forecast (MAE)", metrics["naive_mae"], 0.0, f"Dense on {window} past changes (MAE)",
                  metrics["mae"], secs)


#: The baseline and reference of each kind the grader measures a metric for.
BENCHES: dict[type, Callable[[str], Result]] = {kinds.ImageKind: image, kinds.TableKind: table,
                                                kinds.TextKind: text, kinds.SeriesKind: series}


def main() -> None:
    global QUICK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="")
    parser.add_argument("--quick", action="store_true", help="one epoch per model: checks that the bench runs")
    args = parser.parse_args()
    QUICK = args.quick
    chosen = args.only.split(",") if args.only else [n for n in datasets.names()
                                                      if type(datasets.DATASETS[n].kind) in BENCHES]
    for name in chosen:
        make, load = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                os.environ["TFCERT_DATA_DIR"] = tmp
                _registry._MEMORY.clear()
                make.append(timed(lambda: [datasets.arrays(name, s) for s in _registry.ALL_SPLITS])[0])
                _registry._MEMORY.clear()
                load.append(timed(lambda: [datasets.arrays(name, s) for s in _registry.ALL_SPLITS])[0])
        result = BENCHES[type(datasets.DATASETS[name].kind)](name)
        print(f"{name:15s} make {statistics.median(make):6.2f} s  load {statistics.median(load):5.2f} s | "
              f"{result.baseline}: {result.baseline_metric:.3f} ({result.baseline_seconds:.1f} s) | "
              f"{result.reference}: {result.reference_metric:.3f} ({result.reference_seconds:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
