"""A plausible weak solution of the mock exam's problem 2: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p2_small_images.py), whose imports and constants it uses.
"""


def solution_model() -> keras.Model:
    # One small Dense layer on the flattened pixels, two epochs: no convolution sees the strokes' shapes.
    keras.utils.set_random_seed(0)
    with np.load(DATA / "glyphs.npz") as data:
        x, y = data["x_train"], data["y_train"]

    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=64, verbose=2)
    return model
