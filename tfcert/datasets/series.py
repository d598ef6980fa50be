"""Time series: one generated the textbook way, one real univariate, one real and one generated multivariate.

``synthetic``
    What: a daily univariate series of four years plus the grader's continuation:
    a linear trend, a yearly seasonal pattern (a smooth rise-and-fall shape) and
    Gaussian noise, the standard construction of forecasting lessons.
    How: ``value(t) = 10 + 0.05 t + 40 * season(t mod 365) + noise(t)`` with noise
    sd 5. ``train`` is days 0-1,099 and ``validation`` days 1,100-1,460 (noise
    seed 42). The grader-only ``heldout`` is the next 180 days, whose noise is
    drawn from the grader's seed (:func:`tfcert.datasets.grader_seed`: the
    instructor's secret on a grading machine that has one), so no learner split
    holds those values.
    Target (forecasting tasks): the noise alone sets a floor of about 4.0 on the
    held-out MAE (the true curve, forecast exactly, is off by 4.02). Measured on
    the held-out days, one step ahead: the naive forecast (tomorrow = today)
    5.95; least squares on the last 30 raw values 5.14; the seasonal forecast
    that uses last year (a centred mean of the 11 days around the same day one
    season ago, plus the trailing mean of the last 30 seasonal differences)
    4.86, and 4.99 on the validation days. Keras forecasters on windows of 30
    raw values, scaled inside the model and trained on train + validation with
    a cosine-decayed rate, land between 4.9 and 5.7: Conv1D + LSTM 5.05-5.28
    for starting rates from 7e-4 to 7e-3, an LSTM alone 5.38-5.63. The held-out
    days run past the highest values of the training days, so a model that
    only fits the training range well misses here first. The D5 assignment
    asks for a forecaster at most 0.95 times the naive MAE (about 5.65) and a
    seasonal forecast of at most 5.2 on the validation days; both are met by
    the models above with a margin, and missed by a model that copies the
    last value (a window with the label leaked into it learns that). These
    figures are the public held-out draw's; on 20 secret draws the naive MAE
    ranges 5.3-6.8 and the D5 reference's ratio to it 0.80-0.91 (sd 0.033).

``goog``
    What: Google's daily closing price, 19 August 2004 to 2008, 1,047 trading
    days, from the sample data matplotlib ships (real, read at run time).
    How: split in time order: ``train`` the first 700 days, ``validation`` the
    next 150, ``heldout`` the last 197 (real, public prices: no secret hides them).
    Target: forecasting tasks compare a model's MAE with the naive forecast's.
    Prices move like a random walk, so the naive forecast is hard to beat: its
    held-out MAE is 10.9 dollars, a Dense model on the last 30 daily changes
    13.2. That is the lesson of this set: always measure the baseline.

``stocks``
    What: monthly closing prices of IBM, AAPL, MSFT, XRX, ADBE and the S&P 500
    and NASDAQ indices, 1990-2022 (391 months), from matplotlib's sample data.
    How: months with a missing value dropped; split in time order 270 / 60 / 61
    (real, public prices: no secret hides the held-out months).
    Target: multivariate forecasting of the S&P 500 column from all columns.
    Measured one month ahead: naive 126.5 index points, a Dense model on the
    last 12 monthly changes 138.2; as with ``goog``, beating the naive
    forecast on prices is hard, and the lesson says so.

``seasonal_multi``
    What: three daily series that share one weekly and one yearly seasonal
    pattern, each with its own level, trend, amplitude and noise.
    How: as ``synthetic``, with the shared pattern scaled per series; ``train``
    days 0-1,099, ``validation`` 1,100-1,460, ``heldout`` the next 180 days with
    the grader's noise (as ``synthetic``'s).
    Target: forecasting ``a`` one step ahead. Measured on the held-out days:
    naive forecast MAE 6.58; windows of 30 days of all three series, scaled
    inside and trained on train + validation, 4.1-4.5 (Dense 4.12, LSTM 4.35,
    Conv1D 4.45); the same Conv1D on ``a`` alone 4.48. With 30-day windows the
    other columns help little (the shared season is already in ``a``'s own
    past), so the D5 assignment grades the multivariate input in the model's
    shape, ``(30, 3)``, and the error at most 0.75 times the naive MAE (about
    4.9); on 20 secret draws the D5 reference's ratio is 0.64-0.72 (sd 0.021).

Grading (all four, :class:`tfcert.datasets.kinds.SeriesKind`): the grader
forecasts every held-out step one step ahead from the window of raw values
just before it (the model's input length; windows of the target column, or of
all columns for a model that takes them), and reports the MAE on the target
column (``value``, ``close``, ``^GSPC`` for ``stocks``, ``a`` for
``seasonal_multi``) next to the naive forecast's on the same steps. Any
scaling belongs inside the model (a ``Normalization`` layer).
"""

from __future__ import annotations

import os

import numpy as np

from tfcert.datasets._registry import HELDOUT_SPLIT, DatasetSpec, grader_seed, register
from tfcert.datasets.kinds import SeriesKind

DAYS = {"train": (0, 1100), "validation": (1100, 1461), HELDOUT_SPLIT: (1461, 1641)}


def season(phase: np.ndarray) -> np.ndarray:
    """The seasonal shape: a slow cosine rise over the first 40 % of the period, then an exponential decay."""
    return np.where(phase < 0.4, np.cos(phase * 2 * np.pi), 1 / np.exp(3 * phase))


def _days(split: str) -> np.ndarray:
    start, stop = DAYS[split]
    return np.arange(start, stop)


def _noise(split: str, count: int, columns: int = 1) -> np.ndarray:
    """Learner splits share one noise stream (seed 42); the held-out days have the grader's own (:func:`grader_seed`)."""
    if split == HELDOUT_SPLIT:
        return np.random.default_rng(grader_seed()).normal(0, 1, (count, columns))
    whole = np.random.default_rng(42).normal(0, 1, (DAYS["validation"][1], columns))
    start, stop = DAYS[split]
    return whole[start:stop]


def build_synthetic(split: str) -> tuple[np.ndarray, np.ndarray]:
    time = _days(split)
    values = 10 + 0.05 * time + 40 * season((time % 365) / 365) + 5 * _noise(split, len(time))[:, 0]
    return time.astype("int64"), values.astype("float32")


def build_seasonal_multi(split: str) -> tuple[np.ndarray, np.ndarray]:
    time = _days(split)
    shared = season((time % 365) / 365) + 0.3 * np.sin(2 * np.pi * time / 7)
    level, trend, amplitude, noise = np.array([20, 50, 5]), np.array([0.03, -0.01, 0.05]), np.array([30, 15, 8]), np.array([4, 2, 3])
    values = level + np.outer(time, trend) + np.outer(shared, amplitude) + noise * _noise(split, len(time), 3)
    return time.astype("int64"), values.astype("float32")


def _sample_data(name: str) -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "sample_data", name)


GOOG_SPLITS = {"train": slice(0, 700), "validation": slice(700, 850), HELDOUT_SPLIT: slice(850, None)}


def build_goog(split: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(_sample_data("goog.npz")) as data:
        prices = data["price_data"]
    part = prices[GOOG_SPLITS[split]]
    return part["date"].astype("int64"), part["close"].astype("float32")


STOCK_COLUMNS = ("IBM", "AAPL", "MSFT", "XRX", "ADBE", "^GSPC", "^IXIC")
STOCK_SPLITS = {"train": slice(0, 270), "validation": slice(270, 330), HELDOUT_SPLIT: slice(330, None)}


def build_stocks(split: str) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    table = pd.read_csv(_sample_data("Stocks.csv"), comment="#", parse_dates=["Date"])
    table = table.dropna(subset=list(STOCK_COLUMNS)).reset_index(drop=True).iloc[STOCK_SPLITS[split]]
    days = table["Date"].to_numpy().astype("datetime64[D]").astype("int64")
    return days, table[list(STOCK_COLUMNS)].to_numpy(dtype="float32")


DAILY_SIZES = {split: stop - start for split, (start, stop) in DAYS.items()}

for _spec in (
    DatasetSpec(name="synthetic", build=build_synthetic, input_shape=(), classes=(),
                kind=SeriesKind(columns=("value",)),
                description="daily series: trend + yearly seasonality + noise", module=__name__,
                sizes=dict(DAILY_SIZES)),
    DatasetSpec(name="seasonal_multi", build=build_seasonal_multi, input_shape=(3,), classes=(),
                kind=SeriesKind(columns=("a", "b", "c"), default_target="a"),
                description="three daily series with a shared seasonality", module=__name__, sizes=dict(DAILY_SIZES)),
    DatasetSpec(name="goog", build=build_goog, input_shape=(), classes=(),
                kind=SeriesKind(columns=("close",), time_is_date=True),
                description="Google daily closing price 2004-2008 (matplotlib sample data)", module=__name__,
                sizes={"train": 700, "validation": 150, HELDOUT_SPLIT: 197}),
    DatasetSpec(name="stocks", build=build_stocks, input_shape=(7,), classes=(),
                kind=SeriesKind(columns=STOCK_COLUMNS, time_is_date=True, default_target="^GSPC"),
                description="monthly closes of five stocks and two indices 1990-2022 (matplotlib sample data)",
                module=__name__, sizes={"train": 270, "validation": 60, HELDOUT_SPLIT: 61}),
):
    register(_spec)
