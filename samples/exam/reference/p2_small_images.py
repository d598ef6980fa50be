"""The reference solution of the mock exam's problem 2: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p2_small_images.py), whose imports and constants it uses.
"""


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
