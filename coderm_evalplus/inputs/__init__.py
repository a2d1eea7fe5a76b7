"""Everything that turns a user's files into :class:`~coderm_evalplus.model.Problem` s.

One module per kind of file: :mod:`.jsonl` (the line reader every format shares),
:mod:`.samples`, :mod:`.recorded_tests`, :mod:`.codet`, :mod:`.labels`,
:mod:`.problem_sets` (benchmark problems), and :mod:`.problems`, which puts them
together the way the ``select`` command needs them.  Every reader fails with a one-line
:class:`~coderm_evalplus.errors.InputError` naming the file, the line and the field;
nothing here runs candidate code.

Kept free of imports so that a module importing one reader does not load the others.
"""
