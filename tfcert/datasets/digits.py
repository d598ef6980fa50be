"""``digits``: scikit-learn's copy of the UCI handwritten digits.

What: 1,797 grayscale images of 8x8 pixels (values 0-16, scaled here to [0, 1]),
classes 0-9. Real data, read at run time from the file scikit-learn ships; nothing
is copied into this repository.

How: a fixed permutation (seed 1234) splits it into ``train`` (1,200),
``validation`` (300) and the grader-only ``heldout`` (297), which
:func:`tfcert.datasets.load` does not serve.

Target (D1 assignment): at least 93 % held-out accuracy with at most 5,000
parameters and a file of at most 100 KB. The set is easy on purpose: a
logistic regression (650 parameters) reaches 97 % and a 2,410-parameter MLP
96 %, while an over-sized MLP passes the accuracy and fails the budget. The
task is about sizing a model, not about difficulty.
"""

from __future__ import annotations

import numpy as np

from tfcert.datasets._registry import HELDOUT_SPLIT, DatasetSpec, register
from tfcert.datasets.kinds import ImageKind

SPLITS = {"train": slice(0, 1200), "validation": slice(1200, 1500), HELDOUT_SPLIT: slice(1500, None)}


def build(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    order = np.random.default_rng(1234).permutation(len(bunch.target))[SPLITS[split]]
    return (bunch.images[order] / 16.0).astype("float32"), bunch.target[order].astype("int64")


SPEC = register(DatasetSpec(
    name="digits", build=build, input_shape=(8, 8), classes=tuple(str(d) for d in range(10)),
    description="8x8 handwritten digits from scikit-learn, 10 classes", module=__name__, kind=ImageKind(),
    sizes={"train": 1200, "validation": 300, HELDOUT_SPLIT: 297},
))
