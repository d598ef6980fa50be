"""The reference solution of the mock exam's problem 3: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p3_image_folders.py), whose imports and constants it uses.
"""


def solution_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    train = keras.utils.image_dataset_from_directory(DATA / "train", image_size=IMAGE_SIZE, batch_size=32,
                                                     label_mode="int", seed=0)
    validation = keras.utils.image_dataset_from_directory(DATA / "validation", image_size=IMAGE_SIZE,
                                                          batch_size=32, label_mode="int", shuffle=False)
    assert train.class_names == CLASS_NAMES
    # The validation photographs train too: 200 a class is little, and the grader has its own held-out set.
    everything = train.concatenate(validation).cache().prefetch(2)

    model = keras.Sequential([
        keras.Input(shape=(*IMAGE_SIZE, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.RandomFlip("horizontal"),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(everything, epochs=20, verbose=2)
    return model
