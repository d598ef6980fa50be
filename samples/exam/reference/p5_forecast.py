"""The reference solution of the mock exam's problem 5: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p5_forecast.py), whose imports and constants it uses.
"""


def solution_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    values = np.loadtxt(DATA / "daily.csv", delimiter=",", skiprows=1, usecols=1, dtype="float32")
    windows = np.stack([values[t - WINDOW:t] for t in range(WINDOW, len(values))])[..., None]
    labels = values[WINDOW:]
    cut = len(windows) - 300

    normalise = keras.layers.Normalization(axis=None)
    normalise.adapt(values)
    model = keras.Sequential([
        keras.Input(shape=(WINDOW, 1)),
        normalise,
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
        keras.layers.Rescaling(float(np.std(values)), offset=float(np.mean(values))),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="mae")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    model.fit(windows[:cut], labels[:cut], validation_data=(windows[cut:], labels[cut:]), epochs=100,
              batch_size=32, callbacks=[stop], verbose=2)
    naive = np.mean(np.abs(values[-300:] - values[-301:-1]))
    print("validation MAE:", np.mean(np.abs(model.predict(windows[cut:], verbose=0)[:, 0] - labels[cut:])),
          "target:", TARGET_RATIO * naive)
    return model
