"""Write the Domain 4 assignment source, ``source/d4_natural_language_processing/``, from the cells below.

The notebook is stored normalised (``tfcert.notebooks.write``: no outputs,
stable cell ids), so this file is its source: edit a cell here, run the script,
then ``tfcert release`` writes the learner version.

Example:
    python notebooks/scripts/build_04_assignment.py && tfcert release d4_natural_language_processing
"""

from __future__ import annotations

from pathlib import Path

from assignment_cells import AssignmentCells

from tfcert import HEADER_CELL
from tfcert.selfcheck import SUBMIT_STEP

ASSIGNMENT = "d4_natural_language_processing"
OUT = Path(__file__).resolve().parent.parent.parent / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
CELLS = AssignmentCells()
md, given, solution, train, graded = CELLS.md, CELLS.given, CELLS.solution, CELLS.train, CELLS.graded

# --------------------------------------------------------------------------------------------------
md("title", """
# Assignment 4: Natural language processing

<a target="_blank" href="https://colab.research.google.com/github/tfcert-course/tfcert/blob/main/release/d4_natural_language_processing/d4_natural_language_processing.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

## Overview

This assignment grades the fourth domain of the certificate's skills checklist: models that read
text. You turn sentences into numbers with `TextVectorization`, build classifiers that take **raw
sentences** and read them in order with recurrent layers, export the word embeddings they learn for
the Embedding Projector, and train an LSTM that writes verse one word at a time. The reviews are
built so that **word order decides the label** ("the soup was bland, but the waiter was friendly" is
positive; swap the clauses and it is negative), so a model that only counts words stays at chance.
It takes about an hour; every training run takes well under a minute on a laptop CPU and needs no
download.

| Task | Skills | Points |
|---|---|---|
| 1. Text into numbers | D4.02 | 3 |
| 2. Reviews: a binary classifier with an LSTM | D4.01, D4.03, D4.05, D4.06 | 5 |
| 3. Complaints: five classes with a GRU or SimpleRNN | D4.04, D4.07, D4.08 | 5 |
| 4. Word embeddings for the Embedding Projector | D4.05 | 2 |
| 5. An LSTM that writes verse | D4.09 | 7 |

**How grading works.** Write your code where it says `# YOUR CODE HERE` (remove the
`raise NotImplementedError()` line). Each task ends with test cells: the visible assertions give you
quick feedback, and hidden tests decide the score. Hidden tests call your functions on inputs you do
not see, and reload the model files you save under `models/` in a fresh, separate Python process,
where they are given **raw held-out sentences** you never saw (Tasks 2 and 3) or held-out lines of
verse (Task 5). So the vectorizer belongs *inside* the classifiers. A number printed in your notebook
counts for nothing: the saved file is what is graded. Any architecture or optimizer that meets a
target gets the points. Before submitting, use *Kernel → Restart and Run All* and check that every
cell runs.

**Targets are thresholds: aim above them.** Training starts from random weights and sees the
examples in a random order, and the grader measures your model on sentences you never see, so a
model that scores just above a target in your notebook may land just below it when graded. Aim for
a margin of a few points by training a little longer or improving the model, not by re-running until
a number passes. Each task has a collapsed **Hint** that points at the lesson section to reread.

This course prepares the skills of the TensorFlow Developer Certificate's checklist; it states
nothing about the exam's current status, fees or dates. For those, see the official page,
https://www.tensorflow.org/certificate.
""")

md("setup-md", """
## Setup

The first cell is the course header: it quiets TensorFlow's start-up logs, fixes the random seeds
and, on Colab, installs the course package. Run it first; do not edit it.
""")

given("header", HEADER_CELL)

given("imports", """
import json
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfcert import datasets, grading, plots

os.makedirs("models", exist_ok=True)


def read_reviews(name: str, split: str, label: str) -> tuple[np.ndarray, np.ndarray]:
    \"\"\"The sentences and labels of a review set, read from its JSON file (a list of records).\"\"\"
    records = json.loads(datasets.to_json(name, split).read_text(encoding="utf-8"))
    return np.array([r["review"] for r in records]), np.array([r[label] for r in records])


REVIEW_TEXTS, REVIEW_LABELS = read_reviews("reviews", "train", "is_positive")
REVIEW_VAL_TEXTS, REVIEW_VAL_LABELS = read_reviews("reviews", "validation", "is_positive")
COMPLAINT_CLASSES = datasets.DATASETS["complaints"].classes  # label i is COMPLAINT_CLASSES[i]
COMPLAINT_TEXTS, COMPLAINT_LABELS = datasets.arrays("complaints", "train")  # integer labels 0-4
COMPLAINT_VAL_TEXTS, COMPLAINT_VAL_LABELS = datasets.arrays("complaints", "validation")
VERSE_LINES = datasets.arrays("verses", "train")[0]
print("TensorFlow", tf.__version__, "| Keras", keras.__version__)
print(len(REVIEW_TEXTS), "reviews, e.g.", repr(str(REVIEW_TEXTS[0])), "->", REVIEW_LABELS[0])
print(len(COMPLAINT_TEXTS), "complaints, e.g.", repr(str(COMPLAINT_TEXTS[0])), "->",
      COMPLAINT_CLASSES[COMPLAINT_LABELS[0]])
print(len(VERSE_LINES), "lines of verse, e.g.")
print(*VERSE_LINES[:4], sep="\\n")
""")

# ------------------------------------------------------------------------------------------ Task 1
md("task1-md", """
## Task 1: Text into numbers (D4.02)

A network computes with numbers, so every sentence must become a list of integer ids first: lower
case, punctuation stripped, split into words, each word looked up in a vocabulary learnt from the
training texts, and every list padded or cut to one length so that sentences can share a batch.

Complete `make_vectorizer(texts, max_tokens=1000, sequence_length=16)`: a
`keras.layers.TextVectorization` layer that does all of that, **adapted on `texts` and only on
them**: its vocabulary holds at most `max_tokens` entries (the padding `""` at id 0 and the
out-of-vocabulary `"[UNK]"` at id 1 included), the most frequent words first, and it turns each text
into exactly `sequence_length` ids: words it does not know become 1, short texts are padded with 0 at
the end, long ones are cut after `sequence_length` words. Tasks 2 and 3 put the layer it returns
inside their models.
""")

md("task1-hint", """
<details><summary>Hint</summary>

Lesson 4, *D4.02 Prepare text with TextVectorization* makes the layer, adapts it, reads its
vocabulary and shows padding and cutting on sentences of different lengths.
</details>
""")

solution("vectorizer", """
def make_vectorizer(texts, max_tokens: int = 1000, sequence_length: int = 16) -> keras.layers.TextVectorization:
    \"\"\"A TextVectorization layer adapted on `texts`: at most max_tokens tokens, sequence_length ids per text.\"\"\"
    ### BEGIN SOLUTION
    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=sequence_length)
    vectorizer.adapt(tf.constant(texts))
    return vectorizer
    ### END SOLUTION
""")

graded("d4-vectorizer", "d4_vectorizer", 3, """
review_vectorizer, _vectorizer_record = grading.calls_made(make_vectorizer, REVIEW_TEXTS, max_tokens=1000,
                                                           sequence_length=16)
grading.check_avoids(_vectorizer_record, tfcert, task="make_vectorizer",
                     advice="make the layer with keras.layers.TextVectorization and adapt it on the texts")
assert isinstance(review_vectorizer, keras.layers.TextVectorization), (
    "make_vectorizer should return a keras.layers.TextVectorization layer")
review_vocabulary = review_vectorizer.get_vocabulary()
print(len(review_vocabulary), "tokens:", [str(token) for token in review_vocabulary[:12]], "...")
print(review_vectorizer(tf.constant(["The soup was NOT bland, but the waiter was rude!"])).numpy())
assert review_vocabulary[:2] == ["", "[UNK]"], "id 0 is the padding token '' and id 1 the unknown-word token '[UNK]'"
assert tuple(review_vectorizer(tf.constant(["the soup was great"])).shape) == (1, 16), (
    "each text should become sequence_length (16) ids")
### BEGIN HIDDEN TESTS
_texts = np.array(["The cat sat.", "the CAT sat, the dog ran!", "the cat? The dog!", "the cat sat on a mat"])
_want = keras.layers.TextVectorization(max_tokens=6, output_sequence_length=4)
_want.adapt(tf.constant(_texts))
_got = make_vectorizer(_texts, max_tokens=6, sequence_length=4)
if list(_got.get_vocabulary()) != list(_want.get_vocabulary()):
    raise grading.GradingError(
        f"adapted on four short sentences with max_tokens=6, the vocabulary should be {_want.get_vocabulary()}, "
        f"got {list(_got.get_vocabulary())[:10]}: adapt the layer on the texts passed to make_vectorizer (only "
        "those), and pass max_tokens through")
_new = tf.constant(["the bird sat on the big cat", "Dog"])
if not np.array_equal(np.asarray(_got(_new)), np.asarray(_want(_new))):
    raise grading.GradingError(
        f"'the bird sat on the big cat' and 'Dog' should become {np.asarray(_want(_new)).tolist()} with "
        f"sequence_length=4, got {np.asarray(_got(_new)).tolist()}: lower case and strip punctuation, unknown "
        "words 1, pad with 0 at the end and cut after sequence_length ids (output_sequence_length)")
### END HIDDEN TESTS
""")

# ------------------------------------------------------------------------------------------ Task 2
md("task2-md", """
## Task 2: Reviews, a binary classifier with an LSTM (D4.01, D4.03, D4.05, D4.06)

Each review has two clauses about two aspects of a restaurant; which clause decides, and whether
"not" flips it, depends on where the words stand. Every word appears as often in positive as in
negative reviews.

Complete `build_review_model(vectorizer)`: a **compiled** binary classifier that takes **raw
sentences**, `keras.Input(shape=(1,), dtype="string")` (or `shape=()`), turns them into ids with
`vectorizer` (the Task 1 layer, already adapted on the training reviews) **inside the model**, embeds
the ids (`keras.layers.Embedding`), reads them in order with at least one **LSTM** layer
(`Bidirectional(LSTM(...))` counts), and ends in one sigmoid unit: the probability that the review is
positive.

Target: at least **90 %** accuracy on held-out reviews, given to the saved model as raw sentences.
""")

md("task2-hint", """
<details><summary>Hint</summary>

Lesson 4, *D4.01 From raw sentences to predictions: a text model in TensorFlow* builds a model that
takes strings and saves it; *D4.06 LSTMs for text classification* puts an LSTM after the `Embedding`;
*D4.03 Classify text into two categories* explains the sigmoid head and its loss.
</details>
""")

solution("review-build", """
def build_review_model(vectorizer: keras.layers.TextVectorization) -> keras.Model:
    \"\"\"A compiled model: raw sentences in, the probability that each review is positive out (None, 1).\"\"\"
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        vectorizer,
        keras.layers.Embedding(len(vectorizer.get_vocabulary()), 32, mask_zero=True),
        keras.layers.LSTM(32),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="binary_crossentropy",
                  metrics=["accuracy"])
    ### END SOLUTION
    return model
""")

md("task2-train-md", """
The next cell trains the model (about 15 seconds on a laptop CPU), saves it with its history, plots
the curves and asks it about sentences it never saw. You may change the number of epochs.
""")

train("review-train", """
REVIEW_PATH = "models/reviews_lstm.keras"

review_train = tf.data.Dataset.from_tensor_slices((REVIEW_TEXTS, REVIEW_LABELS)).shuffle(8000, seed=42).batch(64)
review_val = tf.data.Dataset.from_tensor_slices((REVIEW_VAL_TEXTS, REVIEW_VAL_LABELS)).batch(256)
review_model = build_review_model(make_vectorizer(REVIEW_TEXTS, max_tokens=1000, sequence_length=16))
review_model.summary()
review_history = review_model.fit(review_train, validation_data=review_val, epochs=10, verbose=2)
review_model.save(REVIEW_PATH)
tfcert.save_history(review_history, REVIEW_PATH)
plots.plot_history(review_history, title="reviews");

new_reviews = ["the soup was bland, but the waiter was friendly", "the waiter was friendly, but the soup was bland",
               "the bill was not steep, even though the music was dull"]
for sentence, probability in zip(new_reviews, review_model.predict(tf.constant(new_reviews), verbose=0)[:, 0]):
    print(f"{probability:.2f} positive  {sentence}")
""")

graded("d4-review-shapes", "d4_review_shapes", 2, """
review_report = grading.model_report("models/reviews_lstm.keras", dataset="reviews")
grading.check_input_dtype(review_report, "string")
grading.check_output_shape(review_report, (None, 1))
grading.check_final_activation(review_report, "sigmoid")
grading.check_layers(review_report, ("TextVectorization",), what="a TextVectorization layer",
                     advice="put the vectorizer inside the model, right after keras.Input(shape=(1,), dtype='string'), "
                     "so that the saved model takes raw sentences")
grading.check_layers(review_report, ("Embedding",), what="an Embedding layer",
                     advice="turn the ids into learnt vectors with keras.layers.Embedding right after the vectorizer")
grading.check_layers(review_report, ("LSTM",), what="an LSTM layer",
                     advice="read the embedded words in order with keras.layers.LSTM (or Bidirectional(LSTM(...))): "
                     "in these reviews word order decides the label")
""", verify=True)

graded("d4-review-accuracy", "d4_review_accuracy", 3, """
review_curves = grading.load_history("models/reviews_lstm.keras")
assert review_curves.get("val_accuracy", [0])[-1] >= 0.90, (
    "validation accuracy is below 0.90: train for more epochs (an LSTM can sit at 0.5 for a few epochs, then jump)")
### BEGIN HIDDEN TESTS
grading.check_history(review_curves)
grading.check_metric(grading.model_report("models/reviews_lstm.keras", dataset="reviews"), "accuracy", 0.90,
                     advice="read the words in order (an LSTM over the embeddings; a model that averages or counts "
                     "words cannot tell these reviews apart) and train until the validation accuracy jumps")
### END HIDDEN TESTS
""", verify=True)

# ------------------------------------------------------------------------------------------ Task 3
md("task3-md", """
## Task 3: Complaints, five classes with a GRU or SimpleRNN (D4.04, D4.07, D4.08)

The same kind of sentences, but now the question is *what* the guest complained about: `food`,
`service`, `price`, `place` or `music` (`COMPLAINT_CLASSES`, labels 0 to 4). Both clauses name an
aspect; negation and the connective decide which of the two is the complaint.

Complete `build_complaint_model(vectorizer)`: a **compiled** classifier that takes raw sentences,
vectorizes them inside the model, and reads them with at least one **GRU or SimpleRNN** layer (you may
add a `Conv1D` before it), ending in **one softmax unit per class**, shape `(None, 5)`. The training
cell gives it integer labels.

Target: at least **85 %** accuracy on held-out complaints, given to the saved model as raw sentences.
""")

md("task3-hint", """
<details><summary>Hint</summary>

Lesson 4, *D4.04 Classify text into several categories* sets the softmax head and the loss for
integer labels; *D4.07 SimpleRNN and GRU layers* and *D4.08 Word order: a bag of embeddings against
RNNs and Conv1D* compare the recurrent and convolutional layers on this data, and show what
`mask_zero=True` does for them.
</details>
""")

solution("complaint-build", """
def build_complaint_model(vectorizer: keras.layers.TextVectorization) -> keras.Model:
    \"\"\"A compiled model: raw sentences in, the probabilities of the five complaint classes out (None, 5).\"\"\"
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        vectorizer,
        keras.layers.Embedding(len(vectorizer.get_vocabulary()), 32, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.GRU(32)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(len(COMPLAINT_CLASSES), activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    ### END SOLUTION
    return model
""")

md("task3-train-md", """
The next cell trains the model (about 20 seconds), saves it with its history and prints the accuracy
per class on the validation complaints. You may change the number of epochs.
""")

train("complaint-train", """
COMPLAINT_PATH = "models/complaints_rnn.keras"

complaint_train = tf.data.Dataset.from_tensor_slices((COMPLAINT_TEXTS, COMPLAINT_LABELS)).shuffle(8000, seed=42).batch(64)
complaint_val = tf.data.Dataset.from_tensor_slices((COMPLAINT_VAL_TEXTS, COMPLAINT_VAL_LABELS)).batch(256)
complaint_model = build_complaint_model(make_vectorizer(COMPLAINT_TEXTS, max_tokens=1000, sequence_length=16))
complaint_history = complaint_model.fit(complaint_train, validation_data=complaint_val, epochs=10, verbose=2)
complaint_model.save(COMPLAINT_PATH)
tfcert.save_history(complaint_history, COMPLAINT_PATH)
plots.plot_history(complaint_history, title="complaints");

predicted = complaint_model.predict(tf.constant(COMPLAINT_VAL_TEXTS), verbose=0).argmax(axis=1)
for label, name in enumerate(COMPLAINT_CLASSES):
    mine = COMPLAINT_VAL_LABELS == label
    print(f"{name:8s} {np.mean(predicted[mine] == label):.3f} of {mine.sum()} validation complaints")
""")

graded("d4-complaint-shapes", "d4_complaint_shapes", 2, """
complaint_report = grading.model_report("models/complaints_rnn.keras", dataset="complaints")
grading.check_input_dtype(complaint_report, "string")
grading.check_output_shape(complaint_report, (None, 5))
grading.check_final_activation(complaint_report, "softmax")
grading.check_layers(complaint_report, ("TextVectorization",), what="a TextVectorization layer",
                     advice="put the vectorizer inside the model, right after keras.Input(shape=(1,), dtype='string'), "
                     "so that the saved model takes raw sentences")
grading.check_layers(complaint_report, ("GRU", "SimpleRNN"), what="a GRU or SimpleRNN layer",
                     advice="read the embedded words in order with keras.layers.GRU or keras.layers.SimpleRNN "
                     "(Bidirectional counts); a Conv1D may come before it")
""", verify=True)

graded("d4-complaint-accuracy", "d4_complaint_accuracy", 3, """
complaint_curves = grading.load_history("models/complaints_rnn.keras")
assert complaint_curves.get("val_accuracy", [0])[-1] >= 0.85, (
    "validation accuracy is below 0.85: train for more epochs, or try mask_zero=True in the Embedding")
### BEGIN HIDDEN TESTS
grading.check_history(complaint_curves)
grading.check_metric(grading.model_report("models/complaints_rnn.keras", dataset="complaints"), "accuracy", 0.85,
                     advice="read the words in order (a GRU or SimpleRNN over the embeddings, with mask_zero=True in "
                     "the Embedding) and train until the validation accuracy leaves its plateau")
### END HIDDEN TESTS
""", verify=True)

# ------------------------------------------------------------------------------------------ Task 4
md("task4-md", """
## Task 4: Word embeddings for the Embedding Projector (D4.05)

The `Embedding` layer of the review model learnt one vector per word. The Embedding Projector
(https://projector.tensorflow.org, *Load*) shows them in 3-D from two tab-separated files: one vector
per line, and one word per line, in the same order.

Complete `export_embeddings(model, folder)`: find the model's `TextVectorization` and `Embedding`
layers, and write `vectors.tsv` and `metadata.tsv` into `folder`, one line per vocabulary entry
**except the padding** (id 0): line *k* of `metadata.tsv` is the word with id *k* + 1, line *k* of
`vectors.tsv` its vector, the values separated by tabs. No header line. The `Embedding` may have more
rows than the vocabulary has entries: write one line per vocabulary entry. Return the two paths,
`(vectors_path, metadata_path)`.
""")

md("task4-hint", """
<details><summary>Hint</summary>

Lesson 4, *D4.05 Word embeddings: train, inspect, export* reads the weights of an `Embedding` layer,
finds the nearest words and writes the two files.
</details>
""")

solution("export", """
def export_embeddings(model: keras.Model, folder) -> tuple[Path, Path]:
    \"\"\"Write vectors.tsv and metadata.tsv for the Embedding Projector (padding skipped); return their paths.\"\"\"
    ### BEGIN SOLUTION
    vectorizer = next(layer for layer in model.layers if isinstance(layer, keras.layers.TextVectorization))
    embedding = next(layer for layer in model.layers if isinstance(layer, keras.layers.Embedding))
    vocabulary = vectorizer.get_vocabulary()
    weights = embedding.get_weights()[0]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vectors_path, metadata_path = folder / "vectors.tsv", folder / "metadata.tsv"
    with open(vectors_path, "w", encoding="utf-8") as vectors, open(metadata_path, "w", encoding="utf-8") as metadata:
        for index, word in enumerate(vocabulary):
            if index == 0:
                continue  # the padding
            vectors.write("\\t".join(str(value) for value in weights[index]) + "\\n")
            metadata.write(word + "\\n")
    return vectors_path, metadata_path
    ### END SOLUTION
""")

graded("d4-export-embeddings", "d4_export_embeddings", 2, """
vectors_path, metadata_path = export_embeddings(review_model, "models/projector")
exported_words = Path(metadata_path).read_text(encoding="utf-8").splitlines()
exported_vectors = np.loadtxt(vectors_path, delimiter="\\t", ndmin=2)
print(len(exported_words), "words, vectors of shape", exported_vectors.shape, "| first words:", exported_words[:6])
assert len(exported_words) == len(exported_vectors), "metadata.tsv and vectors.tsv should have one line per word each"
### BEGIN HIDDEN TESTS
import tempfile as _tempfile
_vectorizer = keras.layers.TextVectorization(vocabulary=["soup", "rude", "fresh"])
_embedding = keras.layers.Embedding(10, 3)
_model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), _vectorizer, _embedding,
                           keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1, activation="sigmoid")])
_weights = (np.arange(30, dtype="float32").reshape(10, 3) - 7.5) / 4
_embedding.set_weights([_weights])
_folder = Path(_tempfile.mkdtemp())
_paths = export_embeddings(_model, _folder)
if Path(_paths[0]).name != "vectors.tsv" or Path(_paths[1]).name != "metadata.tsv":
    raise grading.GradingError(f"export_embeddings should return (folder/'vectors.tsv', folder/'metadata.tsv'), got {_paths}")
_words = (_folder / "metadata.tsv").read_text(encoding="utf-8").splitlines()
if _words != ["[UNK]", "soup", "rude", "fresh"]:
    raise grading.GradingError(
        f"for the vocabulary ['', '[UNK]', 'soup', 'rude', 'fresh'] metadata.tsv should list [UNK], soup, rude and "
        f"fresh, one per line, got {_words[:8]}: skip the padding (id 0) and write one line per vocabulary entry, "
        "not per row of the Embedding")
_rows = [[float(v) for v in line.split("\\t")] for line in (_folder / "vectors.tsv").read_text(encoding="utf-8").splitlines()]
if len(_rows) != 4 or not np.allclose(_rows, _weights[1:5], atol=1e-4):
    raise grading.GradingError(
        "vectors.tsv should hold the Embedding rows of ids 1 to 4 (one line each, values separated by tabs, in "
        "the order of metadata.tsv): read them with embedding.get_weights()[0][index]")
### END HIDDEN TESTS
""")

# ------------------------------------------------------------------------------------------ Task 5
md("task5-md", """
## Task 5: An LSTM that writes verse (D4.09)

`VERSE_LINES` holds 2,000 lines of rhyming verse. A next-word model reads the words of a line so far
and gives a probability for every word of the vocabulary; writing text is then asking it again and
again, each time with the word it just chose added. The next cell makes the vocabulary (every word
of the lines), saves it to `models/verses_vocab.txt` (the grader reads your model's outputs with
it), and fixes the window: the model sees the **last 8 words** before the one it predicts.
""")

given("verse-vocabulary", """
VERSE_VECTORIZER = keras.layers.TextVectorization()  # no max_tokens, no fixed length: every word, every id
VERSE_VECTORIZER.adapt(tf.constant(VERSE_LINES))
VERSE_VOCABULARY = [str(token) for token in VERSE_VECTORIZER.get_vocabulary()]
Path("models/verses_vocab.txt").write_text("\\n".join(VERSE_VOCABULARY) + "\\n", encoding="utf-8")
WINDOW = 8
print(len(VERSE_VOCABULARY), "tokens:", VERSE_VOCABULARY[:12], "...")
""")

md("task5-pairs-md", """
1. Complete `next_word_pairs(lines, vectorizer, window)`: the training pairs of every line, in order:
   for each word of a line after its first, the **ids of the words before it in the same line**, the
   last `window` of them, padded with 0 **in front** to length `window`, and the id of that word.
   Return `(contexts, next_ids)`: integer arrays of shapes `(pairs, window)` and `(pairs,)`. For
   example, with ids `the`=2, `river`=5, `sings`=9, the line "the river sings" gives the contexts
   `[0, ..., 0, 2]` and `[0, ..., 2, 5]` and the next ids `5` and `9`.
""")

md("task5-hint", """
<details><summary>Hint</summary>

Lesson 4, *D4.09 Generate text with an LSTM* cuts lines into (words before, next word) pairs with
`keras.utils.pad_sequences(..., padding="pre")`, trains the model, and writes a `generate` function
with greedy and sampled choices.
</details>
""")

solution("pairs", """
def next_word_pairs(lines, vectorizer: keras.layers.TextVectorization, window: int) -> tuple[np.ndarray, np.ndarray]:
    \"\"\"(contexts (pairs, window), next ids (pairs,)): the last `window` ids before each word, 0-padded in front.\"\"\"
    ### BEGIN SOLUTION
    contexts, next_ids = [], []
    for ids in vectorizer(tf.constant(lines)).numpy():
        ids = ids[ids != 0]
        for end in range(1, len(ids)):
            contexts.append(ids[:end])
            next_ids.append(ids[end])
    contexts = keras.utils.pad_sequences(contexts, maxlen=window, padding="pre", truncating="pre")
    return contexts.astype("int64"), np.array(next_ids, dtype="int64")
    ### END SOLUTION
""")

graded("d4-next-word-pairs", "d4_next_word_pairs", 1, """
verse_contexts, verse_next_ids = next_word_pairs(VERSE_LINES, VERSE_VECTORIZER, WINDOW)
print(verse_contexts.shape, verse_next_ids.shape)
for context, next_id in list(zip(verse_contexts, verse_next_ids))[:4]:
    print(context, "->", next_id, " ".join(VERSE_VOCABULARY[i] for i in context if i), "->", VERSE_VOCABULARY[next_id])
assert verse_contexts.shape[1:] == (WINDOW,) and len(verse_contexts) == len(verse_next_ids), (
    "contexts should have shape (pairs, window) and next ids (pairs,)")
### BEGIN HIDDEN TESTS
_vectorizer = keras.layers.TextVectorization(vocabulary=["the", "cat", "sat", "on", "mat"])
_contexts, _next = next_word_pairs(np.array(["the cat sat on the mat", "cat sat", "mat"]), _vectorizer, 3)
_want_contexts = [[0, 0, 2], [0, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 2], [0, 0, 3]]
_want_next = [3, 4, 5, 2, 6, 4]
if np.asarray(_contexts).tolist() != _want_contexts or np.asarray(_next).tolist() != _want_next:
    raise grading.GradingError(
        f"with the vocabulary ['', '[UNK]', 'the', 'cat', 'sat', 'on', 'mat'] and window=3, the lines 'the cat sat "
        f"on the mat', 'cat sat' and 'mat' should give the contexts {_want_contexts} and the next ids {_want_next}, "
        f"got {np.asarray(_contexts).tolist()} and {np.asarray(_next).tolist()}: the words before each word of a "
        "line, the last window of them, padded with 0 in front; a one-word line gives no pair")
### END HIDDEN TESTS
""")

md("task5-model-md", """
2. Complete `build_next_word_model(vocabulary_size, window)`: a **compiled** model that takes
   contexts of `window` ids, shape `(None, window)`, embeds them, reads them with at least one
   **LSTM** layer and gives **one softmax probability per vocabulary entry**, shape
   `(None, vocabulary_size)`: output *i* is the probability that the next word is
   `VERSE_VOCABULARY[i]`.

   Target: the word the model finds most probable is the right one at **60 %** or more of the places
   in held-out lines of verse. (Always guessing the most frequent word, "the", is right about 13 % of
   the time; many places are a free choice the model cannot guess.)
""")

solution("next-word-build", """
def build_next_word_model(vocabulary_size: int, window: int) -> keras.Model:
    \"\"\"A compiled LSTM model: (None, window) ids in, (None, vocabulary_size) next-word probabilities out.\"\"\"
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(window,)),
        keras.layers.Embedding(vocabulary_size, 32),
        keras.layers.LSTM(64),
        keras.layers.Dense(vocabulary_size, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ### END SOLUTION
    return model
""")

md("task5-train-md", """
The next cell cuts the lines into pairs with your function, trains the model on them (about 15
seconds) and saves it with its history. You may change the number of epochs.
""")

train("next-word-train", """
VERSE_PATH = "models/verses_lstm.keras"

verse_contexts, verse_next_ids = next_word_pairs(VERSE_LINES, VERSE_VECTORIZER, WINDOW)
verse_model = build_next_word_model(len(VERSE_VOCABULARY), WINDOW)
verse_history = verse_model.fit(verse_contexts, verse_next_ids, validation_split=0.1, epochs=10, batch_size=64,
                                verbose=2)
verse_model.save(VERSE_PATH)
tfcert.save_history(verse_history, VERSE_PATH)
plots.plot_history(verse_history, title="next word");
""")

graded("d4-next-word-model", "d4_next_word_model", 1, """
verse_report = grading.model_report("models/verses_lstm.keras", dataset="verses", vocabulary="models/verses_vocab.txt")
grading.check_input_shape(verse_report, (None, 8))
grading.check_final_activation(verse_report, "softmax")
grading.check_layers(verse_report, ("Embedding",), what="an Embedding layer",
                     advice="turn the ids into learnt vectors with keras.layers.Embedding(vocabulary_size, ...) first")
grading.check_layers(verse_report, ("LSTM",), what="an LSTM layer",
                     advice="read the words before in order with keras.layers.LSTM")
""", verify=True)

graded("d4-next-word-accuracy", "d4_next_word_accuracy", 3, """
verse_curves = grading.load_history("models/verses_lstm.keras")
assert verse_curves.get("accuracy", [0])[-1] >= 0.60, "training accuracy is below 0.60: train for more epochs"
### BEGIN HIDDEN TESTS
grading.check_history(verse_curves)
grading.check_next_word(grading.model_report("models/verses_lstm.keras", dataset="verses",
                                             vocabulary="models/verses_vocab.txt"), min_accuracy=0.60)
### END HIDDEN TESTS
""", verify=True)

md("task5-generate-md", """
3. Complete `generate(model, vocabulary, seed_text, n_words, temperature=0.0, random_seed=None)`:
   return `seed_text` followed by `n_words` new **words** (not ids), separated by single spaces. Each
   new word comes from the model's probabilities for the ids of the last `window` words so far
   (read `window` from `model.input_shape`; words missing from the vocabulary count as id 1),
   **never the padding `""` or `"[UNK]"`**:
   - `temperature=0`: the most probable word (greedy);
   - `temperature > 0`: a word drawn at random with probabilities proportional to
     `exp(log(p) / temperature)`: low temperatures stay close to greedy, high ones wander. Draw with
     `np.random.default_rng(random_seed)`, so that the same `random_seed` always writes the same text.
""")

solution("generate", """
def generate(model: keras.Model, vocabulary: list[str], seed_text: str, n_words: int, temperature: float = 0.0,
             random_seed: int | None = None) -> str:
    \"\"\"seed_text and n_words more words, greedy (temperature 0) or sampled; the same random_seed, the same text.\"\"\"
    ### BEGIN SOLUTION
    rng = np.random.default_rng(random_seed)
    ids_of = {word: index for index, word in enumerate(vocabulary)}
    window = model.input_shape[1]
    words = seed_text.split()
    for _ in range(n_words):
        ids = [ids_of.get(word, 1) for word in words][-window:]
        context = np.array([[0] * (window - len(ids)) + ids])
        probabilities = np.asarray(model(context, training=False))[0].astype("float64")
        probabilities[:2] = 0.0  # never the padding or [UNK]
        if temperature == 0:
            choice = int(np.argmax(probabilities))
        else:
            logits = np.log(np.maximum(probabilities, 1e-12)) / temperature
            weights = np.exp(logits - logits.max())
            weights[:2] = 0.0
            choice = int(rng.choice(len(weights), p=weights / weights.sum()))
        words.append(vocabulary[choice])
    return " ".join(words)
    ### END SOLUTION
""")

graded("d4-generate-words", "d4_generate_words", 1, """
greedy_verse = generate(verse_model, VERSE_VOCABULARY, "the river", 6)
print(greedy_verse)
for seed in (1, 2, 3):
    print(f"temperature 0.8, seed {seed}:", generate(verse_model, VERSE_VOCABULARY, "my heart", 10, 0.8, seed))
assert isinstance(greedy_verse, str), "generate should return a string of words"
assert greedy_verse.startswith("the river") and len(greedy_verse.split()) == 8, (
    "generate should return the seed text followed by n_words new words")
### BEGIN HIDDEN TESTS
_vocabulary = ["", "[UNK]", "red", "green", "blue", "gold"]
_following = {2: 3, 3: 4, 4: 5, 5: 2}  # red -> green -> blue -> gold -> red
_logits = np.zeros((6, 6), dtype="float32")
for _word, _next in _following.items():
    _logits[_word, _next] = 5.0
_logits[:, 1] = 9.0  # [UNK] is the most probable token everywhere: generate must skip it
_logits[:, 0] = 8.0  # and the padding
_chain = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Embedding(6, 6), keras.layers.Cropping1D((2, 0)),
                           keras.layers.Flatten(), keras.layers.Softmax()])
_chain.layers[0].set_weights([_logits])
_text = generate(_chain, _vocabulary, "blue", 5)
if not isinstance(_text, str):
    raise grading.GradingError(f"generate should return a string, got {type(_text).__name__}: join the words with spaces")
_words = _text.split()
if _words[:1] != ["blue"] or len(_words) != 6:
    raise grading.GradingError(f"generate(model, vocabulary, 'blue', 5) should return 'blue' and 5 more words, got {_text!r}")
if any(_word not in _vocabulary[2:] for _word in _words):
    raise grading.GradingError(
        f"generate wrote {_text!r}: every new word should be a word of the vocabulary, never an id, the padding '' "
        "or '[UNK]' (set their probabilities to 0 before choosing)")
if _text != "blue gold red green blue gold":
    raise grading.GradingError(
        f"with temperature=0 each new word should be the most probable one given the last words (here 'blue gold "
        f"red green blue gold'), got {_text!r}: use np.argmax of the model's probabilities for the ids of the last "
        "window words, padded with 0 in front")
### END HIDDEN TESTS
""")

graded("d4-generate-sampling", "d4_generate_sampling", 1, """
assert generate(verse_model, VERSE_VOCABULARY, "my heart", 10, 0.8, 7) == generate(
    verse_model, VERSE_VOCABULARY, "my heart", 10, 0.8, 7), "the same random_seed should write the same text"
### BEGIN HIDDEN TESTS
_vocabulary = ["", "[UNK]", "red", "green", "blue", "gold"]
_logits = np.zeros((6, 6), dtype="float32")
for _word, _next in {2: 3, 3: 4, 4: 5, 5: 2}.items():
    _logits[_word, _next] = 4.0
_logits[:, :2] = 6.0
_chain = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Embedding(6, 6), keras.layers.Cropping1D((1, 0)),
                           keras.layers.Flatten(), keras.layers.Softmax()])
_chain.layers[0].set_weights([_logits])
_runs = [generate(_chain, _vocabulary, "red", 30, 2.0, _seed) for _seed in (11, 11, 12, 13)]
if _runs[0] != _runs[1]:
    raise grading.GradingError(
        "two calls with random_seed=11 wrote different texts: draw every random choice from "
        "np.random.default_rng(random_seed), made once per call")
if len(set(_runs[1:])) == 1:
    raise grading.GradingError(
        "random_seed 11, 12 and 13 at temperature 2.0 wrote the same text: with a temperature above 0, draw each "
        "word at random from the probabilities (rng.choice(len(p), p=p)), not the most probable one")
if any(_word not in _vocabulary[2:] for _run in _runs for _word in _run.split()):
    raise grading.GradingError("a sampled text holds an id, '' or '[UNK]': give those tokens probability 0 before drawing")

def _follow_share(_temperature):
    _words = generate(_chain, _vocabulary, "red", 200, _temperature, 5).split()
    return np.mean([{"red": "green", "green": "blue", "blue": "gold", "gold": "red"}[_a] == _b
                    for _a, _b in zip(_words, _words[1:])])

_cold, _hot = _follow_share(0.25), _follow_share(20.0)
if not (_cold > 0.95 and _hot < 0.5):
    raise grading.GradingError(
        f"the likeliest next word was chosen {_cold:.0%} of the time at temperature 0.25 and {_hot:.0%} at 20: low "
        "temperatures should stay close to greedy and high ones wander; divide the log-probabilities by the "
        "temperature (exp(log(p) / temperature)), do not multiply")
### END HIDDEN TESTS
""")

md("submit-md", f"""
## Before you submit

1. *Kernel → Restart and Run All*, and check every cell runs without an error.
2. Check that `models/` holds `reviews_lstm.keras`, `complaints_rnn.keras`, `verses_lstm.keras`, their
   `.history.json` files and `verses_vocab.txt`.
3. {SUBMIT_STEP}
4. Submit the notebook; the grader runs it again from the top, so the files are made anew.
""")


if __name__ == "__main__":
    CELLS.write(OUT)
