"""The LiveCodeBench harness: LCB custom-output samples in, one pick per question out, graded
by LiveCodeBench's own grader.

LiveCodeBench users sample with ``lcb_runner`` and grade a *custom output file*
(``[{"question_id", "code_list"}]``) with its custom evaluator.  This package puts the
selection stage in front of that evaluator:

* :mod:`.data`: ``code_generation_lite`` problems (local file or the hub) and
  custom-output files;
* :mod:`.programs`: what the tests run for a sampled code (LCB's import header, the
  ``Solution`` alias, stdin programs run the way LCB's grader runs them) while the
  sampled code itself is what the prompt shows, the pick file holds and LCB grades;
* :mod:`.grader`: LiveCodeBench's own ``codegen_metrics``, when installed, and LCB's
  output files;
* :mod:`.harness`: the :class:`~coderm_evalplus.harness.base.Harness` and the Python
  API (:func:`~.harness.run_livecodebench`);
* :mod:`.cli`: ``coderm-evalplus livecodebench`` and the custom runner
  (``hooks/livecodebench_runner.py``).
"""
