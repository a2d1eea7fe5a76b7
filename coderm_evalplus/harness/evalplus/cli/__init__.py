"""The EvalPlus harness's command-line faces: :mod:`.commands` (``coderm-evalplus
evalplus`` and ``coderm-evalplus evalplus-hook``) and the ``evalplus.evaluate --selector``
flag - :mod:`.pth` (the start-up patch), :mod:`.argv` (its arguments), :mod:`.selector_flag`
(its run).

Nothing is imported here: the start-up ``.pth`` imports :mod:`.pth` at every Python start
with ``--selector`` or ``-h`` on the command line, which must stay cheap.
"""
