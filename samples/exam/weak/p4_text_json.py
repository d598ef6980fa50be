"""Mock exam, problem 4 of 5: a text classifier from a JSON file.

Each record of data/complaints.json is one restaurant review that praises one
thing and criticises another, {"review": "...", "complaint": "..."}; the
complaint is one of CLASS_NAMES (below). Read the reviews and say which part
of the restaurant each complains about. The word order decides it: in "the
soup was great, but the waiter was rude" the complaint is the service.

Complete solution_model(): read the file, build, compile and train a Keras
model, and return it. The model must

* take the review as one raw string: inputs of shape (1,) and dtype string
  (keras.Input(shape=(1,), dtype="string"), then a TextVectorization layer
  adapted to your training reviews);
* output one probability per class, in the order of CLASS_NAMES: outputs of
  shape (len(CLASS_NAMES),), softmax.

The grader runs this file (`python p4_text_json.py` saves the model as
p4_text_json.keras beside it), reloads the model in a clean process and
measures its accuracy on reviews you never see. 5 points at TARGET_ACCURACY
or above; fewer the further it falls short.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import json
from pathlib import Path

import numpy as np
import tensorflow as tf
import keras

# ---- this attempt's variant (written by `tfcert exam start`; the grader keeps its own copy) ----
CLASS_NAMES = ['food', 'service', 'price']  # label i is CLASS_NAMES[i]
TARGET_ACCURACY = 0.9  # on held-out reviews
# ---- end of the variant ----

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def solution_model() -> keras.Model:
    # Averages the word vectors: a bag of words, which cannot tell which of two aspects is criticised.
    keras.utils.set_random_seed(0)
    records = json.loads((DATA / "complaints.json").read_text())
    texts = np.array([r["review"] for r in records])
    labels = np.array([CLASS_NAMES.index(r["complaint"]) for r in records])

    vectorize = keras.layers.TextVectorization(output_sequence_length=24)
    vectorize.adapt(texts)
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        vectorize,
        keras.layers.Embedding(vectorize.vocabulary_size(), 16),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(tf.data.Dataset.from_tensor_slices((texts[:, None], labels)).batch(64), epochs=5, verbose=2)
    return model


if __name__ == "__main__":
    model = solution_model()
    model.save(HERE / "p4_text_json.keras")
