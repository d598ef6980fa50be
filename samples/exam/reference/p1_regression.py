"""The reference solution of the mock exam's problem 1: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p1_regression.py), whose imports and constants it uses.
"""


def solution_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    import pandas as pd

    table = pd.concat([pd.read_csv(DATA / "rents_train.csv"), pd.read_csv(DATA / "rents_validation.csv")])
    x = table[FEATURES].to_numpy("float32")
    y = table[LABEL].to_numpy("float32")
    train_x, train_y, val_x, val_y = x[:1000], y[:1000], x[1000:], y[1000:]

    normalise = keras.layers.Normalization()
    normalise.adapt(train_x)
    model = keras.Sequential([
        keras.Input(shape=(len(FEATURES),)),
        normalise,
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mae")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    model.fit(train_x, train_y, validation_data=(val_x, val_y), epochs=80, batch_size=32, callbacks=[stop],
              verbose=2)
    print("validation MAE:", model.evaluate(val_x, val_y, verbose=0), "target:", TARGET_MAE)
    return model
