"""coderm-evalplus: unit-test reward selection for best-of-N code evaluation.

The names below are the public API for plugin authors and Python callers: import them
from here, not from internal modules, which may move.  See docs/plugins.md.

Why the imports are lazy (module ``__getattr__``, PEP 562): the EvalPlus start-up hook is
a ``.pth`` file that imports this package in *every* Python process of the environment;
importing it must stay cheap (no numpy, no evalplus) until a name is actually used.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # writing a plugin
    "hookimpl": "coderm_evalplus.hookspecs",
    "load_plugins": "coderm_evalplus.plugins",
    "Selector": "coderm_evalplus.select.base",
    "pick_among": "coderm_evalplus.select.base",
    "Executor": "coderm_evalplus.execute.base",
    "Limits": "coderm_evalplus.execute.base",
    "TestGenerator": "coderm_evalplus.generate.base",
    "GenerationRequest": "coderm_evalplus.generate.request",
    "task_rng": "coderm_evalplus.seeding",
    # the records every stage passes on
    "Verdict": "coderm_evalplus.model",
    "Candidate": "coderm_evalplus.model",
    "UnitTest": "coderm_evalplus.model",
    "Rejection": "coderm_evalplus.model",
    "Problem": "coderm_evalplus.model",
    "OutcomeMatrix": "coderm_evalplus.model",
    "Selection": "coderm_evalplus.model",
    # errors (one line each, no traceback at the CLI)
    "CodermError": "coderm_evalplus.errors",
    "UsageError": "coderm_evalplus.errors",
    "InputError": "coderm_evalplus.errors",
    "RunError": "coderm_evalplus.errors",
    # running the selection stage
    "RunConfig": "coderm_evalplus.pipeline",
    "RunResult": "coderm_evalplus.pipeline",
    "run": "coderm_evalplus.pipeline",
    "attach_tests": "coderm_evalplus.pipeline",
    "select_all": "coderm_evalplus.pipeline",
    # harnesses: one path (label -> select -> grade picks -> report) behind every entry
    "Harness": "coderm_evalplus.harness.base",
    "BaseHarness": "coderm_evalplus.harness.base",
    "run_harness": "coderm_evalplus.harness.run",
    "load_select_inputs": "coderm_evalplus.inputs.problems",
    "evaluate_with_selection": "coderm_evalplus.harness.evalplus.harness",
    "run_livecodebench": "coderm_evalplus.harness.livecodebench.harness",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'coderm_evalplus' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

