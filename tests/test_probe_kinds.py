"""The probe grades every dataset kind: text classifiers (raw strings or token ids), forecasters and next-word models.

Real models are built and trained (or fitted) here, saved to real .keras files
and inspected by the real clean process; the metrics it reports are checked
against the same model evaluated in this process on the same held-out data.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tfcert import datasets, grading
from tfcert.grading import GradingError

SEQUENCE_LENGTH = 12
WINDOW = 30
NEXT_WORD_WINDOW = 4


def _last_word_model(logits: np.ndarray, window: int):
    """A next-word model whose output depends on the last id only: row ``i`` of ``logits`` after word ``i``."""
    import keras

    model = keras.Sequential([keras.Input(shape=(window,)), keras.layers.Embedding(*logits.shape),
                              keras.layers.Cropping1D((window - 1, 0)), keras.layers.Flatten(), keras.layers.Softmax()])
    model.layers[0].set_weights([logits.astype("float32")])
    return model


def _pairs(lines: np.ndarray, vocabulary: list[str], window: int) -> tuple[np.ndarray, np.ndarray]:
    """(contexts, next ids) cut here the plain way, to compare with the probe's."""
    index = {word: i for i, word in enumerate(vocabulary)}
    contexts, targets = [], []
    for line in lines:
        ids = [index.get(word, 1) for word in re.sub(r"[^\w\s]", "", str(line).lower()).split()]
        for end in range(1, len(ids)):
            before = ids[max(0, end - window):end]
            contexts.append([0] * (window - len(before)) + before)
            targets.append(ids[end])
    return np.array(contexts), np.array(targets)


def _text_model(vectorize, classes: int, *, takes_strings: bool):
    import keras

    inputs = keras.Input(shape=(1,), dtype="string") if takes_strings else keras.Input(shape=(SEQUENCE_LENGTH,),
                                                                                      dtype="int64")
    ids = vectorize(inputs) if takes_strings else inputs
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(len(vectorize.get_vocabulary()), 16)(ids))
    outputs = keras.layers.Dense(classes, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _linear_forecaster(window_shape: tuple[int, ...], weights: np.ndarray | None = None, bias: float = 0.0):
    """Dense(1) on a flattened window; with ``weights``, a fitted linear forecaster, else an untrained one."""
    import keras

    layers = [keras.Input(shape=window_shape)] + ([keras.layers.Flatten()] if len(window_shape) > 1 else [])
    model = keras.Sequential([*layers, keras.layers.Dense(1)])
    if weights is not None:
        model.layers[-1].set_weights([weights.reshape(-1, 1).astype("float32"), np.array([bias], "float32")])
    return model


def _least_squares(windows: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, float]:
    design = np.hstack([windows.reshape(len(windows), -1), np.ones((len(windows), 1))])
    solution, *_ = np.linalg.lstsq(design, targets, rcond=None)
    return solution[:-1], float(solution[-1])


def _windows(values: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every window of ``width`` rows and the row after it."""
    return np.stack([values[i:i + width] for i in range(len(values) - width)]), values[width:]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    import tfcert

    tfcert.setup(seed=0)
    import keras
    import tensorflow as tf

    out = tmp_path_factory.mktemp("kinds")
    files: dict[str, Path] = {}

    texts, labels = datasets.load("complaints", split="train", as_numpy=True)
    vectorize = keras.layers.TextVectorization(max_tokens=100, output_sequence_length=SEQUENCE_LENGTH)
    vectorize.adapt(texts)

    strings = _text_model(vectorize, 5, takes_strings=True)
    strings.fit(tf.data.Dataset.from_tensor_slices((texts[:, None], labels)).batch(64), epochs=3, shuffle=False,
                verbose=0)
    files["strings"] = out / "strings.keras"
    strings.save(files["strings"])
    files["strings_untrained"] = out / "strings_untrained.keras"
    _text_model(vectorize, 5, takes_strings=True).save(files["strings_untrained"])

    token_ids = _text_model(vectorize, 5, takes_strings=False)
    token_ids.fit(np.asarray(vectorize(texts)), labels, epochs=3, batch_size=64, verbose=0)
    files["token_ids"] = out / "token_ids.keras"
    token_ids.save(files["token_ids"])
    files["vocabulary"] = out / "vocab.txt"
    files["vocabulary"].write_text("\n".join(vectorize.get_vocabulary()) + "\n", encoding="utf-8")

    series = np.concatenate([datasets.arrays("synthetic", split)[1] for split in datasets.LEARNER_SPLITS])
    files["forecaster"] = out / "forecaster.keras"
    _linear_forecaster((WINDOW,), *_least_squares(*_windows(series, WINDOW))).save(files["forecaster"])
    files["forecaster_untrained"] = out / "forecaster_untrained.keras"
    _linear_forecaster((WINDOW,)).save(files["forecaster_untrained"])
    files["naive"] = out / "naive.keras"  # repeats the last value of its window: the naive forecast itself
    _linear_forecaster((WINDOW, 1), np.eye(WINDOW)[-1]).save(files["naive"])
    files["two_columns"] = out / "two_columns.keras"
    _linear_forecaster((WINDOW, 2)).save(files["two_columns"])
    files["any_window"] = out / "any_window.keras"
    keras.Sequential([keras.Input(shape=(None, 1)), keras.layers.GRU(4), keras.layers.Dense(1)]).save(
        files["any_window"])

    lines = datasets.arrays("verses", "train")[0]
    verse_words = keras.layers.TextVectorization()
    verse_words.adapt(tf.constant(lines))
    vocabulary = [str(token) for token in verse_words.get_vocabulary()]
    files["verse_vocabulary"] = out / "verse_vocab.txt"
    files["verse_vocabulary"].write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    contexts, targets = _pairs(lines, vocabulary, NEXT_WORD_WINDOW)
    bigrams = np.zeros((len(vocabulary), len(vocabulary)))
    np.add.at(bigrams, (contexts[:, -1], targets), 1.0)
    files["bigram"] = out / "bigram.keras"  # the most frequent follower of the last word
    _last_word_model(np.log(bigrams + 0.01), NEXT_WORD_WINDOW).save(files["bigram"])
    files["narrow"] = out / "narrow.keras"
    _last_word_model(np.zeros((len(vocabulary), len(vocabulary) - 2)), NEXT_WORD_WINDOW).save(files["narrow"])
    always_unknown = np.zeros((3, 3))
    always_unknown[:, 1] = 9.0
    files["always_unknown"] = out / "always_unknown.keras"
    _last_word_model(always_unknown, NEXT_WORD_WINDOW).save(files["always_unknown"])
    files["unknown_vocabulary"] = out / "unknown_vocab.txt"  # every held-out word is '[UNK]' with it
    files["unknown_vocabulary"].write_text("\n[UNK]\nzzz\n", encoding="utf-8")

    multi = np.concatenate([datasets.arrays("seasonal_multi", split)[1] for split in datasets.LEARNER_SPLITS])
    windows, following = _windows(multi, WINDOW)
    files["multivariate"] = out / "multivariate.keras"
    _linear_forecaster((WINDOW, 3), *_least_squares(windows, following[:, 0])).save(files["multivariate"])
    return files


def _heldout_accuracy(path: Path, inputs: np.ndarray, labels: np.ndarray) -> float:
    """The accuracy of a saved model, computed here the plain way, to compare with the probe's."""
    import keras
    import tensorflow as tf

    model = keras.models.load_model(path, compile=False)
    outputs = model.predict(tf.constant(inputs) if inputs.dtype.kind == "U" else inputs, verbose=0)
    return float((outputs.argmax(-1) == labels).mean())


def test_a_model_that_takes_raw_strings_is_graded_on_the_heldout_sentences(models):
    report = grading.model_report(models["strings"], dataset="complaints")
    assert report.error is None and report.metrics_error is None, (report.error, report.metrics_error)
    assert report.input_dtypes == ["string"] and report.metrics["examples"] == 2000
    texts, labels = datasets.load_heldout("complaints")
    assert report.metrics["accuracy"] == pytest.approx(_heldout_accuracy(models["strings"], texts[:, None], labels))
    assert report.metrics["accuracy"] > 0.3, "better than the 20 % of chance after three epochs"
    grading.check_metric(report, "accuracy", 0.3)
    with pytest.raises(GradingError, match=r"strings\.keras reaches a held-out accuracy of 0\.\d+, the target is 0\.990"):
        grading.check_metric(report, "accuracy", 0.99)
    untrained = grading.model_report(models["strings_untrained"], dataset="complaints")
    with pytest.raises(GradingError, match=r"held-out accuracy of 0\.\d+, the target is 0\.300"):
        grading.check_metric(untrained, "accuracy", 0.3)


def test_a_string_model_is_smoke_tested_on_sentences_not_zeros(models):
    report = grading.model_report(models["strings"])
    assert report.error is None, report.error
    assert report.metrics == {} and report.metrics_error is None


def test_a_token_id_model_is_graded_with_the_learners_vocabulary(models):
    report = grading.model_report(models["token_ids"], dataset="complaints", vocabulary=models["vocabulary"],
                                  fit_examples=500)
    assert report.metrics_error is None, report.metrics_error
    import keras

    vectorize = keras.layers.TextVectorization(
        vocabulary=models["vocabulary"].read_text(encoding="utf-8").split("\n")[:-1],
        output_sequence_length=SEQUENCE_LENGTH)
    texts, labels = datasets.load_heldout("complaints")
    expected = _heldout_accuracy(models["token_ids"], np.asarray(vectorize(texts)), labels)
    assert report.metrics["accuracy"] == pytest.approx(expected)
    assert 0.0 < report.metrics["train_accuracy"] <= 1.0
    grading.check_metric(report, "accuracy", 0.3)


@pytest.mark.parametrize("vocabulary, message", [
    (None, r"token_ids\.keras takes token ids of shape \(12,\), and no vocabulary came with it .*: write "
           r"vectorize_layer\.get_vocabulary\(\) to a file, one token per line"),
    ("missing.txt", r"no vocabulary file at .*missing\.txt: write vectorize_layer\.get_vocabulary\(\) to it"),
])
def test_a_token_id_model_without_its_vocabulary_gets_one_sentence(models, vocabulary, message):
    path = models["vocabulary"].with_name(vocabulary) if vocabulary else None
    report = grading.model_report(models["token_ids"], dataset="complaints", vocabulary=path)
    assert report.error is None and report.metrics == {}
    assert "\n" not in report.metrics_error
    with pytest.raises(GradingError, match=message):
        grading.check_metric(report, "accuracy", 0.3)


def test_a_string_model_needs_no_vocabulary_even_if_one_is_named(models, tmp_path):
    report = grading.model_report(models["strings"], dataset="complaints", vocabulary=tmp_path / "absent.txt")
    assert report.metrics_error is None and report.metrics["accuracy"] > 0.3


def test_a_forecaster_is_compared_with_the_naive_forecast(models):
    report = grading.model_report(models["forecaster"], dataset="synthetic")
    assert report.metrics_error is None, report.metrics_error
    assert report.target == "value" and report.dataset == "synthetic"
    assert set(report.metrics) == {"mae", "naive_mae", "examples"} and report.metrics["examples"] == 180
    values = np.concatenate([datasets.arrays("synthetic", s)[1] for s in (*datasets.LEARNER_SPLITS, "heldout")])
    heldout = values[-180:]
    assert report.metrics["naive_mae"] == pytest.approx(float(np.abs(values[-181:-1] - heldout).mean()))
    assert report.metrics["mae"] < report.metrics["naive_mae"], "a fitted window model beats the naive forecast"
    grading.check_forecast(report, max_mae=5.5, max_ratio_to_naive=1.0)

    naive = grading.model_report(models["naive"], dataset="synthetic")
    assert naive.metrics["mae"] == pytest.approx(naive.metrics["naive_mae"], rel=1e-5)
    grading.check_forecast(naive, max_ratio_to_naive=1.0 + 1e-5)

    untrained = grading.model_report(models["forecaster_untrained"], dataset="synthetic")
    with pytest.raises(GradingError, match=r"forecaster_untrained\.keras: its one-step-ahead forecasts of value on "
                                           r"the 180 held-out steps of synthetic are off by [\d.]+ on average \(MAE\), "
                                           r"[\d.]+ times the naive forecast's [\d.]+ \(the previous value\); the "
                                           r"target is at most 1\.00 times the naive MAE: use a longer window"):
        grading.check_forecast(untrained, max_ratio_to_naive=1.0)
    with pytest.raises(GradingError, match=r"the target is an MAE of at most 5\.000"):
        grading.check_forecast(untrained, max_mae=5.0)


def test_a_multivariate_forecaster_takes_every_column_and_is_graded_on_the_target(models):
    report = grading.model_report(models["multivariate"], dataset="seasonal_multi")
    assert report.metrics_error is None, report.metrics_error
    assert report.target == "a", "the set's default target"
    grading.check_forecast(report, max_ratio_to_naive=1.0)
    other = grading.model_report(models["multivariate"], dataset="seasonal_multi", target="c")
    assert other.target == "c" and other.metrics["naive_mae"] != report.metrics["naive_mae"]
    unknown = grading.model_report(models["multivariate"], dataset="seasonal_multi", target="z")
    with pytest.raises(GradingError, match="seasonal_multi has no column 'z' to forecast: choose one of a, b, c"):
        grading.check_forecast(unknown, max_mae=1.0)


def test_the_stocks_forecaster_is_graded_on_the_sp500_by_default(models):
    report = grading.model_report(models["naive"], dataset="stocks")
    assert report.target == "^GSPC" and report.metrics["examples"] == 61
    assert report.metrics["mae"] == pytest.approx(report.metrics["naive_mae"], rel=1e-5)


@pytest.mark.parametrize("name, dataset, message", [
    ("two_columns", "synthetic", r"two_columns\.keras takes float32 inputs of shape \(30, 2\) per example, but the "
                                 r"grader forecasts value from windows of past values: build the model to take "
                                 r"windows of shape \(W,\) or \(W, 1\) of value"),
    ("any_window", "synthetic", r"any_window\.keras takes windows of any length \(input shape \(None, 1\) per "
                                r"example\), so the grader cannot tell which window it was trained on"),
    ("two_columns", "complaints", r"two_columns\.keras takes float32 inputs of shape \(30, 2\) per example, but the "
                                  r"held-out complaints examples are sentences: take raw strings"),
    ("strings", "synthetic", r"strings\.keras takes string inputs of shape \(1,\) per example, but the grader "
                             r"forecasts value"),
    ("strings", "verses", r"strings\.keras takes string inputs of shape \(1,\) per example, but the grader asks it for "
                          r"the next word of held-out verses lines: a next-word model takes the ids of the words "
                          r"before, shape \(L,\)"),
])
def test_a_model_that_does_not_fit_the_kind_gets_one_sentence(models, name, dataset, message):
    report = grading.model_report(models[name], dataset=dataset)
    assert report.error is None, report.error
    assert report.metrics_error and "\n" not in report.metrics_error
    with pytest.raises(GradingError, match=message):
        metric = datasets.DATASETS[dataset].kind.metric
        if metric == "mae":
            grading.check_forecast(report, max_mae=1.0)
        elif metric == "next_word_accuracy":
            grading.check_next_word(report, min_accuracy=0.5)
        else:
            grading.check_metric(report, "accuracy", 0.5)


def test_in_process_text_and_forecast_reports_match_the_clean_process(models, monkeypatch):
    from tfcert import probe

    requests = [(models["strings"], {"dataset": "complaints"}),
                (models["token_ids"], {"dataset": "complaints", "vocabulary": models["vocabulary"]}),
                (models["forecaster"], {"dataset": "synthetic"})]
    clean = [grading.model_report(path, **options) for path, options in requests]
    probe.reset()
    monkeypatch.setenv("TFCERT_PROBE_IN_PROCESS", "1")
    here = [grading.model_report(path, **options) for path, options in requests]
    for a, b in zip(clean, here):
        assert a is not b
        assert a.metrics == pytest.approx(b.metrics) and a.target == b.target and a.metrics_error == b.metrics_error



def test_a_next_word_model_is_graded_on_the_heldout_lines_against_the_most_frequent_word(models):
    report = grading.model_report(models["bigram"], dataset="verses", vocabulary=models["verse_vocabulary"])
    assert report.metrics_error is None, report.metrics_error
    vocabulary = models["verse_vocabulary"].read_text(encoding="utf-8").split("\n")[:-1]
    contexts, targets = _pairs(datasets.load_heldout("verses")[0], vocabulary, NEXT_WORD_WINDOW)
    import keras

    plain = keras.models.load_model(models["bigram"]).predict(contexts, verbose=0).argmax(axis=1)
    assert report.metrics["examples"] == len(targets)
    assert report.metrics["next_word_accuracy"] == pytest.approx(float(np.mean(plain == targets)))
    _, train_targets = _pairs(datasets.arrays("verses", "train")[0], vocabulary, NEXT_WORD_WINDOW)
    most_frequent = np.bincount(train_targets).argmax()
    assert vocabulary[most_frequent] == "the"
    assert report.metrics["frequency_baseline"] == pytest.approx(float(np.mean(targets == most_frequent)))
    assert report.metrics["next_word_accuracy"] > report.metrics["frequency_baseline"] + 0.2
    grading.check_next_word(report, min_accuracy=0.3)
    with pytest.raises(GradingError, match=r"bigram\.keras predicts the next word right at 0\.\d+ of the \d+ places in "
                                           r"the held-out lines of verses \(always predicting the most frequent word: "
                                           r"0\.1\d+\); the target is 0\.990: feed the ids of the words before"):
        grading.check_next_word(report, min_accuracy=0.99)


@pytest.mark.parametrize("model, vocabulary, message", [
    ("narrow", "verse_vocabulary", r"narrow\.keras gives outputs of shape \(70,\) per example, but the vocabulary file "
                                   r".*verse_vocab\.txt lists 72 tokens: end the model in Dense\(len\(vocabulary\)"),
    ("bigram", None, r"bigram\.keras gives word ids, and no vocabulary file came with it"),
])
def test_a_next_word_model_that_cannot_be_read_gets_one_sentence(models, model, vocabulary, message):
    report = grading.model_report(models[model], dataset="verses", vocabulary=models[vocabulary] if vocabulary else None)
    assert report.error is None and report.metrics == {} and "\n" not in report.metrics_error
    with pytest.raises(GradingError, match=message):
        grading.check_next_word(report, min_accuracy=0.1)


def test_a_vocabulary_that_names_no_word_gains_nothing(models):
    """Every held-out word is '[UNK]' with a vocabulary of one unknown word; predicting '[UNK]' is never right."""
    report = grading.model_report(models["always_unknown"], dataset="verses", vocabulary=models["unknown_vocabulary"])
    assert report.metrics_error is None, report.metrics_error
    assert report.metrics["next_word_accuracy"] == 0.0
