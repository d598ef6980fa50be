"""Train a small digits classifier from the command line.

The same file runs in a terminal, in an IDE such as PyCharm (Run or Debug on
this file) and from a notebook cell with ``!python scripts/train_digits.py``.

Example:
    python scripts/train_digits.py --epochs 3 --out models/script_digits.keras
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

# Quiet TensorFlow's C++ start-up logging. These variables are read once, when
# TensorFlow is first imported, so they must be set before any import below
# that pulls TensorFlow in. oneDNN is switched off so results do not drift by
# tiny rounding differences between runs and machines (and its notice is gone).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import tfcert  # noqa: E402  (cheap: tfcert does not import TensorFlow)
import tfcert.datasets  # noqa: E402

# Keras (and with it TensorFlow) is imported inside the functions that need it,
# after the options are parsed, so `--help` answers at once instead of waiting
# seconds for TensorFlow to load.


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command-line options."""
    parser = argparse.ArgumentParser(description="Train a small Keras model on the 8x8 digits data set.")
    parser.add_argument("--epochs", type=int, default=10, help="number of passes over the training data (default: 10)")
    parser.add_argument("--out", type=Path, default=Path("models/script_digits.keras"),
                        help="where to save the model (default: models/script_digits.keras)")
    return parser.parse_args(argv)


def load_data():
    """Training and validation arrays: images (n, 8, 8) in [0, 1], labels (n,) in 0..9."""
    x_train, y_train = tfcert.datasets.load("digits", split="train", as_numpy=True)
    x_val, y_val = tfcert.datasets.load("digits", split="validation", as_numpy=True)
    print(f"train: x {x_train.shape}, y {y_train.shape}; validation: x {x_val.shape}, y {y_val.shape}")
    return (x_train, y_train), (x_val, y_val)


def build_model():
    """A small multilayer perceptron: 8x8 image -> 64 numbers -> 32 hidden units -> 10 class probabilities."""
    import keras

    model = keras.Sequential([
        keras.Input((8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ], name="script_digits")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    import keras

    keras.utils.set_random_seed(42)
    (x_train, y_train), (x_val, y_val) = load_data()
    model = build_model()
    print(f"model: {model.count_params():,} parameters")
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=args.epochs, verbose=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    tfcert.save_history(history, args.out)
    val_accuracy = history.history["val_accuracy"][-1]
    print(f"saved {args.out}; final validation accuracy: {val_accuracy:.3f}")
    return val_accuracy


if __name__ == "__main__":
    main()
