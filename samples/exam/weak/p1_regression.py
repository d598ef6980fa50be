"""Mock exam, problem 1 of 5: regression on a table.

Predict a flat's monthly rent from a table. The training rows are in
data/rents_train.csv and the validation rows in data/rents_validation.csv: the
input columns named in FEATURES (below), then the label column, rent. You may
train on both files.

Complete solution_model(): read the data, build, compile and train a Keras
model, and return it. The model must

* take one row of the FEATURES columns, raw (unscaled), in the order FEATURES
  lists them: inputs of shape (len(FEATURES),);
* output one number, the predicted rent: outputs of shape (1,).

The grader runs this file (`python p1_regression.py` saves the model as
p1_regression.keras beside it), reloads the model in a clean process and
measures its mean absolute error on flats you never see. 5 points when the
error is at most TARGET_MAE; fewer the further it falls short.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import numpy as np
import tensorflow as tf
import keras

# ---- this attempt's variant (written by `tfcert exam start`; the grader keeps its own copy) ----
FEATURES = ['area_m2', 'distance_km', 'age_years', 'noise_db', 'floor', 'balcony']
LABEL = 'rent'
TARGET_MAE = 160.0
# ---- end of the variant ----

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def solution_model() -> keras.Model:
    # A straight line on the raw columns: no normalisation, no hidden layer.
    keras.utils.set_random_seed(0)
    import pandas as pd

    table = pd.read_csv(DATA / "rents_train.csv")
    x = table[FEATURES].to_numpy("float32")
    y = table[LABEL].to_numpy("float32")
    model = keras.Sequential([keras.Input(shape=(len(FEATURES),)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mae")
    model.fit(x, y, epochs=40, batch_size=32, verbose=2)
    return model


if __name__ == "__main__":
    model = solution_model()
    model.save(HERE / "p1_regression.keras")
