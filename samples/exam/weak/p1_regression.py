"""A plausible weak solution of the mock exam's problem 1: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p1_regression.py), whose imports and constants it uses.
"""


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
