"""The start-up hook that gives ``evalplus.evaluate`` a ``--selector`` flag.

evalplus 0.3.1 has no plugin mechanism and its ``fire`` CLI rejects unknown flags, so
we attach from outside: the wheel puts ``coderm_evalplus_hook.pth`` (package data of
this package, copied to the wheel's root by ``hooks/build_pth.py``) in site-packages.  Its
single line imports this module only when the command line holds ``--selector`` (or
``-h`` / ``--help``), inside a ``try`` (a broken hook never breaks Python start-up).
:func:`activate` then checks that the program really is ``evalplus.evaluate`` (the
console script, or ``python -m evalplus.evaluate``) and wraps ``fire.Fire`` as soon as
``fire`` is imported.  The wrapper:

1. takes our options (``--selector``, ``--tests``, ``--generator``, ``--num-tests``,
   ``--sandbox`` and the other run options of ``coderm-evalplus``) out of the arguments;
2. runs the selection stage on ``--samples`` (labels from evalplus's grader, run on all
   candidates in a child process);
3. writes the picks to ``<samples stem>.coderm-<selector>.jsonl`` and hands them to
   evalplus's own ``evaluate`` *with the user's other flags*, so evalplus itself prints
   the base and plus pass@1 of the picks (the best-of-N score) and writes its usual
   result file for them;
4. writes our report (vanilla vs selected, per-task picks) to
   ``<samples stem>.coderm-<selector>/report.json``.

The run itself is :mod:`.selector_flag`, imported only when evalplus's ``evaluate``
starts: this module imports nothing but the standard library, because the .pth imports
it at every start of Python with one of those flags.  Without ``--selector`` nothing of
ours is imported and evalplus runs as before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import sysconfig
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

PTH_NAME = "coderm_evalplus_hook.pth"
PROGRAM = "evalplus.evaluate"

_active = False


def pth_text() -> str:
    """The .pth line, as shipped (package data next to this module)."""
    return resources.files(__package__).joinpath(PTH_NAME).read_text(encoding="utf-8")


# ------------------------------------------------------------------ detection

def is_evalplus_evaluate(argv: Sequence[str] | None = None,
                         orig_argv: Sequence[str] | None = None) -> bool:
    """True when this process is ``evalplus.evaluate``: its console script
    (``argv[0]`` is ``.../evalplus.evaluate``), ``python -m evalplus.evaluate`` (while
    site runs, ``argv[0]`` is ``-m`` and ``orig_argv`` names the module) or
    ``python .../evalplus/evaluate.py``."""
    argv = list(sys.argv if argv is None else argv)
    orig = list(getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv)
    if not argv:
        return False
    first = argv[0]
    if os.path.basename(first) in (PROGRAM, PROGRAM + ".exe", PROGRAM + "-script.py"):
        return True
    if first == "-m":
        return any(a == "-m" and b == PROGRAM for a, b in zip(orig, orig[1:]))
    return first.replace(os.sep, "/").endswith("evalplus/evaluate.py")


def activate() -> None:
    """Called from the .pth line: wrap ``fire.Fire`` once ``fire`` is imported."""
    global _active
    if _active or not is_evalplus_evaluate():
        return
    _active = True
    if "fire" in sys.modules:
        _patch_fire(sys.modules["fire"])
    else:
        sys.meta_path.insert(0, _FireFinder())


class _FireFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for ``fire`` it wraps the real loader so that, once the
    module has run, its ``Fire`` is ours (evalplus does ``from fire import Fire`` at
    call time, so patching the attribute is enough)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "fire":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            _patch_fire(module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def _patch_fire(module: Any) -> None:
    original = module.Fire
    if getattr(original, "_coderm_wrapped", False):
        return

    def Fire(component: Any = None, command: Any = None, name: Any = None, **kw: Any) -> Any:
        if getattr(component, "__name__", None) != "evaluate":
            return original(component, command, name, **kw)
        # The run's code (and with it numpy and the pipeline) loads only now, when
        # evalplus's evaluate is about to start: never at interpreter start-up.
        from . import selector_flag

        return selector_flag.fire_evaluate(original, component, command, name, kw)

    Fire._coderm_wrapped = True  # type: ignore[attr-defined]
    module.Fire = Fire
    if hasattr(module, "core"):
        module.core.Fire = Fire


# ------------------------------------------------------------------ installing the .pth

def _site_dir(site_packages: str | os.PathLike[str] | None) -> Path:
    return Path(site_packages) if site_packages else Path(sysconfig.get_paths()["purelib"])


def install_pth(site_packages: str | os.PathLike[str] | None = None) -> Path:
    """Write the .pth (for editable installs, where the wheel's copy is not installed)."""
    path = _site_dir(site_packages) / PTH_NAME
    path.write_text(pth_text(), encoding="utf-8")
    return path


def uninstall_pth(site_packages: str | os.PathLike[str] | None = None) -> Path | None:
    path = _site_dir(site_packages) / PTH_NAME
    if path.exists():
        path.unlink()
        return path
    return None


def installed_pth(site_packages: str | os.PathLike[str] | None = None) -> Path | None:
    path = _site_dir(site_packages) / PTH_NAME
    return path if path.exists() else None
