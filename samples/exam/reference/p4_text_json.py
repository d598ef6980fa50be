"""The reference solution of the mock exam's problem 4: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p4_text_json.py), whose imports and constants it uses.
"""


def solution_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    records = json.loads((DATA / "complaints.json").read_text())
    texts = np.array([r["review"] for r in records])
    labels = np.array([CLASS_NAMES.index(r["complaint"]) for r in records])
    cut = int(0.8 * len(texts))

    vectorize = keras.layers.TextVectorization(output_sequence_length=24)
    vectorize.adapt(texts[:cut])
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        vectorize,
        keras.layers.Embedding(vectorize.vocabulary_size(), 32),
        keras.layers.Conv1D(64, 5, activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train = tf.data.Dataset.from_tensor_slices((texts[:cut, None], labels[:cut])).shuffle(cut, seed=0).batch(64)
    validation = tf.data.Dataset.from_tensor_slices((texts[cut:, None], labels[cut:])).batch(256)
    model.fit(train, validation_data=validation, epochs=8, verbose=2)
    return model
