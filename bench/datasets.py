"""The embedded datasets: how long they take to make and load, and what the targets mean.

For each set this prints the time to generate it into an empty cache and to load
it back (medians of --runs runs), then trains a weak baseline and a reference
model on its train split and reports their held-out metric and training time on
this machine. The gap between the two is what makes a graded target meaningful.

    python bench/datasets.py [--runs 3] [--only glyphs,reviews]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

from tfcert import datasets  # noqa: E402
from tfcert.datasets import _registry  # noqa: E402

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # retracing notes from evaluating many small models


def timed(action):
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def keras_fit(model, x, y, epochs, loss="sparse_categorical_crossentropy", batch_size=32):
    model.compile(optimizer="adam", loss=loss, metrics=None)
    seconds, _ = timed(lambda: model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0))
    return seconds


def accuracy(model, x, y):
    out = np.asarray(model.predict(x, verbose=0, batch_size=256))
    guess = (out[:, 0] > 0.5).astype(int) if out.shape[-1] == 1 else out.argmax(-1)
    return float((guess == y).mean())


def classification(name):
    import keras
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, y = datasets.arrays(name, "train")
    xh, yh = datasets.arrays(name, "heldout")
    classes = datasets.DATASETS[name].num_classes
    flat, flat_h = x.reshape(len(x), -1), xh.reshape(len(xh), -1)
    if name == "breast_cancer":
        base_t, _ = timed(lambda: None)
        base = float((yh == np.bincount(y).argmax()).mean())
        base_name = "majority class"
        scaler = StandardScaler().fit(flat)
        model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        secs = keras_fit(model, scaler.transform(flat), y, 50, loss="binary_crossentropy", batch_size=32)
        return base_name, base, base_t, "Dense(16) on standardised features", accuracy(model, scaler.transform(flat_h), yh), secs
    base_t, logreg = timed(lambda: LogisticRegression(max_iter=300).fit(flat, y))
    base = float(logreg.score(flat_h, yh))
    base_name = "logistic regression on pixels"
    if name == "digits":
        model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        return (base_name, base, base_t, "MLP 2,410 params, 40 epochs") + keras_fit_then(model, x, y, 40, xh, yh)
    if name.startswith("scenes"):
        import tensorflow as tf

        x4, xh4 = (tf.image.resize(a, (64, 64)).numpy() for a in (x, xh))
        model = keras.Sequential([
            keras.Input((64, 64, 3)), keras.layers.RandomFlip("horizontal"),
            keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Flatten(), keras.layers.Dropout(0.3), keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(classes, activation="softmax")])
        return (base_name, base, base_t, "small CNN at 64x64, 30 epochs") + keras_fit_then(model, x4, y, 30, xh4, yh)
    x4, xh4 = x[..., None], xh[..., None]
    model = keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"), keras.layers.Dense(classes, activation="softmax")])
    return (base_name, base, base_t, "small CNN, 5 epochs") + keras_fit_then(model, x4, y, 5, xh4, yh)


def keras_fit_then(model, x, y, epochs, xh, yh):
    secs = keras_fit(model, x, y, epochs)
    return accuracy(model, xh, yh), secs


def text(name):
    import keras
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    x, y = datasets.arrays(name, "train")
    xh, yh = datasets.arrays(name, "heldout")
    vec = CountVectorizer()
    base_t, logreg = timed(lambda: LogisticRegression(max_iter=1000).fit(vec.fit_transform(x), y))
    base = float(logreg.score(vec.transform(xh), yh))
    vectorize = keras.layers.TextVectorization(max_tokens=200, output_sequence_length=20)
    vectorize.adapt(x)
    classes = datasets.DATASETS[name].num_classes
    model = keras.Sequential([keras.Input((20,), dtype="int64"), keras.layers.Embedding(200, 32),
                              keras.layers.Bidirectional(keras.layers.LSTM(64)),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(classes, activation="softmax")])
    secs = keras_fit(model, np.asarray(vectorize(x)), y, 15)
    return "bag of words + logistic regression", base, base_t, "Embedding + BiLSTM(64) + Dense, 15 epochs", \
        accuracy(model, np.asarray(vectorize(xh)), yh), secs


def series(name):
    """Naive forecast vs a Dense model on windows of differences (one step ahead, held-out days)."""
    import keras

    def column(split):
        values = datasets.arrays(name, split)[1]
        return values.reshape(len(values), -1)[:, -2 if name == "stocks" else 0]  # stocks: the S&P 500

    history = np.concatenate([column("train"), column("validation")])
    held = column("heldout")
    whole = np.concatenate([history, held])
    naive = float(np.abs(np.diff(whole[len(history) - 1:])).mean())
    window = 30 if len(history) > 500 else 12
    steps = np.diff(whole)
    scale = float(np.abs(steps[:len(history) - 1]).std())
    train_end = len(column("train")) - 1
    xs = np.stack([steps[i:i + window] for i in range(train_end - window)]) / scale
    ys = steps[window:train_end] / scale
    model = keras.Sequential([keras.Input((window,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="huber")
    secs, _ = timed(lambda: model.fit(xs, ys, epochs=60, batch_size=32, verbose=0))
    first = len(history) - 1
    xt = np.stack([steps[i - window:i] for i in range(first, first + len(held))]) / scale
    forecast = whole[first:first + len(held)] + model.predict(xt, verbose=0)[:, 0] * scale
    mae = float(np.abs(forecast - held).mean())
    return "naive forecast (MAE)", naive, 0.0, f"Dense on {window} past steps (MAE)", mae, secs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else [n for n in datasets.names() if n != "verses"]
    rows = []
    for name in chosen:
        spec = datasets.DATASETS[name]
        make, load = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                os.environ["TFCERT_DATA_DIR"] = tmp
                _registry._MEMORY.clear()
                make.append(timed(lambda: [datasets.arrays(name, s) for s in ("train", "validation", "heldout")])[0])
                _registry._MEMORY.clear()
                load.append(timed(lambda: [datasets.arrays(name, s) for s in ("train", "validation", "heldout")])[0])
        kind = {"classification": classification, "text": text, "series": series}[spec.kind]
        base_name, base, base_t, ref_name, ref, ref_t = kind(name)
        rows.append((name, statistics.median(make), statistics.median(load), base_name, base, base_t, ref_name, ref, ref_t))
        print(f"{name:15s} make {statistics.median(make):6.2f} s  load {statistics.median(load):5.2f} s | "
              f"{base_name}: {base:.3f} ({base_t:.1f} s) | {ref_name}: {ref:.3f} ({ref_t:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
