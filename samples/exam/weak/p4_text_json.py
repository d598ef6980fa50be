"""A plausible weak solution of the mock exam's problem 4: the starter's solution_model(), completed.

Only the function: tfcert.exam.session.with_solution puts it into an attempt's starter
(tfcert/exam/starters/p4_text_json.py), whose imports and constants it uses.
"""


def solution_model() -> keras.Model:
    # Averages the word vectors: a bag of words, which cannot tell which of two aspects is criticised.
    keras.utils.set_random_seed(0)
    records = json.loads((DATA / "complaints.json").read_text())
    texts = np.array([r["review"] for r in records])
    labels = np.array([CLASS_NAMES.index(r["complaint"]) for r in records])

    vectorize = keras.layers.TextVectorization(output_sequence_length=24)
    vectorize.adapt(texts)
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        vectorize,
        keras.layers.Embedding(vectorize.vocabulary_size(), 16),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(tf.data.Dataset.from_tensor_slices((texts[:, None], labels)).batch(64), epochs=5, verbose=2)
    return model
