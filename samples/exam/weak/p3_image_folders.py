"""Mock exam, problem 3 of 5: a convolutional network on photographs in class folders.

Classify photographs by the symbol they show. data/scenes/train/<class>/ and
data/scenes/validation/<class>/ hold JPEG files of many sizes, one folder per
class (the names in CLASS_NAMES, below). You may train on both.

Complete solution_model(): read the folders, build, compile and train a Keras
model, and return it. The model must

* take one RGB photograph resized to IMAGE_SIZE, pixel values 0-255 (as
  keras.utils.image_dataset_from_directory gives them): inputs of shape
  (*IMAGE_SIZE, 3);
* output one probability per class, in the order of CLASS_NAMES (the sorted
  folder names): outputs of shape (len(CLASS_NAMES),), softmax.

The grader runs this file (`python p3_image_folders.py` saves the model as
p3_image_folders.keras beside it), reloads the model in a clean process and
measures its accuracy on photographs you never see. 5 points at
TARGET_ACCURACY or above; fewer the further it falls short.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import numpy as np
import tensorflow as tf
import keras

# ---- this attempt's variant (written by `tfcert exam start`; the grader keeps its own copy) ----
CLASS_NAMES = ['airplane', 'anchor', 'sun']  # the folder names; label i is CLASS_NAMES[i] (sorted)
IMAGE_SIZE = (64, 64)  # the model takes RGB images of this size, values 0-255
TARGET_ACCURACY = 0.85  # on held-out photographs
# ---- end of the variant ----

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "scenes"


def solution_model() -> keras.Model:
    # One convolution block, four epochs on the training folder alone: stopped long before it learned the symbols.
    keras.utils.set_random_seed(0)
    train = keras.utils.image_dataset_from_directory(DATA / "train", image_size=IMAGE_SIZE, batch_size=32, seed=0)
    model = keras.Sequential([
        keras.Input(shape=(*IMAGE_SIZE, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(4),
        keras.layers.Flatten(),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train, epochs=4, verbose=2)
    return model

if __name__ == "__main__":
    model = solution_model()
    model.save(HERE / "p3_image_folders.keras")
