"""Mock exam, problem 2 of 5: a multi-class classifier on small images.

Classify 28x28 grayscale images of symbols into the classes CLASS_NAMES lists
(below). data/glyphs.npz holds NumPy arrays: x_train (uint8, pixel values
0-255, shape (n, 28, 28)), y_train (the class index, 0 to len(CLASS_NAMES) - 1),
x_validation, y_validation, and class_names. You may train on both parts.

Complete solution_model(): build, compile and train a Keras model, and return
it. The model must

* take one image as it is stored, pixel values 0-255: inputs of shape
  (28, 28, 1) (or (28, 28));
* output one probability per class, in the order of CLASS_NAMES: outputs of
  shape (len(CLASS_NAMES),), softmax.

The grader runs this file (`python p2_small_images.py` saves the model as
p2_small_images.keras beside it), reloads the model in a clean process and
measures its accuracy on images you never see. 5 points at TARGET_ACCURACY
or above; fewer the further it falls short.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import numpy as np
import tensorflow as tf
import keras

# ---- this attempt's variant (written by `tfcert exam start`; the grader keeps its own copy) ----
CLASS_NAMES = ['umbrella', 'sun', 'star', 'knight', 'anchor']  # label i is CLASS_NAMES[i]
TARGET_ACCURACY = 0.9  # on held-out images
# ---- end of the variant ----

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def solution_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    with np.load(DATA / "glyphs.npz") as data:
        x, y = data["x_train"][..., None], data["y_train"]
        val_x, val_y = data["x_validation"][..., None], data["y_validation"]

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, validation_data=(val_x, val_y), epochs=6, batch_size=64, verbose=2)
    return model


if __name__ == "__main__":
    model = solution_model()
    model.save(HERE / "p2_small_images.keras")
