"""The mock exam: variants from a seed, the attempt folder, and `tfcert exam grade` end to end.

The slow tests start attempts with the real command, put sample solutions in
them, and grade them through ``tfcert exam grade``: every script runs in the
bubblewrap sandbox and every model is judged in the clean process. Every run
grades one attempt with the two fastest references, two cheats and an
untouched starter, and then its clock; the exam's full matrix (``make
test-all``, or when the exam changed: tests/matrix.py) grades every reference
and every weak solution.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tfcert import sandbox
from tfcert.datasets import set_heldout_secret
from tfcert.exam import grade, session
from tfcert.exam.problems import PROBLEMS, ExamError, problem, variants

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "exam"
SEED = 20261124
TFCERT = [sys.executable, "-m", "tfcert.cli"]


def install(folder: Path, kind: str, name: str) -> None:
    """Complete an attempt's starter with a sample solution_model() (samples/exam/<kind>/)."""
    script = folder / problem(name).script
    script.write_text(session.with_solution(script.read_text(), (SAMPLES / kind / script.name).read_text()))


# ----------------------------------------------------------------------------- fast: variants and the folder

def test_each_attempt_draws_its_own_variant_and_the_grader_draws_the_same():
    first, again, other = variants(1), variants(1), variants(2)
    assert first == again
    differing = {name for name in first if first[name] != other[name]}
    assert differing == {p.id for p in PROBLEMS}, "every problem changes from one attempt to the next"
    drawn = [variants(seed) for seed in range(8)]
    assert len({tuple(v["p1_regression"]["columns"]) for v in drawn}) > 4, "which columns"
    assert len({tuple(v["p2_small_images"]["classes"]) for v in drawn}) > 4, "which classes"
    assert len({tuple(v["p3_image_folders"]["classes"]) for v in drawn}) > 2, "which photographs"
    assert len({v["p5_forecast"]["window"] for v in drawn}) > 1, "which window"
    assert len({v["p5_forecast"]["ratio"] for v in drawn}) > 2, "which threshold"


def test_heldout_data_depends_on_the_grader_secret_and_no_file_holds_it(tmp_path):
    forecast = problem("p5")
    variant = variants(SEED)["p5_forecast"]
    public = forecast.series(variant, SEED, heldout=True)
    try:
        set_heldout_secret("an instructor's secret")
        secret = forecast.series(variant, SEED, heldout=True)
        assert variants(SEED) == variants(SEED), "the variant never depends on the secret"
    finally:
        set_heldout_secret(None)
    days = forecast.DAYS
    assert (public[:days] == secret[:days]).all() and not (public[days:] == secret[days:]).any()
    session.start(tmp_path / "exam", seed=SEED)
    written = (tmp_path / "exam" / "data" / "daily.csv").read_text().splitlines()
    assert len(written) == days + 1, "the learner's file ends where the held-out days begin"


def test_start_writes_starters_with_this_attempts_variant_and_the_data(tmp_path):
    folder = tmp_path / "exam"
    attempt = session.start(folder, minutes=45, seed=SEED)
    state = json.loads((folder / "exam.json").read_text())
    assert state["seed"] == SEED and state["minutes"] == 45 and attempt.time_left() > 44 * 60
    chosen = variants(SEED)
    for item in PROBLEMS:
        script = (folder / item.script).read_text()
        assert item.variant_block(chosen[item.id]) in script, item.id
        assert "raise NotImplementedError" in script and "def solution_model()" in script
        assert f'model.save(HERE / "{item.model_file}")' in script
        assert "tfcert" not in script.replace("tfcert exam start", ""), "starters need nothing from the course"
    data = folder / "data"
    header = (data / "rents_train.csv").read_text().splitlines()[0].split(",")
    assert header == [*chosen["p1_regression"]["columns"], "rent"]
    assert sorted(p.name for p in (data / "scenes" / "train").iterdir()) == chosen["p3_image_folders"]["classes"]
    records = json.loads((data / "complaints.json").read_text())
    assert {r["complaint"] for r in records} == set(chosen["p4_text_json"]["classes"])
    assert "tfcert exam grade" in (folder / "README.txt").read_text()


def test_start_refuses_a_folder_in_use_and_grade_needs_an_attempt(tmp_path):
    session.start(tmp_path / "exam", seed=1)
    with pytest.raises(ExamError, match="is not empty: grade it with tfcert exam grade"):
        session.start(tmp_path / "exam")
    with pytest.raises(ExamError, match="no exam attempt at"):
        session.load(tmp_path)
    done = subprocess.run([*TFCERT, "exam", "grade", "--folder", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1 and "tfcert exam start" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run([*TFCERT, "exam", "grade", "9", "--folder", str(tmp_path / "exam")], capture_output=True,
                          text=True)
    assert done.returncode == 1 and "no exam problem '9'" in done.stderr


def test_a_script_that_imports_tfcert_is_refused_before_and_while_it_runs(tmp_path):
    script = tmp_path / "p2_small_images.py"
    for line in ("import tfcert", "from tfcert.datasets import arrays", "import numpy, tfcert.exam as e"):
        script.write_text(f"import os\n{line}\n")
        assert "imports tfcert on line 2" in grade.script_problem(script), line
    script.write_text("helpers = __import__('tf' + 'cert')\n")  # past the static check: refused at run time
    assert grade.script_problem(script) is None
    done = subprocess.run([sys.executable, "-I", "-c", grade.RUNNER, script.name], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 1
    assert grade._last_error_line(done.stderr).startswith("ImportError: exam scripts may not import tfcert")
    script.write_text("def solution_model(:\n")
    assert grade.script_problem(script) == ("p2_small_images.py has a syntax error on line 1: invalid syntax; fix it "
                                            "and run the file yourself first")


# ----------------------------------------------------------------------------- slow: tfcert exam grade, sandboxed

def exam_grade(folder: Path, *args: str) -> tuple[str, dict[str, tuple[int, str]]]:
    """Run ``tfcert exam grade`` in ``folder``; the output and, per problem, (score, the text of its row)."""
    done = subprocess.run([*TFCERT, "exam", "grade", "--quiet", *args], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "400"}, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    rows: dict[str, tuple[int, str]] = {}
    current = None
    for line in done.stdout.splitlines():
        heading = re.match(r"^(\d) (.+?)\s+(\d) / 5$", line)
        if heading:
            current = PROBLEMS[int(heading.group(1)) - 1].id
            rows[current] = (int(heading.group(3)), "")
        elif current and line.startswith("    "):
            rows[current] = (rows[current][0], (rows[current][1] + " " + line.strip()).strip())
    return done.stdout, rows


def start_attempt(folder: Path, solutions: dict[str, str]) -> Path:
    """``tfcert exam start`` in ``folder`` (the tests' seed), then each problem named in ``solutions`` completed with
    that kind of sample (``reference``, ``weak``); the others stay untouched starters."""
    done = subprocess.run([*TFCERT, "exam", "start", "--folder", str(folder), "--seed", str(SEED)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name, kind in solutions.items():
        install(folder, kind, name)
    return folder


def graded_attempt(folder: Path) -> tuple[str, dict[str, tuple[int, str]], float]:
    started = time.perf_counter()
    return (*exam_grade(folder), time.perf_counter() - started)


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    """The attempt every run grades: the fastest reference, two cheats that import tfcert (statically and at run
    time), two untouched starters."""
    assert sandbox.available(), f"exam grading runs learner scripts in bubblewrap: {sandbox.unavailable_reason()}"
    folder = start_attempt(tmp_path_factory.mktemp("exam") / "core",
                           {"p4_text_json": "reference"})
    (folder / "p3_image_folders.py").write_text((folder / "p3_image_folders.py").read_text().replace(
        "    # YOUR CODE HERE", "    from tfcert.datasets import arrays  # the course's data, held-out part included\n"
        "    # YOUR CODE HERE"))
    (folder / "p2_small_images.py").write_text((folder / "p2_small_images.py").read_text().replace(
        "    # YOUR CODE HERE", "    helpers = __import__('tf' + 'cert')\n    # YOUR CODE HERE"))
    return {"folder": folder, "result": graded_attempt(folder)}


@pytest.mark.slow
@pytest.mark.grades("exam")
def test_the_reference_scores_five_of_five(core):
    output, rows, seconds = core["result"]
    assert rows["p4_text_json"][0] == 5, output
    assert re.search(r"the script ran \d+ s", rows["p4_text_json"][1]), rows["p4_text_json"]  # it ran and saved
    print(f"\ncore attempt graded in {seconds:.0f} s:\n{output}")


@pytest.mark.slow
@pytest.mark.grades("exam")
def test_untouched_starters_and_cheats_score_zero_with_the_reason(core):
    output, rows, _ = core["result"]
    untouched = ("p1_regression", "p5_forecast")
    assert {name: rows[name][0] for name in ("p2_small_images", "p3_image_folders", *untouched)} == \
        dict.fromkeys(("p2_small_images", "p3_image_folders", *untouched), 0), output
    assert "p3_image_folders.py imports tfcert on line" in rows["p3_image_folders"][1]
    assert "ImportError: exam scripts may not import tfcert" in rows["p2_small_images"][1]
    for name in untouched:
        assert "stopped with NotImplementedError: write solution_model()" in rows[name][1], rows[name]
        assert "complete solution_model() and run the file" in rows[name][1]
    assert "Traceback" not in output


@pytest.mark.slow
@pytest.mark.grades("exam")
def test_after_the_clock_runs_out_the_models_saved_in_time_count_and_nothing_runs(core):
    folder = core["folder"]  # the last test of the core attempt: it changes the folder
    state = json.loads((folder / "exam.json").read_text())
    in_time = folder / problem("p4_text_json").model_file
    state["started"] = in_time.stat().st_mtime + 1 - 60 * state["minutes"]  # the clock ran out a second after
    (folder / "exam.json").write_text(json.dumps(state))
    (folder / "p4_text_json.py").write_text("raise SystemExit('edited after the end')\n")  # never run again
    late = folder / problem("p1_regression").model_file
    late.write_bytes(in_time.read_bytes())  # saved after the clock ran out
    output, rows = exam_grade(folder, "1", "4")
    assert "the clock has run out" in output and "the scripts are not run again" in output
    assert rows["p4_text_json"][0] == 5, rows
    assert rows["p1_regression"][0] == 0 and "after the clock ran out" in rows["p1_regression"][1]
    assert list(rows) == ["p1_regression", "p4_text_json"], "only the problems asked for"


# ------------------------------------------------------------- the exam's full matrix: every reference, every weak one

@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Two attempts of the same seed: every reference solution, every weak one (its target made easier in the script,
    which must change nothing)."""
    assert sandbox.available(), f"exam grading runs learner scripts in bubblewrap: {sandbox.unavailable_reason()}"
    root = tmp_path_factory.mktemp("exam-full")
    folders = {kind: start_attempt(root / kind, {item.id: kind for item in PROBLEMS}) for kind in ("reference", "weak")}
    weak = folders["weak"] / "p2_small_images.py"
    weak.write_text(re.sub(r"TARGET_ACCURACY = [0-9.]+", "TARGET_ACCURACY = 0.1", weak.read_text()))
    return {kind: graded_attempt(folder) for kind, folder in folders.items()}


@pytest.mark.slow
@pytest.mark.matrix("exam")
def test_every_reference_solution_scores_five_of_five(full):
    output, rows, seconds = full["reference"]
    assert {name: score for name, (score, _) in rows.items()} == {p.id: 5 for p in PROBLEMS}, output
    assert "total" in output and "25 / 25" in output
    for item in PROBLEMS:  # each script ran, trained and saved (its time: bench/exam_references.py)
        assert re.search(r"the script ran \d+ s", rows[item.id][1]), rows[item.id]
    print(f"\nreference attempt graded in {seconds:.0f} s:\n{output}")


@pytest.mark.slow
@pytest.mark.matrix("exam")
def test_weak_solutions_score_in_between_with_the_sentence_that_explains(full):
    expected = yaml.safe_load((SAMPLES / "weak.yml").read_text())
    output, rows, _ = full["weak"]
    for name, want in expected.items():
        score, text = rows[name]
        assert 0 < score < 5, f"{name} scored {score}: {text}"
        assert want["message"] in text, f"{name}: {text}"
    target = variants(SEED)["p2_small_images"]["target_accuracy"]
    assert f"(target {target:.2f})" in rows["p2_small_images"][1], "the grader's own variant, not the script's"
