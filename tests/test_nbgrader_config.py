"""The course's nbgrader configuration, loaded the way nbgrader loads it."""

from __future__ import annotations

from pathlib import Path

import nbformat
from traitlets.config.loader import PyFileConfigLoader

from tfcert.nbgrader_ext import HideHiddenTests

REPO = Path(__file__).resolve().parent.parent


def load_config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()


def test_timeouts_fit_training_cells():
    c = load_config()
    assert c.Execute.timeout >= 120 and c.Execute.interrupt_on_timeout


def test_ignore_pattern_drops_tensorflow_native_logs_but_keeps_real_errors():
    from nbgrader.preprocessors import IgnorePattern

    c = load_config()
    assert c.IgnorePattern.enabled
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="I0000 00:00:1795342744 2325 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n"),
        nbformat.v4.new_output("stream", name="stderr", text="WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: your learning rate is NaN\n"),
    ]
    cell, _ = IgnorePattern(config=c).preprocess_cell(cell, {}, 0)
    assert [o.text for o in cell.outputs] == ["UserWarning: your learning rate is NaN\n"]


def test_feedback_preprocessor_is_configured_and_strips_tests():
    c = load_config()
    assert "tfcert.nbgrader_ext.HideHiddenTests" in c.GenerateFeedback.preprocessors
    test = nbformat.v4.new_code_cell("check()\n### BEGIN HIDDEN TESTS\nassert secret == 42\n### END HIDDEN TESTS\n")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1}
    test.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="assert secret == 42\n"),
        nbformat.v4.new_output("error", ename="GradingError", evalue="m.keras is 120 KB, the limit is 100 KB",
                               traceback=["Traceback ...", "assert secret == 42", "GradingError: ..."]),
    ]
    answer = nbformat.v4.new_code_cell("print('my work')")
    answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="my work\n")]
    hide = HideHiddenTests()
    test, _ = hide.preprocess_cell(test, {}, 0)
    answer, _ = hide.preprocess_cell(answer, {}, 1)
    assert "secret" not in test.source and "(hidden tests ran here)" in test.source
    assert len(test.outputs) == 1 and test.outputs[0].traceback == ["GradingError: m.keras is 120 KB, the limit is 100 KB"]
    assert answer.outputs[0].text == "my work\n", "the learner's own cells keep their outputs"


def test_grade_command_refuses_to_run_unsandboxed(monkeypatch, tmp_path, capsys):
    from tfcert import cli

    monkeypatch.setenv("TFCERT_SANDBOX", "off")
    assert cli.main(["grade", "d1_developer_skills", "--course", str(tmp_path)]) == 2
    assert "refusing to run learner code unsandboxed: TFCERT_SANDBOX=off" in capsys.readouterr().err
