#!/usr/bin/env python3
"""LiveCodeBench's custom evaluator with coderm-evalplus's selection stage in front.

LiveCodeBench users grade their own samples with::

    python -m lcb_runner.runner.custom_evaluator --custom_output_file OUT.json

This entry takes the same file (``[{"question_id", "code_list"}]``, N codes per
question), runs every code against generated or recorded unit tests, keeps one code per
question, and writes what LCB's evaluator writes, for the picks and for all samples:

    OUT_<selector>_codegeneration_output.json      the picks (one code per question)
    OUT_<selector>_codegeneration_output_eval.json  LCB metrics of the picks (pass@1)
    OUT_<selector>_codegeneration_output_eval_all.json  per question, with graded_list
    OUT_codegeneration_output_eval.json / _eval_all.json  the same for all samples
    OUT_coderm/                                     report.json, matrices.npz

Usage (problems from a local code_generation_lite file, or --release_version for the
hub when online)::

    python hooks/livecodebench_runner.py --custom_output_file OUT.json \\
        --problems code_generation_lite.jsonl --tests tests.jsonl [--selector coderm]
    python hooks/livecodebench_runner.py --custom_output_file OUT.json \\
        --release_version release_v2 --generator vllm:KAKA22/CodeRM-8B

All the work is in :mod:`coderm_evalplus.harness.livecodebench.cli`; this file is only the
entry point, so it can be copied next to an LCB checkout.
"""

from __future__ import annotations

import sys

from coderm_evalplus.harness.livecodebench.cli import custom_runner_main

if __name__ == "__main__":
    sys.exit(custom_runner_main(sys.argv[1:]))
