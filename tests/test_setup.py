"""``tfcert.setup`` quiets what Keras 3 says on every fit of a course notebook without anything being wrong."""

from __future__ import annotations

import warnings

import numpy as np

import tfcert


def test_setup_silences_the_false_alarm_of_a_fit_on_windows_of_a_series():
    """Keras 3.15 warns "Your input ran out of data" after the first epoch over any dataset of unknown length."""
    tfcert.setup()
    import keras
    import tensorflow as tf

    windows = (tf.data.Dataset.from_tensor_slices(np.arange(40, dtype="float32"))
               .window(5, shift=1, drop_remainder=True).flat_map(lambda w: w.batch(5))
               .map(lambda w: (w[:-1], w[-1])).batch(8))
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mae")
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", message=r"(?!Your input ran out of data)")  # anything else still shows
        history = model.fit(windows, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert not [w for w in caught if "ran out of data" in str(w.message)], [str(w.message) for w in caught]
