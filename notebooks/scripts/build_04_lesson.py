"""Write the Domain 4 lesson, ``notebooks/04_natural_language_processing.ipynb``, from the cells below.

The notebook is stored without outputs (``tfcert.notebooks.write``), so this file
is its source: edit a cell here, run the script, and the notebook is rewritten
with the same cell ids, which keeps diffs small.

Example:
    python notebooks/scripts/build_04_lesson.py
"""

from __future__ import annotations

from pathlib import Path

from lesson_cells import LessonCells

from tfcert import HEADER_CELL

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "04_natural_language_processing.ipynb"
CELLS = LessonCells()
md, code = CELLS.md, CELLS.code


# --------------------------------------------------------------------------------------------------
md("title", """
# Domain 4: Natural language processing

[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tfcert-course/tfcert/blob/main/notebooks/04_natural_language_processing.ipynb)
""")

md("overview", """
## Overview

Images arrive as grids of numbers; text arrives as strings of words, of every length. Before a network
can read a sentence, the sentence must become numbers: a list of word ids, and then a vector for each
word. This domain follows that path from a JSON file of reviews to a saved model that takes raw
sentences, and compares the layers that read the word vectors: an average that ignores word order,
recurrent layers (`SimpleRNN`, `GRU`, `LSTM`) that read the words one after another, and `Conv1D`,
which reads short phrases. It ends with a network that writes verse, one word at a time.

**What you will learn**

| ID | Skill | In this notebook |
|----|-------|------------------|
| D4.01 | Build natural language processing systems with TensorFlow | a JSON file read into `tf.data`, a model that takes raw sentences, trained, saved, reloaded and asked about new sentences |
| D4.02 | Prepare text for use in TensorFlow models | `TextVectorization`: standardisation, the vocabulary from `adapt`, `max_tokens`, `output_sequence_length`; `pad_sequences`; the legacy `Tokenizer` |
| D4.03 | Classify text into two categories | one sigmoid unit and `binary_crossentropy`, probabilities turned into class names, a head that does not fit the labels |
| D4.04 | Classify text into several categories | five softmax units, `sparse_categorical_crossentropy` or one-hot labels with `categorical_crossentropy`, a confusion matrix, heads one unit too narrow or too wide |
| D4.05 | Use word embeddings in a model | what a row of an `Embedding` is, nearest words by cosine similarity, a 2-D view, `vectors.tsv` and `metadata.tsv` for the Embedding Projector |
| D4.06 | Use LSTMs to classify text, binary or multi-class | `LSTM`, `Bidirectional`, stacked layers with `return_sequences=True` |
| D4.07 | Add RNN and GRU layers to a model | `SimpleRNN` and `GRU`, their sizes, padding and `mask_zero=True` |
| D4.08 | Use RNNs, LSTMs, GRUs and CNNs in models that work with text | a bag of embeddings against every recurrent layer and `Conv1D`, on data where word order decides the label: accuracy and training time |
| D4.09 | Train LSTMs on existing text to generate text such as songs or poetry | a next-word LSTM trained on rhyming lines, greedy and sampled generation, temperature |

**Time needed:** about 90 minutes to read and experiment. Running every cell takes about three
minutes on a laptop CPU; no GPU is needed.

**How it maps to the exam:** a text task gives you sentences and their labels in a file (in this
course a JSON file, a list of records), and asks for a trained, saved classifier. The course's grader
loads your `.keras` file in a clean process and feeds it sentences it has never seen, as plain
strings. So the model must do its own text preparation (D4.01, D4.02), its output layer must match
the labels (D4.03, D4.04), and it must read word order when the meaning depends on it (D4.06 to
D4.08). The handbook's last NLP skill, generating text, is D4.09.

**Aim for a margin.** Starting weights are random and the data is shuffled, so two runs differ a
little; the grader measures on sentences you never saw. Aim a few points above a target.

**About the exam itself:** this course states nothing about the certificate exam's current status,
fees or dates; for those, see the official page, https://www.tensorflow.org/certificate.

**Data:** the course package generates all three sets on your machine from fixed seeds, so the
notebook runs offline (the data card is `tfcert.datasets.card("reviews")`).
- `reviews`: one-sentence restaurant reviews with two clauses, "the soup was not bland, but the
  waiter was rude"; label `is_positive`. The connective (*but*, *yet*, *although*, *even though*)
  decides which clause counts, and *not* flips an adjective. Every word appears as often in positive
  as in negative reviews, so only word order tells them apart. 8,000 training and 2,000 validation
  reviews.
- `complaints`: the same kind of sentences, labelled with the aspect that is criticised: food,
  service, price, place or music. 8,000 and 2,000.
- `verses`: rhyming lines of four-line stanzas, "the harbour was waiting in the sea", for generating
  text. 2,000 and 200 lines.
""")

md("setup", """
## Setup

The first code cell is the same in every notebook of this course. It quiets TensorFlow's start-up
logging, fixes the random seeds so your numbers match the text, installs the course package when
you are on Colab, and prints which devices TensorFlow found. Run it first. On a computer without an
NVIDIA GPU you may see a few lines about CUDA: they are harmless.
""")

code("header", HEADER_CELL)

md("imports-intro", """
Then the rest of the imports, all in one place. Every model this notebook saves goes under `models/`,
next to the notebook. The classifiers all cut or pad a review to 16 words and train for 10 epochs.
""")

code("imports", r'''
import json
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tfcert import datasets, plots

tf.get_logger().setLevel("ERROR")  # TensorFlow's Python logger: errors only
os.makedirs("models", exist_ok=True)  # model.save does not create folders
AUTOTUNE = tf.data.AUTOTUNE
SEQUENCE_LENGTH = 16  # word ids per review: the longest review has 14 words
BATCH_SIZE = 64
EPOCHS = 10
print("TensorFlow", tf.__version__, "| Keras", keras.__version__)
''')

# --------------------------------------------------------------------------------------------------
md("d4-01", """
## D4.01 From raw sentences to predictions: a text model in TensorFlow

This section goes the whole way once, from a file to predictions on sentences you type; the sections
after it take each step apart.

Text data often comes as a JSON file: a list of records, each with the text and its label. The
course package writes the reviews that way (the first call writes the files, later calls reuse them).
Python's `json` module reads them:
""")

code("d4-01-json", r'''
train_path = datasets.to_json("reviews", "train")
val_path = datasets.to_json("reviews", "validation")
with open(train_path, encoding="utf-8") as file:
    train_records = json.load(file)  # a list of dicts
with open(val_path, encoding="utf-8") as file:
    val_records = json.load(file)
print(f"{train_path.name}: {len(train_records)} records, {val_path.name}: {len(val_records)} records")
for record in train_records[:3]:
    print(" ", record)
''')

md("d4-01-read", """
Read the three records as the network must: in the first, *but* makes the second clause decide, and
the band was *not very pleasant*: negative (0). In the second, *yet* also hands the verdict to the
second clause, and a band that was *not really stale* is a compliment: positive (1). In the third,
*even though* makes the first clause decide: a cramped room, negative.

Split the records into two lists, sentences and labels, and make `tf.data` datasets of
`(sentence, label)` pairs: shuffled and batched for training, batched for validation.
""")

code("d4-01-dataset", r'''
train_texts = [record["review"] for record in train_records]
train_labels = [record["is_positive"] for record in train_records]
val_texts = [record["review"] for record in val_records]
val_labels = [record["is_positive"] for record in val_records]
print("positive reviews:", sum(train_labels), "of", len(train_labels))

reviews_train = (tf.data.Dataset.from_tensor_slices((train_texts, train_labels))
                 .shuffle(len(train_texts), seed=42).batch(BATCH_SIZE).prefetch(AUTOTUNE))
reviews_val = tf.data.Dataset.from_tensor_slices((val_texts, val_labels)).batch(BATCH_SIZE).prefetch(AUTOTUNE)

texts, labels = next(iter(reviews_train))
print("a batch:", texts.shape, texts.dtype.name, "|", labels.shape, labels.dtype.name)
print(texts[0].numpy().decode(), "->", labels[0].numpy())
''')

md("d4-01-vectorize-intro", """
Half the reviews are positive. The sentences stay strings all the way into the model. A
`TextVectorization` layer turns each one into a fixed number of word ids; `adapt` builds its
vocabulary from the training sentences (D4.02 looks at every option):
""")

code("d4-01-vectorize", r'''
vectorize = keras.layers.TextVectorization(max_tokens=1000, output_sequence_length=SEQUENCE_LENGTH)
vectorize.adapt(tf.constant(train_texts))  # the vocabulary comes from the training sentences only
print(vectorize.vocabulary_size(), "tokens in the vocabulary")
print(vectorize(tf.constant(["the soup was great, but the waiter was rude"])))
''')

md("d4-01-model-intro", """
The model takes one string per example: `keras.Input(shape=(), dtype="string")`, where `shape=()`
means each example is a single value, a sentence. (`shape=(1,)` works too: `TextVectorization` drops
an axis of size 1.) Then, layer by layer:

- `vectorize`: the sentence becomes 16 word ids;
- `Embedding`: each id becomes a vector of 16 numbers that training adjusts (D4.05);
- `Conv1D` and `GlobalMaxPooling1D`: 64 filters look at every window of five neighbouring words, and
  for each filter the strongest response anywhere in the sentence is kept (D4.08);
- `Dense(1, activation="sigmoid")`: the probability that the review is positive (D4.03).
""")

code("d4-01-model", r'''
keras.utils.set_random_seed(42)  # the same starting weights on every run
reviews_model = keras.Sequential([
    keras.Input(shape=(), dtype="string"),  # one raw sentence per example
    vectorize,  # sentence -> 16 word ids
    keras.layers.Embedding(input_dim=vectorize.vocabulary_size(), output_dim=16),  # id -> 16 numbers
    keras.layers.Conv1D(64, 5, activation="relu"),  # patterns in windows of five words
    keras.layers.GlobalMaxPooling1D(),  # the strongest response of each pattern, wherever it is
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),  # probability that the review is positive
], name="reviews_conv")
reviews_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
reviews_model.summary()
''')

md("d4-01-fit-intro", """
`TextVectorization` has no weights (0 parameters): its vocabulary is fixed by `adapt`, and training
leaves it alone. Train for 10 epochs; `shuffle=False` because the dataset shuffles itself:
""")

code("d4-01-fit", r'''
start = time.perf_counter()
reviews_history = reviews_model.fit(reviews_train, validation_data=reviews_val, epochs=EPOCHS, shuffle=False,
                                    verbose=2)
conv_seconds = time.perf_counter() - start
print(f"trained in {conv_seconds:.1f} s")
''', train=True)

code("d4-01-curves", r'''
plots.plot_history(reviews_history, title="reviews_conv: raw sentences in, positive or not out")
plt.show()
''')

md("d4-01-curves-read", """
For about one epoch the model is at chance, 50 %; then it finds the phrases that matter, and the
validation accuracy jumps to about 100 %. On this data, reading short phrases is enough, as D4.08
explains.

**Save, reload, predict.** Because `vectorize` sits inside the model, the saved file holds the
vocabulary too, and the reloaded model takes sentences. One thing to know: Keras refuses a NumPy
array of Python strings (its dtype, `<U...`, is not one Keras converts). Pass sentences as a
`tf.constant`, or inside a `tf.data.Dataset` as above:
""")

code("d4-01-numpy", r'''
try:
    reviews_model.predict(np.array(["the soup was great"]), verbose=0)
except ValueError as error:
    print("a NumPy array of str: ValueError:", error)
print("a tf.constant:", reviews_model.predict(tf.constant(["the soup was great"]), verbose=0))
''')

code("d4-01-save", r'''
reviews_model.save("models/reviews_conv.keras")
tfcert.save_history(reviews_history, "models/reviews_conv.keras")
reloaded = keras.models.load_model("models/reviews_conv.keras")

new_reviews = tf.constant([
    "the soup was great, but the waiter was rude",
    "the waiter was rude, but the soup was great",
    "the prices were not steep, even though the music was dull",
    "although the room was cramped, the staff was very friendly",
    "the pasta was not bland, yet the band was terrible",
])
probabilities = reloaded.predict(new_reviews, verbose=0)[:, 0]
for sentence, probability in zip(new_reviews.numpy(), probabilities):
    print(f"{probability:6.3f} {'positive' if probability > 0.5 else 'negative':9s} {sentence.decode()}")
same = np.allclose(probabilities, reviews_model.predict(new_reviews, verbose=0)[:, 0])
print("the reloaded model answers like the original:", same)
''')

md("d4-01-save-read", """
By the rules of the data (*but* and *yet*: the second clause decides; *even though*: the first;
*although X, Y*: Y), the answers should read negative, positive, positive, positive, negative. The
first two sentences hold exactly the same words in another order and get opposite answers.

**Why the text preparation belongs inside the model.** You could instead turn the sentences into ids
in the `tf.data` pipeline and give the model ids. It would train as well, but the saved file would
then take lists of ids, numbered by a vocabulary that lives only in your notebook. Whoever loads it
(a grader, an app, you in a month) would need that vocabulary and the exact same standardisation
and padding. With `TextVectorization` inside, the file is complete: sentences in, answers out. That
is what the course's grader expects: it feeds your saved model raw sentences. (If you do vectorise in
the pipeline to train faster, wrap the trained model before saving:
`keras.Sequential([keras.Input(shape=(), dtype="string"), vectorize, trained_model])`.)
""")

# --------------------------------------------------------------------------------------------------
md("d4-02", """
## D4.02 Prepare text with TextVectorization

`TextVectorization` does three things to each sentence:

1. **standardise**: by default (`standardize="lower_and_strip_punctuation"`) lower case, punctuation
   removed;
2. **split** into tokens: by default on whitespace (`split="whitespace"`), so a token is a word;
3. **look up** each token in the vocabulary and output its index.

So capitals and commas make no difference, and a word the vocabulary lacks gets the index 1:
""")

code("d4-02-standardize", r'''
examples = tf.constant(["The SOUP was great!", "the soup, was GREAT", "the risotto was divine"])
print(vectorize(examples).numpy())
''')

md("d4-02-vocab-intro", """
**The vocabulary** is what `adapt` learnt: every token of the training sentences, the most frequent
first. `get_vocabulary()` returns it as a list, in which a token's position is its id. It returns
NumPy strings; `str()` turns them into plain Python strings, which print more readably:
""")

code("d4-02-vocab", r'''
REVIEWS_VOCABULARY = [str(token) for token in vectorize.get_vocabulary()]
print(len(REVIEWS_VOCABULARY), "tokens")
print("ids 0 to 13: ", REVIEWS_VOCABULARY[:14])
print("the last six:", REVIEWS_VOCABULARY[-6:])
print("'soup' has the id", REVIEWS_VOCABULARY.index("soup"))
''')

md("d4-02-vocab-read", """
Two ids are reserved:

- **0, the empty string `""`: padding.** Shorter sentences are filled up with zeros to the common
  length. A 0 means "no word here".
- **1, `"[UNK]"`: out of vocabulary.** Every word that `adapt` did not see maps to 1, like *risotto*
  and *divine* above.

The grammar behind the reviews uses 53 different words, so the vocabulary holds 55 tokens, far below
`max_tokens=1000`.

**Adapt on the training texts only.** The vocabulary is part of the model, learnt from data like its
weights, so it must come from the training data alone. The validation set stands for sentences the
model will meet later, and later sentences will contain words nobody saw during training. Adapted on
the validation texts as well, the vocabulary would give ids to words that never occur in training:
their embedding rows would keep their random starting values, and the validation score would no
longer show how the model copes with unknown words. (Here every validation word also occurs in
training, so the two vocabularies would be equal; with real text they are not.)

**`max_tokens`** caps the vocabulary: only the most frequent `max_tokens - 2` words get their own id,
next to `""` and `"[UNK]"`; all other words become 1. With `max_tokens=10`:
""")

code("d4-02-max-tokens", r'''
small = keras.layers.TextVectorization(max_tokens=10)
small.adapt(tf.constant(train_texts))
print([str(token) for token in small.get_vocabulary()])
print(small(tf.constant(["the soup was not very great, but the waiter was rude"])).numpy())
''')

md("d4-02-length-intro", """
Eight words are left, mostly the little words that hold a sentence together; the nouns and
adjectives, which carry the meaning, all became `[UNK]`. On real text, `max_tokens` of a few thousand
to ten thousand keeps the frequent words and drops the rare ones (typos, names), which the model
could not learn from a handful of examples anyway.

**`output_sequence_length`** fixes the number of ids per sentence: shorter sentences get zeros at the
end, longer ones are cut at the end. Without it, each batch is padded to its own longest sentence,
so the length changes from batch to batch. A layer such as `Flatten` followed by `Dense` needs one
fixed length; recurrent layers and global pooling can take any length. Passing a vocabulary with
`vocabulary=` makes a layer without `adapt`:
""")

code("d4-02-length", r'''
two_sentences = tf.constant(["the soup was great", train_texts[0]])
for length in (None, 8):
    layer = keras.layers.TextVectorization(vocabulary=REVIEWS_VOCABULARY, output_sequence_length=length)
    print(f"output_sequence_length={length}:\n{layer(two_sentences).numpy()}")

lengths = [len(text.split()) for text in train_texts]
print(f"words per training review: {min(lengths)} to {max(lengths)}; SEQUENCE_LENGTH = {SEQUENCE_LENGTH}")
''')

md("d4-02-pad-intro", """
With `output_sequence_length=8` the long review lost its last words, and with them the second clause.
Choose the length from the data: here 16 is above the longest review (14 words), so nothing is cut.
With long texts, a length that covers most of them, not the longest, saves time.

**`keras.utils.pad_sequences`** pads lists of ids that you built yourself (D4.09 does). It pads, and
cuts, **at the front** by default, the opposite of `TextVectorization`; `padding="post"` and
`truncating="post"` act at the end:
""")

code("d4-02-pad", r'''
id_lists = [[5, 8, 2], [7, 1, 4, 9, 3, 6]]
print("maxlen=4 (padding='pre', truncating='pre'):\n", keras.utils.pad_sequences(id_lists, maxlen=4))
print("maxlen=4, padding='post', truncating='post':\n",
      keras.utils.pad_sequences(id_lists, maxlen=4, padding="post", truncating="post"))
print("no maxlen: the longest list sets the length:\n", keras.utils.pad_sequences(id_lists, padding="post"))
''')

md("d4-02-legacy", """
Padding at the front puts the real words last, right before a recurrent layer gives its answer;
D4.07 comes back to this.

**The legacy `Tokenizer`.** Older courses and many exam-preparation notebooks prepare text with
`tf.keras.preprocessing.text.Tokenizer`, `fit_on_texts` and `texts_to_sequences`, then
`pad_sequences`. TensorFlow 2.21 still provides it, from Keras 3's legacy code, but Keras 3's own
namespace has no `keras.preprocessing.text`, and new code uses `TextVectorization`. When you meet the
old code, this is how it translates:

| legacy `Tokenizer` | Keras 3 |
|---|---|
| `Tokenizer(num_words=N, oov_token="<OOV>")` | `TextVectorization(max_tokens=N)` (the `[UNK]` token is always there) |
| `tokenizer.fit_on_texts(texts)` | `layer.adapt(texts)` |
| `tokenizer.texts_to_sequences(texts)`, then `pad_sequences(...)` | `layer(texts)` with `output_sequence_length=...` |
| `tokenizer.word_index` (a dict: word -> id, nothing at 0) | `layer.get_vocabulary()` (a list: id -> word, `""` at 0) |
| `pad_sequences` in `tf.keras.preprocessing.sequence` | `keras.utils.pad_sequences` |

The big difference: the `Tokenizer` lives outside the model, so a saved model takes ids, not text.
""")

code("d4-02-legacy-check", r'''
legacy_text = getattr(tf.keras.preprocessing, "text", None)
print("tf.keras.preprocessing.text.Tokenizer exists:", hasattr(legacy_text, "Tokenizer"))
print("keras.preprocessing.text exists:             ", hasattr(keras.preprocessing, "text"))
''')

# --------------------------------------------------------------------------------------------------
md("d4-03", """
## D4.03 Classify text into two categories

Two classes need one output: **`Dense(1, activation="sigmoid")`**, a number between 0 and 1, read as
the probability of class 1 (here: positive). The loss that goes with it is
**`binary_crossentropy`**, with labels 0 and 1; Keras's `accuracy` counts an output above 0.5 as
class 1. That is the head `reviews_model` has. Its outputs on the 2,000 validation reviews, turned
into class names:
""")

code("d4-03-predict", r'''
REVIEW_CLASSES = ["negative", "positive"]  # class 0, class 1
val_probabilities = reviews_model.predict(reviews_val, verbose=0)  # shape (2000, 1)
val_predicted = (val_probabilities[:, 0] > 0.5).astype(int)  # 0 or 1
print("output shape:", val_probabilities.shape)
print("accuracy by hand:", np.mean(val_predicted == np.array(val_labels)))
print("the first five:", [REVIEW_CLASSES[k] for k in val_predicted[:5]],
      "| true:", [REVIEW_CLASSES[k] for k in val_labels[:5]])

fig, ax = plt.subplots(figsize=(6.5, 3.2))
for label, name in enumerate(REVIEW_CLASSES):
    ax.hist(val_probabilities[np.array(val_labels) == label, 0], bins=40, range=(0, 1), alpha=0.6,
            label=f"truly {name}")
ax.axvline(0.5, color="gray", linestyle=":")
ax.set_xlabel("output of the sigmoid unit")
ax.set_ylabel("validation reviews")
ax.set_yscale("log")  # a few reviews in the middle would be invisible on a linear scale
ax.set_ylim(0.8, 5 * len(val_labels))
ax.legend(loc="upper center")
plt.show()
''')

md("d4-03-predict-read", """
The two classes pile up at the two ends, far from the 0.5 threshold: the model is sure, and right.

**A helper for the rest of the notebook.** The following sections compare many models that differ
only in the layers between the `Embedding` and the head. `text_classifier` builds them: raw
sentences, a `TextVectorization` layer made from a given vocabulary, a 16-number `Embedding`, the
`body` layers, `Dense(32)`, and a head with a given width, activation and loss. Each model gets fresh
layers, so nothing is shared between models.
""")

code("d4-03-helper", r'''
def text_classifier(body, vocabulary=REVIEWS_VOCABULARY, units=1, activation="sigmoid",
                    loss="binary_crossentropy", mask_zero=False, name="text_classifier"):
    """Raw sentences -> ids -> embeddings -> body layers -> Dense(32) -> Dense(units, activation), compiled."""
    keras.utils.set_random_seed(42)  # the same starting weights on every run
    model = keras.Sequential([
        keras.Input(shape=(), dtype="string"),
        keras.layers.TextVectorization(vocabulary=vocabulary, output_sequence_length=SEQUENCE_LENGTH),
        keras.layers.Embedding(len(vocabulary), 16, mask_zero=mask_zero),
        *body,
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(units, activation=activation),
    ], name=name)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def conv_body():
    """The layers between Embedding and Dense in reviews_model: phrases of five words, the strongest kept."""
    return [keras.layers.Conv1D(64, 5, activation="relu"), keras.layers.GlobalMaxPooling1D()]


def short_message(error):
    """The sentence of an error that says what went wrong (Keras and TensorFlow wrap it in other text)."""
    lines = [line.strip() for line in str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()]
    found = next((line for line in lines if "Received" in line), lines[0])
    return found.split("  Label values")[0]
''')

md("d4-03-heads-intro", """
**A head that does not fit.** Two softmax units can also describe two classes, one probability for
each. With `binary_crossentropy` they do not fit: the labels hold one number per review, the output
two. With `sparse_categorical_crossentropy`, which reads each label as the number of a class, they
do (this is the multi-class recipe of D4.04, used for two classes). Three epochs each:
""")

code("d4-03-heads", r'''
for units, activation, loss in [(2, "softmax", "binary_crossentropy"),
                                (2, "softmax", "sparse_categorical_crossentropy")]:
    model = text_classifier(conv_body(), units=units, activation=activation, loss=loss, name="two_units")
    print(f"Dense({units}, {activation!r}) with {loss}:")
    try:
        history = model.fit(reviews_train, validation_data=reviews_val, epochs=3, shuffle=False, verbose=0)
        print(f"    trains: validation accuracy {history.history['val_accuracy'][-1]:.3f}, "
              f"output shape {model.output_shape}")
    except ValueError as error:
        print("    ValueError:", short_message(error))
''', train=True)

md("d4-03-heads-read", """
The error names both shapes: labels `(None,)`, one number per review, against outputs `(None, 2)`.
The second pair trains, but its output has the shape `(None, 2)`: code or a grader that expects
`(None, 1)`, one probability per review, cannot use it. For two classes, use one sigmoid unit and
`binary_crossentropy`, and check `model.output_shape` before you train.
""")

# --------------------------------------------------------------------------------------------------
md("d4-04", """
## D4.04 Classify text into several categories

The `complaints` reviews have the same form, but the label names the aspect that is criticised:
food, service, price, place or music. In the JSON file the label is the class **name**; a network
needs class **numbers**. Fix the order of the classes once, and translate with it:
""")

code("d4-04-load", r'''
COMPLAINT_CLASSES = list(datasets.DATASETS["complaints"].classes)  # position = class number
with open(datasets.to_json("complaints", "train"), encoding="utf-8") as file:
    complaint_records = json.load(file)
with open(datasets.to_json("complaints", "validation"), encoding="utf-8") as file:
    complaint_val_records = json.load(file)
print("classes:", COMPLAINT_CLASSES)
print("a record:", complaint_records[0])

complaint_texts = [record["review"] for record in complaint_records]
complaint_labels = [COMPLAINT_CLASSES.index(record["complaint"]) for record in complaint_records]
complaint_val_texts = [record["review"] for record in complaint_val_records]
complaint_val_labels = [COMPLAINT_CLASSES.index(record["complaint"]) for record in complaint_val_records]
print("reviews per class:", dict(zip(COMPLAINT_CLASSES, np.bincount(complaint_labels).tolist())))

complaints_train = (tf.data.Dataset.from_tensor_slices((complaint_texts, complaint_labels))
                    .shuffle(len(complaint_texts), seed=42).batch(BATCH_SIZE).prefetch(AUTOTUNE))
complaints_val = (tf.data.Dataset.from_tensor_slices((complaint_val_texts, complaint_val_labels))
                  .batch(BATCH_SIZE).prefetch(AUTOTUNE))
''')

md("d4-04-model-intro", """
In the record above, the prices were *not really slow* (faint praise, but not a complaint), and the
waiter was *very stale*: the complaint is about the service. The classes are balanced, so guessing
gives 20 %.

The multi-class head: **`Dense(5, activation="softmax")`**, five probabilities that add up to 1, one
per class, and **`sparse_categorical_crossentropy`** for labels that are class numbers. The
vocabulary comes from the complaints' own training texts:
""")

code("d4-04-model", r'''
complaints_vectorize = keras.layers.TextVectorization(max_tokens=1000)
complaints_vectorize.adapt(tf.constant(complaint_texts))
COMPLAINTS_VOCABULARY = [str(token) for token in complaints_vectorize.get_vocabulary()]

complaints_model = text_classifier(conv_body(), COMPLAINTS_VOCABULARY, units=len(COMPLAINT_CLASSES),
                                   activation="softmax", loss="sparse_categorical_crossentropy",
                                   name="complaints_conv")
print("output shape:", complaints_model.output_shape)
complaints_history = complaints_model.fit(complaints_train, validation_data=complaints_val, epochs=EPOCHS,
                                          shuffle=False, verbose=2)
''', train=True)

code("d4-04-curves", r'''
plots.plot_history(complaints_history, title="complaints_conv: five classes")
plt.show()
''')

md("d4-04-confusion-intro", """
**Which classes get confused?** The predicted class is the position of the largest of the five
probabilities (`argmax`). A confusion matrix counts, for each true class (a row), how often each
class was predicted (a column); the diagonal holds the right answers, and any number off the diagonal
names two classes the model mixes up. After 10 epochs, expect it to be (nearly) diagonal here:
""")

code("d4-04-confusion", r'''
complaint_probabilities = complaints_model.predict(complaints_val, verbose=0)  # (2000, 5)
complaint_predicted = complaint_probabilities.argmax(axis=1)
confusion = tf.math.confusion_matrix(complaint_val_labels, complaint_predicted,
                                     num_classes=len(COMPLAINT_CLASSES)).numpy()
for k, name in enumerate(COMPLAINT_CLASSES):
    print(f"{name:8s} accuracy {confusion[k, k] / confusion[k].sum():.3f} ({confusion[k].sum()} reviews)")

fig, ax = plt.subplots(figsize=(4.8, 4.2))
ax.imshow(confusion, cmap="Blues")
ax.set_xticks(range(len(COMPLAINT_CLASSES)), COMPLAINT_CLASSES, rotation=45)
ax.set_yticks(range(len(COMPLAINT_CLASSES)), COMPLAINT_CLASSES)
ax.set_xlabel("predicted")
ax.set_ylabel("true")
for i in range(len(COMPLAINT_CLASSES)):
    for j in range(len(COMPLAINT_CLASSES)):
        ax.text(j, i, confusion[i, j], ha="center", va="center",
                color="white" if confusion[i, j] > confusion.max() / 2 else "black")
ax.set_title("complaints_conv on the validation reviews")
plt.show()
''')

md("d4-04-names-intro", """
Turn probabilities back into names with the same list that turned names into numbers:
""")

code("d4-04-names", r'''
new_complaints = tf.constant([
    "the bill was very steep, but the band was charming",
    "the music was not noisy, even though the soup was stale",
    "although the terrace was lovely, the staff was really sloppy",
])
for sentence, row in zip(new_complaints.numpy(), complaints_model.predict(new_complaints, verbose=0)):
    print(f"{COMPLAINT_CLASSES[row.argmax()]:8s} ({row.max():.0%})  {sentence.decode()}")
''')

md("d4-04-onehot-intro", """
Those should read price, food and service. (The first is praise overall, *but* the band was
charming, yet the bill is still what was criticised.)

**One-hot labels.** Labels can also come as rows with a single 1: class 2 of five is
`[0, 0, 1, 0, 0]`. Then the loss is **`categorical_crossentropy`**; the head stays the same.
`tf.one_hot` makes such rows inside the pipeline:
""")

code("d4-04-onehot", r'''
to_one_hot = lambda text, label: (text, tf.one_hot(label, depth=len(COMPLAINT_CLASSES)))
onehot_train, onehot_val = complaints_train.map(to_one_hot), complaints_val.map(to_one_hot)
print("a label:", next(iter(onehot_train))[1][0].numpy())

onehot_model = text_classifier(conv_body(), COMPLAINTS_VOCABULARY, units=len(COMPLAINT_CLASSES),
                               activation="softmax", loss="categorical_crossentropy", name="complaints_onehot")
onehot_history = onehot_model.fit(onehot_train, validation_data=onehot_val, epochs=5, shuffle=False, verbose=0)
epochs_run = len(onehot_history.history["val_accuracy"])
print(f"one-hot labels, categorical_crossentropy:      validation accuracy "
      f"{onehot_history.history['val_accuracy'][-1]:.3f} after {epochs_run} epochs")
print(f"class numbers, sparse_categorical_crossentropy: validation accuracy "
      f"{complaints_history.history['val_accuracy'][epochs_run - 1]:.3f} after {epochs_run} epochs")
''', train=True)

md("d4-04-wrong-intro", """
The two recipes compute the same loss from the same numbers, so they learn alike; the small gap after
five epochs is the kind of difference two runs show (the batches came in another order). Pick the
recipe that fits the labels you have.

**A head of the wrong width.** What happens with four softmax units for five classes, with a single
sigmoid unit, or with six units? Three epochs each:
""")

code("d4-04-wrong", r'''
wrong_heads = [(4, "softmax", "sparse_categorical_crossentropy"),
               (1, "sigmoid", "binary_crossentropy"),
               (6, "softmax", "sparse_categorical_crossentropy")]
for units, activation, loss in wrong_heads:
    model = text_classifier(conv_body(), COMPLAINTS_VOCABULARY, units=units, activation=activation, loss=loss,
                            name="wrong_head")
    print(f"Dense({units}, {activation!r}) with {loss}:")
    try:
        history = model.fit(complaints_train, validation_data=complaints_val, epochs=3, shuffle=False, verbose=0)
        losses = ", ".join(f"{value:.3g}" for value in history.history["loss"])
        print(f"    trains: loss per epoch {losses}; validation accuracy {history.history['val_accuracy'][-1]:.3f}")
    except (ValueError, tf.errors.InvalidArgumentError) as error:
        print(f"    {type(error).__name__}: {short_message(error)}")
''', train=True)

md("d4-04-wrong-read", """
- **Four units for five classes** stops at the first batch on a CPU: label 4 has no output. On a GPU
  the same mistake may not raise an error: TensorFlow documents a NaN loss there for a label out of
  range, so the symptom to watch for is a loss of `nan`.
- **One sigmoid unit with class numbers 0 to 4** raises nothing and is the worst case. For a label
  such as 3, the binary crossentropy is no longer a distance: it keeps falling as the output grows
  towards 1. The loss goes negative and runs away, and the accuracy stays near the share of one class,
  about 20 %.
- **Six units for five classes** trains well: class 5 never appears, so its probability is pushed
  towards 0. But the output has the shape `(None, 6)`, and a grader that expects five probabilities
  per review rejects it.

So, before training: the number of output units equals `len(class_names)`, and the loss matches the
form of the labels. A negative loss, or an accuracy stuck at the share of one class, means they do
not.
""")

# --------------------------------------------------------------------------------------------------
md("d4-05", """
## D4.05 Word embeddings: train, inspect, export

An `Embedding(input_dim, output_dim)` layer is a table with one row per id: `input_dim` rows of
`output_dim` numbers. It replaces each id by its row; nothing else. The rows start random, and
training moves them like any other weights, so words that play the same part in the task end up
with similar rows. `reviews_model` learnt one while it learnt to classify (as does every model
here). Its table, and a look-up by hand:
""")

code("d4-05-table", r'''
embedding = next(layer for layer in reviews_model.layers if isinstance(layer, keras.layers.Embedding))
weights = embedding.get_weights()[0]  # the table: one row per token id
print("embedding table:", weights.shape, "=", len(REVIEWS_VOCABULARY), "tokens x 16 numbers")

ids = vectorize(tf.constant(["the soup was great"]))[0, :4]
print("ids:", ids.numpy())
print("the layer's output equals the rows:", np.allclose(embedding(ids), weights[ids.numpy()]))
print("the row of 'great':", weights[REVIEWS_VOCABULARY.index("great")].round(2))
''')

md("d4-05-nearest-intro", """
A single row says little; rows compared with each other say more. The **cosine similarity** of two
rows is the cosine of the angle between them: 1 when they point the same way, 0 when unrelated, -1
when opposite. Normalise each row to length 1, and one matrix product gives every pair:
""")

code("d4-05-nearest", r'''
unit_rows = weights / np.linalg.norm(weights, axis=1, keepdims=True)
similarity = unit_rows @ unit_rows.T  # (tokens, tokens): cosine of every pair


def nearest(word, k=5):
    """The k tokens whose embedding rows point most nearly the same way as the row of `word`."""
    i = REVIEWS_VOCABULARY.index(word)
    order = [j for j in np.argsort(-similarity[i]) if j not in (0, 1, i)]  # skip padding, [UNK] and the word
    return ", ".join(f"{REVIEWS_VOCABULARY[j]} {similarity[i, j]:.2f}" for j in order[:k])


for word in ["great", "delicious", "awful", "rude", "soup", "but"]:
    print(f"{word:10s} -> {nearest(word)}")
''')

md("d4-05-nearest-read", """
The positive adjectives sit next to one another, and so do the negative ones: the network learnt
which words praise and which blame, although it was never told, and although every word appears as
often in positive as in negative reviews. Nouns sit with nouns, and *but* sits with *yet*: in the
grammar both hand the verdict to the second clause, so they play the same part. What the rows do
*not* hold is ordinary meaning: *delicious* is as close to *quick* or *fair* as to any word about
food, because in this task all that matters about an adjective is its sign.

**A picture.** Sixteen numbers per word cannot be drawn, but the two directions along which the rows
vary most can: a principal component analysis (PCA), here with NumPy's singular value decomposition.
The colours come from the word lists of the grammar (`tfcert.datasets.text`); the words that belong
to no list are labelled:
""")

code("d4-05-pca", r'''
from tfcert.datasets.text import ASPECTS, NEGATIVE, POSITIVE

words = np.array(REVIEWS_VOCABULARY[2:])  # without padding and [UNK]
rows = weights[2:len(REVIEWS_VOCABULARY)]
centred = rows - rows.mean(axis=0)
_, _, directions = np.linalg.svd(centred, full_matrices=False)
xy = centred @ directions[:2].T  # each word's position along the two main directions

nouns = [noun for group in ASPECTS.values() for noun in group]
word_lists = {"positive adjectives": (POSITIVE, "tab:green"), "negative adjectives": (NEGATIVE, "tab:red"),
              "nouns": (nouns, "tab:blue")}
fig, ax = plt.subplots(figsize=(9, 6))
for name, (members, colour) in word_lists.items():
    chosen = np.isin(words, members)
    ax.scatter(xy[chosen, 0], xy[chosen, 1], color=colour, s=20, label=f"{name} ({chosen.sum()})")
others = ~np.isin(words, POSITIVE + NEGATIVE + nouns)
ax.scatter(xy[others, 0], xy[others, 1], color="tab:gray", s=20, label="other words")
for (x, y), word in zip(xy[others], words[others]):
    ax.annotate(word, (x, y), fontsize=8, color="dimgray", xytext=(3, 2), textcoords="offset points")
ax.set_xlabel("first principal direction")
ax.set_ylabel("second principal direction")
ax.set_title("reviews_model's word embeddings, in two dimensions")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()
''')

md("d4-05-export-intro", """
The first direction separates praise from blame, each group packed into a tight cluster; the nouns
gather in the middle, and the words that steer the verdict (*not*, the connectives) stand apart.

**Export for the Embedding Projector.** The Embedding Projector (https://projector.tensorflow.org)
draws embeddings in 2-D or 3-D, with PCA, t-SNE or UMAP, and lets you search for a word and its
neighbours. It reads two tab-separated files:

- `vectors.tsv`: one line per token, the numbers of its row separated by tabs;
- `metadata.tsv`: one line per token, the word, in the same order. With a single column it has no
  header line.

Leave out id 0: padding is not a word.
""")

code("d4-05-export", r'''
projector = Path("models/reviews_embedding")
projector.mkdir(parents=True, exist_ok=True)
with open(projector / "vectors.tsv", "w", encoding="utf-8") as vectors, \
        open(projector / "metadata.tsv", "w", encoding="utf-8") as metadata:
    for index, word in enumerate(REVIEWS_VOCABULARY):
        if index == 0:
            continue  # padding
        vectors.write("\t".join(f"{value:.5f}" for value in weights[index]) + "\n")
        metadata.write(word + "\n")

for name in ("vectors.tsv", "metadata.tsv"):
    lines = (projector / name).read_text(encoding="utf-8").splitlines()
    print(f"{projector / name}: {len(lines)} lines; the first two:")
    for line in lines[:2]:
        print("   ", line if len(line) < 90 else line[:90] + " ...")
''')

md("d4-05-export-read", """
On https://projector.tensorflow.org, click **Load**, give `vectors.tsv` to *Step 1: Load a TSV file
of vectors* and `metadata.tsv` to *Step 2 (optional): Load a TSV file of metadata*, then close the
dialog. Search for *great* and look at its neighbours. On Colab, download the two files first, from
the file browser on the left or with `google.colab.files.download`.

The first row is `[UNK]`: no training review holds an unknown word, so its row was never updated and
still holds its small random starting values.
""")

# --------------------------------------------------------------------------------------------------
md("d4-06", """
## D4.06 LSTMs for text classification

A **recurrent** layer reads a sentence the way you do: one word vector after the other, in order. It
keeps a *state*, a vector that it updates at each word from the previous state and the new word; the
state after the last word is its output, a summary of the whole sentence that has seen every word in
its place.

An **LSTM** (long short-term memory) layer keeps, besides that output state, a *cell state*, its
memory, and three *gates*, small layers with a sigmoid that decide at each word how much of the
memory to forget, how much of the new word to write into it, and how much of it to output. The gates
let it carry a fact, such as "a *but* has been read", across many words. `LSTM(32)` has a state of 32
numbers. Built with `text_classifier`, the model is `reviews_model` with an LSTM in place of
`Conv1D` and pooling.

To compare all the models of D4.06 to D4.08 at the end, `train_on_reviews` trains each one on the
reviews for 10 epochs, prints one line, and keeps its history and training time in `RACE`:
""")

code("d4-06-helper", r'''
RACE = {}  # model name -> (history, seconds), for the comparison in D4.08


def train_on_reviews(model, epochs=EPOCHS):
    """Fit on the reviews without printing each epoch; keep the history and the time in RACE."""
    start = time.perf_counter()
    history = model.fit(reviews_train, validation_data=reviews_val, epochs=epochs, shuffle=False, verbose=0)
    RACE[model.name] = (history, time.perf_counter() - start)
    print(f"{model.name}: {model.count_params():,} parameters, validation accuracy by epoch "
          f"{np.round(history.history['val_accuracy'], 2).tolist()}, {RACE[model.name][1]:.1f} s")
    return history
''')

code("d4-06-lstm", r'''
lstm_model = text_classifier([keras.layers.LSTM(32)], name="lstm")
lstm_history = train_on_reviews(lstm_model)
plots.plot_history(lstm_history, title="Embedding -> LSTM(32) on the reviews")
plt.show()
''', train=True)

md("d4-06-lstm-read", """
The curve has a typical shape: for a few epochs the LSTM stays at about 50 %, chance, while it learns
what the words mean one by one, then within an epoch or two it finds how the connective and the
order combine, and jumps to about 100 %. Do not judge a recurrent model by its first epochs.

**Bidirectional.** An LSTM reading from left to right has seen the whole sentence only at its last
word. `Bidirectional(LSTM(32))` runs two LSTMs, one in each direction, and joins their two final
states: 64 numbers, and twice the parameters and the work.
""")

code("d4-06-bidirectional", r'''
bilstm_model = text_classifier([keras.layers.Bidirectional(keras.layers.LSTM(32))], name="bidirectional_lstm")
bilstm_history = train_on_reviews(bilstm_model)
''', train=True)

md("d4-06-stack-intro", """
**Stacking recurrent layers.** A recurrent layer returns only its last state by default: one vector
per sentence. A second recurrent layer needs a sequence to read, so the first one must return its
state after every word: **`return_sequences=True`**. The shapes, on a batch of two reviews:
""")

code("d4-06-shapes", r'''
word_vectors = keras.layers.Embedding(len(REVIEWS_VOCABULARY), 16)(vectorize(tf.constant(val_texts[:2])))
print("embedded reviews:                  ", word_vectors.shape, "(reviews, words, numbers per word)")
print("LSTM(32):                          ", keras.layers.LSTM(32)(word_vectors).shape)
print("LSTM(32, return_sequences=True):   ", keras.layers.LSTM(32, return_sequences=True)(word_vectors).shape)
''')

code("d4-06-stacked", r'''
stacked_model = text_classifier([keras.layers.LSTM(32, return_sequences=True), keras.layers.LSTM(32)],
                                name="stacked_lstm")
stacked_history = train_on_reviews(stacked_model)
''', train=True)

md("d4-06-multiclass", """
Only the last recurrent layer of a stack leaves out `return_sequences`; a stack whose last layer
returns sequences hands a 3-D tensor to `Dense`, which then gives one answer per word instead of one
per review.

**Multi-class.** An LSTM body takes any head: for the complaints, the same layers with
`units=5, activation="softmax", loss="sparse_categorical_crossentropy"`, as in D4.04. The LSTM
takes longer there: the data card (`datasets.card("complaints")`) reports a Bidirectional
`LSTM(64)` sitting near 50 % for about six epochs before it jumps, so give it 20 epochs.
""")

code("d4-06-multiclass-build", r'''
complaints_lstm = text_classifier([keras.layers.Bidirectional(keras.layers.LSTM(64))], COMPLAINTS_VOCABULARY,
                                  units=len(COMPLAINT_CLASSES), activation="softmax",
                                  loss="sparse_categorical_crossentropy", name="complaints_lstm")
print("output shape:", complaints_lstm.output_shape, "| not trained here (about a minute for 20 epochs)")
''')

# --------------------------------------------------------------------------------------------------
md("d4-07", """
## D4.07 SimpleRNN and GRU layers

- **`SimpleRNN`** is the plainest recurrent layer: the new state is `tanh` of one `Dense`-like mix of
  the old state and the word. It has no gates, so over long sequences what it read early fades away
  (the gradients that would teach it to remember shrink at every step). For 16 words it is enough.
- **`GRU`** (gated recurrent unit) has two gates, *update* and *reset*, and no separate cell state:
  close to an LSTM in what it can do, with a quarter fewer weights.

The same 32 units, on 16-number word vectors:
""")

code("d4-07-sizes", r'''
for layer in (keras.layers.SimpleRNN(32), keras.layers.GRU(32), keras.layers.LSTM(32)):
    layer.build((None, SEQUENCE_LENGTH, 16))
    print(f"{type(layer).__name__:10s} {layer.count_params():>6,} parameters")
''')

md("d4-07-sizes-read", """
An LSTM has 4 blocks of weights (three gates and the candidate memory), a GRU 3, a `SimpleRNN` 1; each
block holds `units x (inputs + units)` weights and its biases (Keras's `GRU` has two bias vectors per
block). Train both on the reviews:
""")

code("d4-07-train", r'''
gru_model = text_classifier([keras.layers.GRU(32)], name="gru")
gru_history = train_on_reviews(gru_model)
simple_rnn_model = text_classifier([keras.layers.SimpleRNN(32)], name="simple_rnn")
simple_rnn_history = train_on_reviews(simple_rnn_model)
''', train=True)

md("d4-07-mask-intro", """
**Padding and masking.** `TextVectorization` pads at the end: a review of 9 words is followed by 7
zeros, and a recurrent layer reads those 7 padding steps after the last word. Its final state, its
whole answer, has to survive seven steps of nothing. The layer can learn that, but it takes epochs.

`Embedding(..., mask_zero=True)` attaches a **mask** to its output: `True` for a word, `False` for
padding. Recurrent layers that receive a mask skip the masked steps and keep their state unchanged,
so the final state is the one after the last real word. The mask of two reviews:
""")

code("d4-07-mask", r'''
masking_embedding = keras.layers.Embedding(len(REVIEWS_VOCABULARY), 16, mask_zero=True)
print(masking_embedding.compute_mask(vectorize(tf.constant(["the soup was great", val_texts[0]]))).numpy())
''')

code("d4-07-masked", r'''
gru_masked_model = text_classifier([keras.layers.GRU(32)], mask_zero=True, name="gru_masked")
gru_masked_history = train_on_reviews(gru_masked_model)

fig, ax = plt.subplots(figsize=(6.5, 3.6))
for history, name in [(gru_history, "GRU, padding read as words"), (gru_masked_history, "GRU, mask_zero=True")]:
    curve = history.history["val_accuracy"]
    ax.plot(range(1, len(curve) + 1), curve, "o-", label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_title("The same GRU with and without a mask")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
''', train=True)

md("d4-07-mask-read", """
With the mask, the GRU gets past chance several epochs sooner. Two other ways to the same end: pad
at the front, as `pad_sequences` does by default, so the real words come last; or read backwards as
well with `Bidirectional`.

Not every layer accepts a mask. `GlobalAveragePooling1D` does (it averages the words only), and so do
the recurrent layers; `Conv1D` does not, and Keras warns that it drops the mask. `Conv1D` has no
need for one: padding, to a filter, is just more positions in which nothing is found.
""")

# --------------------------------------------------------------------------------------------------
md("d4-08", """
## D4.08 Word order: a bag of embeddings against RNNs and Conv1D

The simplest body of all is **`GlobalAveragePooling1D`**: the average of the word vectors, a "bag of
embeddings". It is fast and, on many texts, good: when a review says *delicious* and *superb*, the
average of its words already says "positive", wherever they stand. Here, it cannot work, and the
reason fits in two sentences:
""")

code("d4-08-bag", r'''
bag_model = text_classifier([keras.layers.GlobalAveragePooling1D()], name="bag_of_embeddings")
bag_history = train_on_reviews(bag_model)

swapped = tf.constant(["the soup was great, but the waiter was rude",
                       "the waiter was rude, but the soup was great"])
for model in (bag_model, lstm_model, reviews_model):
    first, second = model.predict(swapped, verbose=0)[:, 0]
    print(f"{model.name:18s} P(positive): {first:.3f} and {second:.3f}")
''', train=True)

md("d4-08-bag-read", """
The two sentences hold the same words, so their averages are equal, and so is everything the bag
model computes from them: one probability for two reviews with opposite meanings. In this data the
words of a positive review and of a negative one are drawn alike, and only their order tells the
verdict: which clause comes after the connective, which adjective follows a *not*. No amount of
training lifts an order-blind model above chance, 50 %.

The two other bodies see order, in different ways:

- **recurrent layers** (D4.06, D4.07) read the words in sequence and carry what they have read in
  their state;
- **`Conv1D(64, 5)`** slides 64 filters over windows of five neighbouring word vectors, like
  `Conv2D` over patches of pixels. A filter can respond to *not very great* or to *but the waiter*:
  a short phrase, in its order. `GlobalMaxPooling1D` keeps each filter's strongest response in the
  sentence. The shapes go from 16 words of 16 numbers to 12 windows of 64 responses, then to 64
  numbers.

The comparison: every model of D4.06 to D4.08 on the same reviews, with the same embedding, head,
optimizer and 10 epochs. `reviews_model`, trained in D4.01, is the `Conv1D` entry:
""")

code("d4-08-race", r'''
RACE["reviews_conv"] = (reviews_history, conv_seconds)
names = sorted(RACE, key=lambda name: RACE[name][0].history["val_accuracy"][-1])
accuracies = [RACE[name][0].history["val_accuracy"][-1] for name in names]
seconds = [RACE[name][1] for name in names]

fig, (ax_accuracy, ax_time) = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
ax_accuracy.barh(names, accuracies, color=["tab:gray" if a < 0.6 else "tab:blue" for a in accuracies])
ax_accuracy.axvline(0.5, color="black", linestyle=":", label="chance")
ax_accuracy.set_xlim(0, 1.15)
ax_accuracy.set_xlabel(f"validation accuracy after {EPOCHS} epochs")
ax_accuracy.legend(loc="lower right")
for y, accuracy in enumerate(accuracies):
    ax_accuracy.text(accuracy, y, f" {accuracy:.3f}", va="center", fontsize=8)
ax_time.barh(names, seconds, color="tab:orange")
ax_time.set_xlabel("training time (s), this machine")
for y, value in enumerate(seconds):
    ax_time.text(value, y, f" {value:.1f}", va="center", fontsize=8)
fig.suptitle("Same reviews, same embedding and head: the body decides")
fig.tight_layout()
plt.show()
''')

code("d4-08-curves", r'''
fig, ax = plt.subplots(figsize=(7.5, 4))
for name in names:
    curve = RACE[name][0].history["val_accuracy"]
    ax.plot(range(1, len(curve) + 1), curve, "o-", markersize=3, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_title("Validation accuracy, epoch by epoch")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()
''')

md("d4-08-race-read", """
What the two charts show, in the runs behind this text (times vary by a factor of two from run to
run and machine to machine; the order is what counts):

- The **bag of embeddings** stays at chance, as it must here. It is the quickest.
- **`Conv1D`** reaches about 100 % in the second epoch, for little more time than the bag. Five-word
  windows are enough for sentences whose meaning sits in short phrases.
- Every **recurrent** model reaches about 100 % too, for about the same time as `Conv1D` (a single
  `SimpleRNN` or `LSTM`) up to two to four times as much (`Bidirectional`, stacked, GRU): a recurrent
  layer must work through the words one after the other, while a convolution handles all its windows
  at once, and a recurrent model needs more epochs. The LSTMs sit at chance for three or four epochs and the GRU for
  five, before they jump; the mask saves the GRU most of that wait. `SimpleRNN`, the plainest and
  cheapest, learnt fastest of them: with 16 words there is little for it to forget. `Bidirectional`
  and stacked LSTMs cost the most and bring nothing here.

On other text the ranking can change: long documents whose meaning spreads over many sentences favour
LSTMs and GRUs, and texts where single words decide leave a bag of embeddings a strong, cheap choice.
Try the fast ones first, and always measure.
""")

# --------------------------------------------------------------------------------------------------
md("d4-09", """
## D4.09 Generate text with an LSTM

A network that can **predict the next word** from the words before it can write: give it a few
words, take its prediction, append it, and ask again. The `verses` lines follow patterns, with
rhyming words at the end:
""")

code("d4-09-data", r'''
verse_lines = datasets.arrays("verses", "train")[0]
verse_val_lines = datasets.arrays("verses", "validation")[0]
for line in verse_lines[:8]:
    print("   ", line)

verse_vectorize = keras.layers.TextVectorization()  # every word, each line as long as it is
verse_vectorize.adapt(tf.constant(verse_lines))
VERSE_VOCABULARY = [str(token) for token in verse_vectorize.get_vocabulary()]
print(len(VERSE_VOCABULARY), "tokens:", VERSE_VOCABULARY[:12], "...")
''')

md("d4-09-pairs-intro", """
**Training pairs.** Every line gives one example per word after the first: the words so far, and the
word that follows. "the harbour was waiting" gives *the* -> *harbour*, *the harbour* -> *was*, *the
harbour was* -> *waiting*. The prefixes have different lengths, so `pad_sequences` pads them to 10
ids (the longest line has 11 words), at the front, so that the last words of every prefix are at the
same place, right before the answer:
""")

code("d4-09-pairs", r'''
def next_word_pairs(lines, length=10):
    """Every prefix of every line, as ids padded at the front to `length`, and the id of the word after it."""
    prefixes, next_words = [], []
    for ids in verse_vectorize(tf.constant(lines)).numpy():
        ids = ids[ids > 0]  # drop the padding that made the batch rectangular
        for i in range(1, len(ids)):
            prefixes.append(ids[:i])
            next_words.append(ids[i])
    return keras.utils.pad_sequences(prefixes, maxlen=length, padding="pre"), np.array(next_words)


verse_x, verse_y = next_word_pairs(verse_lines)
verse_val_x, verse_val_y = next_word_pairs(verse_val_lines)
print("training pairs:", verse_x.shape, verse_y.shape, "| validation pairs:", verse_val_x.shape)
for prefix, target in zip(verse_x[:3], verse_y[:3]):
    print(prefix, "->", target, "|", " ".join(VERSE_VOCABULARY[i] for i in prefix if i > 0), "->",
          VERSE_VOCABULARY[target])
''')

md("d4-09-model-intro", """
The model is a classifier with one class per token of the vocabulary: `Dense(len(VERSE_VOCABULARY),
activation="softmax")`, trained with `sparse_categorical_crossentropy` on the id of the next word. It
takes ids, not text, because generation works with ids anyway. Its baseline: always predicting the
most frequent next word.
""")

code("d4-09-model", r'''
most_frequent = np.bincount(verse_y).argmax()
print(f"baseline: always '{VERSE_VOCABULARY[most_frequent]}' is right for "
      f"{np.mean(verse_val_y == most_frequent):.1%} of the validation pairs")

keras.utils.set_random_seed(42)
verse_model = keras.Sequential([
    keras.Input(shape=(10,)),  # 10 ids, padded at the front
    keras.layers.Embedding(len(VERSE_VOCABULARY), 32),
    keras.layers.LSTM(64),
    keras.layers.Dense(len(VERSE_VOCABULARY), activation="softmax"),  # a probability for every token
], name="verse_lstm")
verse_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
verse_history = verse_model.fit(verse_x, verse_y, validation_data=(verse_val_x, verse_val_y), epochs=EPOCHS,
                                batch_size=BATCH_SIZE, verbose=2)
plots.plot_history(verse_history, title="verse_lstm: the next word")
plt.show()
''', train=True)

md("d4-09-model-read", """
The validation accuracy climbs within two or three epochs to about 68 %, five times the baseline, and
stays there. That is close to the ceiling of this data: after "the river" the pattern of the line is
chosen at random, and so is the rhyme among its four words, so no model can be right every time.

**Generating.** `generate` starts from the seed words and adds one word at a time. The next word is
chosen in one of two ways:

- **greedy** (`temperature=0`): the most probable word. The same seed always gives the same text.
- **sampled**: the word is drawn at random with the model's probabilities, reshaped by the
  **temperature** `T`: the log-probabilities are divided by `T` before a softmax turns them back into
  probabilities. Below 1, the likely words become likelier (safer, more repetitive text); above 1,
  the probabilities flatten (more surprising, less coherent text). `random_seed` seeds NumPy's
  generator, so a seed gives the same text every time.

The padding and `[UNK]` tokens are never chosen: their probabilities are set to zero first.
""")

code("d4-09-generate", r'''
def generate(model, vocabulary, seed_text, n_words, temperature=0.0, random_seed=None):
    """The seed text followed by `n_words` words, each predicted by `model` from the words before it."""
    rng = np.random.default_rng(random_seed)
    word_ids = {word: i for i, word in enumerate(vocabulary)}
    length = model.input_shape[1]
    words = seed_text.lower().split()
    new_words = []
    for _ in range(n_words):
        ids = [word_ids.get(word, 1) for word in words + new_words]  # 1 = [UNK] for unknown words
        x = keras.utils.pad_sequences([ids], maxlen=length, padding="pre")
        probabilities = model(x, training=False).numpy()[0].astype("float64")
        log_probabilities = np.log(probabilities + 1e-12)
        log_probabilities[:2] = -np.inf  # never "" (padding) or "[UNK]"
        if temperature == 0:
            next_id = int(np.argmax(log_probabilities))
        else:
            scaled = np.exp((log_probabilities - log_probabilities.max()) / temperature)
            next_id = int(rng.choice(len(vocabulary), p=scaled / scaled.sum()))
        new_words.append(vocabulary[next_id])
    return " ".join([seed_text] + new_words)


for seed_text, n_words in [("the river", 5), ("oh my heart", 6), ("beneath the orchard", 4), ("i followed", 5)]:
    print(generate(verse_model, VERSE_VOCABULARY, seed_text, n_words))
''')

md("d4-09-greedy-read", """
The greedy lines follow the patterns of the data and end on a real word of a rhyme set. Greedy
generation always picks the same rhyme, though, and it does not know where a line ends: the model
only ever saw words *within* a line. Ask for more words than the line has, and it goes on with
whatever is most probable after a last word, here the *long* of the rhyme *summer long*:
""")

code("d4-09-past-end", r'''
print(generate(verse_model, VERSE_VOCABULARY, "the river", 12))
''')

md("d4-09-sampled-intro", """
Now sampling. The same `random_seed` gives the same text, a different one another text:
""")

code("d4-09-sampled", r'''
for random_seed in (1, 1, 2, 3):
    text = generate(verse_model, VERSE_VOCABULARY, "the river", 5, temperature=1.0, random_seed=random_seed)
    print(f"random_seed={random_seed}: {text}")
''')

md("d4-09-temperature-intro", """
**What the temperature does** to the distribution of the word after "the harbour was waiting in the",
where the model has to pick a rhyme word:
""")

code("d4-09-temperature", r'''
prefix = "the harbour was waiting in the"
ids = [VERSE_VOCABULARY.index(word) for word in prefix.split()]
probabilities = verse_model.predict(keras.utils.pad_sequences([ids], maxlen=10), verbose=0)[0]
top = np.argsort(-probabilities)[:10]
line_ends = np.isin(VERSE_VOCABULARY, [line.split()[-1] for line in verse_lines])  # words that end a line

fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), sharey=True)
for ax, temperature in zip(axes, (0.5, 1.0, 2.0)):
    scaled = np.exp(np.log(probabilities + 1e-12) / temperature)
    scaled /= scaled.sum()
    ax.bar([VERSE_VOCABULARY[i] for i in top], scaled[top])
    ax.set_title(f"temperature {temperature}: {scaled[~line_ends].sum():.0%} on words that end no line", fontsize=10)
    ax.tick_params(axis="x", rotation=60)
axes[0].set_ylabel("probability of the next word")
fig.suptitle(f"The ten likeliest words after '{prefix}'")
fig.tight_layout()
plt.show()

for temperature in (0.2, 1.0, 2.0):
    print(f"temperature {temperature}:")
    for random_seed in (1, 2):
        print("   ", generate(verse_model, VERSE_VOCABULARY, "the harbour", 5, temperature, random_seed))
''')

md("d4-09-temperature-read", """
Any of the two dozen rhyme words can follow "waiting in the", and the model spreads its probability
over them, with a preference for *hay* that greedy generation always follows. At 0.5 the likeliest
words gain (*hay* about doubles its share); at 2.0 the ten are nearly level, and the words that never
end a line, which get only a few per cent at 1.0, get more than one chance in ten. In the
generated lines: at 0.2 the text is the greedy one whatever the seed; at 1.0 it varies but keeps the
patterns; at 2.0 words that do not belong together start to appear. A temperature between 0.5 and 1
is the usual compromise.
""")

# --------------------------------------------------------------------------------------------------
md("summary", """
## Summary

- **D4.01** Text from JSON: `json.load` gives a list of records; lists of sentences and labels go into
  `tf.data.Dataset.from_tensor_slices`. Keras refuses NumPy arrays of Python strings: use `tf.data` or
  `tf.constant`. A model that starts with `keras.Input(shape=(), dtype="string")` and a
  `TextVectorization` layer takes raw sentences, and so does its saved `.keras` file after
  `keras.models.load_model`: nobody needs your vocabulary to use it.
- **D4.02** `TextVectorization` lowers case, strips punctuation, splits on whitespace and looks words
  up in the vocabulary that `adapt` learns from the training texts only; id 0 is padding (`""`), id 1
  unknown words (`"[UNK]"`). `max_tokens` caps the vocabulary; `output_sequence_length` pads or cuts
  at the end; `keras.utils.pad_sequences` pads or cuts at the front by default. The legacy
  `Tokenizer` still exists in `tf.keras.preprocessing.text`; Keras 3 code uses `TextVectorization`.
- **D4.03** Two classes: `Dense(1, activation="sigmoid")` and `binary_crossentropy` with 0/1
  labels, output `(None, 1)`, class 1 when the output is above 0.5.
- **D4.04** N classes: `Dense(N, activation="softmax")`, with `sparse_categorical_crossentropy` for
  class numbers or `categorical_crossentropy` for one-hot rows; the class is the `argmax`, its name
  `class_names[argmax]`. Too few units: an error on CPU (possibly a NaN loss on GPU); one sigmoid unit for five
  classes: a loss that runs negative, silently; too many: trains, with the wrong output shape.
- **D4.05** An `Embedding(input_dim, output_dim)` is a trainable table, one row per id. Trained rows
  put words with the same role in the task close together (cosine similarity). For the Embedding
  Projector: `vectors.tsv` (one row per token, tab-separated numbers) and `metadata.tsv` (one word
  per line, no header), both without id 0.
- **D4.06** `LSTM(units)` reads the words in order through gates and a cell state; often flat at
  chance for some epochs, then it jumps. `Bidirectional(LSTM(...))` reads both ways;
  `return_sequences=True` on every recurrent layer but the last of a stack.
- **D4.07** `SimpleRNN` (no gates, cheapest) and `GRU` (two gates, three weight blocks to the LSTM's
  four) drop in where `LSTM` goes. `Embedding(..., mask_zero=True)` makes recurrent layers skip the
  padding; here it saved the GRU several epochs.
- **D4.08** Where the order of the words carries the meaning, `GlobalAveragePooling1D` stays at chance
  whatever the training; recurrent layers and `Conv1D` + `GlobalMaxPooling1D` reach about 100 %, and
  `Conv1D` does it fastest here.
- **D4.09** A next-word model: every prefix of every line padded at the front with `pad_sequences`,
  an `Embedding`, an `LSTM` and a softmax over the vocabulary. Generate by appending the predicted
  word and predicting again: greedy (`argmax`), or sampled from the probabilities reshaped by a
  temperature, with a seeded `np.random.default_rng` to repeat a text.
""")

md("next-steps", """
## Next steps

- Do the graded assignment for this domain: `release/d4_natural_language_processing/d4_natural_language_processing.ipynb`.
  It asks for text models that take raw sentences, saved as `.keras` files; the grader loads them in
  a clean process and checks them on reviews you have not seen.
- Train `complaints_lstm` from D4.06 for 20 epochs with an `EarlyStopping` callback on
  `val_accuracy`, and watch the plateau before the jump.
- Put `mask_zero=True` into the LSTM and SimpleRNN models of D4.06 and D4.07 and compare their curves.
- Teach the verse model where lines end: join the four lines of each stanza with a marker word (for
  example `endline`), build the pairs from whole stanzas, and let `generate` stop at the marker.
- With a network, the canonical sets are one call away, for example `tfds.load("imdb_reviews")`
  (D2.19): the code of this notebook applies unchanged, with `max_tokens` of ten thousand or so and a
  longer `output_sequence_length`.
- Domain 5 turns to time series, where `Conv1D` and the recurrent layers of this domain read
  sequences of numbers instead of words.
""")


if __name__ == "__main__":
    CELLS.write(OUT)
