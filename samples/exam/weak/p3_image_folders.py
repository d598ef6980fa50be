"""A plausible weak solution of the mock exam's problem 3: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p3_image_folders.py), whose imports and constants it uses.
"""


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
