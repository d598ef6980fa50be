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
    # YOUR CODE HERE: read DATA / "complaints.json", build, compile and train the model, and return it.
    raise NotImplementedError("write solution_model(): train a model and return it")


if __name__ == "__main__":
    model = solution_model()
    model.save(HERE / "p4_text_json.keras")
