"""``CODERM_TRACE_HOOKS=1`` prints every hook call (pluggy hook-call monitoring)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from coderm_evalplus import plugins
from coderm_evalplus.model import Candidate, Problem


def test_trace_hooks_reports_calls_implementations_and_results_then_stops():
    plugins.load_plugins()
    stream = io.StringIO()
    undo = plugins.trace_hooks(stream)
    try:
        problem = Problem("T/0", candidates=[Candidate(0, "def f():\n    return 1\n")])
        cand = plugins.pm.hook.choose_prompt_candidate(problem=problem)
        assert "coderm" in plugins.selectors()
    finally:
        undo()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[hook] choose_prompt_candidate(problem=Problem(")
    assert lines[0].endswith("-> coderm_evalplus.generate.builtin")
    assert cand is problem.candidates[0]
    assert lines[1].startswith("[hook] choose_prompt_candidate returned Candidate(index=0,")
    # registry hooks are traced too, one line pair per implementing plugin
    assert "[hook] register_selectors(register=<register>) -> coderm_evalplus.select.coderm" \
        in lines
    # after undo nothing more is printed
    before = stream.getvalue()
    plugins.pm.hook.on_stage_done(stage="load", stats={})
    assert stream.getvalue() == before


def test_environment_variable_turns_tracing_on_in_a_fresh_process():
    code = ("from coderm_evalplus import plugins\n"
            "plugins.load_plugins().hook.on_stage_done(stage='load', stats={'tasks': 3})\n")
    env = dict(os.environ, CODERM_TRACE_HOOKS="1")
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                        env=env, timeout=60, check=True)
    assert "[hook] on_stage_done(stage='load', stats={'tasks': 3}) -> " in on.stderr
    assert "[hook] on_stage_done done" in on.stderr
    env["CODERM_TRACE_HOOKS"] = "0"
    off = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    assert "[hook]" not in off.stderr
