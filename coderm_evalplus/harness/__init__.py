"""Harnesses: a benchmark's files in, its official grader's numbers out.

:mod:`.base` says what a harness is (the :class:`~.base.Harness` protocol), :mod:`.run`
drives one (:func:`~.run.run_harness`: label -> select -> grade picks -> report), and each
benchmark is a package (:mod:`.evalplus`, :mod:`.livecodebench`).  Nothing is imported
here: the evalplus start-up patch imports a module below this package at every Python
start with ``--selector`` or ``-h`` on the command line.
"""
