"""The EvalPlus (HumanEval+ / MBPP+) harness: :mod:`.data` (the dataset files evalplus
grades against), :mod:`.grader` (evalplus's own grader in a child process),
:mod:`.harness` (the :class:`~coderm_evalplus.harness.base.Harness` and the Python API),
:mod:`.cli` (``coderm-evalplus evalplus``), and the ``evalplus.evaluate --selector`` flag:
:mod:`.pth` (the start-up patch), :mod:`.argv` (its arguments), :mod:`.selector_flag`
(its run).

Nothing is imported here: the start-up ``.pth`` imports :mod:`.pth` at every Python
start with ``--selector`` or ``-h`` on the command line, which must stay cheap.
"""
