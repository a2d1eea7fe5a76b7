"""The EvalPlus (HumanEval+ / MBPP+) harness: :mod:`.data` (the dataset files evalplus
grades against), :mod:`.grader` (evalplus's own grader in a child process),
:mod:`.harness` (the :class:`~coderm_evalplus.harness.base.Harness` and the Python API),
:mod:`.cli` (the command-line faces: ``coderm-evalplus evalplus`` and the
``evalplus.evaluate --selector`` flag with its start-up patch).

Nothing is imported here: the start-up ``.pth`` imports :mod:`.cli.pth` at every Python
start with ``--selector`` or ``-h`` on the command line, which must stay cheap.
"""
