"""The pipeline finds ``--scaling`` modes through the ``register_scaling_modes`` hook."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coderm_evalplus import pipeline, plugins
from coderm_evalplus.errors import UsageError
from coderm_evalplus.hookspecs import hookimpl
from coderm_evalplus.model import Candidate, Problem
from coderm_evalplus.scaling.driver import run_dynamic


def _problems() -> list[Problem]:
    return [Problem("T/0", prompt="def f():\n    pass\n", entry_point="f",
                    candidates=[Candidate(0, "def f():\n    return 1\n")])]


def test_dynamic_is_a_registered_builtin_mode():
    assert plugins.scaling_modes()["dynamic"] is run_dynamic
    assert "coderm_evalplus.scaling.driver" in plugins.DEFAULT_PLUGINS


def test_unknown_mode_is_a_one_line_usage_error_listing_the_known_ones():
    config = pipeline.RunConfig(scaling="adaptive", progress=False, cache_path=None)
    with pytest.raises(UsageError) as info:
        pipeline.run(_problems(), config, completions={"T/0": ["assert f() == 1"]})
    msg = str(info.value)
    assert "\n" not in msg
    assert msg == "unknown scaling mode 'adaptive' (known: fixed, dynamic)"


def test_a_plugin_mode_receives_the_run():
    seen = {}

    class Plugin:
        @hookimpl
        def register_scaling_modes(self, register):
            def run(problems, config, **kwargs):
                seen.update(tasks=[p.task_id for p in problems], mode=config.scaling,
                            keys=sorted(kwargs))
                return "result"
            register("mine", run)

    plugins.load_plugins()
    plugin = Plugin()
    plugins.pm.register(plugin, name="test-scaling-mode")
    try:
        config = pipeline.RunConfig(scaling="mine", progress=False, cache_path=None)
        out = pipeline.run(_problems(), config, completions={"T/0": ["assert f() == 1"]})
    finally:
        plugins.pm.unregister(plugin)
    assert out == "result"
    assert seen == {"tasks": ["T/0"], "mode": "mine",
                    "keys": ["completions", "grade", "out_dir", "test_formats",
                             "tests_source"]}


def test_pipeline_does_not_import_scaling():
    tree = ast.parse((Path(pipeline.__file__)).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
            names.update(("." * node.level) + a.name for a in node.names if not node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    assert not any("scaling" in n for n in names), names
