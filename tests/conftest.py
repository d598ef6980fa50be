"""Shared set-up: TensorFlow quiet before anything imports it.

``KERAS_MAX_EPOCHS`` is deliberately *not* set here: the autograde tests must
train the reference solution for real. Only the lesson-notebook test caps
epochs, in the environment of the kernels it starts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfcert import QUIET_TF_ENV

for _key, _value in QUIET_TF_ENV.items():
    os.environ.setdefault(_key, _value)
# Kernels started by the tests inherit this environment: leave MPLBACKEND unset so
# they keep Jupyter's inline backend and plots reach the outputs.
os.environ.pop("MPLBACKEND", None)
os.environ.pop("KERAS_MAX_EPOCHS", None)
# A notebook's grading time is TFCERT_BUDGET_FACTOR (4) times its assignment's reference time, measured with the
# machine to itself. Here two test processes share two cores, and a virtual machine may lose a third of its CPU to
# its host: D5's alternative once ran past 4 times (280 s) and lost a task. The budget itself is tested with its own
# small figure (test_broken_submissions.py); set the factor to see how the samples fare under the real one.
os.environ.setdefault("TFCERT_BUDGET_FACTOR", "10")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
