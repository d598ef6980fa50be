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

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
