"""Write the Domain 5 assignment source, ``source/d5_time_series/``, from the cells below.

The notebook is stored normalised (``tfcert.notebooks.write``: no outputs,
stable cell ids), so this file is its source: edit a cell here, run the script,
then ``tfcert release`` writes the learner version.

Example:
    python notebooks/scripts/build_05_assignment.py && tfcert release d5_time_series
"""

from __future__ import annotations

from pathlib import Path

from assignment_cells import AssignmentCells

from tfcert import HEADER_CELL
from tfcert.selfcheck import SUBMIT_STEP

ASSIGNMENT = "d5_time_series"
OUT = Path(__file__).resolve().parent.parent.parent / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
CELLS = AssignmentCells()
md, given, solution, train, graded = CELLS.md, CELLS.given, CELLS.solution, CELLS.train, CELLS.graded


# --------------------------------------------------------------------------------------------------
md("title", """
# Assignment 5: Time series, sequences and predictions

<a target="_blank" href="https://colab.research.google.com/github/tfcert-course/tfcert/blob/main/release/d5_time_series/d5_time_series.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

## Overview

This assignment grades the fifth domain of the certificate's skills checklist: forecasting the next
value of a series. You measure the baselines every forecast must beat, cut a series into windows of
features and labels, choose a learning rate from a sweep, and train two forecasters, one on a single
series and one on three series at once. It takes about an hour; every training run takes well under
a minute on a laptop CPU and needs no download.

| Task | Skills | Points |
|---|---|---|
| 1. Baselines, MAE, trailing and centred windows | D5.04, D5.06 | 5 |
| 2. Windows of features and labels | D5.03, D5.08, D5.09 | 3 |
| 3. A learning-rate sweep | D5.01, D5.10 | 3 |
| 4. A forecaster with Conv1D or a recurrent layer | D5.01, D5.05, D5.07 | 5 |
| 5. A multivariate forecaster | D5.02, D5.05 | 4 |

**How grading works.** Write your code where it says `# YOUR CODE HERE` (remove the
`raise NotImplementedError()` line). Each task ends with test cells: the visible assertions give you
quick feedback, and hidden tests decide the score. Hidden tests call your functions on series you do
not see, and reload the model files you save under `models/` in a fresh, separate Python process,
where they forecast **the 180 days that follow the data you have**, one day at a time, each from the
window of raw values just before it. Those days are drawn by the grader; you never see them. So any
scaling belongs *inside* the model (a `Normalization` layer), and a number printed in your notebook
counts for nothing: the saved file is what is graded. Any architecture or optimizer that meets a
target gets the points. Before submitting, use *Kernel → Restart and Run All* and check that every
cell runs.

**Targets are thresholds: aim below them.** Training starts from random weights and sees the windows
in a random order, and the grader measures on days you never see, so a forecaster that just meets a
target in your notebook may miss it when graded. Each task has a collapsed **Hint** that points at the
lesson section to reread.

This course prepares the skills of the TensorFlow Developer Certificate's checklist; it states
nothing about the exam's current status, fees or dates. For those, see the official page,
https://www.tensorflow.org/certificate.
""")

md("setup-md", """
## Setup

The first cell is the course header: it quiets TensorFlow's start-up logs, fixes the random seeds
and, on Colab, installs the course package. Run it first; do not edit it. The next one loads the two
series of this assignment and plots them.
""")

given("header", HEADER_CELL)

given("imports", """
import math
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from tfcert import datasets, grading, plots

os.makedirs("models", exist_ok=True)

TIME, SERIES = datasets.arrays("synthetic", "train")              # days 0-1,099
VAL_TIME, VAL_SERIES = datasets.arrays("synthetic", "validation")  # days 1,100-1,460
ALL_SERIES = np.concatenate([SERIES, VAL_SERIES])  # every day you have, in time order
SPLIT = len(SERIES)  # ALL_SERIES[SPLIT] is the first validation day
WINDOW = 30  # the forecasters of Tasks 4 and 5 see the last 30 days
MULTI_COLUMNS = datasets.DATASETS["seasonal_multi"].kind.columns  # ('a', 'b', 'c')
MULTI_SERIES = np.concatenate([datasets.arrays("seasonal_multi", split)[1] for split in ("train", "validation")])
print("TensorFlow", tf.__version__, "| Keras", keras.__version__)
print(f"synthetic: {len(SERIES)} training and {len(VAL_SERIES)} validation days; "
      f"seasonal_multi: {MULTI_SERIES.shape[0]} days of {MULTI_SERIES.shape[1]} series {MULTI_COLUMNS}")

figure, (top, bottom) = plt.subplots(2, 1, figsize=(11, 5), sharex=True)
top.plot(TIME, SERIES, lw=0.7, label="train")
top.plot(VAL_TIME, VAL_SERIES, lw=0.7, label="validation")
top.set_title("synthetic: trend + yearly season + noise")
top.legend()
for column, name in enumerate(MULTI_COLUMNS):
    bottom.plot(np.arange(len(MULTI_SERIES)), MULTI_SERIES[:, column], lw=0.6, label=name)
bottom.axvline(SPLIT, color="grey", ls="--", lw=0.8)
bottom.set_title("seasonal_multi: three series that share a season (train | validation)")
bottom.set_xlabel("day")
bottom.legend()
plt.tight_layout()
plt.show()
""")

# ------------------------------------------------------------------------------------------ Task 1
md("task1-md", """
## Task 1: Baselines, MAE, trailing and centred windows (D5.04, D5.06)

Before any network, measure what the simplest forecasts achieve: a model is only worth its training if
it beats them. The error is the **mean absolute error** (MAE): the average distance between forecast
and truth, in the series' own units.

1. Complete `naive_forecast(series, start)` and `moving_average_forecast(series, window, start)`. Both
   return one forecast for **every step from `start` to the end** of `series` (an array of
   `len(series) - start` values), each made only from the values **before** that step:
   - the naive forecast of step `t` is the value of step `t - 1`;
   - the moving-average forecast of step `t` is the mean of the `window` values before it, steps
     `t - window` to `t - 1` (a **trailing** window).
""")

md("task1-hint", """
<details><summary>Hint</summary>

Lesson 5, *D5.04 Measure forecasts with MAE: naive and moving-average baselines* builds both baselines
and measures them; *D5.06 Trailing and centred windows* shows why a forecast may only use a trailing
window.
</details>
""")

solution("baselines", """
def naive_forecast(series: np.ndarray, start: int) -> np.ndarray:
    \"\"\"The forecast of every step from `start` on: the value of the step before it.\"\"\"
    ### BEGIN SOLUTION
    return np.asarray(series[start - 1:-1], dtype="float64")
    ### END SOLUTION


def moving_average_forecast(series: np.ndarray, window: int, start: int) -> np.ndarray:
    \"\"\"The forecast of every step from `start` on: the mean of the `window` values before it.\"\"\"
    ### BEGIN SOLUTION
    series = np.asarray(series, dtype="float64")
    return np.array([series[step - window:step].mean() for step in range(start, len(series))])
    ### END SOLUTION
""")

graded("d5-baselines", "d5_baselines", 2, """
NAIVE_MAE = float(np.mean(np.abs(naive_forecast(ALL_SERIES, SPLIT) - VAL_SERIES)))
MOVING_AVERAGE_MAE = float(np.mean(np.abs(moving_average_forecast(ALL_SERIES, 30, SPLIT) - VAL_SERIES)))
print(f"validation MAE: naive {NAIVE_MAE:.3f}, trailing moving average of 30 days {MOVING_AVERAGE_MAE:.3f}")
assert np.shape(naive_forecast(ALL_SERIES, SPLIT)) == VAL_SERIES.shape, "one forecast per step from start on"
assert np.shape(moving_average_forecast(ALL_SERIES, 30, SPLIT)) == VAL_SERIES.shape, "one forecast per step from start on"
### BEGIN HIDDEN TESTS
_squares = np.arange(10.0) ** 2  # 0 1 4 9 16 25 36 49 64 81
_naive = np.asarray(naive_forecast(_squares, 4), dtype="float64")
if _naive.shape != (6,) or not np.allclose(_naive, _squares[3:9]):
    raise grading.GradingError(
        f"naive_forecast(0 1 4 9 ... 81, start=4) should be {_squares[3:9].tolist()} (the value before each step "
        f"from step 4 on), got {_naive.tolist()}")
_want = [np.mean(_squares[step - 3:step]) for step in range(4, 10)]
_moving = np.asarray(moving_average_forecast(_squares, 3, 4), dtype="float64")
if _moving.shape == (6,) and np.allclose(_moving, [np.mean(_squares[step - 1:step + 2]) for step in range(4, 10)]):
    raise grading.GradingError(
        "moving_average_forecast averages a centred window (the step before, the step itself and the step after): "
        "a forecast may only use the values before the step, steps t - window to t - 1")
if _moving.shape == (6,) and np.allclose(_moving, [np.mean(_squares[step - 2:step + 1]) for step in range(4, 10)]):
    raise grading.GradingError(
        "moving_average_forecast includes the value it forecasts in its window: average steps t - window to t - 1")
if _moving.shape != (6,) or not np.allclose(_moving, _want):
    raise grading.GradingError(
        f"moving_average_forecast(0 1 4 9 ... 81, window=3, start=4) should be {np.round(_want, 3).tolist()} (the "
        f"mean of the 3 values before each step from step 4 on), got {np.round(_moving, 3).tolist()}")
### END HIDDEN TESTS
""")

md("task1-seasonal-md", """
2. The naive forecast only knows yesterday; the series repeats every 365 days. Complete
   `seasonal_forecast(series, start, season=365, diff_window=30, smooth=5)`, the classic forecast that
   uses the season. For each step `t` from `start` on, it adds two parts:
   - **last season, smoothed**: the mean of the `2 * smooth + 1` values **centred** on the same day one
     season ago, steps `t - season - smooth` to `t - season + smooth`. They all lie in the past, so a
     centred window is allowed here, and it cancels more noise than a trailing one;
   - **the change since then**: the seasonal differences `series[s] - series[s - season]` of the
     `diff_window` steps before `t` (`s` from `t - diff_window` to `t - 1`), averaged over that
     **trailing** window.

   It should beat the naive forecast on the validation days.
""")

solution("seasonal", """
def seasonal_forecast(series: np.ndarray, start: int, season: int = 365, diff_window: int = 30,
                      smooth: int = 5) -> np.ndarray:
    \"\"\"Last season's values (centred mean) + the mean seasonal difference of the last diff_window steps.\"\"\"
    ### BEGIN SOLUTION
    series = np.asarray(series, dtype="float64")
    forecasts = []
    for step in range(start, len(series)):
        last_season = series[step - season - smooth:step - season + smooth + 1].mean()
        recent = np.arange(step - diff_window, step)
        change = np.mean(series[recent] - series[recent - season])
        forecasts.append(last_season + change)
    return np.array(forecasts)
    ### END SOLUTION
""")

graded("d5-seasonal-forecast", "d5_seasonal_forecast", 2, """
SEASONAL_MAE = float(np.mean(np.abs(seasonal_forecast(ALL_SERIES, SPLIT) - VAL_SERIES)))
print(f"validation MAE: seasonal {SEASONAL_MAE:.3f}, naive {NAIVE_MAE:.3f}")
assert SEASONAL_MAE < NAIVE_MAE, "the seasonal forecast should beat the naive one on the validation days"
### BEGIN HIDDEN TESTS
def _reference_seasonal(_series, _start, _season, _diff_window, _smooth):
    _out = []
    for _t in range(_start, len(_series)):
        _recent = np.arange(_t - _diff_window, _t)
        _out.append(_series[_t - _season - _smooth:_t - _season + _smooth + 1].mean()
                    + np.mean(_series[_recent] - _series[_recent - _season]))
    return np.array(_out)

_series = np.random.default_rng(5).normal(0, 1, 60).cumsum()
_want = _reference_seasonal(_series, 20, 7, 4, 2)
_got = np.asarray(seasonal_forecast(_series, 20, season=7, diff_window=4, smooth=2), dtype="float64")
if _got.shape != _want.shape:
    raise grading.GradingError(f"seasonal_forecast(60 steps, start=20) should return 40 forecasts, got shape {_got.shape}")
for _t in (20, 35, 59):  # a forecast must not change when the steps from t on are unknown
    _cut = _series.copy()
    _cut[_t:] = np.nan
    _value = np.asarray(seasonal_forecast(_cut, 20, season=7, diff_window=4, smooth=2), dtype="float64")[_t - 20]
    if not np.isfinite(_value):
        raise grading.GradingError(
            f"the forecast of step {_t} uses step {_t} or later: the seasonal differences must come from a trailing "
            "window (steps t - diff_window to t - 1); only last season's values may be centred, since they all lie "
            "in the past")
if not np.allclose(_got, _want, atol=1e-6):
    _trailing = np.array([_series[_t - 7 - 4:_t - 7 + 1].mean() + np.mean(_series[_t - 4:_t] - _series[_t - 11:_t - 7])
                          for _t in range(20, 60)])
    _advice = ("last season's values should be centred on step t - season (steps t - season - smooth to "
               "t - season + smooth): all of them are in the past, and a centred window smooths without a lag"
               if np.allclose(_got, _trailing, atol=1e-6) else
               "add the centred mean of last season's 2 * smooth + 1 values around t - season to the mean of the "
               "seasonal differences series[s] - series[s - season] over the diff_window steps before t")
    raise grading.GradingError(f"seasonal_forecast gives {np.round(_got[:3], 3).tolist()}... on a hidden series, "
                               f"expected {np.round(_want[:3], 3).tolist()}...: {_advice}")
_validation = float(np.mean(np.abs(np.asarray(seasonal_forecast(ALL_SERIES, SPLIT), dtype="float64") - VAL_SERIES)))
if not _validation <= 5.2:
    raise grading.GradingError(f"the seasonal forecast's validation MAE is {_validation:.3f}; it should be at most 5.2")
### END HIDDEN TESTS
""")

md("task1-choice-md", """
3. A window can end at the step it describes (**trailing**: only earlier values) or be **centred** on
   it (values before and after). Fill in `WINDOW_CHOICE`: for each purpose, `"trailing"` or
   `"centred"`, the window that fits it.
""")

solution("window-choice", """
WINDOW_CHOICE = {
    "forecast tomorrow's value from the values so far": None,
    "smooth last season's values before adding them to a seasonal forecast": None,
    "draw the trend of a finished year of sales in a report": None,
    "compute an input feature for a model that runs live, each hour, on the newest data": None,
}
### BEGIN SOLUTION
WINDOW_CHOICE = {
    "forecast tomorrow's value from the values so far": "trailing",
    "smooth last season's values before adding them to a seasonal forecast": "centred",
    "draw the trend of a finished year of sales in a report": "centred",
    "compute an input feature for a model that runs live, each hour, on the newest data": "trailing",
}
### END SOLUTION
""")

graded("d5-window-choice", "d5_window_choice", 1, """
assert len(WINDOW_CHOICE) == 4, "keep the four purposes as keys"
assert all(str(choice).lower() in ("trailing", "centred", "centered") for choice in WINDOW_CHOICE.values()), (
    'each value should be "trailing" or "centred"')
### BEGIN HIDDEN TESTS
_answers = {"forecast tomorrow": "trailing", "smooth last season": "centred", "trend of a finished year": "centred",
            "runs live": "trailing"}
_given = {str(_purpose): str(_choice).lower().replace("centered", "centred") for _purpose, _choice in WINDOW_CHOICE.items()}
_wrong = [_purpose for _key, _answer in _answers.items() for _purpose, _choice in _given.items()
          if _key in _purpose and _choice != _answer]
_missing = [_key for _key in _answers if not any(_key in _purpose for _purpose in _given)]
if _missing:
    raise grading.GradingError(f"WINDOW_CHOICE lost a purpose (one containing {_missing[0]!r}): keep the four keys as given")
if _wrong:
    raise grading.GradingError(
        f"{len(_wrong)} of the 4 window choices are wrong, e.g. for {_wrong[0]!r}: a window that reaches past the "
        "newest value can only be used where every value in it is already known")
### END HIDDEN TESTS
""")

# ------------------------------------------------------------------------------------------ Task 2
md("task2-md", """
## Task 2: Windows of features and labels (D5.03, D5.08, D5.09)

A network learns to forecast from examples: a **window** of `window_size` consecutive values (the
features) and the value that comes **right after it** (the label). The label must never be inside
the features, and the windows must reach the model in a **shuffled** order: consecutive windows of a
series are nearly identical, so batches cut in time order pull the weights towards one stretch of the
series after another (sequence bias).

Complete `windowed_dataset(series, window_size, batch_size=32, shuffle_buffer=1000, seed=None)`: a
`tf.data.Dataset` of `(features, labels)` batches, features of shape `(batch, window_size)` and labels
of shape `(batch,)`, float32, holding **every** window that fits inside `series` exactly once,
shuffled with a buffer of `shuffle_buffer` windows and the given `seed` (the same seed, the same
order), then batched.
""")

md("task2-hint", """
<details><summary>Hint</summary>

Lesson 5, *D5.08 Windows of features and labels with tf.data* builds this dataset step by step on a
series of ten numbers (`window`, `flat_map`, `map`, `shuffle`, `batch`) and shows
`keras.utils.timeseries_dataset_from_array`; *D5.09 Sequence bias: why windows are shuffled* shows
what unshuffled windows do to training.
</details>
""")

solution("windows", """
def windowed_dataset(series: np.ndarray, window_size: int, batch_size: int = 32, shuffle_buffer: int = 1000,
                     seed: int | None = None) -> tf.data.Dataset:
    \"\"\"Shuffled batches of (window_size values, the value right after them) from `series`.\"\"\"
    ### BEGIN SOLUTION
    dataset = tf.data.Dataset.from_tensor_slices(np.asarray(series, dtype="float32"))
    dataset = dataset.window(window_size + 1, shift=1, drop_remainder=True)
    dataset = dataset.flat_map(lambda window: window.batch(window_size + 1))
    dataset = dataset.map(lambda window: (window[:-1], window[-1]))
    dataset = dataset.shuffle(shuffle_buffer, seed=seed)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    ### END SOLUTION
""")

graded("d5-windows", "d5_windows", 2, """
for features, labels in windowed_dataset(np.arange(10), window_size=4, batch_size=3, seed=1).take(2):
    print(features.numpy().tolist(), "->", labels.numpy().tolist())
_features, _labels = next(iter(windowed_dataset(ALL_SERIES, 30, batch_size=8, seed=1)))
assert tuple(_features.shape) == (8, 30) and tuple(_labels.shape) == (8,), (
    "a batch should hold features of shape (batch, window_size) and labels of shape (batch,)")
### BEGIN HIDDEN TESTS
def _collect(_dataset):
    _x, _y = [], []
    for _batch in _dataset:
        if not (isinstance(_batch, (tuple, list)) and len(_batch) == 2):
            raise grading.GradingError("each element of the dataset should be a (features, labels) pair of batches")
        _xb, _yb = np.asarray(_batch[0], dtype="float64"), np.asarray(_batch[1], dtype="float64")
        _x.append(_xb.reshape(len(_xb), -1))
        _y.append(_yb.reshape(len(_yb)))
    return np.concatenate(_x), np.concatenate(_y)

_dataset = windowed_dataset(np.arange(100.0, 140.0), window_size=5, batch_size=4, shuffle_buffer=100, seed=1)
if not isinstance(_dataset, tf.data.Dataset):
    raise grading.GradingError(f"windowed_dataset should return a tf.data.Dataset, got {type(_dataset).__name__}")
_x, _y = _collect(_dataset)
if _x.shape[1:] != (5,):
    raise grading.GradingError(f"with window_size=5 each feature row should hold 5 values, got {_x.shape[1]}")
if np.allclose(_y, _x[:, -1]):
    raise grading.GradingError(
        "each label is also the last value of its features: the label leaks into the input. Cut windows of "
        "window_size + 1 values, then features = window[:-1] and label = window[-1]")
if not np.allclose(np.diff(_x, axis=1), 1.0):
    raise grading.GradingError("the features of a window should be window_size consecutive values of the series")
_offsets = np.unique(_y - _x[:, -1])
if not np.allclose(_y, _x[:, -1] + 1):
    raise grading.GradingError(
        f"each label should be the value right after its window; on the series 100, 101, ..., 139 the labels are "
        f"{_offsets.tolist()} after the last feature, not 1: the labels are off by {int(_offsets[0]) - 1} step")
if sorted(_x[:, 0].tolist()) != list(np.arange(100.0, 135.0)):
    raise grading.GradingError(
        f"40 values and window_size=5 give 35 windows (each fully inside the series, each once), got {len(_x)}: "
        "use window(window_size + 1, shift=1, drop_remainder=True)")
### END HIDDEN TESTS
""")

graded("d5-windows-shuffled", "d5_windows_shuffled", 1, """
_first = next(iter(windowed_dataset(np.arange(300.0), window_size=5, batch_size=10, seed=7)))[1].numpy()
print("labels of a first batch:", _first.tolist())
### BEGIN HIDDEN TESTS
def _labels_in_order(**_kwargs):
    return np.concatenate([np.asarray(_batch[1]).reshape(-1) for _batch in windowed_dataset(np.arange(300.0), 5, **_kwargs)])

_shuffled = _labels_in_order(batch_size=295, shuffle_buffer=1000, seed=3)
if np.all(np.diff(_shuffled) > 0):
    raise grading.GradingError(
        "the windows come out in time order: shuffle them (dataset.shuffle(shuffle_buffer, seed=seed)) before "
        "batching, or every batch holds neighbouring, nearly identical windows (sequence bias)")
if not np.array_equal(_shuffled, _labels_in_order(batch_size=295, shuffle_buffer=1000, seed=3)):
    raise grading.GradingError("two calls with seed=3 gave different orders: pass seed to shuffle")
if np.array_equal(_shuffled, _labels_in_order(batch_size=295, shuffle_buffer=1000, seed=4)):
    raise grading.GradingError("seed=3 and seed=4 gave the same order: pass seed to shuffle")
if not np.all(np.diff(_labels_in_order(batch_size=295, shuffle_buffer=1, seed=3)) > 0):
    raise grading.GradingError("with shuffle_buffer=1 the windows should stay in time order: pass shuffle_buffer to "
                               "shuffle, and shuffle the windows, not the values of the series")
### END HIDDEN TESTS
""")

# ------------------------------------------------------------------------------------------ Task 3
md("task3-md", """
## Task 3: A learning-rate sweep (D5.01, D5.10)

The right learning rate depends on the model and the data. A sweep finds it in one run: train while
the rate grows a little every epoch, from far too small to far too large, and plot the loss against
the rate. The loss first falls slowly, then fast, reaches a low valley, turns noisy and finally
blows up.

1. Complete `learning_rate_sweep(model, dataset, start=1e-5, factor=10 ** (1 / 15), epochs=60)`: train
   the compiled `model` on `dataset` for `epochs` epochs with a
   `keras.callbacks.LearningRateScheduler` that sets the rate of epoch `e` (counting from 0) to
   `start * factor ** e`; return `(rates, losses)`: the rate and the training loss of each epoch, as
   two arrays of length `epochs`.
""")

md("task3-hint", """
<details><summary>Hint</summary>

Lesson 5, *D5.10 Choose the learning rate with a sweep* runs a sweep with `LearningRateScheduler`,
reads the rates back from the history, plots the loss against the rate on a log axis and picks a rate
from the plot.
</details>
""")

solution("sweep", """
def learning_rate_sweep(model: keras.Model, dataset, start: float = 1e-5, factor: float = 10 ** (1 / 15),
                        epochs: int = 60) -> tuple[np.ndarray, np.ndarray]:
    \"\"\"Train `model` with the rate start * factor ** epoch; return the rate and the loss of each epoch.\"\"\"
    ### BEGIN SOLUTION
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch: float(start * factor ** epoch))
    history = model.fit(dataset, epochs=epochs, callbacks=[schedule], verbose=0)
    return np.array(history.history["learning_rate"]), np.array(history.history["loss"])
    ### END SOLUTION
""")

graded("d5-lr-sweep", "d5_lr_sweep", 2, """
_tiny = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
_tiny.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
_rates, _losses = learning_rate_sweep(_tiny, tf.data.Dataset.from_tensor_slices(
    (np.ones((8, 3), "float32"), np.ones(8, "float32"))).batch(4), start=1e-4, factor=2.0, epochs=4)
print("rates", np.round(_rates, 6).tolist(), "losses", np.round(_losses, 4).tolist())
assert len(_rates) == len(_losses) == 4, "one rate and one loss per epoch"
### BEGIN HIDDEN TESTS
_inputs = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
_model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
_model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
_rates, _losses = learning_rate_sweep(_model, tf.data.Dataset.from_tensor_slices(
    (_inputs, _inputs.sum(axis=1))).batch(16), start=3e-4, factor=1.5, epochs=6)
_want = 3e-4 * 1.5 ** np.arange(6)
_rates, _losses = np.asarray(_rates, dtype="float64").reshape(-1), np.asarray(_losses, dtype="float64").reshape(-1)
if _rates.shape != (6,) or not np.allclose(_rates, _want, rtol=1e-4):
    raise grading.GradingError(
        f"with start=3e-4, factor=1.5 and epochs=6 the rates should be {np.round(_want, 6).tolist()}, got "
        f"{np.round(_rates, 6).tolist()}: the rate of epoch e (from 0) is start * factor ** e")
if not np.isclose(float(keras.ops.convert_to_numpy(_model.optimizer.learning_rate)), _want[-1], rtol=1e-4):
    raise grading.GradingError("after the sweep the model's optimizer should be at the last rate of the sweep: set "
                               "the rates on the model you were given with keras.callbacks.LearningRateScheduler")
if _losses.shape != (6,) or not np.all(np.isfinite(_losses)) or not _losses[-1] < _losses[0]:
    raise grading.GradingError("the losses should be the training loss of each of the 6 epochs "
                               "(history.history['loss']), falling on this easy problem")
### END HIDDEN TESTS
""")

md("task3-choice-md", """
2. Complete `choose_learning_rate(rates, losses)`: the rate to train with, read from a sweep. The raw
   losses are noisy, so smooth them first (a centred moving average over a few epochs: the sweep is
   finished, every value is known). Then choose a rate **in the valley, below its lowest point**: where
   the smoothed loss is lowest, training is about to turn unstable, so back off to **a third to a
   tenth** of that rate. Not where the loss is still falling steeply at the start: there the model is
   still learning and training would be slow.
""")

solution("choose-rate", """
def choose_learning_rate(rates: np.ndarray, losses: np.ndarray) -> float:
    \"\"\"A rate below the lowest point of the smoothed sweep curve: a third of the rate where it is lowest.\"\"\"
    ### BEGIN SOLUTION
    losses = np.asarray(losses, dtype="float64")
    kernel = np.ones(5) / 5
    padded = np.pad(losses, 2, mode="edge")
    smoothed = np.convolve(padded, kernel, mode="valid")  # a centred mean of 5 epochs
    return float(np.asarray(rates)[int(np.argmin(smoothed))] / 3)
    ### END SOLUTION
""")

graded("d5-lr-choice", "d5_lr_choice", 1, """
_rates = 1e-6 * 10 ** (np.arange(100) / 20)
_loss = 2 + 8 / (1 + np.exp(3 * (np.log10(_rates) + 4)))
print("chosen on an example curve:", choose_learning_rate(_rates, _loss + np.exp(np.log10(_rates) * 4 + 8)))
assert isinstance(choose_learning_rate(_rates, _loss), float), "choose_learning_rate should return a float"
### BEGIN HIDDEN TESTS
def _curve(_steep, _lowest, _noise, _seed):
    _log = np.log10(_rates)
    _falling = 1 + 9 / (1 + np.exp(3 * (_log - np.log10(_steep))))
    _blow_up = np.where(_log > np.log10(_lowest), 40 * (_log - np.log10(_lowest)) ** 2, 0.0)
    _values = _falling + _blow_up - 0.3 * np.exp(-((_log - np.log10(_lowest)) / 0.5) ** 2)
    return _values * (1 + _noise * np.random.default_rng(_seed).normal(size=len(_rates)))

for _steep, _lowest, _noise in ((1e-4, 1e-2, 0.0), (1e-3, 3e-2, 0.01), (3e-5, 1e-3, 0.01)):
    _losses = _curve(_steep, _lowest, _noise, 9)
    _chosen = float(choose_learning_rate(_rates, _losses))
    if not _lowest / 30 <= _chosen <= _lowest / 1.5:
        _where = ("at or past the lowest point of the curve, where training turns unstable"
                  if _chosen > _lowest / 1.5 else "where the loss is still falling steeply, far below the valley")
        raise grading.GradingError(
            f"on a hidden sweep whose smoothed loss is lowest at {_lowest:.0e}, choose_learning_rate chose "
            f"{_chosen:.2e}, {_where}: smooth the losses (a centred moving average), find the rate where they are "
            "lowest and take a third to a tenth of it")
### END HIDDEN TESTS
""")

# ------------------------------------------------------------------------------------------ Task 4
md("task4-md", """
## Task 4: A forecaster with Conv1D or a recurrent layer (D5.01, D5.05, D5.07)

Complete `build_forecaster(window_size, learning_rate, training_series)`: a **compiled** model that
takes windows of `window_size` **raw** values, `keras.Input(shape=(window_size,))` (or
`(window_size, 1)`), and forecasts the next value, one number per window: output shape `(None, 1)`.

- Scale inside the model: a `keras.layers.Normalization` adapted on `training_series` brings the values
  near 0; at the end, `keras.layers.Rescaling(scale=std, offset=mean)` of the training series turns the
  `Dense(1)` output back into the series' units, so the network only learns small numbers.
- Read the window with at least one `Conv1D`, `LSTM`, `GRU` or `SimpleRNN` layer (they take
  `(steps, channels)`: add `keras.layers.Reshape((window_size, 1))` after a flat input).
- Compile with an optimizer at `learning_rate` and an absolute-error loss (`"mae"` or `"huber"`).

The next cell runs your sweep on a fresh model, chooses the rate with your function and trains the
forecaster on **all the days you have** (training and validation: the graded days follow the
validation days), lowering the rate along a cosine curve with a second `LearningRateScheduler` so
that training ends calmly. It saves the model to `models/forecaster.keras`.

Target: on the 180 graded days, an MAE at most **0.95 times the naive forecast's** (about 5.65; the
naive forecast's is about 5.95, and the noise alone costs about 4). A good model lands near 5.
""")

md("task4-hint", """
<details><summary>Hint</summary>

Lesson 5, *D5.05 Dense, Conv1D and LSTM forecasters* builds and compares the three kinds of model with
the scaling inside; *D5.07 Forecast with TensorFlow: one step and many steps ahead* forecasts a period
one step at a time and measures it; *D5.01 A forecaster from start to finish* saves and reloads one.
</details>
""")

solution("forecaster-build", """
def build_forecaster(window_size: int, learning_rate: float, training_series: np.ndarray) -> keras.Model:
    \"\"\"A compiled model: windows of window_size raw values in, the next value out (None, 1).\"\"\"
    ### BEGIN SOLUTION
    normalize = keras.layers.Normalization(axis=None)
    normalize.adapt(np.asarray(training_series, dtype="float32"))
    model = keras.Sequential([
        keras.Input(shape=(window_size,)),
        normalize,
        keras.layers.Reshape((window_size, 1)),
        keras.layers.Conv1D(32, kernel_size=5, padding="causal", activation="relu"),
        keras.layers.LSTM(32),
        keras.layers.Dense(1),
        keras.layers.Rescaling(scale=float(np.std(training_series)), offset=float(np.mean(training_series))),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mae", metrics=["mae"])
    ### END SOLUTION
    return model
""")

md("task4-train-md", """
The next cell sweeps, trains and saves (about 40 seconds on a laptop CPU). You may change `EPOCHS`.
""")

train("forecaster-train", """
FORECASTER_PATH = "models/forecaster.keras"
EPOCHS = 30

sweep_rates, sweep_losses = learning_rate_sweep(build_forecaster(WINDOW, 1e-5, ALL_SERIES),
                                                windowed_dataset(ALL_SERIES, WINDOW, seed=42))
LEARNING_RATE = choose_learning_rate(sweep_rates, sweep_losses)
plt.figure(figsize=(7, 3))
plt.semilogx(sweep_rates, sweep_losses)
plt.axvline(LEARNING_RATE, color="tab:red", ls="--", label=f"chosen {LEARNING_RATE:.1e}")
plt.xlabel("learning rate")
plt.ylabel("training loss (MAE)")
plt.title("learning-rate sweep")
plt.legend()
plt.show()

forecaster = build_forecaster(WINDOW, LEARNING_RATE, ALL_SERIES)
cosine = keras.callbacks.LearningRateScheduler(
    lambda epoch: float(LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * epoch / EPOCHS))))
forecaster_history = forecaster.fit(windowed_dataset(ALL_SERIES, WINDOW, seed=42), epochs=EPOCHS,
                                    callbacks=[cosine], verbose=2)
forecaster.save(FORECASTER_PATH)
tfcert.save_history(forecaster_history, FORECASTER_PATH)
plots.plot_history(forecaster_history, metrics=("loss",), title="forecaster");

validation_windows = np.stack([ALL_SERIES[step - WINDOW:step] for step in range(SPLIT, len(ALL_SERIES))])
validation_forecast = forecaster.predict(validation_windows, verbose=0).reshape(-1)
print(f"MAE on the validation days (which it trained on): {np.mean(np.abs(validation_forecast - VAL_SERIES)):.3f}; "
      f"naive {NAIVE_MAE:.3f}, seasonal {SEASONAL_MAE:.3f}")
""")

graded("d5-forecaster-shapes", "d5_forecaster_shapes", 2, """
forecaster_report = grading.model_report("models/forecaster.keras", dataset="synthetic")
grading.check_window_input(forecaster_report, 30)
grading.check_output_shape(forecaster_report, (None, 1))
grading.check_layers(forecaster_report, ("Conv1D", "LSTM", "GRU", "SimpleRNN"),
                     what="a Conv1D, LSTM, GRU or SimpleRNN layer",
                     advice="read the window with keras.layers.Conv1D or a recurrent layer after "
                     "keras.layers.Reshape((window_size, 1))")
""", verify=True)

graded("d5-forecaster-mae", "d5_forecaster_mae", 3, """
forecaster_curves = grading.load_history("models/forecaster.keras")
print(f"training loss: {forecaster_curves['loss'][0]:.3f} after the first epoch, {forecaster_curves['loss'][-1]:.3f} "
      "after the last")
assert forecaster_curves["loss"][-1] < forecaster_curves["loss"][0], "the training loss should fall"
### BEGIN HIDDEN TESTS
grading.check_history(forecaster_curves)
grading.check_forecast(grading.model_report("models/forecaster.keras", dataset="synthetic"), max_ratio_to_naive=0.95,
                       advice="a model no better than the naive forecast has often learnt to copy the last value: check "
                       "that each label is the value after its window, never inside it, and that the windows are "
                       "shuffled; then scale inside the model (Normalization, and Rescaling after Dense(1)), start from "
                       "the rate your sweep chose and let it decay")
### END HIDDEN TESTS
""", verify=True)

# ------------------------------------------------------------------------------------------ Task 5
md("task5-md", """
## Task 5: A multivariate forecaster (D5.02, D5.05)

`MULTI_SERIES` holds three daily series, `a`, `b` and `c`, with a shared season; each day is a row of
three values. Forecast tomorrow's `a` from the last `WINDOW` days of **all three** series.

Complete `build_multivariate_forecaster(window_size, training_values)`: a **compiled** model that
takes windows of shape `(window_size, 3)` (raw values, scaled inside the model by a `Normalization`
adapted on `training_values`), reads them with at least one `Conv1D`, `LSTM`, `GRU` or `SimpleRNN`
layer, and gives one number per window, the forecast of `a`: output shape `(None, 1)`. The next cell
makes its windows with `keras.utils.timeseries_dataset_from_array` and trains it on all the days you
have.

Target: on the 180 graded days, an MAE of `a` at most **0.75 times the naive forecast's** (about 4.9;
the naive forecast's is about 6.6).
""")

md("task5-hint", """
<details><summary>Hint</summary>

Lesson 5, *D5.02 Univariate and multivariate forecasts* builds a forecaster that reads several columns
and compares it with one that reads a single column.
</details>
""")

solution("multi-build", """
def build_multivariate_forecaster(window_size: int, training_values: np.ndarray) -> keras.Model:
    \"\"\"A compiled model: windows of shape (window_size, 3) in, the next value of column a out (None, 1).\"\"\"
    ### BEGIN SOLUTION
    normalize = keras.layers.Normalization()  # one mean and variance per column
    normalize.adapt(np.asarray(training_values, dtype="float32"))
    model = keras.Sequential([
        keras.Input(shape=(window_size, training_values.shape[1])),
        normalize,
        keras.layers.Conv1D(32, kernel_size=5, padding="causal", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(1),
        keras.layers.Rescaling(scale=float(np.std(training_values[:, 0])), offset=float(np.mean(training_values[:, 0]))),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mae", metrics=["mae"])
    ### END SOLUTION
    return model
""")

train("multi-train", """
MULTI_PATH = "models/multivariate.keras"
MULTI_EPOCHS = 30

multi_windows = keras.utils.timeseries_dataset_from_array(
    MULTI_SERIES[:-WINDOW], targets=MULTI_SERIES[WINDOW:, 0], sequence_length=WINDOW, batch_size=32, shuffle=True,
    seed=42)  # window i: rows i to i + WINDOW - 1; its target: a on row i + WINDOW, the day after
multi_model = build_multivariate_forecaster(WINDOW, MULTI_SERIES)
multi_rate = float(keras.ops.convert_to_numpy(multi_model.optimizer.learning_rate))
multi_cosine = keras.callbacks.LearningRateScheduler(
    lambda epoch: float(multi_rate * 0.5 * (1 + math.cos(math.pi * epoch / MULTI_EPOCHS))))
multi_history = multi_model.fit(multi_windows, epochs=MULTI_EPOCHS, callbacks=[multi_cosine], verbose=2)
multi_model.save(MULTI_PATH)
tfcert.save_history(multi_history, MULTI_PATH)

_days = np.arange(SPLIT, len(MULTI_SERIES))
_windows = np.stack([MULTI_SERIES[day - WINDOW:day] for day in _days])
plt.figure(figsize=(11, 3))
plt.plot(_days, MULTI_SERIES[SPLIT:, 0], lw=0.7, label="a, the truth")
plt.plot(_days, multi_model.predict(_windows, verbose=0).reshape(-1), lw=0.9, label="forecast from a, b and c")
plt.title("one step ahead over the validation days")
plt.xlabel("day")
plt.legend()
plt.show()
""")

graded("d5-multivariate-shapes", "d5_multivariate_shapes", 1, """
multi_report = grading.model_report("models/multivariate.keras", dataset="seasonal_multi")
grading.check_window_input(multi_report, 30, columns=3)
grading.check_output_shape(multi_report, (None, 1))
grading.check_layers(multi_report, ("Conv1D", "LSTM", "GRU", "SimpleRNN"), what="a Conv1D, LSTM, GRU or SimpleRNN layer",
                     advice="read the (window, 3) windows with keras.layers.Conv1D or a recurrent layer")
""", verify=True)

graded("d5-multivariate-mae", "d5_multivariate_mae", 3, """
multi_curves = grading.load_history("models/multivariate.keras")
print(f"training loss: {multi_curves['loss'][0]:.3f} after the first epoch, {multi_curves['loss'][-1]:.3f} after the last")
assert multi_curves["loss"][-1] < multi_curves["loss"][0], "the training loss should fall"
### BEGIN HIDDEN TESTS
grading.check_history(multi_curves)
grading.check_forecast(grading.model_report("models/multivariate.keras", dataset="seasonal_multi"),
                       max_ratio_to_naive=0.75,
                       advice="scale each column inside the model (a Normalization layer adapted on all three), turn "
                       "the Dense(1) output back into a's units (Rescaling with a's standard deviation and mean), and "
                       "check that each target is a on the day after its window")
### END HIDDEN TESTS
""", verify=True)

md("submit-md", f"""
## Before you submit

1. *Kernel → Restart and Run All*, and check every cell runs without an error.
2. Check that `models/` holds `forecaster.keras`, `multivariate.keras` and their `.history.json` files.
3. {SUBMIT_STEP}
4. Submit the notebook; the grader runs it again from the top, so the files are made anew.
""")


if __name__ == "__main__":
    CELLS.write(OUT)
