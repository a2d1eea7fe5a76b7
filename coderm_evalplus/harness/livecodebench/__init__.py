"""The LiveCodeBench harness: LCB custom-output samples in, one pick per question out, graded
by LiveCodeBench's own grader.

LiveCodeBench users sample with ``lcb_runner`` and grade a *custom output file*
(``[{"question_id", "code_list"}]``) with its custom evaluator.  This module puts the
selection stage in front of that evaluator:

* problems are ``code_generation_lite`` rows, read from a local JSON / JSONL / parquet
  file (``datasets>=4`` refuses LCB's loading script, LiveCodeBench issue #108) or from
  the hub's raw JSONL files of a release;
* each code becomes a :class:`Candidate` whose ``source`` is the *execution program* the
  generated tests run against, while ``meta["code"]`` keeps the code exactly as sampled
  (that is what the prompt shows, what the pick file holds and what LCB grades);
* call-based (LeetCode) problems run the ``class Solution`` code after LCB's own import
  header, plus a top-level alias ``fn_name(...)`` -> ``Solution().fn_name(...)``: the
  CodeRM prompt shows the method as a plain function, so its tests call it that way;
* stdin problems run through ``solve(input_str) -> str``, which runs the program the
  way LCB's grader does (its function wrapping, its patched stdin, captured stdout;
  streams restored in ``finally``), so our tests judge a program as the grader will; the
  returned text compares equal to another string the way LCB compares stdout
  (line-wise, stripped, numbers as decimals);
* the grader (``lcb_runner`` or PyPI ``nvidia-livecodebench``'s ``livecodebench``) is
  imported only when present.  It labels every sample (vanilla pass@1, and the labels the
  report's metrics need) and grades the picks (the number a LiveCodeBench user reports).

Modules: :mod:`.data` (problems and custom-output files), :mod:`.programs` (what the
tests run for a sampled code), :mod:`.grader` (LiveCodeBench's own grader),
:mod:`.harness` (the :class:`~coderm_evalplus.harness.base.Harness` and the Python
API), :mod:`.cli` (``coderm-evalplus livecodebench`` and the custom runner).
"""
