"""The one PluginManager: built-in plugins + third-party entry points.

Built-ins are ordinary plugin modules listed in :data:`DEFAULT_PLUGINS` and registered
exactly like external ones.  ``CODERM_EVALPLUS_LOAD_PLUGINS`` (comma-separated entry
point names, empty string = none) limits which external plugins load: tests use it to get
a reproducible set.  ``CODERM_TRACE_HOOKS=1`` prints every hook call to stderr (which
implementations run, with what, and what they returned), as datasette's
``DATASETTE_TRACE_PLUGINS`` does: the quickest way to see why a plugin is not called.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

import pluggy

from . import hookspecs
from .errors import UsageError

ENTRY_POINT_GROUP = "coderm_evalplus"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "coderm_evalplus.select.coderm",
    "coderm_evalplus.select.codet",
    "coderm_evalplus.select.baselines",
    "coderm_evalplus.select.robust",
    "coderm_evalplus.select.b4",
    "coderm_evalplus.select.dawid_skene",
    "coderm_evalplus.execute.local",
    "coderm_evalplus.execute.docker",
    "coderm_evalplus.execute.ray",
    "coderm_evalplus.generate.builtin",
    "coderm_evalplus.extract",
    "coderm_evalplus.harness.evalplus.harness",
    "coderm_evalplus.harness.evalplus.cli.commands",
    "coderm_evalplus.harness.livecodebench.harness",
    "coderm_evalplus.harness.livecodebench.cli",
    "coderm_evalplus.cli.commands",
    "coderm_evalplus.cli.report",
    "coderm_evalplus.docker_image",
    "coderm_evalplus.cli.regress",
    "coderm_evalplus.scaling.driver",
)

pm = pluggy.PluginManager("coderm_evalplus")
pm.add_hookspecs(hookspecs)

TRACE_ENV = "CODERM_TRACE_HOOKS"


def _short(value: Any, limit: int = 120) -> str:
    if callable(value) and hasattr(value, "__name__"):
        return f"<{value.__name__}>"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def trace_hooks(stream: TextIO | None = None) -> Callable[[], None]:
    """Print each hook call on ``stream`` (default: stderr, looked up per call); return
    a function that stops the tracing.  One line before the call (hook, arguments, the
    implementations in call order) and one after (result or exception)."""

    def out(line: str) -> None:
        print(line, file=stream if stream is not None else sys.stderr, flush=True)

    def before(hook_name: str, impls: Sequence[pluggy.HookImpl],
               kwargs: Mapping[str, Any]) -> None:
        args = ", ".join(f"{k}={_short(v, 60)}" for k, v in kwargs.items())
        # pluggy calls the implementations last-registered first
        names = ", ".join(impl.plugin_name for impl in reversed(impls)) or "none"
        out(f"[hook] {hook_name}({args}) -> {names}")

    def after(outcome: pluggy.Result[Any], hook_name: str, impls: Sequence[pluggy.HookImpl],
              kwargs: Mapping[str, Any]) -> None:
        exc = outcome.exception
        if exc is not None:
            result = f"raised {type(exc).__name__}: {exc}"
        else:
            value = outcome.get_result()
            result = "done" if value in (None, []) else f"returned {_short(value)}"
        out(f"[hook] {hook_name} {result}")

    return pm.add_hookcall_monitoring(before, after)


if os.environ.get(TRACE_ENV, "") not in ("", "0"):
    trace_hooks()

_loaded = False


def load_plugins() -> pluggy.PluginManager:
    """Register built-ins and entry-point plugins once; return the manager."""
    global _loaded
    if _loaded:
        return pm
    _loaded = True
    allowed = os.environ.get("CODERM_EVALPLUS_LOAD_PLUGINS")
    if allowed is None:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    else:
        wanted = {n.strip() for n in allowed.split(",") if n.strip()}
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in wanted and pm.get_plugin(ep.name) is None:
                pm.register(ep.load(), name=ep.name)
    for modname in DEFAULT_PLUGINS:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:  # a built-in not yet present in this build
            if exc.name == modname:
                continue
            raise
        if pm.get_plugin(modname) is None:
            pm.register(mod, name=modname)
    return pm


def _registry(hook_name: str) -> dict[str, Callable[..., Any]]:
    load_plugins()
    found: dict[str, Callable[..., Any]] = {}

    def register(name: str, factory: Callable[..., Any]) -> None:
        found[name] = factory

    # Built-ins register first, external plugins last, so a plugin can replace a
    # built-in by registering the same name.
    impls = sorted(getattr(pm.hook, hook_name).get_hookimpls(),
                   key=lambda impl: impl.plugin_name not in DEFAULT_PLUGINS)
    plugins = pm.get_plugins()
    for impl in impls:
        # one plugin at a time, in this order, yet through pluggy's call path, so that
        # hook-call monitoring (CODERM_TRACE_HOOKS) sees registry hooks too
        others = [p for p in plugins if p is not impl.plugin]
        pm.subset_hook_caller(hook_name, remove_plugins=others)(register=register)
    return found


def selectors() -> dict[str, Callable[..., Any]]:
    """Name -> factory of every registered selector."""
    return _registry("register_selectors")


def sandboxes() -> dict[str, Callable[..., Any]]:
    """Name -> factory of every registered sandbox (executor)."""
    return _registry("register_sandboxes")


def test_generators() -> dict[str, Callable[..., Any]]:
    """Name -> factory of every registered test generator backend."""
    return _registry("register_test_generators")


def harnesses() -> dict[str, Callable[..., Any]]:
    """Name -> factory of every registered harness."""
    return _registry("register_harnesses")


def scaling_modes() -> dict[str, Callable[..., Any]]:
    """Name -> run function of every registered scaling mode (``fixed`` is the pipeline's)."""
    return _registry("register_scaling_modes")


def _lookup(kind: str, table: dict[str, Callable[..., Any]], name: str) -> Callable[..., Any]:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table)) or "none"
        raise UsageError(f"unknown {kind} {name!r} (registered: {known})") from None


def get_selector(name: str, **options: Any) -> Any:
    return _lookup("selector", selectors(), name)(**options)


def get_sandbox(name: str, **options: Any) -> Any:
    return _lookup("sandbox", sandboxes(), name)(**options)


def get_test_generator(spec: str, **options: Any) -> Any:
    """``spec`` is ``name`` or ``name:target`` (e.g. ``openai:http://127.0.0.1:8000/v1``)."""
    name, _, target = spec.partition(":")
    return _lookup("test generator", test_generators(), name)(target or None, **options)


def get_harness(name: str, **options: Any) -> Any:
    """A new harness by its registered name (``factory(**options)``)."""
    return _lookup("harness", harnesses(), name)(**options)
