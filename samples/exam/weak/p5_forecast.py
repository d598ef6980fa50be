"""A plausible weak solution of the mock exam's problem 5: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p5_forecast.py), whose imports and constants it uses.
"""


def solution_model() -> keras.Model:
    # Trains on the first year only, unscaled: the model never saw the series' later, higher levels.
    keras.utils.set_random_seed(0)
    values = np.loadtxt(DATA / "daily.csv", delimiter=",", skiprows=1, usecols=1, dtype="float32")[:365]
    windows = np.stack([values[t - WINDOW:t] for t in range(WINDOW, len(values))])[..., None]
    labels = values[WINDOW:]
    model = keras.Sequential([
        keras.Input(shape=(WINDOW, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="mae")
    model.fit(windows, labels, epochs=20, batch_size=32, verbose=2)
    return model
