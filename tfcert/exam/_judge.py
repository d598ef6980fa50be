"""The exam grader's clean process: load each saved model and score it on its problem's held-out data.

Run by :func:`tfcert.exam.grade.judge_models` as ``python -I -m tfcert.exam._judge``: one JSON request on
stdin, ``{"seed": S, "models": {"p1_regression": "/path/p1_regression.keras", ...}}``, one
``TFCERT-EXAM {problem: {"score", "measured", "sentence"}}`` line back. No learner code runs here: each
model is checked as a file first (Lambda layers and custom classes refused, as the assignments' grader
does), loaded with ``safe_mode=True`` and without compiling, and called on data the exam folder never held.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from tfcert import quiet_tensorflow

MARKER = "TFCERT-EXAM "


def judge_one(problem_id: str, path: Path, seed: int, variant: dict[str, Any]) -> dict[str, Any]:
    """One problem's result as a dictionary; every failure becomes a sentence and 0 points, never a crash."""
    from tfcert._probe import _check_file, _first_line
    from tfcert.exam.problems import ModelMismatch, problem

    chosen = problem(problem_id)
    problem_text = _check_file(path)
    if problem_text:
        return {"score": 0, "measured": "", "sentence": problem_text}
    import keras

    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:
        return {"score": 0, "measured": "", "sentence": f"{path.name} could not be loaded ({type(exc).__name__}: "
                f"{_first_line(exc)}): save it again with model.save and check that it reloads"}
    try:
        result = chosen.judge(model, variant, seed)
    except ModelMismatch as exc:
        return {"score": 0, "measured": "", "sentence": str(exc)}
    except Exception as exc:
        return {"score": 0, "measured": "", "sentence": f"{path.name} raised {type(exc).__name__} on the held-out "
                f"data: {_first_line(exc)}; check its input and output shapes against the starter's docstring"}
    finally:
        keras.backend.clear_session()
    return {"score": result.score, "measured": result.measured, "sentence": result.sentence}


def main() -> int:
    request = json.loads(sys.stdin.read())
    quiet_tensorflow()
    from tfcert.exam.problems import variants

    seed = int(request["seed"])
    chosen = variants(seed)  # drawn once for every model judged
    results = {name: judge_one(name, Path(path), seed, chosen[name]) for name, path in request["models"].items()}
    print(MARKER + json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    from tfcert._probe import KerasWithoutScikitLearn, pin_judge_threads

    os.environ.setdefault("CUDA_VISIBLE_DEVICES", os.environ.get("TFCERT_PROBE_GPUS", "-1"))
    pin_judge_threads()
    KerasWithoutScikitLearn.install()
    sys.exit(main())
