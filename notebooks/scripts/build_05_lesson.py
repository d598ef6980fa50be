"""Write the Domain 5 lesson, ``notebooks/05_time_series.ipynb``, from the cells below.

The notebook is stored without outputs (``tfcert.notebooks.write``), so this file
is its source: edit a cell here, run the script, and the notebook is rewritten
with the same cell ids, which keeps diffs small.

Example:
    python notebooks/scripts/build_05_lesson.py
"""

from __future__ import annotations

from pathlib import Path

from lesson_cells import LessonCells

from tfcert import HEADER_CELL

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "05_time_series.ipynb"
CELLS = LessonCells()
md, code = CELLS.md, CELLS.code


# --------------------------------------------------------------------------------------------------
md("title", """
# Domain 5: Time series, sequences and predictions

[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tfcert-course/tfcert/blob/main/notebooks/05_time_series.ipynb)
""")

md("overview", """
## Overview

A time series is a list of numbers in time order: a temperature every hour, sales every day, a price
every month. Forecasting asks for the next numbers. Two things set it apart from the earlier
domains: the order of the examples is part of the data, so splits, windows and shuffling must
respect time; and a forecast is only worth something if it beats the simplest guesses, such as
"tomorrow will be like today". This domain starts from those simple guesses, measured in MAE, cuts
a series into windows of features and labels with `tf.data`, trains `Dense`, `Conv1D` and `LSTM`
forecasters, tunes the learning rate with a sweep, and ends with a saved forecaster that takes
windows of raw values.

**What you will learn**

| ID | Skill | In this notebook |
|----|-------|------------------|
| D5.01 | Train, tune and use time series, sequence and prediction models | the whole path once more at the end: split, window, build, tune, train, save as `.keras`, reload, forecast, compare with the naive forecast |
| D5.02 | Predict values of univariate and multivariate time series | one column forecast from windows of all three columns against windows of itself alone; two real price series where the naive forecast is hard to beat |
| D5.03 | Prepare data for time series learning | trend, seasonality, noise and autocorrelation, plotted; splits in time order; a `Normalization` layer inside the model, and another that turns its output back into the series' units |
| D5.04 | Understand MAE and use it to evaluate sequence models | the naive forecast and moving averages as baselines; MAE against MSE, and what each punishes |
| D5.05 | Use RNNs and CNNs for time series, sequence and forecasting models | `Dense`, `Conv1D` with causal padding and `LSTM` forecasters on the same windows, compared with the naive forecast |
| D5.06 | Know when to use trailing and when to use centred windows | trailing windows to forecast, centred windows to smooth the past; seasonal differencing; the leak a centred window causes, measured |
| D5.07 | Forecast with TensorFlow | one step ahead from a batch of windows, plotted against the truth; many steps ahead by feeding forecasts back, and how the error grows |
| D5.08 | Prepare features and labels | `window`, `flat_map`, `map`, `shuffle`, `batch`, `prefetch` on a series you can read by eye; `timeseries_dataset_from_array`; labels one step off, and what a model learns from them |
| D5.09 | Identify and compensate for sequence bias | the same model trained on windows in time order and on shuffled windows, batch by batch |
| D5.10 | Adjust the learning rate dynamically while training sequence models | a sweep with `LearningRateScheduler`, the loss against the rate, a rate chosen from the plot; `ReduceLROnPlateau` |

The sections follow the order of the work rather than the numbering: prepare the series (D5.03),
measure the baselines (D5.04, D5.06), cut windows (D5.08, D5.09), tune and train (D5.10, D5.05),
forecast (D5.07), add columns (D5.02), and finally the whole path in one go (D5.01).

**Time needed:** about 90 minutes to read and experiment. Running every cell takes about two
minutes on a laptop CPU; no GPU is needed.

**How it maps to the exam:** a time series task gives you a series (in this course, arrays from
`tfcert.datasets`, or a CSV file) and asks for a saved forecaster. The course's grader loads your
`.keras` file in a clean process and forecasts held-out days, one step ahead each time, from the
window of **raw** past values just before each day, cut at the window length your model's input
declares. It reports your MAE next to the naive forecast's on the same days. So the model must take
windows of a fixed length, shape `(W,)` or `(W, 1)` (D5.08), and do its own scaling inside, with a
`Normalization` layer (D5.03): the grader sends raw values and reads the output as a raw value.

**Aim for a margin.** Starting weights are random and the windows are shuffled, so two runs differ
a little; the grader's days are days you never saw, with noise of their own. Aim clearly below a
target.

**About the exam itself:** this course states nothing about the certificate exam's current status,
fees or dates; for those, see the official page, https://www.tensorflow.org/certificate.

**Data:** the course package makes or reads all four series on your machine, so the notebook runs
offline (`tfcert.datasets.card("synthetic")` returns the data card, which covers all four). Each
comes as `(time, values)` arrays, in two splits: `train` and `validation`, the later days.
- `synthetic`: one value a day for four years: a rising trend, a yearly seasonal shape and noise.
  1,100 training and 361 validation days.
- `seasonal_multi`: three daily series, `a`, `b` and `c`, that share one weekly and one yearly
  pattern, each with its own level, trend and noise; the same days as `synthetic`.
- `goog`: Google's daily closing price from August 2004, 700 training and 150 validation trading
  days (matplotlib's sample data).
- `stocks`: monthly closes of five shares and two indices from 1990, among them the S&P 500
  (`^GSPC`); 270 training and 60 validation months (matplotlib's sample data).
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
next to the notebook. The forecasters all read windows of the last 30 days.
""")

code("imports", r'''
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tensorflow as tf

from tfcert import datasets, plots

tf.get_logger().setLevel("ERROR")  # TensorFlow's Python logger: errors only
os.makedirs("models", exist_ok=True)  # model.save does not create folders
AUTOTUNE = tf.data.AUTOTUNE
WINDOW = 30  # days of history per forecast
BATCH_SIZE = 32
EPOCHS = 20
print("TensorFlow", tf.__version__, "| Keras", keras.__version__)
''')

# --------------------------------------------------------------------------------------------------
md("d5-03", """
## D5.03 Prepare a series: time-ordered splits and scaling

**What a series is made of.** Most series that people forecast are a sum of a few simple parts:

- a **trend**: a slow drift up or down;
- **seasonality**: a pattern that repeats with a fixed period (a day, a week, a year);
- **autocorrelation**: each value depends on the values just before it, so a high value tends to be
  followed by another high one;
- **noise**: what is left, which nothing can forecast.

A toy series built from the four parts with NumPy, one panel each, and their sum at the bottom:
""")

code("d5-03-toy", r'''
rng = np.random.default_rng(42)
days = np.arange(3 * 365)
trend = 0.03 * days
seasonality = 10 * np.sin(2 * np.pi * days / 365)  # one cycle a year
autocorrelated = np.zeros(len(days))
for t in range(1, len(days)):
    autocorrelated[t] = 0.9 * autocorrelated[t - 1] + rng.normal(0, 1)  # 90 % of yesterday, plus a new shock
noise = rng.normal(0, 1.5, len(days))
toy = 5 + trend + seasonality + autocorrelated + noise

parts = [("trend", trend), ("seasonality", seasonality), ("autocorrelation", autocorrelated), ("noise", noise),
         ("the sum: a series", toy)]
fig, axes = plt.subplots(len(parts), 1, figsize=(10, 7), sharex=True)
for ax, (name, values) in zip(axes, parts):
    ax.plot(days, values, linewidth=0.8)
    ax.set_ylabel(name, rotation=0, ha="right", va="center")
    ax.grid(alpha=0.3)
axes[-1].set_xlabel("day")
fig.suptitle("A toy series and the four parts it is made of")
fig.tight_layout()
plt.show()
''')

md("d5-03-load-intro", """
The autocorrelated part wanders: it is not periodic, yet each day is close to the day before. The
noise jumps about with no memory at all.

**The `synthetic` series** is made the same way (its data card gives the formula): a trend of 0.05
a day, a yearly shape that rises slowly and drops fast, and noise with a standard deviation of 5.
`datasets.arrays` returns the days and the values. The validation days come right after the
training days, so the two splits joined end to end give the whole series:
""")

code("d5-03-load", r'''
train_time, train_values = datasets.arrays("synthetic", "train")
val_time, val_values = datasets.arrays("synthetic", "validation")
series = np.concatenate([train_values, val_values])  # every known day, in time order
SPLIT = len(train_values)  # the first validation day
val_days = np.arange(SPLIT, len(series))  # the days we forecast to measure a method
print(f"train: days {train_time[0]}-{train_time[-1]} ({len(train_values)}) | "
      f"validation: days {val_time[0]}-{val_time[-1]} ({len(val_values)}) | dtype {series.dtype}")

fig, ax = plt.subplots(figsize=(10, 3.5))
ax.plot(train_time, train_values, linewidth=0.7, label="train")
ax.plot(val_time, val_values, linewidth=0.7, label="validation")
ax.set_xlabel("day")
ax.set_ylabel("value")
ax.set_title("synthetic: trend + yearly season + noise, split in time order")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
''')

md("d5-03-acf-intro", """
**Autocorrelation, measured.** The autocorrelation at lag *k* says how much the series resembles
itself shifted by *k* steps: 1 for a perfect match, 0 for none, negative when highs meet lows. It
tells you where in the past the useful information sits. A trend makes every lag look alike (early
values are low and late ones high, whatever the lag), so take it out first, here by subtracting the
straight line that fits the training days best (`np.polyfit`):
""")

code("d5-03-acf", r'''
def autocorrelation(values, lag):
    """How much `values` resembles itself `lag` steps earlier: from -1 to 1."""
    centred = values - values.mean()
    return float(np.sum(centred[lag:] * centred[:-lag]) / np.sum(centred * centred))


line = np.polyval(np.polyfit(train_time, train_values, 1), train_time)  # the straight line closest to the series
detrended = train_values - line  # without the trend, which would make every lag look alike
changes = np.diff(train_values)  # day-to-day changes
pure_noise = rng.normal(0, 1, len(train_values))
lags = np.arange(1, 500)
fig, ax = plt.subplots(figsize=(10, 3.2))
ax.plot(lags, [autocorrelation(detrended, lag) for lag in lags], label="synthetic (training days), trend removed")
ax.plot(lags, [autocorrelation(pure_noise, lag) for lag in lags], linewidth=0.7,
        label="pure noise (1,100 random values)")
ax.axvline(365, color="gray", linestyle=":")
ax.text(370, -0.35, "a year", color="gray")
ax.set_xlabel("lag (days)")
ax.set_ylabel("autocorrelation")
ax.grid(alpha=0.3)
ax.legend(loc="upper center", fontsize=8)
plt.show()
print(f"lag 1: {autocorrelation(detrended, 1):.2f} | lag 182: {autocorrelation(detrended, 182):.2f} | "
      f"lag 365: {autocorrelation(detrended, 365):.2f}")
print(f"the daily changes at lag 1: {autocorrelation(changes, 1):.2f}")
''')

md("d5-03-acf-read", """
Yesterday resembles today closely (about 0.9 at lag 1). A few months away the season is in another
phase, and the resemblance turns negative (around lags 90 and 270). A year ago resembles today
again: the peak at lag 365, about 0.6. Pure noise resembles nothing at any lag. Those two peaks are
the information a forecaster can use: the last few days, and the same days a year earlier. The
day-to-day *changes* of `synthetic` are mostly noise: their lag-1 autocorrelation is negative (about
−0.4), because a day that the noise pushed up is usually followed by a fall.

**Split in time order, never at random.** A forecaster will be used on days after the ones it learnt
from. The validation days must play that part: they come after every training day. A random split
would scatter validation days between training days, and a model could then "forecast" a day from
its neighbours on both sides, the day before *and the day after*. That is interpolation, which is
much easier than forecasting, and the score would flatter the model. The split above is in time
order; the same holds inside the training data when you cut off a validation part yourself:
`values[:cut]` and `values[cut:]`, never `train_test_split(..., shuffle=True)`.

**Scaling.** Networks learn best from inputs of about unit size; the series runs from about −25 to
almost 130. A `Normalization` layer subtracts a mean and divides by a standard deviation, which
`adapt` computes, **on the training days only**: the validation days stand for the future, which
nobody knows yet. `axis=None` asks for one mean and one variance for all values (a window of 30 days
is 30 values of the same quantity, so they share them).

The layer goes **inside the model**, as the first layer. The saved file then takes windows of raw
values, as the grader sends them. And since the network's last `Dense` layer gives a number of
about unit size, a second `Normalization` layer with `invert=True` turns it back into the series'
units (it multiplies by the standard deviation and adds the mean):
""")

code("d5-03-scale", r'''
scale_in = keras.layers.Normalization(axis=None)
scale_in.adapt(train_values)  # the training days only
scale_out = keras.layers.Normalization(axis=None, invert=True)
scale_out.adapt(train_values)
print(f"mean {float(scale_in.mean[0]):.2f}, standard deviation {float(np.sqrt(scale_in.variance[0])):.2f}")
window = series[:WINDOW][None, :]  # one window of 30 raw values: shape (1, 30)
print("raw:      ", np.round(window[0, :5], 1), "...")
print("scaled:   ", np.round(scale_in(window).numpy()[0, :5], 2), "...")
print("scaled back with invert=True:", np.round(scale_out(scale_in(window)).numpy()[0, :5], 1), "...")
highest = np.array([val_values.max()])
print(f"the validation days reach {highest[0]:.0f}, scaled {float(scale_in(highest)[0]):.2f}; "
      f"the training days reach {train_values.max():.0f}")
''')

md("d5-03-forecaster-intro", """
The trend lifts the validation days above every training day. That is normal for a series with a
trend, and one reason to prefer models that work from the recent values in the window over models
that learn absolute levels.

Every forecaster of this notebook is built by the same function: windows of raw values in,
`scale_in`, some layers (`body`), `Dense(1)`, `scale_out`, tomorrow's raw value out. Each call makes
fresh layers with the same starting weights:
""")

code("d5-03-forecaster", r'''
def forecaster(body, window=WINDOW, adapt_on=train_values, name="forecaster"):
    """Windows of `window` raw values in, the next raw value out; scaling inside, `body` layers in between."""
    keras.utils.set_random_seed(42)  # the same starting weights on every run
    scale_in = keras.layers.Normalization(axis=None, name="scale_in")
    scale_in.adapt(adapt_on)
    scale_out = keras.layers.Normalization(axis=None, invert=True, name="scale_out")
    scale_out.adapt(adapt_on)
    return keras.Sequential([keras.Input(shape=(window,)), scale_in, *body, keras.layers.Dense(1), scale_out],
                            name=name)


untrained = forecaster([keras.layers.Dense(32, activation="relu")], name="untrained")
untrained.summary()
print("an untrained forecast:", untrained.predict(series[None, :WINDOW], verbose=0))
''')

md("d5-03-check", """
**Check yourself.** Why must `adapt` see only the training days? (The validation days stand for the
future: statistics taken from them would let the future leak into the model.) What would the grader
get from a model whose first layer expects scaled values? (Nonsense: it sends raw values, and it
cannot know your mean and standard deviation.)
""")

# --------------------------------------------------------------------------------------------------
md("d5-04", """
## D5.04 Measure forecasts with MAE: naive and moving-average baselines

Before training anything, measure what the simplest forecasts achieve: a model is worth its cost
only if it beats them.

- The **naive forecast**: tomorrow's value is today's. On a series where each day is close to the
  day before, it is surprisingly hard to beat.
- A **moving average**: tomorrow's value is the mean of the last *k* days. It averages the noise
  away, but it lags behind anything that moves: a trend, a season.

Each forecast for a validation day uses only the days before it; the first validation day's forecast
uses the last training days, which is fair, since they are known by then. The error measure is the
**mean absolute error**, the average size of a miss, in the series' own units:
""")

code("d5-04-baselines", r'''
def mae(truth, forecast):
    """Mean absolute error: the average size of a miss, in the units of the series."""
    return float(np.mean(np.abs(np.asarray(truth, "float64") - np.asarray(forecast, "float64"))))


truth = series[val_days]
naive = series[val_days - 1]  # yesterday's value
moving_7 = np.array([series[t - 7:t].mean() for t in val_days])  # the mean of the 7 days before t
moving_30 = np.array([series[t - 30:t].mean() for t in val_days])
scores = {"naive": mae(truth, naive), "moving average, 7 days": mae(truth, moving_7),
          "moving average, 30 days": mae(truth, moving_30)}
for name, score in scores.items():
    print(f"{name:26s} validation MAE {score:5.2f}")
print("Keras's MeanAbsoluteError agrees:", round(float(keras.metrics.MeanAbsoluteError()(truth, naive)), 2))
''')

md("d5-04-plot-intro", """
A helper draws forecasts against the truth; the left panel shows the whole validation year, the
right one a month, where single days can be told apart:
""")

code("d5-04-plot", r'''
def plot_forecasts(days, truth, forecasts, title, zoom=(1200, 1260)):
    """The truth and some forecasts over `days`: the whole span on the left, the days in `zoom` on the right."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.6), gridspec_kw={"width_ratios": [2, 1]})
    shown = (days >= zoom[0]) & (days < zoom[1])
    for ax, keep in zip(axes, (np.ones(len(days), bool), shown)):
        ax.plot(days[keep], truth[keep], color="black", linewidth=0.9, label="truth")
        for name, forecast in forecasts.items():
            ax.plot(days[keep], np.asarray(forecast)[keep], linewidth=1.1, label=name)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    axes[0].axvspan(*zoom, color="gray", alpha=0.15)
    axes[0].set_title(title)
    axes[1].set_title(f"days {zoom[0]}-{zoom[1] - 1}")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


plot_forecasts(val_days, truth, {"naive": naive, "moving average, 30 days": moving_30},
               "Baselines on the validation days")
plt.show()
''')

md("d5-04-plot-read", """
On the right, the naive forecast is the truth shifted one day to the right: it copies every jump of
the noise a day late, so each miss is about the size of a day-to-day change. The 30-day average is
smooth, but it trails the season by about two weeks, half its window: on the way up it is too low,
on the way down too high. The 7-day average lags only three or four days and still averages much of
the noise away: at about 5.1 it beats both, a strong baseline for so little work.

**MAE or MSE?** The mean squared error averages the *squares* of the misses. Both are zero for a
perfect forecast; they punish misses differently:

- **MAE** counts every miss by its size: two misses of 5 cost as much as one of 10. Its value is in
  the series' units ("the forecast is off by about 6 a day"), so it can be read and compared with the
  noise. A forecast that minimises it follows the median of what could happen.
- **MSE** counts a miss by its square: one miss of 10 costs as much as four misses of 5, so a few
  large misses dominate the score. Its unit is the square of the series' unit. A forecast that
  minimises it follows the mean.

Real series have occasional spikes (a holiday, a data error) that no forecaster can foresee. Under
MSE those few days decide the ranking of models; under MAE every day counts in proportion. That is
why forecasts are usually compared in MAE, and why the grader uses it. Two forecasts with the same
MAE and very different MSE:
""")

code("d5-04-mse", r'''
steady = np.array([5.0, 5.0, 5.0, 5.0])  # four misses of 5
one_big = np.array([0.0, 0.0, 0.0, 20.0])  # three perfect days and one miss of 20
for name, errors in [("four misses of 5", steady), ("one miss of 20", one_big)]:
    print(f"{name:17s} MAE {np.mean(np.abs(errors)):5.1f}   MSE {np.mean(errors ** 2):6.1f}")
''')

md("d5-04-check", """
**Common mistakes.** Comparing a model's MAE with nothing: "MAE 5.3" means little until you know the
naive forecast gets about 6.0 on the same days. Measuring a moving average that includes the day it
forecasts (`series[t - 30:t + 1]`): that uses the answer. Measuring different methods on different
days: always use the same days for every method.
""")

# --------------------------------------------------------------------------------------------------
md("d5-06", """
## D5.06 Trailing and centred windows

A moving average can sit in two places relative to the day *t* it belongs to:

- a **trailing** window ends at *t*: the mean of days *t−10* to *t*. Everything in it is known at
  the end of day *t*, so it can make the forecast for day *t+1*;
- a **centred** window is centred on *t*: the mean of days *t−5* to *t+5*. It follows the series
  without lag, which makes it the better smoother, but it needs five days *after* *t*.

pandas computes both: `rolling(k)` is trailing, `rolling(k, center=True)` centred, and `shift(1)`
moves a value one day later, to the day it can forecast. The trailing 30-day mean shifted by one day
is exactly the moving-average forecast of D5.04:
""")

code("d5-06-rolling", r'''
values = pd.Series(series)  # indexed by day
trailing_11 = values.rolling(11).mean()  # day t: the mean of days t-10 .. t
centred_11 = values.rolling(11, center=True).mean()  # day t: the mean of days t-5 .. t+5
print("rolling(30).mean().shift(1) equals the moving average of D5.04:",
      np.allclose(values.rolling(30).mean().shift(1)[val_days], moving_30))
print(values.rolling(3).mean().head(4).tolist(), "<- rolling(3): no value until 3 days are there")

forecast_trailing = trailing_11.shift(1)[val_days].to_numpy()  # known at the end of day t-1: a real forecast
forecast_centred = centred_11[val_days].to_numpy()  # needs days t+1 .. t+5: not a forecast at all
inside = ~np.isnan(forecast_centred)  # the last 5 days have no 5 days after them
print(f"on the {inside.sum()} validation days that have 5 days after them:")
print(f"trailing 11 days, shifted one day:  MAE {mae(truth[inside], forecast_trailing[inside]):.2f}")
print(f"centred 11 days around t (a leak): MAE {mae(truth[inside], forecast_centred[inside]):.2f}")
''')

code("d5-06-leak-plot", r'''
plot_forecasts(val_days, truth, {"trailing 11 days (a forecast)": forecast_trailing,
                                 "centred 11 days (uses the future)": forecast_centred},
               "A centred window looks better because it cheats")
plt.show()
''')

md("d5-06-leak-read", """
The centred average scores better than every honest method in this notebook, and it cannot be used:
on the evening of day *t−1* the days *t* to *t+5* have not happened yet. Worse, day *t* itself is
inside its window, so it even averages in part of the answer. Any result that beats the noise this
easily should make you ask what the method was allowed to see. The same leak hides in code that
smooths the whole series with a centred window *before* cutting it into windows, or that fills gaps by
interpolating between past and future days.

**Where centred windows belong: smoothing the past.** A centred window is fine as long as all of
it lies in the past. Last year's values are an example: the days around *t−365* are long known. That
suggests a better baseline for a seasonal series:

1. **difference at the season**: `diff(t) = value(t) − value(t−365)`. This removes the season and
   most of the trend; what remains is the year-on-year change, a level of about 0.05 × 365 ≈ 18 plus
   noise;
2. forecast the difference with a **trailing** moving average of the last 30 differences;
3. add back last year's value, **smoothed with a centred window** around *t−365* (days *t−370* to
   *t−360*), so that last year's noise does not come back with it.
""")

code("d5-06-seasonal", r'''
season_diff = values.diff(365)  # value(t) - value(t - 365); the first 365 days have none
diff_forecast = season_diff.rolling(30).mean().shift(1)  # trailing: the 30 differences before t
last_year_raw = values.shift(365)  # value(t - 365)
last_year_smooth = values.rolling(11, center=True).mean().shift(365)  # centred on t-365: days t-370 .. t-360

seasonal_raw = (diff_forecast + last_year_raw)[val_days]
seasonal_smooth = (diff_forecast + last_year_smooth)[val_days]
scores["seasonal difference + last year"] = mae(truth, seasonal_raw)
scores["seasonal difference + last year, centred"] = mae(truth, seasonal_smooth)
for name in ("naive", "moving average, 30 days", "seasonal difference + last year",
             "seasonal difference + last year, centred"):
    print(f"{name:42s} MAE {scores[name]:5.2f}")

fig, ax = plt.subplots(figsize=(10, 2.8))
ax.plot(season_diff, linewidth=0.6, label="value(t) - value(t-365)")
ax.plot(season_diff.rolling(30).mean(), label="its trailing 30-day mean")
ax.set_xlabel("day")
ax.set_title("The series differenced at the season: trend and season are gone, noise is left")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()
''')

code("d5-06-seasonal-plot", r'''
plot_forecasts(val_days, truth, {"naive": naive, "seasonal difference + centred last year": seasonal_smooth},
               "Trailing where it forecasts, centred where it smooths the past")
plt.show()
''')

md("d5-06-seasonal-read", """
Differencing alone, with last year's raw value added back, only draws level with the naive forecast:
last year's noise comes back with it. Smoothing last year with a centred window brings the MAE to
about 5.0, far better than the naive 6.0, and every number it uses was known the day before. It
is the best baseline here, and the bar for the networks of D5.05.

**Check yourself.** May a centred window of 11 days be used in a forecast for day *t*? (Only if its
centre is at least 6 days before *t*, so that its last day is *t−1* or earlier.) Why does the
differenced series plot start at day 365? (The first year has no year before it.)
""")

# --------------------------------------------------------------------------------------------------
md("d5-08", """
## D5.08 Windows of features and labels with tf.data

A network needs examples: features and a label. A series becomes examples by cutting it into
**windows**: the features are *W* consecutive values, the label the value right after them. Every
day after the first *W* gives one example. `tf.data` cuts the windows in five steps; watch them on the
numbers 0 to 9 with windows of 4, so that you can read every window:
""")

code("d5-08-window", r'''
demo = tf.data.Dataset.from_tensor_slices(np.arange(10))
windows = demo.window(4 + 1, shift=1, drop_remainder=True)  # 4 features + 1 label per window
first = next(iter(windows))
print("window() gives datasets, not tensors:", type(first).__name__, list(first.as_numpy_iterator()))

windows = windows.flat_map(lambda window: window.batch(4 + 1))  # each window-dataset -> one tensor
print("after flat_map:", [list(w) for w in windows.as_numpy_iterator()])

pairs = windows.map(lambda w: (w[:-1], w[-1]))  # features: the first 4 values; label: the last
for features, label in pairs.as_numpy_iterator():
    print(features, "->", label)
''')

md("d5-08-window-read", """
Step by step:

1. `from_tensor_slices(series)`: one element per value, in order;
2. `window(W + 1, shift=1, drop_remainder=True)`: windows of *W* + 1 values, each starting one step
   after the last; `drop_remainder=True` drops the short ones at the end (`[7, 8, 9]` and so on).
   Each window is a small dataset of its own;
3. `flat_map(lambda w: w.batch(W + 1))` turns each small dataset into one tensor of *W* + 1 values;
4. `map(lambda w: (w[:-1], w[-1]))` splits it into features and label;
5. then, as for any training data: `shuffle`, `batch` and `prefetch`:
""")

code("d5-08-batch", r'''
batched = pairs.shuffle(buffer_size=10, seed=42).batch(2).prefetch(AUTOTUNE)
for features, labels in batched.as_numpy_iterator():
    print(features.tolist(), "->", labels.tolist())
''')

md("d5-08-keras-intro", """
Six windows, in a new order, two per batch; each window keeps its own label. (D5.09 explains why the
windows are shuffled.) The shuffle buffer should hold all the windows, or at least many of them: a
buffer of 1 does not shuffle at all.

**The same windows with Keras.** `keras.utils.timeseries_dataset_from_array(data, targets,
sequence_length)` cuts windows of `sequence_length` values out of `data`, and gives the window that
**starts** at index *i* the label `targets[i]`. The label of the window `data[i:i+W]` is the value at
*i+W*, so the targets are the series shifted by *W*: `targets=series[W:]`. Windows left without a
label at the end are dropped. Note its defaults: `shuffle=False` and `batch_size=128`.
""")

code("d5-08-keras", r'''
numbers = np.arange(10)


def show(dataset):
    """The (features, label) pairs of a batched dataset, as lists."""
    return [(features.tolist(), int(label)) for x, y in dataset.as_numpy_iterator() for features, label in zip(x, y)]


keras_pairs = keras.utils.timeseries_dataset_from_array(numbers, targets=numbers[4:], sequence_length=4)
tf_data_pairs = [(features.tolist(), int(label)) for features, label in pairs.as_numpy_iterator()]
print("targets=series[W:]:        ", show(keras_pairs))
print("the same pairs as tf.data: ", show(keras_pairs) == tf_data_pairs)

too_short = keras.utils.timeseries_dataset_from_array(numbers[:-4], targets=numbers[4:], sequence_length=4)
print("data=series[:-W]:          ", show(too_short))
one_off = keras.utils.timeseries_dataset_from_array(numbers, targets=numbers[3:], sequence_length=4)
print("targets=series[W-1:]:      ", show(one_off))
''')

md("d5-08-keras-read", """
Two classic bugs, both silent:

- `data=series[:-W]`, a pattern you will find in examples, gives correct pairs but stops early: the
  last *W* − 1 windows (three here), the *most recent* days, never become examples. (`data=series[:-1]` would
  be the tight version; passing the whole series is simplest, since windows without a label are
  dropped.)
- `targets=series[W-1:]` moves every label one step back: the label is the **last value of its own
  window**. The features then contain the answer. That is a leak, and it teaches the model
  something useless.

**What a model learns from leaky windows.** Train the forecaster on windows whose label is their last
value, and validate it on windows built the same wrong way:
""")

code("d5-08-leak", r'''
leaky_train = keras.utils.timeseries_dataset_from_array(train_values, targets=train_values[WINDOW - 1:],
                                                        sequence_length=WINDOW, batch_size=BATCH_SIZE,
                                                        shuffle=True, seed=42)
leaky_val = keras.utils.timeseries_dataset_from_array(series[SPLIT - WINDOW + 1:], targets=series[SPLIT:],
                                                      sequence_length=WINDOW, batch_size=BATCH_SIZE)
leaky_model = forecaster([keras.layers.Dense(32, activation="relu")], name="leaky")
leaky_model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="huber", metrics=["mae"])
leaky_history = leaky_model.fit(leaky_train, validation_data=leaky_val, epochs=EPOCHS, verbose=0)
print(f"validation MAE on leaky windows: {leaky_history.history['val_mae'][-1]:.2f}  (it looks wonderful)")

val_windows = np.stack([series[t - WINDOW:t] for t in val_days])  # the 30 days before each validation day
leaky_forecast = leaky_model.predict(val_windows, verbose=0)[:, 0]
print(f"forecasting the validation days for real: MAE {mae(truth, leaky_forecast):.2f} "
      f"(naive: {scores['naive']:.2f})")
print(f"how far its forecast is from the last value of the window, on average: "
      f"{mae(val_windows[:, -1], leaky_forecast):.2f}")
''', train=True)

md("d5-08-leak-read", """
On its own leaky windows the model looks excellent, with an MAE of about 1.4, far below the noise: it
has learnt to copy the last value of the window, give or take a little. Asked for a real forecast,
where the last value of the window is yesterday, it copies yesterday: it has become the naive
forecast, and scores like it (about 6.0). So whenever a model scores far better than the
naive forecast with little effort, print a few windows with their labels and check the offset by eye.

**The pipeline as a function.** The rest of the notebook cuts windows with the `tf.data` steps
above. One more step: after `flat_map`, `tf.data` no longer knows how many windows there are, and
Keras then finds out at the end of the first epoch, with a warning that the input "ran out of data"
(the course header hides that warning, since nothing ran out; outside the course you will see it).
`assert_cardinality` tells it the number, which is known: one window per value after the first *W*.
""")

code("d5-08-helper", r'''
def windowed_dataset(values, window=WINDOW, batch_size=BATCH_SIZE, shuffle=True):
    """(features, label) batches: each `window` consecutive values, and the value after them."""
    dataset = tf.data.Dataset.from_tensor_slices(values)
    dataset = dataset.window(window + 1, shift=1, drop_remainder=True)
    dataset = dataset.flat_map(lambda w: w.batch(window + 1))
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(values) - window))
    dataset = dataset.map(lambda w: (w[:-1], w[-1]))
    if shuffle:
        dataset = dataset.shuffle(len(values), seed=42)  # a buffer that holds every window
    return dataset.batch(batch_size).prefetch(AUTOTUNE)


train_ds = windowed_dataset(train_values)
val_ds = windowed_dataset(series[SPLIT - WINDOW:], shuffle=False)  # windows whose labels are validation days
features, labels = next(iter(train_ds))
print("a batch:", features.shape, labels.shape, "| batches:", int(train_ds.cardinality()), "training,",
      int(val_ds.cardinality()), "validation")
''')

md("d5-08-check", """
The validation windows start *W* days before the first validation day, so that the first validation
day is the label of a window made of the last training days. Every validation day is then forecast
once, as in the grader.

**Check yourself.** With 1,100 training days and windows of 30, how many training examples are there?
(1,070.) Why `window(W + 1)` and not `window(W)`? (The extra value is the label.)
""")

# --------------------------------------------------------------------------------------------------
md("d5-09", """
## D5.09 Sequence bias: why windows are shuffled

**Sequence bias** is what happens when the order in which a model sees its examples steers what it
learns. Windows cut from a series come out in time order. Neighbouring windows share 29 of their 30
values, so a run of batches shows the model the same stretch of the series again and again: the
rising part of the season, then the falling part. Each stretch pulls the weights towards what fits
*that stretch*, the next stretch pulls them elsewhere, and at the end of an epoch the model is best at
whatever it saw last. Shuffling the windows mixes all stretches into every batch, so each step
follows the whole series.

The experiment: the same small model, trained for three epochs on the same windows, once in time
order and once shuffled. After every batch, a callback measures the MAE on **all** training windows,
which shows how good the model is overall at that moment:
""")

code("d5-09-bias", r'''
train_windows = np.stack([train_values[t - WINDOW:t] for t in range(WINDOW, SPLIT)])
train_labels = train_values[WINDOW:]


class WholeSeriesMAE(keras.callbacks.Callback):
    """After every batch: the MAE of the model on all training windows."""

    def __init__(self):
        super().__init__()
        self.maes = []

    def on_train_batch_end(self, batch, logs=None):
        forecast = self.model(train_windows, training=False).numpy()[:, 0]
        self.maes.append(mae(train_labels, forecast))


bias_runs = {}
for shuffle in (False, True):
    model = forecaster([keras.layers.Dense(32, activation="relu")], name=f"shuffle_{shuffle}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="huber", metrics=["mae"])
    tracker = WholeSeriesMAE()
    history = model.fit(windowed_dataset(train_values, shuffle=shuffle), validation_data=val_ds, epochs=3,
                        verbose=0, callbacks=[tracker])
    bias_runs["shuffled" if shuffle else "in time order"] = (tracker.maes, history.history["val_mae"][-1])
for name, (maes, val_mae) in bias_runs.items():
    print(f"{name:14s} training MAE after the last batch {maes[-1]:5.2f} | validation MAE {val_mae:5.2f}")
''', train=True)

code("d5-09-plot", r'''
batches_per_epoch = int(train_ds.cardinality())
epochs_run = len(bias_runs["shuffled"][0]) // batches_per_epoch
fig, (top, ax) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
position = 1 + np.arange(len(train_labels)) / BATCH_SIZE  # the batch each window falls in, in time order
for epoch in range(epochs_run):
    top.plot(position + epoch * batches_per_epoch, train_labels, color="black", linewidth=0.4)
top.set_ylabel("value")
top.set_title("Top: the days each batch holds when the windows come in time order")
for name, (maes, _) in bias_runs.items():
    ax.plot(np.arange(1, len(maes) + 1), maes, label=name)
for axis in (top, ax):
    for epoch in range(1, epochs_run):
        axis.axvline(epoch * batches_per_epoch + 0.5, color="gray", linestyle=":")
    axis.grid(alpha=0.3)
ax.set_ylim(0, 20)
ax.set_xlabel("batch (dotted lines: the end of an epoch)")
ax.set_ylabel("MAE on all training windows")
ax.set_title("Windows in time order pull the model back and forth; shuffled windows do not")
ax.legend()
fig.tight_layout()
plt.show()
''')

md("d5-09-read", """
Trained on shuffled windows, the model improves steadily, batch after batch. Trained in time order,
it improves at first and then wanders: within each epoch it chases one stretch of the series after
another (the top panel shows which), and its error on the whole series rises whenever a stretch
unlike the others comes along. After three epochs, in the run behind this text, the model trained in
time order is off by about 10 on the training windows and about 8 on the validation days; the
shuffled one by about 5.6 and 6.0, for the same amount of training.

How to compensate, in practice:

- **shuffle the windows**, after cutting them and before batching, with a buffer that holds all of
  them, or at least many batches' worth (as `windowed_dataset` does);
- with NumPy arrays, `model.fit` shuffles by default (`shuffle=True`); with a `tf.data.Dataset`,
  `fit` ignores `shuffle`, so the dataset must shuffle itself;
- `timeseries_dataset_from_array` does not shuffle unless you pass `shuffle=True`;
- never shuffle the **values** before cutting windows: that destroys the series. Shuffle windows,
  each of which keeps its days in order.

**Check yourself.** Should the validation windows be shuffled? (It does no harm and no good: the
model does not learn from them, and the MAE is the same in any order. Leave them in order, which
makes plotting the forecasts easier.)
""")

# --------------------------------------------------------------------------------------------------
md("d5-10", """
## D5.10 Choose the learning rate with a sweep

The learning rate is the setting that matters most when training, and a good value depends on the
model, the data and the loss. Instead of guessing, **sweep** it: train once while raising the rate a
little after every epoch, from far too small to far too large, and plot the loss against the rate.

`keras.callbacks.LearningRateScheduler(schedule)` calls `schedule(epoch)` at the start of every epoch
and sets the optimizer's rate to what it returns, a Python `float`. Here the rate starts at 1e-5 and
grows tenfold every 12 epochs, to about 0.5 after 60 epochs:
""")

code("d5-10-sweep", r'''
def sweep_schedule(epoch):
    """The learning rate for `epoch`: 1e-5, growing tenfold every 12 epochs."""
    return float(1e-5 * 10 ** (epoch / 12))


sweep_model = forecaster([keras.layers.Dense(32, activation="relu")], name="sweep")
sweep_model.compile(optimizer=keras.optimizers.Adam(), loss="huber")
start = time.perf_counter()
sweep = sweep_model.fit(train_ds, epochs=60, verbose=0,
                        callbacks=[keras.callbacks.LearningRateScheduler(sweep_schedule)])
print(f"swept in {time.perf_counter() - start:.1f} s; the History records: {list(sweep.history)}")
sweep_rates = np.array(sweep.history["learning_rate"])
sweep_losses = np.array(sweep.history["loss"])
print(f"rates from {sweep_rates[0]:.1e} to {sweep_rates[-1]:.1e}; "
      f"the lowest loss, {sweep_losses.min():.2f}, at rate {sweep_rates[np.argmin(sweep_losses)]:.1e}")
''', train=True)

md("d5-10-sweep-read", """
Keras 3 records the rate of every epoch in the History under the key `learning_rate` (Keras 2 called
it `lr`; the optimizer argument `lr=` is gone too: write `learning_rate=`). Each epoch's loss belongs
to the rate that epoch used, so the two lists plot against each other, with the rate on a log scale:
""")

code("d5-10-sweep-plot", r'''
LEARNING_RATE = 2e-3  # read from the plot below: the loss falls fast here, well before it turns up

fig, ax = plt.subplots(figsize=(8, 3.8))
ax.semilogx(sweep_rates, sweep_losses)
ax.axvline(LEARNING_RATE, color="green", linestyle="--", label=f"chosen: {LEARNING_RATE:g}")
ax.axvline(sweep_rates[np.argmin(sweep_losses)], color="gray", linestyle=":", label="lowest loss")
ax.set_ylim(0, min(30, sweep_losses.max() * 1.05))
ax.set_xlabel("learning rate (log scale)")
ax.set_ylabel("training loss (Huber)")
ax.set_title("A learning-rate sweep: one epoch per rate")
ax.grid(alpha=0.3, which="both")
ax.legend()
plt.show()
''')

md("d5-10-choose", """
How to read the curve, from left to right:

- up to about 1e-4 the loss drops steeply: an untrained model improves even with tiny steps, but
  these rates would need hundreds of epochs to finish the job;
- from 1e-4 to about 2e-3 it keeps falling, more and more slowly, towards its floor;
- from about 2e-3 to 0.05 it is flat and jittery, lowest at about 0.015;
- beyond about 0.1 it shoots up: the steps overshoot, and training falls apart.

Choose a rate where the curve is still falling and close to its floor, a little below the rate of the
lowest loss (about a tenth of it) and far from the blow-up: here **2e-3**. The rate of the lowest
loss itself is too bold: in the sweep the model reached it already trained by all the smaller rates
before it; started from scratch there, training is unsteady.

**Train with the chosen rate, and let it fall when progress stops.** A fixed rate that is good early
is often too large late: the loss jitters around a minimum instead of settling into it.
`keras.callbacks.ReduceLROnPlateau` adjusts the rate during training: when the monitored value has not
improved for `patience` epochs, it multiplies the rate by `factor`. Compare the chosen rate held
fixed with the same rate under `ReduceLROnPlateau`:
""")

code("d5-10-train", r'''
def plateau():
    """Halve the learning rate when the validation loss has not improved for two epochs."""
    return keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5)


rate_runs = {}
for name, callbacks in [("fixed rate", []), ("ReduceLROnPlateau", [plateau()])]:
    model = forecaster([keras.layers.Dense(32, activation="relu")], name="dense")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), loss="huber", metrics=["mae"])
    rate_runs[name] = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=0, callbacks=callbacks)
    print(f"{name:18s} validation MAE at the end {rate_runs[name].history['val_mae'][-1]:.2f} | "
          f"History keys: {list(rate_runs[name].history)}")

fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
for name, history in rate_runs.items():
    epochs = np.arange(1, len(history.history["val_mae"]) + 1)
    rates = history.history.get("learning_rate", [LEARNING_RATE] * len(epochs))  # recorded only by rate callbacks
    axes[0].plot(epochs, history.history["val_mae"], "o-", markersize=3, label=name)
    axes[1].semilogy(epochs, rates, "o-", markersize=3, label=name)
axes[0].axhline(scores["naive"], color="gray", linestyle=":", label="naive forecast")
axes[0].set_ylabel("validation MAE")
axes[1].set_ylabel("learning rate")
for ax in axes:
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
''', train=True)

md("d5-10-train-read", """
The History holds `learning_rate` only when a callback changes the rate (`LearningRateScheduler`,
`ReduceLROnPlateau`); with a fixed rate there is nothing to record.

With the rate held fixed, the validation MAE jumps from epoch to epoch, and where training stops
decides the result: here it happened to stop on a good epoch (about 5.1), but it was above 6 three
epochs earlier. Under `ReduceLROnPlateau` the rate halves a few times, and the MAE settles, at about
5.2. The forecasters of the next section all train this way.

Two more things worth knowing:

- `LearningRateScheduler` can do more than sweeps: any schedule, for example a steady decay,
  `lambda epoch: float(2e-3 * 0.9 ** epoch)`. Keras also has schedules that change the rate every
  *step* rather than every epoch, passed as the optimizer's rate:
  `keras.optimizers.Adam(learning_rate=keras.optimizers.schedules.ExponentialDecay(2e-3, 1000, 0.5))`.
- Monitoring `val_loss` uses the validation days to steer training, a mild form of tuning on them.
  That is common practice; the grader's days are new to the model anyway.

**Common mistakes.** A schedule that returns an `int` or a tensor (Keras 3 raises "The output of the
`schedule` function should be a float"; `float(...)` around the value fixes it); `Adam(lr=...)`
(Keras 3 raises "Argument(s) not recognized"); reading the rate from the History under `lr`; choosing
the rate at the very bottom of the sweep curve, or past it.
""")

# --------------------------------------------------------------------------------------------------
md("d5-05", """
## D5.05 Dense, Conv1D and LSTM forecasters

Three ways to read a window of 30 days, each between the same `scale_in` and `Dense(1)`, `scale_out`:

- **`Dense`**: the 30 values as one flat vector; every unit weighs every day. Simple and fast.
- **`Conv1D`**: filters of 5 days slide along the window and respond to short shapes (a rise, a peak)
  wherever they are. `padding="causal"` pads only on the left, so the output at step *t* depends on
  steps up to *t* and never on later ones, and the output keeps all 30 steps. Inside one window the
  future is not at stake (all 30 days are past), but causal padding keeps each step's features
  honest when layers are stacked or a model forecasts at every step.
- **`LSTM`**: reads the window one day at a time, carrying a memory from day to day, and gives its
  state after the last day.

`Conv1D` and `LSTM` need a time axis with features: `(30, 1)`, one value per day. A `Reshape((30,
1))` layer inside the model adds it, so all three models take the same windows, shape `(30,)`. All
three train with the rate chosen in D5.10 and `ReduceLROnPlateau`, on the Huber loss: like the
squared error for misses under 1, like the absolute error beyond, so big misses do not dominate.
Since `scale_out` is inside the model, the loss and the MAE are in the series' units.
""")

code("d5-05-train", r'''
def train_forecaster(model, epochs=EPOCHS):
    """Compile `model` with the chosen rate, train it on the windows, and return (history, seconds)."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), loss="huber", metrics=["mae"])
    start = time.perf_counter()
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0, callbacks=[plateau()])
    return history, time.perf_counter() - start


FORECASTERS = {
    "dense": forecaster([keras.layers.Dense(32, activation="relu")], name="dense"),
    "conv1d": forecaster([keras.layers.Reshape((WINDOW, 1)),
                          keras.layers.Conv1D(32, kernel_size=5, padding="causal", activation="relu"),
                          keras.layers.Flatten()], name="conv1d"),
    "lstm": forecaster([keras.layers.Reshape((WINDOW, 1)), keras.layers.LSTM(32)], name="lstm"),
}
rows = []
for name, model in FORECASTERS.items():
    history, seconds = train_forecaster(model, epochs=12 if name == "lstm" else EPOCHS)
    forecast = model.predict(val_windows, verbose=0)[:, 0]
    scores[name] = mae(truth, forecast)
    rows.append({"model": name, "parameters": model.count_params(), "epochs": len(history.history["loss"]),
                 "seconds": round(seconds, 1), "validation MAE": round(scores[name], 2),
                 "naive MAE": round(scores["naive"], 2)})
    print(f"{name:7s} validation MAE {scores[name]:.2f} in {seconds:.1f} s")
pd.DataFrame(rows).set_index("model")
''', train=True)

code("d5-05-compare", r'''
compared = ["naive", "moving average, 30 days", "moving average, 7 days", "seasonal difference + last year, centred",
            "dense", "conv1d", "lstm"]
fig, ax = plt.subplots(figsize=(9, 3.8))
bars = ax.barh(compared[::-1], [scores[name] for name in compared[::-1]],
               color=["tab:blue"] * 3 + ["tab:gray"] * 4)
ax.bar_label(bars, fmt="%.2f", padding=3)
ax.axvline(scores["naive"], color="gray", linestyle=":")
ax.set_xlabel("validation MAE (lower is better)")
ax.set_title("Forecasters (blue) against baselines (gray), the same 361 days")
ax.set_xlim(0, max(scores[name] for name in compared) * 1.15)
plt.show()
''')

md("d5-05-read", """
In the run behind this text, the three networks land at about 5.0 (`LSTM`), 5.1 (`Dense`) and 5.4
(`Conv1D`): clearly better than the naive forecast (about 6.0) and the 30-day average, but only about
level with the 7-day average (about 5.1) and the seasonal baseline of D5.06 (about 5.0). That is an
honest result, and a common one: a 30-day window holds little that a well-chosen average does not
already use, and it cannot see last year, which the seasonal baseline does. The noise alone sets a
floor of about 4 on this series; getting closer to it takes information the window lacks (Next
steps suggests a longer window). The differences between the three
are of the size that a different seed changes, so do not read a ranking into them. The `Dense` model
is the cheapest; the `LSTM` has four times as many weights and costs the most per epoch (it was
given 12 epochs against 20 and took about as long). On series with long memory, or many features per
step, recurrent and convolutional layers pay off more; here, as always, measure.

**Common mistakes.** Feeding a `(batch, 30)` window to `Conv1D` or `LSTM` without a feature axis (a
shape error: they expect `(batch, steps, features)`); `padding="same"` or `"valid"` where the output
at each step must not depend on later steps; judging a model by its training loss instead of its
validation MAE next to the naive forecast's.
""")

# --------------------------------------------------------------------------------------------------
md("d5-07", """
## D5.07 Forecast with TensorFlow: one step and many steps ahead

**One step ahead.** The trained model takes a batch of windows and returns one forecast per window:
`model.predict` on the 361 windows that end the day before each validation day gives a forecast for
every validation day at once. This is what the grader does on its own days:
""")

code("d5-07-one-step", r'''
best = FORECASTERS["dense"]
print("windows:", val_windows.shape, "-> forecasts:", best.predict(val_windows, verbose=0).shape)
one_step = best.predict(val_windows, verbose=0)[:, 0]
print(f"one step ahead: MAE {mae(truth, one_step):.2f} (naive {scores['naive']:.2f})")
print("the same from the tf.data windows:", np.allclose(best.predict(val_ds, verbose=0)[:, 0], one_step, atol=1e-4))

plot_forecasts(val_days, truth, {"dense, one step ahead": one_step}, "One-step-ahead forecasts")
plt.show()
''')

md("d5-07-many-intro", """
The forecast follows the season and the trend, and reacts to each day's noise less than the naive
forecast does. It cannot foresee the noise, so it misses by about 5 on an average day, and after the
sudden jump of the season (day 1240) it needs a few days to catch up, as any forecast from the past
must.

**Many steps ahead.** To forecast 30 days from today, there are two ways:

- a model with 30 outputs, `Dense(30)`, trained on windows whose labels are the next 30 days (a
  *direct* forecast);
- the one-step model, used **recursively**: forecast tomorrow, append the forecast to the window as
  if it were known, drop the oldest day, forecast the day after, and so on.

The recursive way needs no new model. Its forecasts are built on forecasts, so errors feed on
themselves and grow with every step. Run it from every validation day that has 30 days after it, all
at once as one batch of windows, and measure the error at each step ahead:
""")

code("d5-07-many", r'''
HORIZON = 30
origins = np.arange(SPLIT, len(series) - HORIZON + 1)  # the first forecast day of each run
windows = np.stack([series[t - WINDOW:t] for t in origins])  # what is known the evening before
recursive = []
for step in range(HORIZON):
    next_day = best.predict(windows, verbose=0)[:, 0]
    recursive.append(next_day)
    windows = np.concatenate([windows[:, 1:], next_day[:, None]], axis=1)  # slide: drop the oldest, add the forecast
recursive = np.stack(recursive, axis=1)  # (runs, 30): row = one run, column = steps ahead - 1
actual = np.stack([series[t:t + HORIZON] for t in origins])
naive_many = np.repeat(series[origins - 1][:, None], HORIZON, axis=1)  # the last known value, held

error_by_step = np.abs(recursive - actual).mean(axis=0)
naive_by_step = np.abs(naive_many - actual).mean(axis=0)
print(f"{len(origins)} runs of {HORIZON} days | MAE 1 day ahead {error_by_step[0]:.2f}, "
      f"30 days ahead {error_by_step[-1]:.2f} (naive: {naive_by_step[0]:.2f} and {naive_by_step[-1]:.2f})")

fig, axes = plt.subplots(1, 2, figsize=(13, 3.6))
steps = np.arange(1, HORIZON + 1)
axes[0].plot(steps, error_by_step, "o-", markersize=3, label="dense, fed its own forecasts")
axes[0].plot(steps, naive_by_step, "s--", markersize=3, label="naive: the last known value")
axes[0].set_xlabel("days ahead")
axes[0].set_ylabel("MAE over the runs")
axes[0].set_title("Errors grow with the horizon")
axes[0].legend(fontsize=8)
run = np.searchsorted(origins, 1180)  # one run, starting on day 1180
shown = np.arange(origins[run] - 40, origins[run] + HORIZON)
axes[1].plot(shown, series[shown], color="black", linewidth=0.9, label="truth")
axes[1].plot(origins[run] + steps - 1, recursive[run], "o-", markersize=3, label="recursive forecast")
axes[1].axvline(origins[run] - 0.5, color="gray", linestyle=":")
axes[1].set_xlabel("day")
axes[1].set_title(f"One run: 30 days forecast on the evening of day {origins[run] - 1}")
axes[1].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
''')

md("d5-07-many-read", """
One day ahead, the recursive forecast is the one-step forecast (MAE about 5.1). Further out, the
error grows steadily, to about 11 thirty days ahead: each forecast rests on earlier forecasts, and a
30-day window cannot see a turn of the season coming. Holding the last value (the naive forecast
many steps ahead) does worse at every horizon, reaching about 12. On a series with less structure
(prices, below), forecasts many steps ahead quickly become no better than a guess.

**Check yourself.** Why does the recursive forecast grow smoother as it goes on, while the series
stays noisy? (Day by day the window fills with forecasts, which hold no noise: the model continues the
pattern it expects.) What shape must the array passed to `predict` have? (A batch of windows,
`(number of windows, 30)`: a single window is `window[None, :]`, shape `(1, 30)`.)
""")

# --------------------------------------------------------------------------------------------------
md("d5-02", """
## D5.02 Univariate and multivariate forecasts

So far every forecast used one series: a **univariate** forecast. A **multivariate** series has
several values per time step, and a forecast of one of them can read all of them. `seasonal_multi`
has three columns, `a`, `b` and `c`, that share a weekly and a yearly pattern, each with its own
level, trend and noise. The task: forecast `a`.
""")

code("d5-02-load", r'''
_, multi_train = datasets.arrays("seasonal_multi", "train")  # (1100, 3): columns a, b, c
_, multi_val = datasets.arrays("seasonal_multi", "validation")
multi = np.concatenate([multi_train, multi_val])
COLUMNS = list(datasets.DATASETS["seasonal_multi"].kind.columns)
multi_truth = multi[SPLIT:, 0]
scores["a: naive"] = mae(multi_truth, multi[SPLIT - 1:-1, 0])
print("shape:", multi.shape, "| columns:", COLUMNS, f"| naive MAE on a: {scores['a: naive']:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(13, 3.4), gridspec_kw={"width_ratios": [2, 1]})
for k, name in enumerate(COLUMNS):
    axes[0].plot(multi[:, k], linewidth=0.6, label=name)
    axes[1].plot(np.arange(1200, 1250), multi[1200:1250, k], "o-", markersize=2, label=name)
axes[0].axvline(SPLIT, color="gray", linestyle=":")
axes[0].set_title("seasonal_multi: three series, one shared season (dotted: validation starts)")
axes[1].set_title("days 1200-1249: the shared weekly ripple")
for ax in axes:
    ax.set_xlabel("day")
    ax.grid(alpha=0.3)
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
''')

md("d5-02-model-intro", """
A multivariate window is a small table: 30 days by 3 columns, shape `(30, 3)`. The model changes in
two places:

- the input scaling is per column: `Normalization(axis=-1)` adapted on the `(1100, 3)` training
  array learns three means and three variances;
- the output scaling is that of `a` alone, the column forecast.

`timeseries_dataset_from_array` cuts windows of rows just as it cut windows of values; the targets
are column `a`, shifted by the window length. The univariate model reads windows of `a` alone, shape
`(W, 1)`. Both are trained with windows of 7 days (a week) and of 30 days:
""")

code("d5-02-train", r'''
def column_forecaster(columns, window):
    """Forecast column a from windows of the given columns, shape (window, len(columns))."""
    keras.utils.set_random_seed(42)
    scale_in = keras.layers.Normalization(axis=-1)  # one mean and variance per column
    scale_in.adapt(multi_train[:, columns])
    scale_out = keras.layers.Normalization(axis=None, invert=True)
    scale_out.adapt(multi_train[:, 0])  # the output is column a
    return keras.Sequential([keras.Input(shape=(window, len(columns))), scale_in, keras.layers.Flatten(),
                             keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1), scale_out],
                            name=f"{'multi' if len(columns) > 1 else 'uni'}_{window}")


def column_windows(columns, window, shuffle, start, stop):
    """(window of rows, next value of a) batches whose labels are the days start .. stop-1."""
    return keras.utils.timeseries_dataset_from_array(
        multi[start - window:stop - 1, columns], targets=multi[start:stop, 0], sequence_length=window,
        batch_size=BATCH_SIZE, shuffle=shuffle, seed=42)


multi_rows = []
for window in (7, 30):
    for columns, kind in [([0], "univariate: a alone"), ([0, 1, 2], "multivariate: a, b, c")]:
        model = column_forecaster(columns, window)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), loss="huber", metrics=["mae"])
        history = model.fit(column_windows(columns, window, True, window, SPLIT),
                            validation_data=column_windows(columns, window, False, SPLIT, len(multi)),
                            epochs=EPOCHS, verbose=0, callbacks=[plateau()])
        windows = np.stack([multi[t - window:t, columns] for t in range(SPLIT, len(multi))])
        score = mae(multi_truth, model.predict(windows, verbose=0)[:, 0])
        scores[f"a: {kind}, {window} days"] = score
        multi_rows.append({"window": window, "inputs": kind, "input shape": str(model.input_shape[1:]),
                           "validation MAE": round(score, 2), "naive MAE": round(scores["a: naive"], 2)})
pd.DataFrame(multi_rows)
''', train=True)

md("d5-02-train-read", """
All four beat the naive forecast by far: the weekly ripple, which the naive forecast copies a day
late, is easy to forecast from a window. Compare the rows in pairs:

- with **7-day** windows the other two columns help: a week of `a` alone is a noisy view of where the
  shared season stands, and `b` and `c` give two more views of it;
- with **30-day** windows they do not; in this run they even cost about 0.3: a month of `a` already
  shows the season well, and three times as many inputs give the model more weights to fit to the
  noise of 1,070 examples.

More columns help when they carry information the target's own past does not, and only as far as the
data can teach the extra weights. Measure both.

**Real prices: always measure the baseline.** The two real series of the course are prices. For a
price, tomorrow is today plus a change that hardly depends on the past changes, so the naive forecast
is close to the best there is. A linear model on the last values, fitted by least squares (what a
single `Dense(1)` layer converges to), shows it:
""")

code("d5-02-prices", r'''
def linear_forecast(history_values, train_count, window):
    """Least-squares weights on the last `window` values, fitted on the training part, applied to the rest."""
    fit_x = np.stack([history_values[t - window:t] for t in range(window, train_count)])
    weights, *_ = np.linalg.lstsq(np.c_[fit_x, np.ones(len(fit_x))], history_values[window:train_count], rcond=None)
    apply_x = np.stack([history_values[t - window:t] for t in range(train_count, len(history_values))])
    return np.c_[apply_x, np.ones(len(apply_x))] @ weights


goog_time, goog_train = datasets.arrays("goog", "train")
goog_val_time, goog_val = datasets.arrays("goog", "validation")
goog = np.concatenate([goog_train, goog_val]).astype("float64")
goog_dates = np.concatenate([goog_time, goog_val_time]).astype("datetime64[D]")
stocks_time, stocks_train = datasets.arrays("stocks", "train")
stocks_val_time, stocks_val = datasets.arrays("stocks", "validation")
stock_columns = list(datasets.DATASETS["stocks"].kind.columns)
sp500 = np.concatenate([stocks_train, stocks_val])[:, stock_columns.index("^GSPC")].astype("float64")
sp500_dates = np.concatenate([stocks_time, stocks_val_time]).astype("datetime64[D]")

price_rows = []
for name, prices, train_count, window in [("goog (daily)", goog, len(goog_train), 30),
                                          ("S&P 500 (monthly)", sp500, len(stocks_train), 12)]:
    later = prices[train_count:]
    price_rows.append({"series": name, "window": window,
                       "naive MAE": round(mae(later, prices[train_count - 1:-1]), 2),
                       "linear MAE": round(mae(later, linear_forecast(prices, train_count, window)), 2),
                       "changes, lag-1 autocorr.": round(autocorrelation(np.diff(prices), 1), 2)})
pd.DataFrame(price_rows).set_index("series")
''')

code("d5-02-prices-plot", r'''
fig, axes = plt.subplots(1, 2, figsize=(13, 3.4))
for ax, (name, prices, dates, train_count) in zip(axes, [("goog: daily close, $", goog, goog_dates, len(goog_train)),
                                                        ("S&P 500: monthly close", sp500, sp500_dates,
                                                         len(stocks_train))]):
    ax.plot(dates[:train_count], prices[:train_count], linewidth=0.8, label="train")
    ax.plot(dates[train_count:], prices[train_count:], linewidth=0.8, label="validation")
    ax.set_title(name)
    ax.tick_params(axis="x", rotation=30)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
''')

md("d5-02-prices-read", """
On both price series the linear model does *worse* than the naive forecast on the validation days;
a network on the same windows does no better (the data card reports the same for a `Dense` model).
The daily changes barely depend on the day before (an autocorrelation near 0), so the past holds
almost nothing beyond the last value. That is no failure of the method: it is what the data allows,
and only the baseline shows it. On such a series, a forecaster that merely matches the naive forecast
is doing well. `stocks` holds seven columns; forecasting `^GSPC` from all of them (input `(W, 7)`) is
the multivariate version of the same question, and the answer is much the same.

**Check yourself.** What input shape does the grader expect from a multivariate forecaster of
`seasonal_multi`? (`(W, 3)`: the last W rows of all three columns; a model of `(W,)` or `(W, 1)` gets
windows of `a` alone.)
""")

# --------------------------------------------------------------------------------------------------
md("d5-01", """
## D5.01 A forecaster from start to finish

The whole path once more, in the order you would follow in an exam task, with the pieces of the
sections above: split the series in time order, cut windows, build a model with its scaling inside,
tune the learning rate, train, save, reload the file as the grader would, forecast, and compare with
the naive forecast.

**1. Split and window.** The training days, and windows whose labels are the validation days:
""")

code("d5-01-data", r'''
train_time, train_values = datasets.arrays("synthetic", "train")
val_time, val_values = datasets.arrays("synthetic", "validation")
series = np.concatenate([train_values, val_values])
SPLIT = len(train_values)
final_train = windowed_dataset(train_values, window=WINDOW)
final_val = windowed_dataset(series[SPLIT - WINDOW:], window=WINDOW, shuffle=False)
print(f"{int(final_train.cardinality())} training batches, {int(final_val.cardinality())} validation batches "
      f"of windows of {WINDOW} days")
''')

md("d5-01-tune-intro", """
**2. Build and tune.** The model: windows of 30 raw values, `scale_in`, `Dense(32)`, `Dense(1)`,
`scale_out`. A short sweep (40 epochs, up to about 0.05), and the rule of D5.10 in code: a tenth of
the rate with the lowest loss. Always look at the curve too; a rule can be fooled by one lucky epoch.
""")

code("d5-01-tune", r'''
def build_final():
    return forecaster([keras.layers.Dense(32, activation="relu")], window=WINDOW, name="synthetic_forecaster")


tuning = build_final()
tuning.compile(optimizer=keras.optimizers.Adam(), loss="huber")
tune = tuning.fit(final_train, epochs=40, verbose=0,
                  callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: float(1e-5 * 10 ** (epoch / 10)))])
rates, losses = np.array(tune.history["learning_rate"]), np.array(tune.history["loss"])
final_rate = float(rates[np.argmin(losses)] / 10)
print(f"lowest loss at {rates[np.argmin(losses)]:.1e}: train with {final_rate:.1e}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.semilogx(rates, losses)
ax.axvline(final_rate, color="green", linestyle="--", label=f"chosen: {final_rate:.1e}")
ax.set_xlabel("learning rate")
ax.set_ylabel("loss")
ax.grid(alpha=0.3, which="both")
ax.legend()
plt.show()
''', train=True)

md("d5-01-train-intro", """
**3. Train** a fresh model with that rate and `ReduceLROnPlateau`, then **save** it, with its
history, as a `.keras` file:
""")

code("d5-01-train", r'''
final = build_final()
final.compile(optimizer=keras.optimizers.Adam(learning_rate=final_rate), loss="huber", metrics=["mae"])
final_history = final.fit(final_train, validation_data=final_val, epochs=EPOCHS, verbose=0, callbacks=[plateau()])
print(f"{len(final_history.history['loss'])} epochs, validation MAE {final_history.history['val_mae'][-1]:.2f}")
plots.plot_history(final_history, metrics=("loss", "mae"), title="synthetic_forecaster")
plt.show()

final.save("models/synthetic_forecaster.keras")
tfcert.save_history(final_history, "models/synthetic_forecaster.keras")
print("saved:", sorted(name for name in os.listdir("models") if name.startswith("synthetic_forecaster")))
''', train=True)

md("d5-01-use-intro", """
**4. Reload and forecast**, as the grader does: a clean `load_model`, the window length read from the
model's input, one window of raw values before each day, one forecast per window, and the MAE next
to the naive forecast's on the same days:
""")

code("d5-01-use", r'''
reloaded = keras.models.load_model("models/synthetic_forecaster.keras")
width = reloaded.input_shape[1]  # the window length the model declares
days = np.arange(SPLIT, len(series))
windows = np.stack([series[t - width:t] for t in days])  # raw values, no scaling here
forecast = reloaded.predict(windows, verbose=0)[:, 0]
print(f"input {reloaded.input_shape}, output {reloaded.output_shape}")
print(f"validation MAE {mae(series[days], forecast):.2f} | naive {mae(series[days], series[days - 1]):.2f}")
print("the reloaded model forecasts like the original:",
      np.allclose(forecast, final.predict(windows, verbose=0)[:, 0], atol=1e-4))
print("tomorrow, after the last known day:", round(float(reloaded.predict(series[None, -width:], verbose=0)[0, 0]), 1))
''')

md("d5-01-read", """
In the run behind this text the saved forecaster scores about 5.2 on the validation days, against the
naive 6.0. The reloaded model needs nothing from this notebook: no mean, no standard deviation, no window
function. It takes the last 30 raw values and returns a raw value, which is what the grader sends
and reads. Before you hand a forecaster in, check the same four things: the input shape is `(W,)` or
`(W, 1)` with a fixed W (or `(W, C)` for all C columns of a multivariate series), the output is one
value per window, the forecasts are in the series' units, and the MAE beats the naive forecast's on
days the model never trained on.
""")

# --------------------------------------------------------------------------------------------------
md("summary", """
## Summary

- **D5.01** The path of a forecasting task: split in time order, cut windows with `tf.data`, build a
  model with `Normalization` inside (in and, with `invert=True`, out), sweep the learning rate, train,
  `model.save("models/NAME.keras")`, `keras.models.load_model`, forecast from windows of raw values,
  and compare the MAE with the naive forecast's on the same days.
- **D5.02** A multivariate window is `(W, C)`; scale it per column with `Normalization(axis=-1)` and
  scale the output as the target column. Extra columns help when they add information the target's
  own past lacks (here with 7-day windows, not with 30-day ones). On prices (`goog`, `stocks`) the
  naive forecast is hard to beat: measure it first.
- **D5.03** Trend, seasonality, autocorrelation and noise; autocorrelation shows where in the past the
  information sits (lag 1 and lag 365 here). Split in time order, never at random; `adapt` scaling
  layers on the training days only, inside the model.
- **D5.04** MAE is the mean size of a miss, in the series' units; MSE squares the misses, so a few big
  ones dominate. Baselines first: the naive forecast (about 6.0 here) and moving averages (about 5.1
  for 7 days, 7.9 for 30 days, which lag behind the season).
- **D5.05** `Dense`, `Conv1D(padding="causal")` and `LSTM` forecasters, the last two after a
  `Reshape((W, 1))`; all about 5.0 to 5.4 here, against the naive 6.0: as good as the best simple
  baselines, not better. Measure the baselines before you trust a model.
- **D5.06** Trailing windows forecast; centred windows smooth, and only the past: a centred average
  around the day forecast uses later days (about 4.1, impossible in reality). Differencing at the
  season plus a trailing average of the differences plus a centred average of last year's values: an
  honest baseline of about 5.0.
- **D5.07** `model.predict` on a batch of windows gives one forecast per window; feeding forecasts back
  gives many steps ahead, with errors that grow with the horizon.
- **D5.08** `from_tensor_slices`, `window(W + 1, shift=1, drop_remainder=True)`, `flat_map(lambda w:
  w.batch(W + 1))`, `map(lambda w: (w[:-1], w[-1]))`, `shuffle`, `batch`, `prefetch`; or
  `timeseries_dataset_from_array(series, targets=series[W:], sequence_length=W)`. Labels one step
  off put the answer in the features: the model learns to copy the last value.
- **D5.09** Windows in time order make the model chase one stretch of the series after another
  (sequence bias); shuffle the windows, not the values.
- **D5.10** Sweep with `LearningRateScheduler(lambda epoch: float(1e-5 * 10 ** (epoch / 12)))`, plot
  the loss against `history.history["learning_rate"]` on a log axis, and choose a rate in the steep
  fall, about a tenth of the rate with the lowest loss; `ReduceLROnPlateau` lowers it when progress
  stops.
""")

md("next-steps", """
## Next steps

- Do the graded assignment for this domain: `release/d5_time_series/d5_time_series.ipynb`. It asks
  for forecasters that take windows of raw values, saved as `.keras` files; the grader loads them in
  a clean process and forecasts days you have never seen.
- The 30-day window cannot see last year. Try a window of 400 days, so that the model sees the same
  days a year earlier, as the seasonal baseline of D5.06 does; watch the number of weights and the
  validation MAE.
- Run the learning-rate sweep for the `LSTM` of D5.05, and train it with its own rate.
- Build a direct forecaster of the next 7 days: labels `w[-7:]` from windows of `W + 7` values, and
  `Dense(7)` as the last layer; compare its error at 7 days ahead with the recursive forecast's.
- Forecast `^GSPC` in `stocks` from all seven columns, input `(W, 7)`, and compare with the naive
  forecast.
""")


if __name__ == "__main__":
    CELLS.write(OUT)
