"""A mock certificate exam: five model-building problems as Python scripts, timed and graded per problem.

The certificate exam gave five problems as Python files to solve in PyCharm
within five hours; each trained model was scored on data the candidate never
saw. This package rehearses that:

* :mod:`tfcert.exam.problems`: the five problems (a regression on a table,
  small images, photographs in class folders, text from JSON, a forecaster),
  each attempt's variant drawn from its seed, the data files, the held-out data
  and the score out of 5;
* :mod:`tfcert.exam.session`: ``tfcert exam start`` (the starters from
  ``starters/``, the data, ``exam.json`` with the seed and the clock);
* :mod:`tfcert.exam.grade`: ``tfcert exam grade`` (each script run in the
  grading sandbox, each saved model judged in the clean process
  :mod:`tfcert.exam._judge`, one row per problem).

Reference solutions and plausible weak ones live apart, in the repository's
``samples/exam/``; the tests grade them through the command.
"""
