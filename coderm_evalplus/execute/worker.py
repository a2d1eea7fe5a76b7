"""The one runner of (candidate, test) pairs: a small fork server, stdlib only.

It runs as ``python -I worker.py`` on the host (local executor), inside a container
(Docker sandbox) and inside Ray workers, so it imports nothing from the package.

Protocol (JSON lines).  stdin carries batches::

    {"id": 7, "program": "...", "tests": [{"source": "...", "kind": "unittest",
     "class_name": "TestX"}, ...], "limits": {"time_limit": 1.0, "memory_mb": 4096,
     "max_output_bytes": 8388608, "max_processes": 64}}

stdout carries one line when the server is up (``{"ready": true, "isolation": {...}}``),
then one line per batch, ``{"id": 7, "v": [0, 1, 3], "done": true, "t": 1, "r": 0}``: the
Verdict value of each test in order, how many TIMEOUTs were inferred without a run, and
how many runner processes the server forked meanwhile.  (Batches are small, so this still streams; a line per pair cost
more than running most pairs.)

Semantics: every pair's verdict is what running *candidate program, then the test* in a
fresh interpreter under the limits would give.  Speed comes from not paying for a fresh
interpreter per pair:

* the server imports what tests need once and ``fork()`` s a child per batch; the child
  runs the batch's tests one after the other, each in a **fresh namespace** with the
  candidate program executed again, so candidate globals never leak between pairs;
* after each test the child checks, in about a microsecond, that nothing shared changed
  (builtins count, recursion limit, stdio objects, tracing, threads, cwd, files in the
  work dir).  A test or program whose source *could* change shared state in ways that
  check cannot see (attribute stores on anything but ``self``, ``builtins``, ``sys``,
  ``os``, ``gc``, ``signal``, ``setattr``, ``exec``, a module's dict handed to a helper
  or bound to a local name...) is flagged statically.  Either way the child reports that test and
  exits; the server forks a fresh child for the remaining tests.  Isolation is paid only
  where a test misbehaves;
* time limits are enforced by the server, never by the pair itself (alarms can be
  swallowed by C calls or ``except BaseException`` loops): when a pair's budget runs out
  it is a TIMEOUT, and the server *cuts* it - a signal raises an exception inside the
  pair and the runner goes on with the next test, as EvalPlus's grader does after a
  timed-out input - or, if the pair does not unwind within 20 ms (or was cut while it
  imported something), kills the runner (``SIGKILL``) and starts its spare.  A hanging
  pair costs one limit, never more (see *Time-limit policy* below); a candidate whose
  program alone hangs, crashes or raises is detected once by a probe run and every pair
  gets that verdict without waiting once per test; and once ``assert f(<literals>) ==
  <literal>`` timed out, every other test of the same candidate making the same first
  call is a TIMEOUT without a wait (only for programs that repeat themselves:
  :func:`hang_key` says why that is exact);
* a runner reports each pair through memory it shares with its server (a verdict slot
  per test and a header naming the pair that runs and since when), not through a pipe
  write that would wake the server once per pair; the server wakes when a deadline is
  due or the runner ends its message.  A runner can forge its own batch's slots only as
  it could forge pipe records: with code flagged by :func:`may_touch_shared_state`.

Time-limit policy (:data:`TIMEOUT_POLICY`; why verdicts do not depend on the machine's
load): a pair is a TIMEOUT only once it used ``time_limit`` seconds of CPU (the runner's
thread and every process the pair started, :meth:`Sandbox.pair_processes_cpu`) - default 1 s,
the paper's, whose executor gave each test (for CodeRM, each unittest class: one column of
the matrix) a 1 s alarm.  CPU time, because it hardly moves with load while wall time
does.  No shorter screening limit ever records a TIMEOUT: a pair that ends early is decided
early, and one still running at any earlier point simply runs on to the limit - the
cheapest confirmation there is, since screening-then-confirming pays the screen on top of
every confirmed pair and could skip a confirmation only by leaving a verdict unknown, and
a verdict decided by a short limit changes with load (issue 24: at 0.05 s, 733 of 459,000
CodeT pairs moved between a quiet and a loaded run).  Waits are spared only where that is
exact: the probe (a program that alone exceeds the limit gives every pair that verdict),
:func:`hang_key` inference from a timeout at the full limit, cut-and-go-on (the runner
survives a timed-out pair), and hang proofs.  A hang proof (:class:`HangWatch`): a pair of
a deterministic program and test (:func:`hang_provable`) still running after 5 % of its
limit in CPU is traced for at most 3 % more; at each ``while`` loop head where a candidate
or test frame's value stack holds nothing but ``for`` iterators, which move only at ``for``
headers where the watch forgets the frame's states (:func:`_loop_lines`), its whole state - its
position, its locals and the module globals, plain values only (:func:`_state`), sharing
included, and the output written so far - goes through Brent's cycle detection.  The
same state twice in a frame that has not returned in between means the frame repeats
itself forever, so the pair is a TIMEOUT now, as it would be after the full limit (not if
the program or test may print: :data:`_OUTPUT_WORDS`; nor unless the heap is clean:
:meth:`HangWatch._clean_heap`); so do two states one or two passes apart that differ only in int
locals that the pass between them uses only where a further value (or the same remainder)
changes nothing, or only adds to and never reads, and in local lists it only appends to
and local strings it only concatenates onto, which nothing else reads
(:func:`_ints_only_move`) - whose growth must fit the memory limit for a whole time limit
more (:meth:`HangWatch._judge_growth`), else the real run decides.  Otherwise the trace
goes and the pair
runs on; the window's CPU is not charged, and a pair that was traced and then ends (or
that tracing may have disturbed: a RecursionError or MemoryError while traced) is run
again untraced for its verdict - only proofs and untraced runs decide (one that used its
whole budget and was cut is not: it is a TIMEOUT already).  Wall clock: a pair that sleeps or waits (state S) is cut after
``time_limit`` of wall time; a working one (R, or D: the kernel works for it) gets its
whole CPU budget, up to :func:`wall_backstop` (30 x limit + 10 s), which load does not
reach.  The verdict cache keys verdicts by this policy too.

Containment per child: its own session/process group, address-space, file-size,
process-count and core rlimits, stdin from /dev/null, stdout/stderr to a capped file in a
private work dir that is the cwd, a scrubbed environment.  As root the server also moves
itself into a new, empty network namespace (no network for any child) and each child drops
to a dedicated unprivileged uid (so it cannot read root's files, signal the server, write
outside its work dir, or escape the process-count limit); after each child every process
of that uid is killed.  Without root these two are best effort and reported in the
``ready`` line's ``isolation``.
"""

from __future__ import annotations

import ast
import copy
import ctypes
import ctypes.util
import gc
import io
import json
import math
import mmap
import os
import pickle
import random
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import types
import unittest
from collections.abc import Callable
from typing import Any, NamedTuple

PASS, FAIL, ERROR, TIMEOUT, CRASH = 0, 1, 2, 3, 4

# child -> server pipe records: (index, code) packed "<ib"; per-pair progress and CPU
# marks go through shared memory instead (see _HDR)
_REC = struct.Struct("<ib")
_REC_LEN = struct.Struct("<I")  # server -> runner: length of the pickled batch message
_PROBE = -1  # code = verdict of running the program alone (PASS = ran fine)
_TAINT = -2  # the runner will exit; fork a fresh one for the remaining tests
_BATCH_END = -3  # the runner finished the message and waits for the next one
_READY = -4  # a fresh runner finished its set-up (sent once, before its first message)
_READY_TIMEOUT = 10.0  # seconds a fresh runner may take to set itself up
# Per-pair progress goes through memory shared by server and runner, not the pipe: a
# write per pair woke the server once per pair (~13 us of server CPU each, as much as a
# cheap pair costs to run).  The runner stores each verdict in its slot and, before each
# pair, a header saying which pair runs since when; the server looks when a deadline is
# due or the runner writes to the pipe (probe result, end of message, taint).
_HDR = struct.Struct("<idd")  # (position running, its start: monotonic s, thread CPU s)
_SLOTS_AT = 64  # verdict slots start here; a slot is one byte, _UNSET until written
_SLOTS = 4096  # positions per runner message (a longer batch goes in several messages)
_UNSET = 0xFF
_IDLE = -9  # header position the server writes before a message: nothing started yet
_CUT = struct.Struct("<i")  # at _CUT_AT: the position the server asks the runner to cut
_CUT_AT = 32
_CUT_SIGNAL = signal.SIGUSR1
_CUT_GRACE = 0.02  # seconds a cut pair has to unwind before its runner is killed
_GO = b"G"  # server -> spare runner: the previous runner is dead, enter the sandbox


class _Cut(BaseException):
    """Raised in a runner by the server's cut signal inside the pair that timed out."""


# The child's own bookkeeping must not depend on builtins a test may have replaced.
_len, _sorted, _list, _dict, _range, _isinstance = len, sorted, list, dict, range, isinstance
_exec, _issubclass, _type, _int, _float = exec, issubclass, type, int, float
_tuple = tuple
_WORKER_FILE = __file__
_thread_time = time.thread_time
_monotonic = time.monotonic
_random_seed = random.seed  # bound to the module's generator before any pair could replace it
_RNG_SEED = 0


def _uses_rng(source: str) -> bool:
    """Does this source possibly draw from a global random generator (``random``,
    ``numpy.random``)?  A substring test: cheap, and a false yes only costs a reseed."""
    return "random" in source


def _seed_rngs() -> None:
    """Seed the process-wide generators a pair may draw from, before the pair runs.

    A fresh interpreter seeds ``random`` (and numpy its global generator) from the OS, so
    a candidate that draws random numbers (HumanEval/39's samples call
    ``random.randint``) would get a different verdict on every run - the same inputs
    must give the same verdicts.  Any fixed seed is one a fresh interpreter could have
    drawn, so the semantics stay "a fresh interpreter per pair", made reproducible; the
    same seed before every pair also keeps one pair's draws from moving the next one's.
    ``numpy.random`` is seeded when it is loaded (the server imports it with numpy, see
    ``Server._warm``).  ``torch`` and others are not seeded (not checked).
    """
    _random_seed(_RNG_SEED)
    nprandom = sys.modules.get("numpy.random")
    if nprandom is not None:
        try:
            nprandom.seed(_RNG_SEED)
        except BaseException:  # a broken or replaced numpy: the pair will see it itself
            pass

_PROTOCOL_VERSION = 1

def _importable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# torch only where it is installed: its cold import (~1 s of CPU) decided verdicts of
# candidates that import it (see _WARM_MODULES); the policy name says whether it is warm.
_WARM_TORCH = ("torch",) if _importable("torch") else ()

TIMEOUT_POLICY = "cpu-budget/4: TIMEOUT at time_limit s of CPU of the pair's processes " \
    "(runner R/D), wall for S, " \
    "backstop 30L+10s, no screening limit, hang proofs: repeated whole state " \
    "(watch at 5% of the limit for 3%, uncharged), uncharged imports: numpy pandas " \
    "matplotlib scipy sklearn seaborn" + "".join(" " + m for m in _WARM_TORCH)
"""The time-limit rule in force (see the module docstring); part of every verdict-cache
key, so verdicts judged under an older rule are never replayed."""

# Names whose mere use means a test or program may change process-wide state that the
# runtime checks in _Baseline cannot see (module attributes, interpreter settings).
_SUSPICIOUS_NAMES = frozenset({
    "__builtins__", "gc", "ctypes", "signal", "threading", "_thread",
    "multiprocessing", "subprocess", "importlib", "setattr", "delattr", "globals", "vars",
    "exec", "eval", "compile", "__import__", "mock", "monkeypatch", "atexit", "faulthandler",
    "resource", "asyncio", "concurrent", "locale", "warnings", "logging", "socket",
    "copyreg", "weakref", "inspect", "pty", "posix", "mmap",
})
# ``sys`` and ``os`` are everywhere in competitive-programming code (LiveCodeBench's own
# grader header does ``import sys`` / ``from sys import *``): their read-only or
# runtime-checked parts are allowed, anything else counts.
_SAFE_MODULE_ATTRS = {
    "sys": frozenset({
        "stdin", "stdout", "stderr", "maxsize", "exit", "argv", "version", "version_info",
        "float_info", "int_info", "getrecursionlimit", "setrecursionlimit", "getsizeof",
        "byteorder", "platform", "hexversion", "maxunicode", "get_int_max_str_digits",
        "set_int_max_str_digits", "float_repr_style", "implementation", "intern",
        "exc_info", "getdefaultencoding", "flags", "exception",
    }),
    "os": frozenset({
        "path", "linesep", "sep", "getcwd", "cpu_count", "getpid", "urandom", "name",
        "devnull", "SEEK_SET", "SEEK_CUR", "SEEK_END", "getenv", "read", "write", "fstat",
        "isatty", "stat", "listdir", "get_terminal_size",
    }),
}
# Names a star import of sys / os / random binds that change process-wide state.
_STAR_BOUND_MUTATORS = frozenset({
    "modules", "path", "meta_path", "path_hooks", "path_importer_cache", "settrace",
    "setprofile", "setswitchinterval", "displayhook", "excepthook", "environ", "putenv",
    "unsetenv", "chdir", "fork", "kill", "killpg", "system", "seed", "setstate", "remove",
    "unlink", "rename", "mkdir", "rmdir", "chmod", "umask", "dup2", "close",
})
# Attribute names that change interpreter or OS state when called or stored.
_SUSPICIOUS_ATTRS = frozenset({
    "setswitchinterval", "settrace", "setprofile", "environ", "putenv",
    "seterr", "seterrcall", "set_printoptions", "setbufsize",  # numpy's process-wide state
    "chdir", "fork", "kill", "killpg", "seed", "setstate", "getcontext", "setcontext",
    "modules", "patch", "__class__", "__dict__", "__globals__", "__code__", "__defaults__",
    "__kwdefaults__", "__builtins__", "__subclasses__", "__setattr__", "__bases__",
    "__all__", "__mro__", "__closure__", "__delattr__", "__path__", "__spec__", "__loader__",
    # on any receiver: an ABC handed over as a parameter (``c.register(dict)``), a stdio
    # stream (which the escape analysis treats as inert)
    "register", "reconfigure", "detach",
})
# In-place mutators: called on an object reached from an imported module they change
# that module's state for every later pair (``collections.abc.__all__.append(...)``).
_MUTATOR_METHODS = frozenset({
    "append", "extend", "insert", "remove", "pop", "popitem", "clear", "update",
    "setdefault", "add", "discard", "sort", "reverse", "appendleft", "extendleft",
    "__setitem__", "__delitem__", "__iadd__", "register",
})


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _imported_names(nodes: list[ast.AST]) -> set[str]:
    names = set()
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return names


def _syntax_tree(source: str | ast.Module) -> ast.Module | None:
    """``source`` parsed (or already a tree); None when it does not parse."""
    if isinstance(source, ast.Module):
        return source
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _nodes(source: str | ast.Module | list) -> list[ast.AST] | None:
    """Every node of ``source`` (a list of nodes passes through), or None when it does not
    parse.  The static checks share one walk per source: walking costs more than they do."""
    if isinstance(source, list):
        return source
    tree = _syntax_tree(source)
    return None if tree is None else list(ast.walk(tree))


def may_touch_shared_state(source: str | ast.Module | list) -> bool:
    """Conservative static check: could running ``source`` change state that outlives it?

    Stores to attributes of anything but ``self``/``cls``, item stores through an
    attribute or an imported name, in-place mutator calls on objects reached from an
    imported name, private (``_x``) attributes of other objects, and every name in
    :data:`_SUSPICIOUS_NAMES` / attribute in :data:`_SUSPICIOUS_ATTRS` count; and so
    does a mutable object reachable from an imported module that is changed through an
    alias or escapes into code the check cannot follow - a call's argument, above all,
    since the helper that mutates its parameter may be defined in the pair's other source
    (:func:`_shared_value_escapes` says why and how).  A false positive only costs a
    fork; a false negative is caught by the runtime checks for everything those cover,
    and is a wrong verdict for the rest (the next pair in the runner sees the change).
    """
    return shared_state_facts(source).touches


class SharedState(NamedTuple):
    """What :func:`shared_state_facts` says of one source."""

    touches: bool  # may change state that outlives the pair
    assumes: frozenset[str]  # free names it took for the loaded module of that name
    rebinds: frozenset[str]  # names it imports as something such a free use would not be


_UNTOUCHED = SharedState(False, frozenset(), frozenset())
_TOUCHES = SharedState(True, frozenset(), frozenset())


def shared_state_facts(source: str | ast.Module | list) -> SharedState:
    """:func:`may_touch_shared_state`'s answer, and what a pair of sources must agree on
    for it to hold for the pair (see :func:`pair_touches_shared_state`)."""
    nodes = _nodes(source)
    if nodes is None:
        return _UNTOUCHED  # it cannot run, so it cannot touch anything
    if _touches_by_name(nodes):
        return _TOUCHES
    try:
        return _shared_value_escapes(nodes)
    except RecursionError:  # nested too deep to follow: assume the worst
        return _TOUCHES


def pair_touches_shared_state(program: SharedState, test: SharedState) -> bool:
    """May the pair of these two sources (one namespace: the test runs after the
    program, each reads the other's globals) change state that outlives it?  Each source
    was checked alone, reading the other's globals as free names: a free name of a loaded
    module's name was taken for that module - wrongly if the other source's import binds
    that name to something else."""
    return program.touches or test.touches or \
        not program.assumes.isdisjoint(test.rebinds) or \
        not test.assumes.isdisjoint(program.rebinds)


def _touches_by_name(nodes: list[ast.AST]) -> bool:
    """The checks by name of :func:`may_touch_shared_state` (all but the escapes)."""
    imported = _imported_names(nodes)
    guarded: dict[str, frozenset[str]] = {}  # local name of sys / os -> allowed attributes
    star_mutators = False
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in _SAFE_MODULE_ATTRS:
                    guarded[alias.asname or alias.name] = _SAFE_MODULE_ATTRS[alias.name]
        elif isinstance(node, ast.ImportFrom) and node.module in _SAFE_MODULE_ATTRS:
            for alias in node.names:
                if alias.name == "*":
                    star_mutators = True
                elif alias.name not in _SAFE_MODULE_ATTRS[node.module]:
                    return True
        elif isinstance(node, ast.ImportFrom) and node.module == "random" and \
                any(a.name == "*" for a in node.names):
            star_mutators = True
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in _SUSPICIOUS_NAMES:
            return True
        if star_mutators and isinstance(node, ast.Name) and node.id in _STAR_BOUND_MUTATORS:
            return True
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id in guarded and node.attr not in guarded[node.value.id]:
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            # item stores into something reached through an attribute or an imported name
            # (``copy._deepcopy_dispatch[int] = ...``)
            if isinstance(node.value, ast.Attribute) and _root_name(node) not in ("self", "cls"):
                return True
            if _root_name(node) in imported:
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _MUTATOR_METHODS and _root_name(node.func) in imported:
            return True
        if isinstance(node, ast.Attribute):
            if node.attr in _SUSPICIOUS_ATTRS:
                return True
            if node.attr.startswith("_") and not node.attr.startswith("__") \
                    and _root_name(node) not in ("self", "cls"):
                return True  # another object's private state (caches, dispatch tables)
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                root = node.value
                while isinstance(root, (ast.Attribute, ast.Subscript)):
                    root = root.value
                if not (isinstance(root, ast.Name) and root.id in ("self", "cls")):
                    return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name.split(".")[0] in _SUSPICIOUS_NAMES:
                    return True
                if isinstance(node, ast.Import) and alias.name.split(".")[0] in \
                        _SAFE_MODULE_ATTRS and "." in alias.name:
                    return True  # ``import os.path`` binds ``os`` without an alias check
                if isinstance(node, ast.ImportFrom) and alias.name.startswith("_"):
                    return True  # ``from re import _cache``
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.split(".")[0] in _SUSPICIOUS_NAMES:
                return True
    return False


# --------------------------------------------------------------------------- escapes
# What follows decides the one class of shared state :func:`may_touch_shared_state`
# tracks through names: a mutable object reachable from an imported module (a module
# itself, ``copy.dispatch_table``, ``sys.argv``) changed through an alias or a parameter
# (``t = copy.dispatch_table; t[k] = v``, ``put(copy.dispatch_table, k, v)``).

_TAINT_ROUNDS = 32  # passes over a source's bindings before the analysis gives up
_UNRESOLVED = object()  # a value the analysis cannot name: may be shared and mutable
_LOCAL = object()  # a value the pair made itself (a call's result, a literal, a local)
_INERT = object()  # a value that cannot be changed but through flagged names (an int)
# Methods whose result may be a part of their receiver (``d.get(k)`` is d's value).
_ACCESSORS = frozenset({
    "get", "pop", "popitem", "setdefault", "values", "items", "keys", "copy", "popleft",
    "__getitem__", "__getattribute__", "__getattr__", "__iter__", "__next__",
    "__reversed__", "__self__",
})
_INERT_TYPES = (int, float, complex, str, bytes, bool, type(None), range, slice,
                type(...), type(NotImplemented), type, types.FunctionType,
                types.MethodDescriptorType, types.WrapperDescriptorType,
                types.ClassMethodDescriptorType, types.GetSetDescriptorType,
                types.MemberDescriptorType, classmethod, staticmethod, property, io.IOBase)


def _inert(obj, depth: int = 3) -> bool:
    """Can ``obj`` - found in a module by :func:`_static_attr` - only change through
    what :func:`may_touch_shared_state` flags by name (an attribute store, ``__dict__``,
    ``setattr``, ``register``)?  Scalars, classes, functions, builtin functions of a
    module, typing's objects, tuples of such; and the stdio streams, whose state a pair
    can change only by closing them (checked at run time, :class:`_Baseline`) or through
    flagged attributes (``reconfigure``, ``detach``).  Containers, modules, bound
    methods of other objects are not."""
    if obj is _INERT or obj is _LOCAL:
        return True
    if obj is _UNRESOLVED:
        return False
    if isinstance(obj, _INERT_TYPES):
        return True
    kind = type(obj)
    if kind is types.BuiltinFunctionType:  # bound to its module or class, or an object
        owner = getattr(obj, "__self__", None)
        return owner is None or isinstance(owner, (types.ModuleType, type))
    if kind.__module__ == "typing":
        return True
    if isinstance(obj, (tuple, frozenset)) and depth and _len(obj) <= 64:
        return all(_inert(x, depth - 1) for x in obj)
    return False


def _static_attr(obj, name: str):
    """``obj.name`` looked up without running code - a module's dict, a class's MRO
    dicts, never ``getattr`` (a module ``__getattr__`` or a property could import or
    print in the server) - or _UNRESOLVED."""
    if obj is _INERT or (obj is not _UNRESOLVED and _inert(obj) and not isinstance(obj, type)
                         and not isinstance(obj, types.FunctionType)):
        return _INERT  # attributes of scalars, streams: methods and scalars
    if isinstance(obj, types.ModuleType):
        found = obj.__dict__.get(name, _UNRESOLVED)
        if found is _UNRESOLVED:  # a submodule not bound yet: ``os.path`` is bound
            found = sys.modules.get(f"{obj.__dict__.get('__name__')}.{name}", _UNRESOLVED)
        return found
    if isinstance(obj, type):
        for klass in type.__dict__["__mro__"].__get__(obj):
            found = type.__dict__["__dict__"].__get__(klass).get(name, _UNRESOLVED)
            if found is not _UNRESOLVED:
                return found
    return _UNRESOLVED


def _imported_values(nodes: list[ast.AST]
                     ) -> tuple[dict[str, object], set[str], bool, set[str]]:
    """Names the source's imports bind -> what they name in this process (modules this
    server has loaded; _UNRESOLVED otherwise: nothing is imported here), the names bound
    by star imports, whether a star import of an unloaded module binds names unseen, and
    the local names of imported modules."""
    values: dict[str, object] = {}
    starred: set[str] = set()
    modules: set[str] = set()
    unseen = False
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    values[alias.asname] = sys.modules.get(alias.name, _UNRESOLVED)
                    modules.add(alias.asname)
                else:
                    root = alias.name.split(".")[0]
                    values[root] = sys.modules.get(root, _UNRESOLVED)
                    modules.add(root)
        elif isinstance(node, ast.ImportFrom):
            module = sys.modules.get(node.module or "", _UNRESOLVED) if not node.level \
                else _UNRESOLVED
            for alias in node.names:
                if alias.name != "*":
                    values[alias.asname or alias.name] = \
                        _UNRESOLVED if module is _UNRESOLVED else _static_attr(module,
                                                                               alias.name)
                elif module is _UNRESOLVED:
                    unseen = True
                else:
                    public = module.__dict__.get("__all__")
                    if not isinstance(public, (list, tuple)):
                        public = [k for k in module.__dict__ if not k.startswith("_")]
                    for name in public:
                        if isinstance(name, str):
                            values[name] = module.__dict__.get(name, _UNRESOLVED)
                            starred.add(name)
    return values, starred, unseen, modules


def _deep_inert(value) -> bool:
    """:func:`_inert`, and for a class every attribute its own (non-builtin) classes
    define too: another source holding the class by a free name reaches them all."""
    if not _inert(value):
        return False
    if isinstance(value, type):
        for klass in type.__dict__["__mro__"].__get__(value):
            if type.__dict__["__module__"].__get__(klass) == "builtins":
                continue
            if not all(_inert(v) for v in type.__dict__["__dict__"].__get__(klass).values()):
                return False
    return True


def _rebinds(values: dict[str, object]) -> frozenset[str]:
    """Names a source's imports bind that another source, reading them as free names
    (as a plain global, a builtin or the loaded module of that name), would take for
    something they are not: a loaded module's name bound to anything but that module
    (``from datetime import datetime``), any other name bound to a value that is not
    deeply inert (``from copy import dispatch_table as T``, ``import numpy as np``)."""
    out = []
    for name, value in values.items():
        module = sys.modules.get(name)
        if value is not module if isinstance(module, types.ModuleType) \
                else not _deep_inert(value):
            out.append(name)
    return frozenset(out)


def _module_scope(root: ast.AST) -> set[int]:
    """Ids of the nodes of ``root`` evaluated in module or class scope (not in a
    function's or a lambda's body; their defaults, decorators and annotations are)."""
    out: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        out.add(id(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            stack += [*node.decorator_list, *args.defaults,
                      *(d for d in args.kw_defaults if d is not None)]
            stack += [a.annotation for a in (*args.posonlyargs, *args.args,
                                             *args.kwonlyargs, args.vararg, args.kwarg)
                      if a is not None and a.annotation is not None]
            if node.returns is not None:
                stack.append(node.returns)
        elif isinstance(node, ast.Lambda):
            stack += [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
        else:
            stack += ast.iter_child_nodes(node)
    return out


def _bound_names(nodes: list[ast.AST]) -> set[str]:
    """Every name the source binds anywhere (any scope)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, _MATCH_CAPTURES) and node.name:
            names.add(node.name)
        elif isinstance(node, _MATCH_MAPPING) and node.rest:
            names.add(node.rest)
    return names


_MATCH_CAPTURES = tuple(getattr(ast, k) for k in ("MatchAs", "MatchStar") if hasattr(ast, k))
_MATCH_MAPPING = getattr(ast, "MatchMapping", ())


def _pattern_names(pattern: ast.AST) -> list[str]:
    return [n.name for n in ast.walk(pattern)
            if isinstance(n, _MATCH_CAPTURES) and n.name] + \
        [n.rest for n in ast.walk(pattern) if isinstance(n, _MATCH_MAPPING) and n.rest]


def _shared_value_escapes(nodes: list[ast.AST]) -> SharedState:
    """Does a module-reachable mutable value get changed through, or escape into, code
    this check cannot follow?

    Why this rule: a runner is reused after a pair this check passes, so anything the
    pair changed in a module (which outlives the pair: ``sys.modules`` holds it) reaches
    the next pair.  The direct forms (``copy.dispatch_table[k] = v``) are caught by name
    in :func:`may_touch_shared_state`; an alias or a parameter hides the module from
    them (``put(copy.dispatch_table, k, v)`` with ``def put(d, k, v): d[k] = v`` -
    and ``put`` may even be defined in the other source of the pair).  So the values
    that may be such an object are tracked: a *shared* value is one named by an import
    (unless :func:`_inert`), an attribute or item of a shared value, the result of an
    accessor method of one (``.get``, ``.values``...), a container display or
    comprehension holding one, and every name or attribute name a shared value is ever
    bound to - by assignment, ``for``, ``with``, walrus, ``match`` - anywhere in the
    source (flow- and scope-insensitive: conservative).  A shared value may be read,
    iterated, indexed and have its own non-mutating methods called; the source is
    flagged when it is stored into or deleted from, has a mutator method looked up
    (:data:`_MUTATOR_METHODS`, called or not), is the target of an augmented assignment,
    or *escapes*: is passed to any call (user code, or a stdlib function such as
    ``operator.setitem``, may mutate an argument; builtins are no exception, the other
    source may rebind ``len``), returned, yielded, used as a default, or used as an
    operand of an operator or an index (which may call a user ``__eq__``/``__add__``/
    ``__getitem__`` with it), or bound where the pair's other source can reach it: a
    global, a class attribute, any object's attribute or container's item.  The two
    sources share one namespace but are checked one at a time (each source once per
    run, not once per pair), so each reads the other's globals as free names: a global
    the other assigns is fresh in every pair (a shared value assigned there escapes, as
    just said); one it imports may be shared, so each source also reports the names it
    reads free (``assumes``: taken for the loaded module of that name, else fresh) and
    the names it imports as something else (``rebinds``, :func:`_rebinds`), and a pair
    whose two meet is unsafe (:func:`pair_touches_shared_state`).  Calls of module-level
    functions and classes are assumed to
    return fresh values (``copy.copy(x)``, ``collections.Counter(s)``): that keeps
    ordinary candidates unflagged.  Remaining gaps (not checked by any test): a module
    function that returns module state (``sysconfig.get_config_vars()``) or a method
    outside :data:`_ACCESSORS` that returns a part of its receiver, and inherited
    mutable class attributes changed through ``self`` in a subclass of a module class.
    """
    values, starred, unseen, modules = _imported_values(nodes)
    rebinds = _rebinds(values)
    bound = _bound_names(nodes)
    for name in starred & bound:  # a star-bound name the source binds itself: its own
        values.pop(name, None)
    # free names: the other source's globals, builtins, or what a star import we cannot
    # see binds.  A global the other source assigns is made afresh in every pair (or it
    # is flagged there, see below), one it imports may be shared: that source's
    # ``rebinds`` say which (see pair_touches_shared_state).  So a free name is taken for
    # the loaded module of its name if there is one, else for a fresh value.
    assumes: set[str] = set()
    for node in nodes:
        if type(node) is ast.Name and node.id not in bound and node.id not in values:
            if unseen:
                values[node.id] = _UNRESOLVED
                continue
            assumes.add(node.id)
            module = sys.modules.get(node.id)
            if isinstance(module, types.ModuleType):
                values[node.id] = module
                modules.add(node.id)
    facts = SharedState(False, frozenset(assumes), rebinds)
    if all(_inert(v) for v in values.values()):
        return facts  # nothing shared and mutable is named: the common case
    module_scope = _module_scope(nodes[0])
    global_names = {name for node in nodes if type(node) is ast.Global
                    for name in node.names}
    memo: dict[int, object] | None = None  # value_of per node, once the taints are final
    tainted: set[str] = set()  # names a shared value was bound to
    tainted_attrs: set[str] = set()  # attribute names one was stored under
    accessor_aliases: set[str] = set()  # names bound to a shared value's accessor

    def value_of(e: ast.AST):
        if memo is not None:
            found = memo.get(id(e), memo)
            if found is memo:
                found = memo[id(e)] = value_at(e)
            return found
        return value_at(e)

    def value_at(e: ast.AST):
        kind = type(e)
        if kind is ast.Name:
            if e.id in tainted:
                return _UNRESOLVED
            return values.get(e.id, _LOCAL)
        if kind is ast.Attribute:
            base = value_of(e.value)
            if base is _LOCAL:
                return _UNRESOLVED if e.attr in tainted_attrs else _LOCAL
            return _static_attr(base, e.attr)
        if kind is ast.Subscript:
            base = value_of(e.value)
            if base is _LOCAL or _inert(base):
                return base if base is _LOCAL else _INERT
            return _UNRESOLVED
        if kind is ast.Starred or kind is ast.NamedExpr:
            return value_of(e.value)
        if kind is ast.Call:
            func = e.func
            if type(func) is ast.Name and func.id in accessor_aliases:
                return _UNRESOLVED
            if type(func) is ast.Attribute and func.attr in _ACCESSORS:
                base = value_of(func.value)
                if not _inert(base) and not isinstance(base, types.ModuleType) and not (
                        base is _UNRESOLVED and type(func.value) is ast.Name
                        and func.value.id in modules and func.value.id not in tainted):
                    return _UNRESOLVED
            return _LOCAL
        if kind is ast.IfExp:
            return _UNRESOLVED if shared(e.body) or shared(e.orelse) else _LOCAL
        if kind is ast.BoolOp or kind is ast.Tuple or kind is ast.List or kind is ast.Set:
            items = e.values if kind is ast.BoolOp else e.elts
            return _UNRESOLVED if any(shared(x) for x in items) else _LOCAL
        if kind is ast.Dict:
            return _UNRESOLVED if any(x is not None and shared(x) for x in e.keys) or any(
                shared(x) for x in e.values) else _LOCAL
        if kind is ast.ListComp or kind is ast.SetComp or kind is ast.GeneratorExp:
            return _UNRESOLVED if shared(e.elt) else _LOCAL
        if kind is ast.DictComp:
            return _UNRESOLVED if shared(e.key) or shared(e.value) else _LOCAL
        if kind is ast.BinOp:  # ``shared + []`` holds its items (and is flagged anyway)
            return _UNRESOLVED if shared(e.left) or shared(e.right) else _LOCAL
        return _LOCAL

    def shared(e: ast.AST) -> bool:
        return not _inert(value_of(e))

    def taint(target: ast.AST) -> bool:
        """Record that ``target`` holds a shared value; True when that is news."""
        kind = type(target)
        if kind is ast.Name:
            new = target.id not in tainted
            tainted.add(target.id)
            tainted_attrs.add(target.id)  # a class attribute, read as ``self.name``
            return new
        if kind is ast.Attribute:
            new = target.attr not in tainted_attrs
            tainted_attrs.add(target.attr)
            return new
        if kind is ast.Subscript:  # the container now holds it
            return taint(target.value)
        if kind is ast.Starred:
            return taint(target.value)
        if kind is ast.Tuple or kind is ast.List:
            return any([taint(x) for x in target.elts])
        return False

    # (target, value, value's items only, bound where the other source sees it)
    binds: list[tuple[Any, ast.AST, bool, bool]] = []
    for node in nodes:
        kind = type(node)
        seen = id(node) in module_scope  # a global or a class attribute
        if kind is ast.Assign:
            binds += [(t, node.value, False, seen) for t in node.targets]
            if type(node.value) is ast.Attribute and node.value.attr in _ACCESSORS:
                binds += [(("accessor", t), node.value, False, seen) for t in node.targets
                          if type(t) is ast.Name]
        elif kind is ast.AnnAssign or kind is ast.AugAssign or kind is ast.NamedExpr:
            if node.value is not None:
                binds.append((node.target, node.value, False, seen))
        elif kind is ast.For or kind is ast.AsyncFor:
            binds.append((node.target, node.iter, True, seen))
        elif kind is ast.comprehension:  # its own scope
            binds.append((node.target, node.iter, True, False))
        elif kind is ast.withitem:
            if node.optional_vars is not None:
                binds.append((node.optional_vars, node.context_expr, False, seen))
        elif kind is getattr(ast, "Match", None):
            for case in node.cases:
                binds += [(ast.Name(id=n, ctx=ast.Store()), node.subject, False, seen)
                          for n in _pattern_names(case.pattern)]
    changed, rounds = True, 0
    while changed:  # to a fixed point: an alias of an alias is shared too
        if rounds == _TAINT_ROUNDS:
            return _TOUCHES  # a chain of aliases this long: assume the worst, stay linear
        changed, rounds = False, rounds + 1
        for target, value, items, _ in binds:
            v = value_of(value)
            if _inert(v) or (items and isinstance(v, io.IOBase)):
                continue  # (a stream's items are strings)
            if type(target) is tuple:
                if target[1].id not in accessor_aliases:
                    accessor_aliases.add(target[1].id)
                    changed = True
            elif taint(target):
                changed = True
    memo = {}
    # a shared value bound where the other source can reach it - a global, a class
    # attribute, any object's attribute, any container's item - escapes: the other
    # source reads it as a free name or from a call's result, not as shared
    for target, value, items, seen in binds:
        if type(target) is tuple:
            continue
        reached = [n for n in ast.walk(target) if type(n) is ast.Attribute
                   or type(n) is ast.Subscript or type(n) is ast.Name and (
                       seen or n.id in global_names)]
        if reached:
            v = value_of(value)
            if not (_inert(v) or (items and isinstance(v, io.IOBase))):
                return _TOUCHES
    for node in nodes:
        kind = type(node)
        if kind is ast.Subscript:
            if not isinstance(node.ctx, ast.Load) and shared(node.value):
                return _TOUCHES  # an item stored into or deleted from it
            if shared(node.slice):
                return _TOUCHES  # an index a user ``__getitem__`` may be handed
        elif kind is ast.Attribute:
            if node.attr in _MUTATOR_METHODS or not isinstance(node.ctx, ast.Load):
                base = value_of(node.value)  # (``operator.add`` is a module's function)
                if not _inert(base) and not isinstance(base, types.ModuleType):
                    return _TOUCHES
        elif kind is ast.AugAssign:
            if shared(node.target) or shared(node.value):
                return _TOUCHES
        elif kind is ast.Call:
            if any(shared(a) for a in node.args) or any(
                    shared(k.value) for k in node.keywords):
                return _TOUCHES  # handed to code that may mutate it
        elif kind is ast.Return or kind is ast.Yield or kind is ast.YieldFrom:
            if node.value is not None and shared(node.value):
                return _TOUCHES
        elif kind is ast.Lambda:
            if shared(node.body):
                return _TOUCHES
        elif kind is ast.arguments:
            if any(d is not None and shared(d) for d in node.defaults + node.kw_defaults):
                return _TOUCHES
        elif kind is ast.BinOp:
            if shared(node.left) or shared(node.right):
                return _TOUCHES
        elif kind is ast.Compare:
            if any(shared(x) for x, op in zip(node.comparators, node.ops)
                   if not isinstance(op, (ast.Is, ast.IsNot))) or (
                    shared(node.left) and not all(isinstance(op, (ast.Is, ast.IsNot))
                                                  for op in node.ops)):
                return _TOUCHES
    return facts


# Modules a program may import and still repeat itself exactly: called again with the
# same arguments from the same fresh state, it does the same work (no clocks, no
# entropy, no OS, file or thread state).  See :func:`program_repeats`.
_REPEATABLE_MODULES = frozenset({
    "math", "cmath", "itertools", "functools", "collections", "heapq", "bisect", "re",
    "string", "typing", "operator", "fractions", "decimal", "copy", "statistics",
    "numbers", "array", "textwrap", "unicodedata", "hashlib", "sys", "__future__",
})
# Builtins whose result may differ between two runs of the same code (object addresses,
# files, dynamic code).
_UNREPEATABLE_NAMES = frozenset({
    "id", "open", "input", "globals", "locals", "vars", "dir", "__import__", "exec",
    "eval", "compile", "breakpoint", "memoryview", "help",
})
# Slow-to-import libraries the server imports itself, the first time a program imports
# them (see Server._warm): a runner forked afterwards has them in ``sys.modules``, so a
# candidate's ``import numpy`` costs a dict lookup, not ~130 ms of its time limit -
# which is how EvalPlus and LiveCodeBench time a test too (the program is executed
# once, then each test is timed).  Installed code only; a failed import is not retried.
# Every module the server holds makes each later fork slower (measured fork+exit+wait:
# 1.8 ms bare, 2.5 ms with numpy, 4.7 ms with scipy.linalg, 9.3 ms with pandas), and a
# fork follows every timed-out pair - but only servers that saw such a program pay it.
# The data-science stack is here for determinism, not speed: ``import pandas,
# matplotlib.pyplot`` costs ~0.9 s of CPU cold, about the 1 s limit, so charged to the
# pair it made a candidate's probe PASS on a quiet machine and TIMEOUT on a loaded one
# (HumanEval/132#16 and /108#3 of the CodeT slice: 525 verdicts).  Warm, it costs ~0.
_WARM_MODULES = frozenset({"numpy", "pandas", "matplotlib", "scipy", "sklearn", "seaborn",
                           *_WARM_TORCH})
# Small stdlib modules candidates import all the time (``from typing import List`` is in
# one HumanEval sample of three): imported by the server at start, so a fresh runner -
# one after every timed-out pair - does not import them again (profiled: imports were
# half of the runners' time on the CodeT workload).  No measurable cost per fork.
_PRELOADED_MODULES = (
    "typing", "math", "re", "collections", "itertools", "functools", "heapq", "bisect",
    "string", "operator", "copy", "fractions", "decimal", "statistics", "hashlib",
    "datetime", "dataclasses", "enum", "array", "cmath", "textwrap", "numbers",
)


def warm_imports(source: str | ast.Module | list) -> list[str]:
    """The modules of :data:`_WARM_MODULES` (dotted names included) ``source`` imports."""
    nodes = _nodes(source)
    if nodes is None:
        return []
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.append(node.module)  # and ``from PIL import Image`` may name a submodule:
            names += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    return [n for n in dict.fromkeys(names) if n.split(".")[0] in _WARM_MODULES]


# Comparisons whose cost on builtin values is bounded by the literal's size.
_CHEAP_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot)


def program_repeats(source: str | ast.Module | list) -> bool:
    """Is this program deterministic enough that one hang proves another?

    Inferring a pair's TIMEOUT from another's (see :func:`hang_key`) needs: two runs of
    the program in fresh namespaces of the same server, followed by the same first call,
    do the same work.  Classes are refused (their dunder methods would run in the cheap
    comparison after the call), and so are imports outside :data:`_REPEATABLE_MODULES`
    and the builtins of :data:`_UNREPEATABLE_NAMES`.  String hashing is seeded once per
    server, so set and dict orders repeat too.  False only costs the inference.
    """
    nodes = _nodes(source)
    return nodes is not None and _repeatable(nodes, _REPEATABLE_MODULES,
                                             _UNREPEATABLE_NAMES, classes=False)


def _repeatable(nodes: list[ast.AST], modules: frozenset[str], names: frozenset[str],
                classes: bool) -> bool:
    """The check :func:`program_repeats` and :func:`hang_provable` share: no async code,
    no class unless ``classes``, no import outside ``modules`` (relative ones included),
    no use of a name in ``names``."""
    for node in nodes:
        if isinstance(node, (ast.AsyncFunctionDef, ast.Await)) or (
                isinstance(node, ast.ClassDef) and not classes):
            return False
        if isinstance(node, ast.Import) and any(
                a.name.split(".")[0] not in modules for a in node.names):
            return False
        if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").split(".")[0] not in modules):
            return False
        if isinstance(node, ast.Name) and node.id in names:
            return False
    return True


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def hang_key(source: str | ast.Module) -> str | None:
    """The call an assert test spends its time on, when nothing else can take time.

    For ``assert f(<literals>)``, ``assert not f(...)``, ``assert f(...) <op> <literal>``
    and ``assert <literal> <op> f(...)`` (``op`` a plain comparison, an optional constant
    message) nothing but the call can take time: it runs from literal arguments, and
    what comes before or after it is building a literal or a comparison whose cost the
    literal bounds.
    So if such a test timed out, the time went into the call; any other test with the
    same key, on the same repeatable program (:func:`program_repeats`), makes the same
    call from the same state and would time out too, without being run.  Every other
    shape (several calls, ``in`` which may iterate a generator, computed literals such as
    ``[0] * 10 ** 9`` that cost time before or after the call) gets None.
    """
    tree = _syntax_tree(source)
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    stmt = tree.body[0]
    if stmt.msg is not None and not isinstance(stmt.msg, ast.Constant):
        return None
    expr = stmt.test
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        expr = expr.operand
    elif isinstance(expr, ast.Compare):
        if len(expr.ops) != 1 or not isinstance(expr.ops[0], _CHEAP_COMPARE):
            return None
        if _is_literal(expr.comparators[0]):
            expr = expr.left
        elif _is_literal(expr.left):
            expr = expr.comparators[0]
        else:
            return None
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
        return None
    if not all(_is_literal(a) for a in expr.args) or \
            not all(k.arg is not None and _is_literal(k.value) for k in expr.keywords):
        return None
    return ast.dump(expr)


class SourceFacts(NamedTuple):
    """What the server needs to know about a program or test source (see below)."""

    unsafe: bool  # may_touch_shared_state
    repeats: bool  # program_repeats
    hang_key: str | None
    warm: tuple[str, ...]  # warm_imports
    provable: bool  # hang_provable as a program
    provable_test: bool  # hang_provable as a test
    assumes: frozenset[str] = frozenset()  # SharedState.assumes
    rebinds: frozenset[str] = frozenset()  # SharedState.rebinds

    @property
    def shared(self) -> SharedState:
        """The :class:`SharedState` these facts hold (for :func:`pair_touches_shared_state`)."""
        return SharedState(self.unsafe, self.assumes, self.rebinds)


def source_facts(source: str) -> SourceFacts:
    """All the static facts of ``source`` from one parse and one walk (the server sees
    every source once per run; parsing it once per question was ~5 % of the CPU of a
    run, and each check walking the tree again cost as much as the parse)."""
    tree = _syntax_tree(source)
    if tree is None:
        return SourceFacts(False, False, None, (), False, False)
    nodes = list(ast.walk(tree))
    shared = shared_state_facts(nodes)
    return SourceFacts(shared.touches, program_repeats(nodes), hang_key(tree),
                       tuple(warm_imports(nodes)), hang_provable(nodes),
                       hang_provable(nodes, test=True), shared.assumes, shared.rebinds)


# --------------------------------------------------------------------------- hang proofs

# Imports a program may use and still be watched for a repeated state (see
# hang_provable): like _REPEATABLE_MODULES without ``sys`` (frames, stdio, exc_info) and
# with ``unittest`` for test classes.
_PROVABLE_MODULES = (_REPEATABLE_MODULES - {"sys"}) | {"unittest"}
# Names whose use makes a repeated state prove nothing: everything of
# _UNREPEATABLE_NAMES, and the builtins namespace by name (``__builtins__``).
_UNPROVABLE_NAMES = _UNREPEATABLE_NAMES | {"sys", "hash", "object", "__builtins__"}
# Words in a source that mean the pair may write output (print, or a way to reach a
# builtin by name): a loop that prints forever fills the output cap and fails inside the
# limit, so for such a pair a repeated state proves nothing; only passes that call
# nothing but _PURE_CALLS and sink appends (_ints_only_move) - which print nothing - do.
_OUTPUT_WORDS = ("print", "getattr", "__builtins__", "__self__", "__globals__")
# A frame's state is read only where its value stack is empty (see _clean_lines); code
# objects of these kinds are never watched (their frames' state lives partly elsewhere).
_UNWATCHED_CODE_NAMES = frozenset({"<lambda>", "<listcomp>", "<setcomp>", "<dictcomp>",
                                   "<genexpr>", "<module>"})
_GENERATOR_FLAGS = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coro, async gen
_PROOF_START = 0.05  # fraction of the limit a pair runs before it is watched
_PROOF_WINDOW = 0.03  # fraction of the limit (CPU) the watch may last, uncharged
_STATE_BUDGET = 20000  # tokens a state may have; a larger one proves nothing
_GARBAGE_TRIES = 3  # collections finding garbage after which a pair is not proved
_GROWTH_WINDOW = 0.02  # fraction of the limit (CPU) a sink's growth is measured, untraced
_PERIOD_ITEMS = 65536
# Words that mean a pair may hold a frame's locals snapshot (see HangWatch.start, red6)
_SNAPSHOT_WORDS = ("locals", "vars", "frame", "exec", "eval")  # items a sink may take a period and its growth still be judged


def _address_space() -> int:
    """Bytes this process maps now (0 if that cannot be read)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * mmap.PAGESIZE
    except (OSError, ValueError, IndexError):
        return 0


def _memory_room(need: int) -> bool:
    """Can this process grow by ``need`` bytes and stay under its address-space limit
    (counting what it maps now) and under its cgroup's memory limit, if it has one?"""
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft == resource.RLIM_INFINITY:
        return False  # what would end the run then (the machine's memory) is not known
    try:
        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * mmap.PAGESIZE
        with open("/proc/self/cgroup") as f:
            groups = f.read().splitlines()
    except (OSError, ValueError, IndexError):
        return False
    if size + need >= soft:
        return False
    places = [("/sys/fs/cgroup/memory/memory.limit_in_bytes",
               "/sys/fs/cgroup/memory/memory.usage_in_bytes")]
    # "0::/path" (v2) or "4:memory:/path" (v1): the process's group, under the mount
    # (inside a cgroup namespace the path is "/", and the mount's root is the group)
    for line in groups:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        path = path.rstrip("/")
        if line.startswith("0::"):
            base = "/sys/fs/cgroup" + path
            places += [(base + "/memory.max", base + "/memory.current"),
                       ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current")]
        elif "memory" in controllers.split(","):
            base = "/sys/fs/cgroup/memory" + path
            places.append((base + "/memory.limit_in_bytes", base + "/memory.usage_in_bytes"))
    for cap_file, used_file in places:
        try:
            with open(cap_file) as f:
                cap = f.read().strip()
            with open(used_file) as f:
                used = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if cap.isdigit() and used + need >= int(cap):
            return False
    return True


def hang_provable(source: str | ast.Module | list, test: bool = False) -> bool:
    """May a repeated state of this program (or test) prove that it never ends?

    Needs what :func:`program_repeats` needs (no clocks, entropy, files, threads, object
    addresses), minus ``sys`` and ``__builtins__``, and no ``is`` comparison except against
    None/True/False/Ellipsis (two equal states may hold equal values that are not the
    same objects; each of those four is the only object of its value, so ``e is True``,
    whatever ``e`` is, is decided by the type and value of ``e``).  Test sources may
    define classes (unittest) and import unittest."""
    nodes = _nodes(source)
    if nodes is None or not _repeatable(
            nodes, _PROVABLE_MODULES if test else _PROVABLE_MODULES - {"unittest"},
            _UNPROVABLE_NAMES, classes=test):
        return False
    if _finalizes(nodes):
        return False
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr in _HIDDEN_STATE_NAMES or \
                isinstance(node, ast.Name) and node.id in _HIDDEN_STATE_NAMES:
            return False
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot))
                                                  for op in node.ops):
            operands = [node.left, *node.comparators]
            if _len(operands) == 2 and any(
                    isinstance(o, ast.Constant) and type(o.value) in (type(None), bool, type(...))
                    for o in operands):
                continue  # (anat5) e is None / True / False: one object each, so the
                # outcome is e's type and value, which equal states give equal
            if not all(isinstance(o, ast.Constant) and o.value in (None, True, False, ...)
                       and type(o.value) in (type(None), bool, type(...))
                       or isinstance(o, ast.Name) for o in operands) or sum(
                    isinstance(o, ast.Constant) for o in operands) < len(operands) - 1:
                return False
    return True


# Names of stdlib state that no snapshot sees but a pass may read (or of identity, which
# equal states do not fix: ``operator.is_``): the decimal context
# (its flags, set by every inexact operation; its traps) and the registries of ABCs
# (``Sized.register(int)`` flips ``issubclass(int, Sized)``), of typing's overloads and
# of functools.singledispatch.  A program naming one is not watched.
_HIDDEN_STATE_NAMES = frozenset({"getcontext", "setcontext", "localcontext", "register",
                                 "get_overloads", "clear_overloads",
                                 # and identity, as ``is`` (see hang_provable)
                                 "is_", "is_not"})


def _finalizes(nodes: list[ast.AST]) -> bool:
    """May this source run code when the cyclic GC frees its garbage?  A ``__del__``
    (named anywhere, strings included), or a generator with a ``yield`` inside ``try`` or
    ``with`` (closing it runs the ``finally``/``except``/``__exit__``).  The GC runs when
    allocation counts say so, which no snapshot sees: two equal states of a pass that
    makes such garbage may be followed by a collection whose finalizer changes the state
    (and the loop's exit).  (Dynamic ways - a key built at run time for ``type()`` - are
    caught at the proof itself: see :meth:`HangWatch._clean_heap`.)"""
    for node in nodes:
        if isinstance(node, ast.Name) and node.id == "__del__" or \
                isinstance(node, ast.Attribute) and node.attr == "__del__" or \
                isinstance(node, ast.FunctionDef) and node.name == "__del__" or \
                isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                "__del__" in node.value:
            return True
        if isinstance(node, (ast.Try, ast.With)) or type(node).__name__ == "TryStar":
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Yield, ast.YieldFrom)):
                    return True
    return False


def _clean_lines(source: str) -> frozenset[int]:
    """The loop heads of :func:`_loop_lines`."""
    return _loop_lines(source)[0]


def _loop_lines(source: str) -> tuple[frozenset[int], frozenset[int]]:
    """(loop heads, ``for`` header lines) of a source.

    Loop heads: first lines of ``while`` bodies, where a statement starts with nothing on
    its frame's value stack but the iterators of enclosing ``for`` loops (every pass of a
    loop goes through its head once, so a repeated state shows there, at one snapshot
    per pass).  At such a line's ``line`` trace event a frame's whole state is its
    locals, its globals and those iterators - which only their ``for`` header moves, and
    every pass through a header is a ``line`` event on a header line (a backward jump, or
    the first entry), at which the watch forgets the frame's states.  Not clean:
    statements inside ``with`` (the exit is on the stack), ``except``/``finally``/
    ``match`` bodies (the exception, the subject), every line an expression continues
    onto or starts on later than its statement, or that holds a comprehension or lambda
    (their own loops), and heads on any ``for`` header line.  The header lines returned
    (where states are forgotten) are those of ``for`` loops with a loop head in their
    body: a ``for`` inside a ``while`` body starts and ends within one pass, so its
    iterator is never on the stack at that head."""
    tree = _syntax_tree(source)
    if tree is None:
        return frozenset(), frozenset()
    clean: set[int] = set()
    dirty: set[int] = set()
    heads: set[int] = set()
    headers: set[int] = set()
    every_header: set[int] = set()

    def expressions(stmt: ast.stmt) -> None:
        for child in ast.iter_child_nodes(stmt):
            if not isinstance(child, ast.expr):
                continue
            for node in ast.walk(child):
                if not isinstance(node, ast.expr):
                    continue
                end = node.end_lineno or node.lineno
                if node.lineno != stmt.lineno:
                    dirty.add(node.lineno)
                dirty.update(range(node.lineno + 1, end + 1))
                if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp,
                                     ast.GeneratorExp, ast.Lambda)):
                    dirty.update(range(node.lineno, end + 1))

    def body(stmts: list, ok: bool) -> None:
        for stmt in stmts:
            (clean if ok else dirty).add(stmt.lineno)
            expressions(stmt)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                body(stmt.body, True)
            elif isinstance(stmt, (ast.While, ast.If)):
                if isinstance(stmt, ast.While) and stmt.body:
                    heads.add(stmt.body[0].lineno)
                body(stmt.body, ok)
                body(stmt.orelse, ok)
            elif isinstance(stmt, ast.For):
                lines = range(stmt.lineno, (stmt.iter.end_lineno or stmt.lineno) + 1)
                every_header.update(lines)  # never a head: its iterator may be on the stack
                before = len(heads)
                body(stmt.body, ok)
                if len(heads) > before:  # its iterator is on the stack at those heads
                    headers.update(lines)
                body(stmt.orelse, ok)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                body(stmt.body, ok)
                body(stmt.orelse, ok)
                for handler in stmt.handlers:
                    dirty.add(handler.lineno)
                    body(handler.body, False)
                body(stmt.finalbody, False)
            else:
                for field in ("body", "orelse", "finalbody"):
                    body(getattr(stmt, field, None) or [], False)
                for case in getattr(stmt, "cases", None) or []:
                    body(case.body, False)

    body(tree.body, True)
    body = None  # type: ignore[assignment]  # noqa: F841  (it refers to itself: no garbage)
    return frozenset((clean - dirty - every_header) & heads), frozenset(headers)


class _Unprovable(Exception):
    """A value whose future the state snapshot cannot vouch for."""


_FunctionType = type(_clean_lines)
_BuiltinType = type(len)
_ModuleType = type(sys)
_PLAIN_SCALARS = (type(None), bool, int, str, bytes, type(...))
_GENERIC_ALIAS = type(list[int])
_UNION_TYPE = type(int | None)
_DICT_TYPES: tuple = ()  # filled lazily (collections is preloaded by the server)


def _genuine(obj) -> bool:
    """Is the class ``obj`` the one its module holds under its qualified name?  Then it is
    a stdlib class, not a class of the pair's that set ``__module__`` (or ``__name__``
    before its ``class`` statement) to a stdlib module's name."""
    if not _issubclass(_type(obj), type):
        return False
    # read through type's own descriptors: a metaclass of the pair's runs no code here
    target = sys.modules.get(_type_module(obj) or "")
    if target is None:
        return False
    for part in _type_qualname(obj).split("."):
        try:
            target = vars(target).get(part, _MISSING)
        except TypeError:  # no __dict__
            return False
    return target is obj


_type_module = type.__dict__["__module__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_CONTAINERS = (list, dict, set, frozenset, tuple)
_stdlib_containers: dict = {}  # genuine class -> its attribute names holding a container


def _class_containers(cls) -> tuple:
    """The names of a stdlib class's own attributes that hold containers (mutable state
    such a class keeps for all its users, e.g. ``unittest.TestCase._class_cleanups``):
    the snapshot freezes them.  Cached: only an attribute store, which the pair cannot
    make unflagged, changes which attributes hold a container."""
    names = _stdlib_containers.get(cls)
    if names is None:
        names = _stdlib_containers[cls] = _tuple(
            k for k, v in vars(cls).items() if _isinstance(v, _CONTAINERS))
    return names


def _state(frame, ns: dict, budget: int = _STATE_BUDGET, mask_ints: bool = False,
           sinks: tuple = (), tail: list | None = None, attrs: tuple = ()) -> tuple:
    """The whole state a frame's future depends on, as a tuple of tokens that compares
    equal exactly when the states are equal: its position, its locals, its module's
    globals (the candidate's and the test's namespace), with object sharing (aliases)
    encoded.  Raises _Unprovable on anything but plain values (numbers, strings,
    tuples, lists, dicts, frozensets, deques, the namespace's own functions with their
    defaults, closures and attributes, stdlib modules, builtins, types).  ``mask_ints``:
    the frame's own int locals enter as a placeholder, not their values (see
    :func:`_ints_only_move`).  ``sinks``: local lists that enter as a placeholder too
    (append-only sinks, see :meth:`HangWatch._sinks`); raises _Aliased if one of them is
    reachable from anything else in the state (then its contents would be read through
    the alias).  Their contents, frozen after the rest (same aliasing), are appended to
    ``tail`` as one tuple, or None when that is too large or not plain: the whole state
    is the returned tuple plus that one.  ``attrs``: the attribute names the sources use;
    a stdlib module enters with the values of those of its attributes (``copy.
    dispatch_table`` is a dict a pass may fill), a stdlib class with its containers
    (:func:`_class_containers`), a class of the pair's with its whole ``__dict__``, its
    bases and its metaclass (``B.log`` may live in a base); a class that only claims a
    stdlib module (:func:`_genuine`) is the pair's."""
    import collections
    import enum

    out: list = [frame.f_code, frame.f_lasti]
    memo: dict[int, int] = {}
    add = out.append
    extend = out.extend
    dict_types = (dict, collections.Counter, collections.OrderedDict,
                  collections.defaultdict)

    def freeze(obj, depth: int) -> None:
        if _len(out) > budget or depth > 60:
            raise _Unprovable("size")
        if obj is _MASKED or obj is _SINK:
            add(obj)
            return
        t = _type(obj)
        if t in _PLAIN_SCALARS:
            add(t)
            add(obj)
            return
        if t is float:
            if obj != obj:
                raise _Unprovable  # NaN: not equal to itself, identity would matter
            add(t)
            add(obj.hex())
            return
        if t is complex:
            if obj != obj:
                raise _Unprovable
            extend((t, obj.real.hex(), obj.imag.hex()))
            return
        seen = memo.get(id(obj))
        if seen is not None:
            extend(("@", seen))
            return
        memo[id(obj)] = _len(memo)
        if t is tuple or t is list:
            extend((t, _len(obj)))
            for item in obj:
                freeze(item, depth + 1)
        elif t in dict_types:
            extend((t, _len(obj)))
            if t is collections.defaultdict:
                freeze(obj.default_factory, depth + 1)
            for k, v in obj.items():
                freeze(k, depth + 1)
                freeze(v, depth + 1)
        elif t is frozenset:  # immutable: its iteration order is fixed for good
            extend((t, _len(obj)))
            for item in obj:
                freeze(item, depth + 1)
        elif t is collections.deque:
            extend((t, obj.maxlen, _len(obj)))
            for item in obj:
                freeze(item, depth + 1)
        elif t is range:
            extend((t, obj.start, obj.stop, obj.step))
        elif t is _FunctionType:
            if obj.__globals__ is not ns:
                mod = obj.__module__ or ""
                if mod.split(".")[0] not in _PROVABLE_MODULES:
                    raise _Unprovable
                add(obj)  # a stdlib function: identity
                return
            # its code, and what a pass may read of it besides: names, doc and
            # annotations live outside __dict__ (functools.update_wrapper sets them)
            extend((t, obj.__code__, obj.__name__, obj.__qualname__, obj.__module__))
            freeze(obj.__doc__, depth + 1)
            freeze(obj.__annotations__, depth + 1)
            freeze(obj.__defaults__, depth + 1)
            freeze(obj.__kwdefaults__, depth + 1)
            for cell in obj.__closure__ or ():
                try:
                    freeze(cell.cell_contents, depth + 1)
                except ValueError:  # an empty cell
                    add("empty cell")
            freeze(obj.__dict__, depth + 1)
        elif t is _BuiltinType:
            owner = obj.__self__
            if owner is not None and _type(owner) is not _ModuleType:
                raise _Unprovable  # a bound method: its object is state
            add(obj)
        elif t is _ModuleType:
            if obj.__name__.split(".")[0] not in _PROVABLE_MODULES or \
                    sys.modules.get(obj.__name__) is not obj:
                raise _Unprovable
            add(obj)
            content = vars(obj)
            for k in attrs:  # what the pair may reach through it: ``copy.dispatch_table``
                v = content.get(k, _MISSING)
                if v is not _MISSING:
                    add(k)
                    freeze(v, depth + 1)
        elif _issubclass(t, type):  # (not isinstance: it would read a __class__ of the pair's)
            if not _genuine(t):
                raise _Unprovable  # a metaclass of the pair's: its __eq__, __getattribute__
            if _genuine(obj):
                if _type_module(obj).split(".")[0] not in _PROVABLE_MODULES | {"builtins"}:
                    raise _Unprovable
                add(obj)
                content = vars(obj)
                for k in _class_containers(obj):
                    add(k)
                    freeze(content[k], depth + 1)
                for base in obj.__bases__:
                    freeze(base, depth + 1)
            else:  # the pair's own class: its attributes, bases and metaclass too
                add(obj)  # compared by identity (type's __eq__)
                extend((obj.__name__, obj.__qualname__))  # not in __dict__
                for k, v in obj.__dict__.items():
                    if k in ("__dict__", "__weakref__"):
                        continue
                    add(k)
                    # staticmethod / classmethod (no getattr: v may be the pair's object)
                    inner = v.__func__ if _type(v) in (staticmethod, classmethod) else v
                    freeze(inner, depth + 1)
                for base in obj.__bases__:
                    freeze(base, depth + 1)
                freeze(t, depth + 1)
        elif _genuine(t) and _type_module(t) == "typing" or t is _GENERIC_ALIAS or \
                t is _UNION_TYPE:
            # typing's special forms and aliases, ``list[int]``, ``int | None``: constants
            # but for their arguments (``Literal[x]`` holds any value x)
            add(obj)
            freeze(getattr(obj, "__args__", ()), depth + 1)
        elif _issubclass(t, enum.Enum) and _genuine(t) and \
                _type_module(t).split(".")[0] in _PROVABLE_MODULES:
            add(obj)  # a stdlib enum's member (``re.IGNORECASE``): a constant
        else:
            raise _Unprovable

    try:
        local = frame.f_locals
        if mask_ints or sinks:
            masked: dict = {}
            for k, v in local.items():
                masked[k] = _SINK if k in sinks else \
                    _MASKED if mask_ints and _type(v) is int else v
            local = masked
        freeze(local, 0)
        for k, v in ns.items():
            if k != "__builtins__":
                add(k)
                freeze(v, 0)
        if not sinks:
            return _tuple(out)
        lists = []
        for k in sinks:
            lists.append(frame.f_locals[k])
            if id(lists[-1]) in memo:
                raise _Aliased
        main = _tuple(out)
        try:
            if sum(_len(x) for x in lists) + _len(main) > budget:
                raise _Unprovable("size")  # (at least a token an item: spare the walk)
            for x in lists:
                freeze(x, 0)
            tail.append(_tuple(out[_len(main):]))  # type: ignore[union-attr]
        except _Unprovable:
            tail.append(None)  # type: ignore[union-attr]
        return main
    finally:
        # freeze refers to itself through its closure: break that cycle, so that nothing
        # this call saw (a sink growing by the gigabyte, say) waits for the cyclic GC
        freeze = None  # noqa: F841


_MASKED = object()  # an int local in a masked state (see _state)
_SINK = object()  # an append-only local list in a masked state (see HangWatch._sinks)


class _Aliased(_Unprovable):
    """A would-be sink that something else in the state also refers to."""
# Builtins a loop may call and still be judged by _ints_only_move: on plain values they
# run no code of the program's and change nothing.
_PURE_CALLS = frozenset({"len", "sum", "range", "min", "max", "abs"})
# Builtins, and functions of the ``math`` module (``math.sqrt(n)``, the module bound to a
# name the pass does not store), a loop may call on arguments in which no moved int
# appears at all (anat5): on plain values they compute a value and nothing else, and such
# arguments are in every later pass the values they were in the observed one (see
# _ints_only_move's docstring), so the call returns the same and raises no more than it
# did.  Not on any form of a moved int: ``str(range(v, n))`` shows the start of an empty
# range, which moves.
_PURE_CALLS_FIXED = frozenset({"int", "str"})
_PURE_MATH = frozenset({"sqrt", "isqrt", "floor", "ceil", "log", "log2", "log10", "exp",
                        "fabs", "gcd", "trunc", "pow"})
_SEQUENCES = (list, tuple, str, bytes)


def _ints_only_move(tree: ast.Module | None, head: int, executed: set[int],
                    moved: dict[str, tuple[int, int]], frame, sinks: tuple = ()) -> bool:
    """Does the ``while`` loop whose body starts at line ``head`` run forever, given two
    states at its head, one or two passes apart, that are equal but for the int locals
    ``moved`` (name -> (earlier, later) value) and the contents of the append-only local
    lists ``sinks``, with the lines ``executed`` run in between (the *pass*)?

    Induction over passes: a pass is a deterministic function of the state (the program
    and test are hang-provable).  Every moved int ``v`` must be used, on the lines that
    ran, only (1) in its own update by a literal in the direction it moved (``v += 2``,
    ``v = v - 1``, ``v = (v + 1) if t else (v + 2)``), (2) as ``v``, ``v + c`` or
    ``k - v`` (``k`` known) in a comparison with a known int (a literal, an int local that
    no line that ran stores, ``len`` of such a sequence) whose outcome is the same for
    every value from the earlier one on in that direction, (3) as ``v % m`` (literal m)
    where m divides the shift ``later - earlier``, (4) as a slice bound already past the
    end of such a sequence (``xs[lo:v + 1]``, ``xs[v:]``), (5) as the start of
    ``range(v, n)`` already at or past ``n``, or (6) as the argument (``v``, ``v + c``) of
    ``sink.append``.  Claim: if the next pass starts from the same state but every moved
    int shifted by its shift, it takes the same path and ends in the same state shifted
    again.  Every decision of the pass depends on a moved int only through (2) - the
    value at that point is the observed one plus whole shifts, further in the direction
    every update of the pass moves (both branches of a conditional update are checked),
    so the outcome is the same - or (3) - the value at that point differs from the
    observed one by whole shifts, a multiple of m, so ``v % m`` is the same value; (4)
    and (5) give the same values; the updates add the same literals; nothing else reads
    a moved int.  A sink is read by nothing (see :meth:`HangWatch._sinks`: only
    ``.append`` receivers in the loop, no alias in the state, not a cell), so its
    contents decide nothing.  So no exit, no exception (a comparison, ``%`` by a non-zero
    literal, a slice, ``range``, a literal sum of ints and ``list.append`` cannot raise;
    the ints grow by a constant per pass, so their memory does not matter; a sink's
    growth is judged before the proof counts, see :meth:`HangWatch._judge_growth`).
    Two passes apart this is a period-2 loop (alternating branches), the pass being the
    two.  A call of a small function of the program is judged as the expression it
    evaluates (:func:`_inlined`).  Lines that ran are judged whole; only calls of
    :data:`_PURE_CALLS` (without keywords: no ``key=``), of :data:`_PURE_MATH` through
    the ``math`` module, of such functions and sink appends are allowed - so nothing is
    printed - no item or attribute stores, ``del``, ``try``, ``with``, nested scopes or
    imports.

    Values no moved int reaches (anat5).  The pass is a deterministic function of the
    state at its start, and the next pass starts from a state equal but for the moved
    ints (shifted) and the sinks (longer).  So every expression of the pass in which no
    moved int appears, and no sink (a sink appears only as its own update's receiver or
    operand, see below), has in the next pass the very value it had in the observed
    one: by induction over the pass's steps, each takes the same path (the decisions
    are the same, as argued above) from the same values.  Hence: (a) a call of a pure
    function (``int``, ``str``, ``math.sqrt``...) on such arguments returns what it
    returned - it did not raise then, so it does not now; (b) ``sink.append(e)`` may
    append any such ``e`` (the same value each pass; its memory is judged by
    :meth:`HangWatch._judge_growth`); (c) a *write-only* moved int - one the pass uses
    only as the target of ``v += e`` / ``v -= e``, read nowhere, not even in ``e`` - may
    move by any such ``e``, in either direction: its value decides nothing, so the path
    is the same whatever it holds (an int plus an int cannot raise; had ``e`` not been
    an int, ``v`` would no longer be an int and the states' int keys would differ); (d)
    a *text sink* (:func:`_loop_text_sinks`: a local ``str`` the loop uses only as
    ``s = s + e``, ``s = e + s`` or ``s += e``, ``s`` not in ``e``) is a sink like an
    append-only list: its contents decide nothing, and ``e`` is the same string each
    pass, so the concatenation that did not raise then does not now (memory aside:
    judged like a list's growth).  A moved int inside any call but a sink append, or in
    the amount of another int's update, is refused as before."""
    if tree is None:
        return False
    loops = [n for n in ast.walk(tree) if isinstance(n, ast.While) and n.body
             and n.body[0].lineno == head]
    loop = loops[0] if _len(loops) == 1 else None  # two loops' heads on one line: refused
    code = frame.f_code
    if loop is None or any(v in code.co_cellvars or v in code.co_freevars for v in moved):
        return False
    local, glob = frame.f_locals, frame.f_globals
    loop = _inlined(loop, frame, tree)
    step = {v: (1 if b > a else -1) for v, (a, b) in moved.items()}
    shift = {v: b - a for v, (a, b) in moved.items()}
    if not all(loop.lineno <= line <= (loop.end_lineno or loop.lineno) for line in executed):
        return False  # the pass left the loop (an outer loop or handler ran)
    exprs: list[ast.expr] = [loop.test]
    parent = _parents(loop)  # (the lookups below start at nodes of exprs: of lines that ran)
    stores: set[str] = set()
    ok = (ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.While, ast.For, ast.Pass,
          ast.Continue, ast.Assert)  # no break or return: the pass must stay in the loop

    def statements(body: list) -> bool:
        for st in body:
            if not _ran(st, executed):
                continue  # never ran: the next passes run the same lines
            if not isinstance(st, ok):
                return False
            if isinstance(st, ast.AugAssign) and not (
                    isinstance(st.target, ast.Name) and (st.target.id in moved or _type(
                        local.get(st.target.id)) is int or st.target.id in sinks and _type(
                            local.get(st.target.id)) is str)):
                return False  # += on a container changes it in place (and its aliases)
            exprs.extend(child for child in ast.iter_child_nodes(st)
                         if isinstance(child, ast.expr))
            targets = st.targets if isinstance(st, ast.Assign) else \
                [st.target] if isinstance(st, (ast.AugAssign, ast.For)) else []
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
                        return False
                    if isinstance(node, ast.Name):
                        stores.add(node.id)
            if not all(statements(getattr(st, f, None) or []) for f in ("body", "orelse")):
                return False
        return True

    passed = statements(loop.body)
    # statements refers to itself: break that cycle, whose closure holds the frame's
    # locals (a sink growing by the gigabyte) until the cyclic GC would run
    statements = None  # type: ignore[assignment]  # noqa: F841
    if not passed:
        return False
    names: list[ast.Name] = []
    for expr in exprs:
        for node in ast.walk(expr):
            if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                                 ast.GeneratorExp, ast.NamedExpr, ast.Yield, ast.YieldFrom,
                                 ast.Await)):
                return False
            if isinstance(node, ast.Call):
                if _sink_append(node, sinks):
                    arg = node.args[0]
                    # what is appended: a moved int (or v + c), or anything no moved int
                    # reaches - the same value in every pass (its calls are checked as
                    # all calls are; the memory of new objects: see _judge_growth)
                    if not (isinstance(arg, ast.Constant) or isinstance(arg, ast.Name) and (
                            arg.id in moved or arg.id not in stores
                            or _type(local.get(arg.id)) is int) or any(
                                _step_of(arg, v) is not None for v in moved)
                            or not any(isinstance(n, ast.Name) and n.id in moved
                                       for n in ast.walk(arg))):
                        return False
                elif not (isinstance(node.func, ast.Name) and node.func.id in _PURE_CALLS
                          and node.func.id not in local and node.func.id not in glob
                          and not node.keywords):
                    if any(isinstance(n, ast.Name) and n.id in moved for n in ast.walk(node)):
                        return False
                    if not (isinstance(node.func, ast.Name) and not node.keywords and
                            node.func.id in _PURE_CALLS_FIXED and node.func.id not in local
                            and node.func.id not in glob) and not _math_call(
                                node, stores, local, glob, code.co_varnames):
                        return False
            if isinstance(node, ast.Name) and node.id in moved:
                names.append(node)
    # write-only ints (anat5): moved ints the pass uses only as ``v += e`` / ``v -= e``
    # targets - read nowhere, so their values decide nothing (see the docstring)
    written = {v for v in moved if all(
        isinstance(parent.get(id(n)), ast.AugAssign) and parent[id(n)].target is n and
        isinstance(parent[id(n)].op, (ast.Add, ast.Sub)) for n in names if n.id == v)}
    for st in ast.walk(loop):  # the updates: their targets are not in exprs
        if isinstance(st, ast.AugAssign) and _ran(st, executed) and \
                isinstance(st.target, ast.Name) and st.target.id in moved:
            if st.target.id in written:
                continue  # e has no moved int in it: the names check below sees to that
            amount = _int_literal(st.value)
            if amount is None or not isinstance(st.op, (ast.Add, ast.Sub)):
                return False
            amount = amount if isinstance(st.op, ast.Add) else -amount
            if amount * step[st.target.id] < 0:
                return False

    def known(node: ast.AST) -> int | None:
        """The int value ``node`` has wherever it is evaluated in a pass, or None."""
        if _int_literal(node) is not None:
            return _int_literal(node)
        value = _unchanging(node, stores, moved, local, glob, code.co_varnames)
        if _type(value) is int:
            return value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "len" and len(node.args) == 1 and not node.keywords:
            seq = _unchanging(node.args[0], stores, moved, local, glob, code.co_varnames)
            if _isinstance(seq, _SEQUENCES):
                return _len(seq)
        return None

    for name in names:
        v = name.id
        a, d = moved[v][0], step[v]
        form: ast.AST = name
        offset, sign = 0, 1  # the form's value is sign * v + offset
        up = parent.get(id(name))
        if isinstance(up, ast.BinOp) and isinstance(up.op, (ast.Add, ast.Sub)) and \
                up.left is name and _int_literal(up.right) is not None:
            c = _int_literal(up.right) or 0
            form, offset = up, c if isinstance(up.op, ast.Add) else -c
        elif isinstance(up, ast.BinOp) and isinstance(up.op, ast.Add) and up.right is name \
                and _int_literal(up.left) is not None:
            form, offset = up, _int_literal(up.left) or 0
        elif isinstance(up, ast.BinOp) and isinstance(up.op, ast.Sub) and up.right is name \
                and known(up.left) is not None:
            form, offset, sign = up, known(up.left) or 0, -1  # k - v moves the other way
        elif isinstance(up, ast.BinOp) and isinstance(up.op, ast.Mod) and up.left is name:
            m = _int_literal(up.right)
            if m and shift[v] % m == 0 and not isinstance(name.ctx, ast.Store):
                continue  # the same remainder here in every later pass
            return False
        at = parent.get(id(form))
        lo, dd = sign * a + offset, sign * d  # the least advanced value from now on (dd = +1)
        if isinstance(name.ctx, ast.Store):
            if isinstance(up, ast.AugAssign) and up.target is name:
                continue  # checked with the updates above
            if isinstance(up, ast.Assign) and up.targets == [name] and (
                    _step_of(up.value, v) is not None or isinstance(up.value, ast.IfExp)
                    and _step_of(up.value.body, v) is not None
                    and _step_of(up.value.orelse, v) is not None):
                continue  # ``v = v + c`` (or a choice of two): checked at its loads below
            return False  # any other store (unpacking, a for target, v = w, v = v % 7)
        update = at
        if isinstance(at, ast.IfExp) and (at.body is form or at.orelse is form):
            update = parent.get(id(at))  # ``v = (v + 1) if t else (v + 2)``
            if not (isinstance(update, ast.Assign) and update.value is at):
                return False
        elif not (form is not name and isinstance(at, ast.Assign) and at.value is form):
            update = None
        if update is not None:
            if sign < 0 or len(update.targets) != 1 or not isinstance(  # type: ignore
                    update.targets[0], ast.Name) or update.targets[0].id != v:  # type: ignore
                return False
            if offset * d < 0:
                return False  # the update goes against the direction the int moved
            continue
        if isinstance(at, ast.Compare):
            operands = [at.left, *at.comparators]
            k = next(i for i, o in enumerate(operands) if o is form)
            for i in (k - 1, k):
                if i < 0 or i + 1 >= len(operands):
                    continue
                other = operands[i + 1] if i == k else operands[i]
                e = known(other)
                op = _type(at.ops[i])
                if e is None or not _settled(op if i == k else _FLIPPED.get(op), lo, e, dd):
                    return False
            continue
        if sign < 0:
            return False
        if isinstance(at, ast.Call) and _sink_append(at, sinks) and at.args[0] is form:
            continue  # into a sink, which nothing reads
        if isinstance(at, ast.Slice) and d > 0 and at.step is None and \
                (at.upper is form or at.lower is form):
            sub = parent.get(id(at))
            seq = _unchanging(sub.value, stores, moved, local, glob, code.co_varnames) \
                if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load) else None
            if seq is not None and _isinstance(seq, _SEQUENCES) and lo >= _len(seq):
                continue  # past the end: the slice stays what it is
            return False
        if isinstance(at, ast.Call) and d > 0 and isinstance(at.func, ast.Name) and \
                at.func.id == "range" and len(at.args) == 2 and not at.keywords and \
                at.args[0] is form:
            e = known(at.args[1])
            if e is not None and lo >= e:
                continue  # empty, and stays empty
            return False
        return False
    return True


def _math_call(node: ast.Call, stores: set[str], local: dict, glob: dict,
               code_locals: tuple) -> bool:
    """Is ``node`` ``m.f(...)`` (no keywords) with ``m`` a name the pass does not store,
    bound to the ``math`` module, and ``f`` in :data:`_PURE_MATH`?"""
    func = node.func
    if node.keywords or not isinstance(func, ast.Attribute) or func.attr not in _PURE_MATH \
            or not isinstance(func.value, ast.Name) or func.value.id in stores:
        return False
    name = func.value.id
    module = local.get(name, _MISSING) if name in local or name in code_locals else \
        glob.get(name, _MISSING)
    return module is math  # the stdlib module itself, not a look-alike


def _inlined(loop: ast.While, frame, tree: ast.Module) -> ast.While:
    """The loop with each call ``g(x)`` (``x`` a name) of a small function of the program
    replaced by the expression the call evaluates - so ``level = g(level)`` with ``def
    g(n): if n % 2 == 1: return n + 1; return n + 2`` is judged as ``level = (level + 1)
    if level % 2 == 1 else (level + 2)``.  Only functions of the frame's own source, bound
    to a name the loop never stores, with one parameter and no defaults, closure or
    decorators, whose body is ``return e`` or ``if t: return e1`` then ``return e2`` (or
    ``else: return e2``), every name in it that parameter: calling one is evaluating that
    expression with the parameter bound to ``x``, no other state read or written."""
    calls = [n for n in ast.walk(loop) if isinstance(n, ast.Call) and
             isinstance(n.func, ast.Name) and n.func.id not in _PURE_CALLS]
    if not calls:
        return loop
    stored = {n.id for n in ast.walk(loop) if isinstance(n, ast.Name)
              and not isinstance(n.ctx, ast.Load)}
    code = frame.f_code
    local = frame.f_locals
    bodies: dict[str, ast.expr | None] = {}

    def body_of(name: str) -> ast.expr | None:
        if name in bodies:
            return bodies[name]
        bodies[name] = None
        fn = local[name] if name in local else \
            None if name in code.co_varnames else frame.f_globals.get(name)
        if name in stored or _type(fn) is not _FunctionType or fn.__closure__ or \
                fn.__defaults__ or fn.__kwdefaults__ or fn.__globals__ is not frame.f_globals:
            return None
        fc = fn.__code__
        if fc.co_filename != code.co_filename or fc.co_argcount != 1 or \
                fc.co_kwonlyargcount or fc.co_flags & (0x04 | 0x08 | _GENERATOR_FLAGS):
            return None
        # the def whose code this is: by the code's own name (``__name__`` is the
        # function's, which functools.update_wrapper sets - on a lambda of that line,
        # say) and first line, which no other def shares
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                and n.name == fc.co_name and n.lineno == fc.co_firstlineno
                and not n.decorator_list]
        if _len(defs) != 1 or defs[0].args.posonlyargs or \
                defs[0].args.args[0].arg != fc.co_varnames[0]:
            return None
        param = defs[0].args.args[0].arg
        stmts = [st for st in defs[0].body if not (
            isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
        expr: ast.expr | None = None
        if _len(stmts) == 1 and isinstance(stmts[0], ast.Return):
            expr = stmts[0].value
        elif stmts and isinstance(stmts[0], ast.If) and _len(stmts[0].body) == 1 and \
                isinstance(stmts[0].body[0], ast.Return):
            rest = stmts[0].orelse or stmts[1:]
            if _len(rest) == 1 and isinstance(rest[0], ast.Return) and \
                    rest[0].value is not None and stmts[0].body[0].value is not None and \
                    _len(stmts) == (1 if stmts[0].orelse else 2):
                expr = ast.IfExp(test=stmts[0].test, body=stmts[0].body[0].value,
                                 orelse=rest[0].value)
        if expr is None:
            return None
        for node in ast.walk(expr):
            if isinstance(node, ast.Name) and node.id != param or isinstance(node, (
                    ast.Call, ast.Attribute, ast.Subscript, ast.Lambda, ast.NamedExpr,
                    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Await,
                    ast.Yield, ast.YieldFrom)):
                return None
        bodies[name] = ast.Expression(body=expr)  # type: ignore[assignment]
        return bodies[name]

    return _Inline(body_of).visit(copy.deepcopy(loop))


class _Inline(ast.NodeTransformer):
    """:func:`_inlined`'s rewriting (a class of its own, not one per call: a class made
    per call is cyclic garbage, which :meth:`HangWatch._clean_heap` counts)."""

    def __init__(self, body_of: Callable[[str], Any]) -> None:
        self.body_of = body_of

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not (isinstance(node.func, ast.Name) and _len(node.args) == 1 and
                not node.keywords and isinstance(node.args[0], ast.Name)):
            return node
        found = self.body_of(node.func.id)
        if found is None:
            return node
        expr = copy.deepcopy(found.body)
        for n in ast.walk(expr):
            if isinstance(n, ast.Name):
                n.id = node.args[0].id  # every name in it is the parameter
            n.lineno, n.col_offset = node.lineno, node.col_offset  # type: ignore
            n.end_lineno = node.end_lineno  # type: ignore[attr-defined]
        return expr


def _ran(st: ast.stmt, executed: set[int]) -> bool:
    """May statement ``st`` have run, given the lines that fired a line event?  Any line it
    spans: its first line may hold no instruction at all (``if (`` with the test on the
    next line), and a line shared with the statement before fires no event of its own."""
    return any(line in executed for line in range(st.lineno, (st.end_lineno or st.lineno) + 1))


def _step_of(node: ast.AST, v: str) -> int | None:
    """c when ``node`` is ``v``, ``v + c``, ``v - c`` (as -c) or ``c + v`` (c an int
    literal), else None."""
    if isinstance(node, ast.Name):
        return 0 if node.id == v else None
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Add, ast.Sub)):
        return None
    if isinstance(node.left, ast.Name) and node.left.id == v:
        c = _int_literal(node.right)
        return None if c is None else c if isinstance(node.op, ast.Add) else -c
    if isinstance(node.op, ast.Add) and isinstance(node.right, ast.Name) and \
            node.right.id == v:
        return _int_literal(node.left)
    return None


def _sink_append(node: ast.AST, sinks: tuple) -> bool:
    """Is ``node`` the call ``s.append(x)`` on one of the sink lists?"""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr == "append" and isinstance(node.func.value, ast.Name) and \
        node.func.value.id in sinks and _len(node.args) == 1 and not node.keywords and \
        not isinstance(node.args[0], ast.Starred)


def _parents(root: ast.AST) -> dict[int, ast.AST]:
    """``id(node)`` -> the node it hangs from, for every node under ``root``.  By id, as
    the trees these maps serve are alive while they are used (and :func:`_inlined` copies
    each body it inserts, so no node hangs from two places)."""
    parent: dict[int, ast.AST] = {}
    for node in ast.walk(root):
        for child in ast.iter_child_nodes(node):
            parent[id(child)] = node
    return parent


def _loop_names_used_only(loop: ast.While, code,
                          use: Callable[[ast.Name, dict[int, ast.AST]], bool]
                          ) -> tuple[str, ...]:
    """The plain locals of ``code`` every ``Name`` of which in ``loop`` (whether it ran
    or not) passes ``use(name, parents)`` - the test of one kind of sink - and that the
    loop neither declares global or nonlocal nor binds as a parameter (of a nested def or
    lambda), nor that a nested scope sees (not a cell): a name the loop reaches in no
    other way."""
    parent = _parents(loop)
    good: set[str] = set()
    bad: set[str] = set()
    for node in ast.walk(loop):
        if isinstance(node, ast.Name):
            (good if use(node, parent) else bad).add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bad.update(node.names)
        elif isinstance(node, ast.arg):
            bad.add(node.arg)
    return _tuple(sorted(n for n in good - bad if n in code.co_varnames
                         and n not in code.co_cellvars and n not in code.co_freevars))


def _append_use(node: ast.Name, parent: dict[int, ast.AST]) -> bool:
    """Is this use of ``s`` the statement ``s.append(x)``?"""
    at = parent.get(id(node))
    call = parent.get(id(at))
    st = parent.get(id(call))
    return isinstance(node.ctx, ast.Load) and isinstance(at, ast.Attribute) and \
        at.value is node and isinstance(call, ast.Call) and call.func is at and \
        _sink_append(call, (node.id,)) and isinstance(st, ast.Expr) and st.value is call


def _concat_use(node: ast.Name, parent: dict[int, ast.AST]) -> bool:
    """Is this use of ``s`` in ``s = s + e``, ``s = e + s`` or ``s += e`` (``s`` not
    ``e``: ``s = s + s`` reads it, and doubles it)?"""
    at = parent.get(id(node))
    if isinstance(node.ctx, ast.Store):
        return isinstance(at, ast.AugAssign) and at.target is node and \
            isinstance(at.op, ast.Add) or isinstance(at, ast.Assign) and \
            at.targets == [node] and isinstance(at.value, ast.BinOp) and \
            isinstance(at.value.op, ast.Add) and any(
                isinstance(side, ast.Name) and side.id == node.id
                for side in (at.value.left, at.value.right))
    if isinstance(node.ctx, ast.Load) and isinstance(at, ast.BinOp) and \
            isinstance(at.op, ast.Add) and (at.left is node or at.right is node):
        other = at.right if at.left is node else at.left
        st = None if isinstance(other, ast.Name) and other.id == node.id else \
            parent.get(id(at))
        return isinstance(st, ast.Assign) and st.value is at and bool(st.targets) and \
            isinstance(st.targets[0], ast.Name) and st.targets[0].id == node.id
    return False


def _loop_sinks(loop: ast.While, code) -> tuple[str, ...]:
    """The plain locals of ``code`` that the loop uses only as ``s.append(x)`` statements
    (anywhere in the loop, whether it ran or not): never read otherwise, stored, deleted,
    declared global or nonlocal, nor seen by a nested scope (not a cell)."""
    return _loop_names_used_only(loop, code, _append_use)


def _loop_text_sinks(loop: ast.While, code) -> tuple[str, ...]:
    """The plain locals of ``code`` that the loop uses only as ``s = s + e``, ``s = e + s``
    or ``s += e`` statements (anywhere in the loop; ``s`` nowhere else, not in ``e``
    either): *text sinks* (anat5).  Like :func:`_loop_sinks`' lists, nothing in the loop
    reads what they hold - a concatenation only makes a longer value of them - and they
    are not cells.  The watch takes them as sinks only while they hold a ``str`` (an
    immutable value: another name bound to an older one sees no change, so unlike a
    list an alias reads nothing of what the loop adds)."""
    return _loop_names_used_only(loop, code, _concat_use)


_FLIPPED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE,
            ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


def _int_literal(node: ast.AST) -> int | None:
    """The value of an int literal, ``-3`` (a unary minus on one) included, else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    value = node.value if isinstance(node, ast.Constant) else None
    return sign * value if _type(value) is int else None  # type: ignore[operator]


def _settled(op, a: int, e: int, d: int) -> bool:
    """Is ``x <op> e`` the same for every x from ``a`` on, in direction ``d``?"""
    if d < 0:  # mirror: x <= a
        op, a, e = _FLIPPED.get(op), -a, -e
    # x >= a from now on
    if op in (ast.Gt, ast.GtE, ast.Lt, ast.LtE):
        return a > e or (a == e and op in (ast.GtE, ast.Lt))
    if op in (ast.Eq, ast.NotEq):
        return a > e
    return False


def _unchanging(node: ast.AST, stores: set[str], moved: dict, local: dict, glob: dict,
                code_locals: tuple = ()):
    """The value of a name that no line of the pass stores (so, with no item stores or
    impure calls either, it is the same object, unchanged, all pass long); else None."""
    if not isinstance(node, ast.Name) or node.id in stores or node.id in moved:
        return None
    if node.id in local:
        return local[node.id]
    if node.id in code_locals:
        return None  # a local not bound yet: never the global of that name
    return glob.get(node.id)


def _item_bytes(obj, budget: list[int]) -> int | None:
    """Bytes an appended item may take as a new object: 0 for the cached singletons
    (None, bools, small ints), ``sys.getsizeof`` + 16 for other scalars, and for tuples,
    lists, dicts, frozensets and sets their own size plus their items' (each counted as
    new: an overestimate); None for anything else or once more objects were looked at
    than ``budget[0]`` had left (shared by the calls for one judgement, red6: a period
    may append many items)."""
    todo = [obj]
    total = 0
    while todo:
        x = todo.pop()
        budget[0] -= 1
        if budget[0] < 0:
            return None
        t = _type(x)
        if x is None or t is bool or (t is int and -5 <= x <= 256):
            continue
        if t in (int, float, str, bytes, complex):
            total += sys.getsizeof(x) + 16
        elif t in (tuple, list, frozenset, set):
            total += sys.getsizeof(x) + 16
            todo.extend(x)
        elif t is dict:
            total += sys.getsizeof(x) + 16
            todo.extend(x.keys())
            todo.extend(x.values())
        else:
            return None
    return total


def _unpin_stack(frame, files) -> None:
    """Let the locals snapshots of the pair's function frames (code from ``files``: the
    candidate's and the test's, whose sources name no way to hold a snapshot) on the
    stack from ``frame`` down to :func:`run_pair` drop their references to strings
    (red6).  Before Python 3.13 ``frame.f_locals`` of a function frame is a dict the frame keeps,
    filled from the fast locals at each read and written back into them only by a trace
    or profile function's return: called from the timer handler with no trace function
    on the stack (see :func:`_in_trace_function`), dropping a key only drops that
    reference, and the next read fills it in again.  While it refers to a string,
    ``s += e`` cannot grow that string in place: the next append copies it whole, and
    the old copy stays in the way of its growth (1.5 times slower here).  From 3.13
    ``f_locals`` is a proxy that holds nothing (and whose deletion would delete the
    variable): left alone; so are module and class frames (their f_locals is their
    namespace)."""
    f = frame
    while f is not None and f.f_code is not _RUN_PAIR_CODE:
        # CO_OPTIMIZED | CO_NEWLOCALS: a function (not module or class code)
        if f.f_code.co_flags & 0x3 == 0x3 and f.f_code.co_filename in files:
            local = f.f_locals
            if _type(local) is dict:
                for name in [k for k, v in local.items() if _type(v) is str]:
                    del local[name]
            local = None
        f = f.f_back


def _in_trace_function(frame) -> bool:
    """Is the stack from ``frame`` down inside the watch's trace function?"""
    f = frame
    while f is not None:
        if f.f_code is _TRACE_CODE or f.f_code is _GLOBAL_TRACE_CODE:
            return True
        f = f.f_back
    return False


class _Abandon(BaseException):
    """Raised by the hang watch inside a pair it proved endless or disturbed."""


class HangWatch:
    """Watches one pair of a runner for a repeated whole state (see the module docstring).

    ``start(ns)`` before a watched pair arms a CPU timer (``ITIMER_PROF``, so the pair's
    own CPU decides, not the load); when it fires the pair has run ``_PROOF_START`` of the
    limit, and a trace function goes in for at most ``_PROOF_WINDOW`` of the limit more.
    At each ``line`` event on a clean line (:func:`_clean_lines`) of a candidate or test
    frame, that frame's state (:func:`_state`) enters Brent's cycle detection, one per
    live frame; a state seen before in the same frame, which has not returned since,
    proves that frame never leaves its loop: ``proved`` (when the pair cannot print); so
    does a state that :func:`_ints_only_move` accepts against the one a pass or two back,
    once the growth of its sinks, if any grew, is judged to fit the memory limit
    (:meth:`_judge_growth`, after an untraced window).  Every frame is traced in the
    window so that an exception tracing may have caused (RecursionError: the trace
    function's own frame; MemoryError: the snapshots) is seen: ``disturbed`` - the pair
    is then run again untraced.  At the end of the window the trace goes, and ``shift``
    holds the (wall, CPU) seconds of the window, which the pair is not charged.
    """

    def __init__(self, limit: float, shm: mmap.mmap) -> None:
        self.limit = limit
        self.shm = shm
        self._g = self._global  # one bound method: what sys.gettrace() must still return
        self.lines: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
        self.trees: dict[str, Any] = {}
        self.sinkinfo: dict = {}
        self.printing: dict[str, bool] = {}
        self.sources: dict[str, str] = {}
        self.ns: dict | None = None
        self.index = -1
        self.reset()
        signal.signal(signal.SIGPROF, self._on_timer)

    def reset(self) -> None:
        self.armed = self.tracing = self.proved = self.disturbed = self.traced = False
        self.abandon = self.unpin = False
        self.may_unpin = False
        self.frames: dict = {}
        # a proof that waits for its sinks' growth to be judged (see _judge_growth)
        self.growth: tuple | None = None
        self.prints = False
        self.attrs: tuple[str, ...] = ()
        self.collected = 0  # collections that found garbage (see _clean_heap)
        self.last_collect = -1  # the state count at the last of them
        # states taken / refused / refused for their size (benchmarks read these)
        self.states = self.refused = self.too_large = 0
        self.t_cpu = self.t_wall = 0.0

    def start(self, index: int, ns: dict, program: str, test: str) -> None:
        self.reset()
        self.index, self.ns = index, ns
        self.sources = {"<candidate>": program, "<test>": test}
        # may the pair write output? Then a repeated state proves nothing (see _step)
        self.prints = self._may_print(program) or self._may_print(test)
        self.attrs = self._attributes(program) + self._attributes(test)
        # (red6) may the pair hold on to a frame's locals snapshot (``d = locals()``,
        # ``frame.f_locals``, ``vars()``, exec/eval)?  Then it is never trimmed: the
        # pair would read what it held (see _unpin_stack)
        self.may_unpin = not any(word in program or word in test for word in _SNAPSHOT_WORDS)
        self.armed = True
        signal.setitimer(signal.ITIMER_PROF, max(self.limit * _PROOF_START, 0.001))

    def _may_print(self, source: str) -> bool:
        """Does ``source`` name a way to write output (:data:`_OUTPUT_WORDS`)?  Cached:
        the same program comes with every one of its tests."""
        got = self.printing.get(source)
        if got is None:
            if _len(self.printing) > 4096:
                self.printing.clear()
            got = self.printing[source] = any(word in source for word in _OUTPUT_WORDS)
        return got

    def _attributes(self, source: str) -> tuple[str, ...]:
        """The attribute names ``source`` uses (see :func:`_state`'s ``attrs``), cached."""
        key = "attrs\0" + source
        got = self.trees.get(key)
        if got is None:
            tree = _syntax_tree(source)
            got = () if tree is None else _tuple(_sorted({
                n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}))
            if _len(self.trees) > 512:
                self.trees.clear()
            self.trees[key] = got
        return got

    def _output_mark(self) -> int:
        """How much the pair has written so far (stdout and stderr share one file offset),
        its buffers flushed: a state repeated with more output between is no repeat - a
        pass that writes fills the output cap and fails inside the limit, whatever name
        it writes through (``copyright()``, ``re.DEBUG``, a unittest runner)."""
        sys.stdout.flush()
        sys.stderr.flush()
        return os.lseek(1, 0, os.SEEK_CUR)

    def _clean_heap(self, since: int) -> bool:
        """May a proof count now, as far as the heap goes?  Two things no snapshot sees
        would let a pass that came back to the same state go elsewhere later:

        * finalizers the cyclic GC runs when allocation counts say so - a class of the
          pair's with a ``__del__`` (one made at run time, say ``type(name, bases,
          {"__d" + "el__": f})``, which :func:`_finalizes` cannot see): while one exists
          the pair is disturbed (run again untraced).  Only classes the runner made since
          its fork are listed (the server freezes its objects out of the GC first);
        * cyclic garbage the pass leaves: the heap (object addresses, which ``repr`` and
          the order of a set of functions show) and the GC's counters move although the
          state repeats.  So the GC collects (no finalizer of the pair's can run: see
          above); the proof counts only if it found nothing and the last collection was
          made before the frame's last pass began (``since``: the state count at its
          previous head), so that the pass's own garbage would have been found.  Garbage
          found: the proof waits for a later repeat; after a few more such collections
          (an old object let go mid-pass is garbage once, a pass that makes garbage makes
          it every time) no proof of this pair counts."""
        if self.last_collect > since:
            return False  # a collection ran inside the last pass: wait for the next
        for obj in gc.get_objects():
            if _issubclass(_type(obj), type) and not _genuine(obj) and \
                    any("__del__" in vars(c) for c in obj.__mro__):
                self.disturbed = True
                return False
        found = gc.collect()
        self.last_collect = self.states
        if found == 0:
            return True
        self.collected += 1
        return False

    def stop(self) -> None:
        """After the pair (whatever happened): no timer, no trace, no held frames."""
        self.armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        if self.tracing:
            self._untrace()
        if self.traced:
            sys.settrace(None)
        self.frames = {}
        self.ns = None
        self.growth = None

    def _loops(self, filename: str) -> tuple[frozenset[int], frozenset[int]]:
        key = filename + "\0" + self.sources.get(filename, "")
        lines = self.lines.get(key)
        if lines is None:
            if _len(self.lines) > 512:
                self.lines.clear()
            lines = self.lines[key] = _loop_lines(self.sources.get(filename, ""))
        return lines

    def _on_timer(self, signum, frame) -> None:
        if not self.armed:
            return
        if (self.growth is not None or self.unpin) and _in_trace_function(frame):
            # (red6) the timer fired in the tail of the trace function that stopped the
            # trace: what follows must not touch a locals snapshot that the trace
            # function's return writes back (see _unpin_stack) - a moment later
            signal.setitimer(signal.ITIMER_PROF, 0.001)
            return
        if self.growth is not None:  # the untraced window that measures a sink's growth
            if self.growth[2] is None:
                self._start_growth()
                return
            try:
                self._judge_growth(frame)
            finally:  # (red6) a pair not proved runs on as fast as it would unwatched
                if self.may_unpin:
                    _unpin_stack(frame, self.sources)
            return
        if self.unpin:
            self.unpin = False
            if self.may_unpin:
                _unpin_stack(frame, self.sources)
            return
        if self.tracing:  # the window is over
            self._untrace()
            # (red6) then, out of the trace function, the snapshots let go of strings
            self.unpin = True
            signal.setitimer(signal.ITIMER_PROF, 0.001)
            return
        inside = frame  # is the pair still running (below run_pair's own frame)?
        while inside is not None and inside.f_code is not _RUN_PAIR_CODE:
            inside = inside.f_back
        if inside is None or frame.f_code is _RUN_PAIR_CODE:
            return
        if self.abandon:  # proved or disturbed, and the pair swallowed _Abandon: again
            signal.setitimer(signal.ITIMER_PROF, max(self.limit * _PROOF_WINDOW, 0.001))
            raise _Abandon
        self.tracing = self.traced = True
        self.t_cpu, self.t_wall = _thread_time(), _monotonic()
        signal.setitimer(signal.ITIMER_PROF, max(self.limit * _PROOF_WINDOW, 0.001))
        f = frame
        while f is not None and f.f_code is not _RUN_PAIR_CODE:  # the pair's frames only
            f.f_trace = self._local
            f = f.f_back
        sys.settrace(self._g)

    def _untrace(self) -> None:
        if sys.gettrace() != self._g and not self.abandon:
            self.disturbed = True  # the trace function failed: the pair saw an exception
        sys.settrace(None)
        self.tracing = False
        self.frames = {}
        if not self.abandon:
            self.t_cpu = _thread_time() - self.t_cpu
            self.t_wall = _monotonic() - self.t_wall
            # the pair started later, as far as its budget goes: the window is not charged
            pos, wall, cpu = _HDR.unpack_from(self.shm, 0)
            if pos == self.index:
                _HDR.pack_into(self.shm, 0, pos, wall + self.t_wall, cpu + self.t_cpu)

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename == _WORKER_FILE:
            return None  # the runner's own code (the timer handler, its bookkeeping)
        if self.abandon:
            raise _Abandon
        return self._local

    def _local(self, frame, event, arg):
        if not self.tracing or frame.f_code.co_filename == _WORKER_FILE:
            return None
        try:
            if event == "line":
                code = frame.f_code
                name = code.co_filename
                if name in self.sources:
                    heads, headers = self._loops(name)
                    line = frame.f_lineno
                    if line in headers:  # a for loop moves on: its iterator is state
                        self.frames.pop(frame, None)
                    elif line in heads and code.co_name not in _UNWATCHED_CODE_NAMES \
                            and not code.co_flags & _GENERATOR_FLAGS:
                        self._step(frame)
                    else:
                        entry = self.frames.get(frame)
                        if entry is not None:
                            entry[3][2].add(line)  # run between two states of the frame
            elif event == "return":
                self.frames.pop(frame, None)
            elif event == "exception" and _issubclass(arg[0], (RecursionError, MemoryError)):
                self.disturbed = True
        except (_Unprovable, RecursionError, MemoryError) as exc:
            self.refused += 1
            self.too_large += exc.args == ("size",)
            entry = self.frames.get(frame, _MISSING)
            if exc.args == ("size",) and _type(exc) is _Unprovable and entry is not None:
                # (anat5) too large here, where a list is whole that another loop's head
                # masks as its sink: no state at this head, but the frame's other heads
                # still count - this line ran between two of their states
                if entry is not _MISSING:
                    entry[3][2].add(frame.f_lineno)
            else:
                self.frames.pop(frame, None)
                self.frames[frame] = None  # this frame cannot be watched any more
            if _issubclass(sys.exc_info()[0], (RecursionError, MemoryError)):
                self.disturbed = True
        except Exception:
            self.disturbed = True
        if self.proved or self.disturbed:
            # leave the pair: raised here (which also ends the trace), and again by the
            # timer every window's length while the pair swallows it
            self.abandon = True
            self.tracing = False
            signal.setitimer(signal.ITIMER_PROF, max(self.limit * _PROOF_WINDOW, 0.001))
            raise _Abandon
        return self._local

    def _step(self, frame) -> None:
        """Brent's cycle detection on one frame's states, and the comparison of each
        state with the ones one and two passes back (:func:`_ints_only_move`)."""
        entry = self.frames.get(frame, _MISSING)
        if entry is None or self.ns is None or self.collected > _GARBAGE_TRIES:
            return  # unwatchable (or no namespace yet, or a pass makes garbage: no proof)
        head = frame.f_lineno
        local = frame.f_locals
        lists, texts = self._sinks(frame.f_code, head)
        sinks = _tuple(s for s in lists if _type(local.get(s)) is list) + \
            _tuple(s for s in texts if _type(local.get(s)) is str)
        # One freeze serves every proof: the whole state is the masked one plus the int
        # locals' values (an int is a plain scalar: masking it moves no alias index) plus
        # the sinks' contents (frozen last, with the same alias indices).
        tail: list = []
        try:
            masked = _state(frame, self.ns, mask_ints=True, sinks=sinks, tail=tail,
                            attrs=self.attrs)
        except _Aliased:  # a sink something else refers to: an ordinary list
            sinks, tail = (), []
            masked = _state(frame, self.ns, mask_ints=True, attrs=self.attrs)
        ints = {k: v for k, v in local.items() if _type(v) is int}
        if _len(masked) + _len(ints) > _STATE_BUDGET:  # the unmasked state's size, sinks aside
            raise _Unprovable("size")
        mark = self._output_mark()
        whole = tail[0] if sinks else ()
        # no whole state when the sinks are too large to freeze: no repeat of it either
        state = None if whole is None else (masked, _tuple(ints.values()), whole, mark)
        self.states += 1
        # the state masked, its ints, the lines run since, its sinks (identity, length;
        # a text sink is a new object whenever it grows: its kind stands for its
        # identity), the output written so far, the state count
        record = (masked, ints, {head}, _tuple((
            id(local[s]) if _type(local[s]) is list else str, _len(local[s])) for s in sinks),
            mark, self.states)
        if entry is _MISSING:
            # tortoise, power, steps since it moved; the last record, the one before
            self.frames[frame] = [state, 1, 1, record, None]
            return
        # (a printing pair may fill the output cap: no proof of a repeat)
        if state is not None and state == entry[0] and not self.prints:
            if self._clean_heap(entry[3][5]):
                self.proved = True
                return
        else:
            tree = None
            for back in (entry[3], entry[4]):  # one pass back, two passes back
                if back is None or masked != back[0] or ints.keys() != back[1].keys() or \
                        [i for i, _ in back[3]] != [i for i, _ in record[3]] or \
                        mark != back[4]:
                    continue
                moved = {k: (back[1][k], v) for k, v in ints.items() if back[1][k] != v}
                executed = back[2] if back is entry[3] else back[2] | entry[3][2]
                tree = tree or self._tree(frame.f_code.co_filename)
                if _ints_only_move(tree, head, executed, moved, frame, sinks):
                    if not self._clean_heap(entry[3][5]):
                        break  # garbage: a later pass may prove it (see _clean_heap)
                    if back[3] == record[3]:
                        self.proved = True  # nothing grew: no memory needed
                    else:  # (red6) with how many items each sink takes a period
                        self._measure_growth(frame, sinks, [
                            n - m for (_, n), (_, m) in zip(record[3], back[3])])
                    return
        entry[4], entry[3] = entry[3], record
        if entry[2] == entry[1]:
            entry[0], entry[1], entry[2] = state, entry[1] * 2, 0
        entry[2] += 1

    def _sinks(self, code, head: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The append-only local lists and the text sinks of the ``while`` loop whose
        body starts at ``head`` (:func:`_loop_sinks`, :func:`_loop_text_sinks`), cached
        per code object and head."""
        key = (code, head)
        names = self.sinkinfo.get(key)
        if names is None:
            tree = self._tree(code.co_filename)
            loops = [n for n in ast.walk(tree) if isinstance(n, ast.While) and n.body
                     and n.body[0].lineno == head] if tree is not None else []
            names = (_loop_sinks(loops[0], code), _loop_text_sinks(loops[0], code)) \
                if _len(loops) == 1 else ((), ())
            if _len(self.sinkinfo) > 512:
                self.sinkinfo.clear()
            self.sinkinfo[key] = names
        return names

    def _measure_growth(self, frame, sinks: tuple, per: list[int]) -> None:
        """A loop proved endless but for its memory: stop tracing (the window so far is
        not charged) and let it run untraced for ``_GROWTH_WINDOW`` of the limit, after
        which :meth:`_judge_growth` sees how fast its sinks grow.  ``per``: how many
        items each sink took in the proof's period (one or two passes).  The window
        starts a moment later, in the timer's handler (:meth:`_start_growth`): red6, the
        text sinks must be let go of outside a trace function (see :func:`_unpin`)."""
        self._untrace()
        self.growth = (frame, sinks, None, 0.0, per, 0)
        signal.setitimer(signal.ITIMER_PROF, 0.001)

    def _start_growth(self) -> None:
        """The growth window's start: the sinks' lengths, and the text sinks unpinned."""
        frame, sinks, _, _, per, _ = self.growth  # type: ignore[misc]
        try:
            local = frame.f_locals
            lengths = [_len(local[s]) for s in sinks]
        except (KeyError, AttributeError):
            self.growth = None
            return
        local = None  # noqa: F841
        if not self.may_unpin:
            if any(_type(frame.f_locals.get(s)) is str for s in sinks):
                self.growth = None  # a text sink the snapshot holds: not measurable
                return
        else:
            _unpin_stack(frame, self.sources)
        self.growth = (frame, sinks, lengths, _thread_time(), per, _address_space())
        signal.setitimer(signal.ITIMER_PROF, max(self.limit * _GROWTH_WINDOW, 0.001))

    def _judge_growth(self, frame) -> None:
        """The sinks' growth over an untraced window decides whether the proof stands: it
        does only if, at twice the measured rate for a whole limit more, the pair's
        address space stays under its limit (and its cgroup's memory under that limit),
        counting per appended item 18 bytes of list (8 bytes a slot, over-allocated by
        1/8, and copied once when the list is moved) and the largest item a period
        appends (see below: a pass may append a large item, then small ones) - or, if
        more, what the address space grew by in the window, at the same rate.  Then
        the real run reaches the time limit before the memory limit:
        a TIMEOUT, as proved.  Otherwise the pair just runs on untraced (it was traced:
        if it ends - a MemoryError - it is run again untraced for its verdict).

        anat5: an appended item may be any value no moved int reaches (the same value each
        pass, but maybe a new object each time): counted at :func:`_item_bytes` of the
        largest of the items of a whole period (the last as many as the period appended:
        a pass appends the same values each period; red6: not the last 256, which a
        period's many small items after one large one hid), and no proof if one of them
        is not a plain value or a period appends more than :data:`_PERIOD_ITEMS`.  A text sink (a ``str``, see
        :func:`_loop_text_sinks`) counts 3 bytes per byte of its final size: while
        ``s + e`` is built the old value is alive too, and the frame's locals snapshot
        (the watch read it) may hold one more old value.  Growth per CPU second does not
        speed up: every pass does the same work on longer sinks and larger ints, so
        twice the measured rate bounds it.

        red6: the window must not be slowed by the watch itself.  Reading a frame's
        locals (every traced event does, and so does this watch) leaves a snapshot that
        refers to a text sink's current string, so its next ``s += e`` must copy the
        whole string - where the real run, in a quickened function, appends in place -
        and the old copy stays, in the way of the string's in-place growth.  A 160 MB
        sink took the whole window to copy once, and a loop that grows at 500 MB/s
        looked as if it did not grow.  So the window starts in a timer handler after the
        trace is gone and the snapshot lets go of the text sinks (:func:`_unpin`), and
        the judgement lets go of them again: a pair not proved runs on as fast as it
        would unwatched (with the old copy pinned, 1.5 times slower: an ERROR at 1.9 s
        of CPU became a cut at its 3 s limit)."""
        loop_frame, sinks, before, cpu0, per, space0 = self.growth  # type: ignore[misc]
        self.growth = None
        try:
            lists = [loop_frame.f_locals[s] for s in sinks]
        except (KeyError, AttributeError):
            return
        inside = frame
        while inside is not None and inside.f_code is not _RUN_PAIR_CODE:
            inside = inside.f_back
        spent = _thread_time() - cpu0
        if inside is None or spent < self.limit * _GROWTH_WINDOW * 0.5:
            return
        need = 0  # (the allocator's granularity and slack: added below)
        budget = [1 << 18]  # objects _item_bytes may look at, all sinks together
        for x, n, k in zip(lists, before, per):
            more = 2.0 * (_len(x) - n) / spent * self.limit
            if _type(x) is str:
                width = min(4, max(1, -(-(sys.getsizeof(x) - sys.getsizeof("")) //
                                       max(_len(x), 1))))
                need += int(3 * width * (_len(x) + more))
                continue
            # (red6) every item of a whole period: the last k items are one of each
            # value a period appends (any k in a row are a rotation of the period's);
            # the last 256 were not - 300 zeros after a new 1 MB string hid the string
            if k > _PERIOD_ITEMS:
                return
            size = 0
            for item in x[_len(x) - k:] if k > 0 else ():
                got = _item_bytes(item, budget)
                if got is None:
                    return  # not a plain value: its memory is not known
                size = max(size, got)
            need += int(18 * (_len(x) + more) + size * more)
        # or, if more, what the address space grew by in the window, at the same rate
        grown = _address_space() - space0
        need = max(need, int(2.0 * max(grown, 0) / spent * self.limit))
        if not _memory_room(need + (64 << 20)):  # allocator granularity and slack
            return
        self.proved = self.abandon = True
        signal.setitimer(signal.ITIMER_PROF, max(self.limit * _PROOF_WINDOW, 0.001))
        raise _Abandon

    def _tree(self, filename: str) -> ast.Module | None:
        key = "tree\0" + filename + "\0" + self.sources.get(filename, "")
        tree = self.trees.get(key, _MISSING)
        if tree is _MISSING:
            if _len(self.trees) > 512:
                self.trees.clear()
            tree = self.trees[key] = _syntax_tree(self.sources.get(filename, ""))
        return tree


_TRACE_CODE = HangWatch._local.__code__
_GLOBAL_TRACE_CODE = HangWatch._global.__code__

# --------------------------------------------------------------------------- isolation

def _unshare_network() -> bool:
    """Move this process into a new network namespace (root only): no interface is up."""
    if os.geteuid() != 0:
        return False
    try:
        return _libc().unshare(0x40000000) == 0  # CLONE_NEWNET
    except OSError:
        return False


_LIBC = None


def _libc():
    """libc, loaded once in the server: ``find_library`` runs ``ldconfig`` (a fork and an
    exec, milliseconds), which a runner set-up must not pay after every timeout."""
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _LIBC


def _blocked_ancestor(path: str) -> str | None:
    """The top-most directory on ``path`` that other users may not traverse (or None)."""
    current = "/"
    for part in os.path.realpath(path).strip("/").split("/"):
        if not part:
            break
        try:
            if not os.stat(current).st_mode & 0o001:
                return current
        except OSError:
            return None
        current = os.path.join(current, part)
    return None


def _import_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    roots.update(p for p in sys.path if p)
    return sorted(r for r in roots if os.path.exists(r))


def _expose_interpreter() -> bool:
    """Let the sandbox uid import what a fresh interpreter could import (root only).

    When the interpreter lives under a directory other users cannot enter (pyenv under
    ``/root`` is 0700), a child that dropped to the sandbox uid could import only what
    the server had imported already: ``import string`` or ``import numpy`` would fail
    where a fresh interpreter succeeds.  In a private mount namespace, each such
    directory is covered by a tmpfs that other users may traverse (not list), holding
    read-only bind mounts of just the entries the import paths go through; the rest of
    it (e.g. root's home) stays hidden.  Returns whether every import root is reachable.
    """
    blocked: dict[str, set[str]] = {}
    for root in _import_roots():
        top = _blocked_ancestor(root)
        if top is not None:
            rest = os.path.relpath(os.path.realpath(root), top)
            blocked.setdefault(top, set()).add(rest.split(os.sep)[0])
    if not blocked:
        return True
    if os.geteuid() != 0:
        return False
    try:
        libc = _libc()
        ms_bind, ms_rec, ms_private, ms_rdonly, ms_remount = 4096, 16384, 1 << 18, 1, 32
        if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
            return False
        if libc.mount(b"none", b"/", None, ms_rec | ms_private, None) != 0:
            return False
        for top, names in blocked.items():
            staging = tempfile.mkdtemp(prefix="coderm-expose-")
            topb = top.encode()
            if libc.mount(topb, staging.encode(), None, ms_bind | ms_rec, None) != 0:
                return False
            if libc.mount(b"tmpfs", topb, b"tmpfs", 0, b"mode=0711,size=64k") != 0:
                return False
            for name in names:
                src, dst = os.path.join(staging, name), os.path.join(top, name)
                if os.path.isdir(src):
                    os.mkdir(dst)
                else:
                    open(dst, "w").close()
                flags = ms_bind | ms_rec
                if libc.mount(src.encode(), dst.encode(), None, flags, None) != 0:
                    return False
                libc.mount(None, dst.encode(), None, ms_remount | ms_bind | ms_rdonly, None)
            libc.umount2(staging.encode(), 2)  # MNT_DETACH
            os.rmdir(staging)
    except OSError:
        return False
    return all(_blocked_ancestor(r) is None for r in _import_roots())


def _network_blocked() -> bool:
    import socket

    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent by connect()
            return False
        finally:
            s.close()
    except OSError:
        return True


class Sandbox:
    """The server's per-process isolation settings and work directory."""

    def __init__(self, uid: int | None, workdir: str | None) -> None:
        self.root = os.geteuid() == 0
        self.uid = uid if (self.root and uid is not None) else None
        self.netns = _unshare_network() if self.root else False
        # only a uid drop can lock the sandbox out of the interpreter's own files
        self.interpreter_readable = _expose_interpreter() if self.uid is not None else True
        self.workdir = workdir or tempfile.mkdtemp(prefix="coderm-sbx-")
        os.makedirs(self.workdir, exist_ok=True)
        if self.uid is not None:
            os.chown(self.workdir, self.uid, self.uid)
        os.chmod(self.workdir, 0o700)
        # runners' output files live (unlinked at once) in a directory of the server's
        # that the sandbox uid cannot enter: no name a test could replace by a symlink, and
        # no trace in the work dir whose state the runners fingerprint
        self.outdir = tempfile.mkdtemp(prefix=".coderm-out-",
                                       dir=os.path.dirname(os.path.abspath(self.workdir)))
        self.server_pid = os.getpid()
        self.runner_pids: set[int] = set()  # runners forked and not yet reaped
        try:
            _libc()  # loaded here once, so that every runner inherits it
            # processes a candidate forked and left behind become the server's children
            # when their parent dies, not init's: init may never reap them (a container's
            # PID 1 often does not), and zombies of the sandbox uid count against its
            # process-count rlimit, so a fork bomb's remains would make later pairs' forks
            # fail - verdicts that depend on an earlier candidate.  The server reaps them.
            _libc().prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass

    def describe(self) -> dict:
        return {"root": self.root, "uid_drop": self.uid is not None,
                "netns": self.netns, "network_blocked": _network_blocked(),
                "interpreter_readable": self.interpreter_readable,
                "workdir": self.workdir}

    @staticmethod
    def kill(pid: int) -> None:
        """SIGKILL the child and its process group (no wait)."""
        for target in (-pid, pid):
            try:
                os.kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def reap(self, pid: int, sweep: bool = True) -> None:
        """Kill the child, its process group and (as root, with ``sweep``) every process of
        the sandbox uid.  The server passes ``sweep=False`` when the next runner will do
        that sweep itself (see :func:`_enter_sandbox`) before any untrusted code runs."""
        self.kill(pid)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        self.runner_pids.discard(pid)
        if sweep and self.uid is not None:
            sweeper = os.fork()
            if sweeper == 0:
                try:
                    os.setgid(self.uid)
                    os.setuid(self.uid)
                    _kill_own_uid()
                except BaseException:
                    pass
                os._exit(0)
            os.waitpid(sweeper, 0)
        self.reap_orphans()

    def pair_processes_cpu(self, runner: int, since: float) -> float:
        """CPU seconds (user + system, every thread) of the processes a runner's pair
        started: those of the sandbox uid (without a uid drop: of the runner's session)
        other than the runner itself that began at or after ``since`` (monotonic), alive
        or not yet reaped.  Processes an earlier pair left behind are not charged to this
        one.  Read only when a pair is past its deadline short of its CPU budget, so the
        walk over /proc costs nothing on ordinary pairs."""
        tick = os.sysconf("SC_CLK_TCK")
        # /proc's start times are clock ticks since boot (CLOCK_BOOTTIME); one tick of
        # rounding is allowed so that a child forked in the pair's first tick counts
        floor = (time.clock_gettime(time.CLOCK_BOOTTIME) - (time.monotonic() - since)) \
            * tick - 1
        total = 0
        for fields in _process_stats(self.uid, runner):
            # fields[k - 3] is stat's field k: 6 session, 14 utime, 15 stime, 22 starttime
            try:
                if self.uid is None and int(fields[3]) != runner:
                    continue
                if int(fields[19]) >= floor:
                    total += int(fields[11]) + int(fields[12])
            except (IndexError, ValueError):
                continue
        return total / tick

    def reap_orphans(self) -> None:
        """Reap dead children that are not runners: a candidate's processes that outlived
        their runner and were killed by a uid sweep (see the subreaper note in __init__).
        Runners are left to :meth:`reap`, which waits for them by pid."""
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None or info.si_pid in self.runner_pids:
                return
            try:
                os.waitpid(info.si_pid, 0)
            except ChildProcessError:
                return

    def clean_workdir(self) -> None:
        for name in os.listdir(self.workdir):
            path = os.path.join(self.workdir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def _process_stats(uid: int | None, skip: int):
    """The fields of ``/proc/PID/stat`` after the command name (``fields[0]`` is the
    state, stat's field 3) of every process but ``skip``, of ``uid`` only unless it is
    None; processes that end while being read are left out."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == skip:
            continue
        try:
            if uid is not None and os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            with open(f"/proc/{entry}/stat", "rb") as f:
                yield f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue


def _live_processes_of(uid: int, me: int) -> bool:
    """Is any process of ``uid`` other than ``me`` alive (not a zombie)?"""
    return any(fields and fields[0] not in (b"Z", b"X")
               for fields in _process_stats(uid, me))


def _kill_own_uid(rounds: int = 50) -> None:
    """SIGKILL every other process of this process's (sandbox) uid, and again until none
    is left alive.  One ``kill(-1)`` walks the process list while a fork bomb's processes
    keep forking, so it can miss the newest ones (seen: 64 survivors of a single pass,
    running on as orphans).  The re-check runs only when the first kill hit something."""
    me, uid = os.getpid(), os.getuid()
    for _ in range(rounds):
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:  # ESRCH: nothing of ours is left, not even a zombie
            return
        if not _live_processes_of(uid, me):
            return
        time.sleep(0.001)


# --------------------------------------------------------------------------- child side

def _die_with_parent(server_pid: int) -> None:
    """SIGKILL this runner when its server dies (PR_SET_PDEATHSIG), so a server killed
    mid-pair never leaves a hanging runner behind.  Set again after the uid drop, which
    clears it; if the server died before that, exit now."""
    try:
        _libc().prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != server_pid:
        os._exit(0)


def _prepare_runner(sandbox: Sandbox, limits: dict) -> list[tuple[int, str, int]]:
    """Runs right after fork() in a (spare) runner, still as root: everything of the
    confinement that needs neither the previous runner gone nor the work dir clean.

    Output goes to a fresh file created exclusively in the server's private ``outdir``
    and unlinked at once: only this runner holds it (a test cannot plant a symlink there,
    and the work dir, which other runners fingerprint, does not change).
    """
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for _ in range(100):
        path = os.path.join(sandbox.outdir, f"{os.getpid()}-{os.urandom(6).hex()}")
        try:
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            break
        except FileExistsError:
            continue
    else:
        raise OSError("no output file")
    os.unlink(path)
    if sandbox.uid is not None:
        os.fchown(out, sandbox.uid, sandbox.uid)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.chdir(sandbox.workdir)
    mem = int(limits.get("memory_mb", 4096)) * 1024 * 1024
    fsize = int(limits.get("max_output_bytes", 8 << 20))
    for res, value in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_FSIZE, fsize),
                       (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass
    _die_with_parent(sandbox.server_pid)
    return _open_import_dirs() if sandbox.uid is not None else []


def _enter_sandbox(sandbox: Sandbox, limits: dict, import_dirs: list) -> None:
    """Runs in a runner once the server let it go (the previous runner is dead): drop to
    the sandbox uid and, first of all, kill every other process of that uid (what a
    previous runner left behind: the sweep).  ``kill(-1)`` spares its caller."""
    nproc = int(limits.get("max_processes", 64))
    if sandbox.uid is not None:
        os.setgroups([])
        os.setgid(sandbox.uid)
        os.setuid(sandbox.uid)
        _kill_own_uid()
        _use_import_dirs(import_dirs)
    try:
        # counts every process of the (dedicated) uid; ignored for root, hence after setuid
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    except (ValueError, OSError):
        pass
    _die_with_parent(sandbox.server_pid)  # the uid drop cleared it
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": sandbox.workdir, "LANG": "C.UTF-8",
                       "TMPDIR": sandbox.workdir})
    tempfile.tempdir = sandbox.workdir
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # the dispositions of a fresh interpreter started from a terminal, whatever started
    # us: a shell without job control starts background commands (`nohup cmd &`, CI
    # scripts) with SIGINT and SIGQUIT ignored, Python keeps an inherited SIG_IGN, and a
    # pair that checks or raises them would get another verdict when run that way
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _open_import_dirs() -> list[tuple[int, str, int]]:
    """Open every import directory while still root (see :func:`_use_import_dirs`)."""
    opened = []
    for i, entry in enumerate(sys.path):
        if not entry or not os.path.isdir(entry):
            continue
        try:
            opened.append((i, entry, os.open(entry, os.O_RDONLY | os.O_DIRECTORY)))
        except OSError:
            pass
    return opened


def _use_import_dirs(opened: list[tuple[int, str, int]]) -> None:
    """Keep the standard library importable after dropping to the sandbox uid.

    The interpreter often lives under a directory the sandbox uid may not traverse
    (``/root/.pyenv``, a home directory).  A lookup through ``/proc/self/fd/N`` starts at
    the directory opened before the drop and checks permissions only below it, so the
    runner can import what the interpreter ships without being granted anything else.
    """
    import importlib

    for i, entry, fd in opened:
        path = f"/proc/self/fd/{fd}"
        try:
            os.listdir(entry)
        except OSError:
            if sys.path[i] == entry:
                sys.path[i] = path
    importlib.invalidate_caches()


class _Baseline:
    """A cheap fingerprint of interpreter state that must not change between pairs.

    It runs after every pair, so it only holds checks costing about a microsecond.  What
    would be expensive to compare at run time (every builtin, every loaded module's
    attributes, signal handlers, the environment) can only be changed through names that
    :func:`may_touch_shared_state` flags statically, and a flagged test always runs in a
    child of its own.
    """

    def __init__(self, workdir: str) -> None:
        import _thread
        import builtins

        self._thread_count = _thread._count
        self.workdir = workdir
        self.builtins = builtins.__dict__
        self.builtin_count = _len(builtins.__dict__)
        self.recursion = sys.getrecursionlimit()
        self.interpreter = (_len(sys.path), _len(sys.meta_path), sys.getswitchinterval(),
                            getattr(sys, "get_int_max_str_digits", _int)())
        self.cwd = os.getcwd()
        self.stdio = (sys.stdin, sys.stdout, sys.stderr)
        # closed by a pair (``def done(f): f.close()``, ``done(sys.stdout)``): the next
        # pair's print would raise; the static check treats the streams as inert
        self.stdio_closed = (sys.stdin.closed, sys.stdout.closed, sys.stderr.closed)
        self.trace = (sys.gettrace(), sys.getprofile())
        self.threads = (threading.active_count(), _thread._count())
        self.dir_state = self._dir_state()

    def _dir_state(self) -> tuple[int, int]:
        st = os.stat(self.workdir)
        return st.st_mtime_ns, st.st_nlink

    def intact(self) -> bool:
        return (_len(self.builtins) == self.builtin_count
                and sys.getrecursionlimit() == self.recursion
                and (_len(sys.path), _len(sys.meta_path), sys.getswitchinterval(),
                     getattr(sys, "get_int_max_str_digits", _int)()) == self.interpreter
                and (sys.stdin, sys.stdout, sys.stderr) == self.stdio
                and (sys.stdin.closed, sys.stdout.closed, sys.stderr.closed)
                == self.stdio_closed
                and (sys.gettrace(), sys.getprofile()) == self.trace
                and (threading.active_count(), self._thread_count()) == self.threads
                and os.getcwd() == self.cwd
                and self._dir_state() == self.dir_state)


_MISSING = object()


def _fresh_namespace() -> dict:
    # Not "__main__": a candidate's `if __name__ == "__main__":` block (reading stdin,
    # printing a demo) must not run, as in every harness that imports the solution.
    return {"__name__": "solution", "__builtins__": __builtins__}


def _run_unittest_class(ns: dict, class_name: str | None) -> int:
    cls = ns.get(class_name) if class_name else None
    if cls is None:
        found = [v for v in ns.values()
                 if isinstance(v, type) and issubclass(v, unittest.TestCase)
                 and v is not unittest.TestCase and v.__module__ == "solution"]
        if len(found) != 1:
            return ERROR
        cls = found[0]
    if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)):
        return ERROR
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
    result = unittest.TestResult()
    suite.run(result)
    if result.errors:
        return ERROR
    if result.failures or result.unexpectedSuccesses:
        return FAIL
    if result.testsRun - len(result.skipped) <= 0:
        return ERROR
    return PASS


def run_pair(program_code, test_code, kind: str, class_name: str | None,
             ns: dict | None = None) -> int:
    """Run candidate then test in a fresh namespace; return the verdict (no limits here)."""
    if ns is None:
        ns = _fresh_namespace()
    try:
        exec(program_code, ns)
        exec(test_code, ns)
        if kind == "unittest":
            return _run_unittest_class(ns, class_name)
        return PASS
    except AssertionError:
        return FAIL
    except BaseException:  # SystemExit, KeyboardInterrupt, MemoryError, RecursionError...
        return ERROR


_RUN_PAIR_CODE = run_pair.__code__


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= _len(chunk)
    return b"".join(chunks)


def _child_main(sandbox: Sandbox, limits: dict, cmd_fd: int, report_fd: int,
                shm: mmap.mmap) -> None:
    """Body of a forked runner: wait for the go byte, enter the sandbox, then take batches
    from ``cmd_fd`` until tainted, then _exit.

    A runner is forked ahead of need (a spare, see :class:`Server`) and does
    its root set-up while the previous runner still works; the server sends the go byte
    once the previous runner is dead.  A runner lives across batches (so a fork is paid per
    misbehaving pair, not per candidate).  Each batch message is
    ``(program, tests, start, stop, probe, unsafe, skip)``: run tests ``start:stop``
    (``skip``: indices the server already knows time out, see :func:`hang_key`); test
    ``i``'s verdict goes to slot ``i - start`` of ``shm``, after the header said that ``i``
    runs (see :data:`_HDR`); the pipe carries only the probe's verdict, the end of the
    message and a taint.  Two fingerprints guard reuse:
    ``batch_state`` (taken after the candidate program ran once) must hold after every
    pair; ``pristine`` (taken before any untrusted code, once the server cleaned the work
    dir, i.e. when the first message arrives) must hold after a batch before the runner may
    take another one.
    """
    try:
        import_dirs = _prepare_runner(sandbox, limits)
        if os.read(cmd_fd, 1) != _GO:
            os._exit(0)
        _enter_sandbox(sandbox, limits, import_dirs)

        def report(index: int, code: int) -> None:
            os.write(report_fd, _REC.pack(index, code))

        codes: dict[str, object] = {}
        running = -1  # the pair that a cut signal may interrupt (-1: none)
        was_cut = False

        def on_cut(signum, frame) -> None:
            # only inside the pair the server named: a late signal (the pair ended just
            # as its deadline passed) must not interrupt the next one
            nonlocal running, was_cut
            if running >= 0 and _CUT.unpack_from(shm, _CUT_AT)[0] == running:
                running, was_cut = -1, True
                raise _Cut

        signal.signal(_CUT_SIGNAL, on_cut)

        def code_of(source: str):
            hit = codes.get(source, _MISSING)
            if hit is _MISSING:
                hit = _CODE.get(source, _MISSING)  # compiled by the server before our fork
                if hit is _MISSING:
                    hit = _compile(source, "<test>")
                if _len(codes) > 4096:
                    codes.clear()
                codes[source] = hit
            return hit

        watch = HangWatch(float(limits.get("time_limit", 1.0)), shm)
        report(_READY, 0)
        pristine = None
        last_program: object = None
        program_code = None
        program_rng = False
        while True:
            size = _REC_LEN.unpack(_read_exact(cmd_fd, _REC_LEN.size))[0]
            program, tests, start, stop, probe, unsafe, skip, watched, keys = pickle.loads(
                _read_exact(cmd_fd, size))
            if pristine is None:
                pristine = _Baseline(sandbox.workdir)
            if program != last_program:  # consecutive batches mostly share their candidate
                program_code = _compile(program, "<candidate>")
                last_program = program
                program_rng = _uses_rng(program)
            if probe:
                _HDR.pack_into(shm, 0, _PROBE, _monotonic(), _thread_time())
                if program_code is None:
                    report(_PROBE, ERROR)
                    report(_BATCH_END, 0)
                    continue
                ns = _fresh_namespace()
                if program_rng:
                    _seed_rngs()
                try:
                    _exec(program_code, ns)
                    outcome = PASS
                except AssertionError:  # the verdict run_pair gives such a program
                    outcome = FAIL
                except BaseException:
                    outcome = ERROR
                del ns
                _forget_output(only_if_written=True)
                report(_PROBE, outcome)
                if outcome != PASS:
                    if not pristine.intact():
                        report(_TAINT, 0)
                        os._exit(0)
                    report(_BATCH_END, 0)
                    continue
            batch_state = _Baseline(sandbox.workdir)
            tainted = False
            proven: set = set()  # hang keys of pairs proved endless in this message
            for i in _range(start, stop):
                if i in skip:  # the server knows these time out (see hang_key)
                    continue
                if keys[i] is not None and keys[i] in proven:  # same first call as a
                    shm[_SLOTS_AT + i - start] = TIMEOUT  # proved hang: not run again
                    continue
                source, kind, class_name = tests[i]
                test_code = code_of(source)
                rng = program_rng or _uses_rng(source)
                if rng:
                    _seed_rngs()
                modules = _len(sys.modules)
                _HDR.pack_into(shm, 0, i, _monotonic(), _thread_time())
                if test_code is None or program_code is None:
                    verdict = ERROR
                else:
                    was_cut, running = False, i
                    try:
                        if i in watched:
                            verdict = _watched_pair(watch, i, program, source, program_code,
                                                    test_code, kind, class_name, shm, rng)
                            if verdict == TIMEOUT and keys[i] is not None:
                                proven.add(keys[i])
                        else:
                            verdict = run_pair(program_code, test_code, kind, class_name)
                        running = -1
                    except _Cut:  # raised between run_pair's handlers, or just after it
                        verdict = TIMEOUT
                    if was_cut:  # the server already counts it a TIMEOUT
                        verdict = TIMEOUT
                _forget_output(only_if_written=True)
                # an interrupted import may leave half a module behind: start afresh
                tainted = unsafe[i] or not batch_state.intact() or (
                    was_cut and _len(sys.modules) != modules)
                shm[_SLOTS_AT + i - start] = verdict
                if tainted:
                    break
            if tainted or not pristine.intact():
                report(_TAINT, 0)
                os._exit(0)
            report(_BATCH_END, 0)
    except BaseException:
        pass
    os._exit(0)


def _watched_pair(watch: HangWatch, i: int, program: str, source: str, program_code,
                  test_code, kind: str, class_name: str | None, shm: mmap.mmap,
                  rng: bool = False) -> int:
    """Run pair ``i`` under the hang watch: TIMEOUT when a repeated state proved it
    endless; the verdict of an untraced run again when it was traced and ended anyway
    (or tracing disturbed it), so every other verdict comes from a run without tracing.
    Not again when the server cut it: it used its whole budget, so the server has
    recorded its TIMEOUT already (run again, it burnt a second limit before the server
    killed the runner: twice the CPU of every watched hang that was not proved)."""
    ns = _fresh_namespace()
    watch.start(i, ns, program, source)
    try:
        verdict = run_pair(program_code, test_code, kind, class_name, ns)
    finally:
        watch.stop()
    del ns
    if watch.proved and not watch.disturbed:
        return TIMEOUT
    if not watch.traced:
        return verdict
    if _CUT.unpack_from(shm, _CUT_AT)[0] == i:  # cut at its limit (run_pair caught _Cut)
        return TIMEOUT
    _forget_output()  # the run again starts, as a fresh run, with no output written
    if rng:
        _seed_rngs()  # and with the generators the first run started from
    _HDR.pack_into(shm, 0, i, _monotonic(), _thread_time())  # a fresh budget, untraced
    return run_pair(program_code, test_code, kind, class_name)


def _forget_output(only_if_written: bool = False) -> None:
    """Drop what the pair wrote so far (flushed, then the output file emptied): its output
    cap counts from zero again - for the next pair, or for a pair's run again.
    ``only_if_written``: skip the truncation when the file offset is 0 (the common case
    after a pair that printed nothing: no system call paid for it)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    try:
        if not only_if_written or os.lseek(1, 0, os.SEEK_CUR):
            os.ftruncate(1, 0)
            os.lseek(1, 0, os.SEEK_SET)
    except OSError:
        pass


# --------------------------------------------------------------------------- server side

def _compile(source: str, name: str):
    """``source`` compiled as a fresh interpreter compiles it: ``dont_inherit``, or the
    ``from __future__ import annotations`` of this module would apply to it too (then an
    annotation naming nothing - ``def f(x: List[int])`` without the import - is no
    NameError, and annotations are strings)."""
    try:
        return compile(source, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError):
        return None


# source -> code object of every test the server received: a runner forked afterwards
# (the spare that replaces a killed runner) inherits them instead of compiling the
# tests again (~6 % of the runners' time, profiled).  Not programs: the runner that
# gets a batch was mostly forked before it arrived and compiles the program anyway.
_CODE: dict[str, Any] = {}


def _memo(cache: dict, key, compute):
    """``compute(key)``, remembered in a per-server cache that is emptied past 20,000
    entries (a server lives for a whole run; the sources it sees are unbounded)."""
    hit = cache.get(key, _MISSING)
    if hit is _MISSING:
        if len(cache) > 20000:
            cache.clear()
        hit = cache[key] = compute(key)
    return hit


class _Runner:
    """The server's handle on one forked runner process."""

    def __init__(self, pid: int, cmd_w: int, rep_r: int, limits: dict,
                 shm: mmap.mmap) -> None:
        self.pid, self.cmd_w, self.rep_r, self.limits = pid, cmd_w, rep_r, limits
        self.shm = shm  # its header and verdict slots (see _HDR)
        self.base = 0  # batch position of slot 0 in the current message

    def post(self, start: int, stop: int, sent: float) -> None:
        """Before a message for tests ``start:stop``: empty their slots, idle header."""
        self.base = start
        self.shm[_SLOTS_AT:_SLOTS_AT + stop - start] = bytes([_UNSET]) * (stop - start)
        _HDR.pack_into(self.shm, 0, _IDLE, sent, 0.0)
        _CUT.pack_into(self.shm, _CUT_AT, _IDLE)

    def header(self) -> tuple[int, float, float]:
        """The runner's header, read until two reads agree (it may be mid-write)."""
        while True:
            first = _HDR.unpack_from(self.shm, 0)
            if _HDR.unpack_from(self.shm, 0) == first:
                return first

    def slot(self, pos: int) -> int:
        return self.shm[_SLOTS_AT + pos - self.base]

    def cut(self, pos: int) -> None:
        """Ask the runner to abandon pair ``pos`` (it raises _Cut there and goes on)."""
        _CUT.pack_into(self.shm, _CUT_AT, pos)
        try:
            os.kill(self.pid, _CUT_SIGNAL)
        except OSError:
            pass


class Server:
    """Reads batches, feeds runners, enforces deadlines, writes verdicts.

    Once a runner has died in this server (a timeout, a crash, a tainted pair), the server
    keeps a *spare*: a runner forked ahead of need that did its root set-up while the
    current one worked.  When the current runner dies, the spare gets the go byte, sweeps
    the sandbox uid and is ready at once, so a timed-out pair costs its limit plus a kill
    and a handshake, not a fork, a sweeper fork and a set-up.
    """

    def __init__(self, sandbox: Sandbox, out) -> None:
        self.sandbox = sandbox
        self.out = out
        self._facts: dict[str, SourceFacts] = {}
        self._program_verdicts: dict[tuple[str, str], int] = {}
        # (program, limits) -> hang keys of tests that timed out on it (see hang_key)
        self._hung: dict[tuple[str, str], set[str]] = {}
        self.inferred_timeouts = 0
        self._warm_failed: set[str] = set()
        self.runner: _Runner | None = None
        self.spare: _Runner | None = None
        self._want_spare = False
        self.forks = 0
        self._verdicts: list[int] = []

    def _facts_of(self, source: str) -> SourceFacts:
        return _memo(self._facts, source, source_facts)

    def _hang_keys(self, program: str, tests: list, unsafe: list[bool]) -> list[str | None]:
        """Each test's hang key, or None where a timeout proves nothing about others."""
        if not self._facts_of(program).repeats:
            return [None] * len(tests)
        return [None if bad or t.get("kind") != "assert"
                else self._facts_of(t.get("source", "")).hang_key
                for t, bad in zip(tests, unsafe)]

    def _warm(self, program: str) -> None:
        """Import the slow libraries ``program`` imports into the server (see
        :data:`_WARM_MODULES`); runners forked before that lack them, so they go."""
        names = list(self._facts_of(program).warm)
        if any(n.split(".")[0] == "numpy" for n in names):
            names.append("numpy.random")  # lazy in numpy 2: loaded here, runners seed it
        fresh = False
        for name in names:
            if name in sys.modules or name in self._warm_failed:
                continue
            try:
                __import__(name)
                fresh = True
            except BaseException:  # not installed, or broken: the candidate will see that
                self._warm_failed.add(name)
        if fresh:
            # what the program's imports name is known now (see _imported_values)
            self._facts.pop(program, None)
            if self.spare is not None:
                self._discard(self.spare, sweep=False)  # never let go: nothing to sweep
                self.spare = None
            self._retire()

    def emit(self, obj: dict) -> None:
        self.out.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def verdict(self, bid: int, index: int, code: int) -> None:
        """Record a pair's verdict; they leave in one line per batch (see run_batch)."""
        self._verdicts.append(code)

    def _fork(self, limits: dict) -> _Runner:
        """Fork a runner; it prepares itself as root and waits for the go byte."""
        self.out.flush()  # a child must not inherit unwritten protocol output
        gc.collect()
        gc.freeze()  # keep the runner from touching (and so copying) the server's heap
        live = [r for r in (self.runner, self.spare) if r is not None]
        others = [fd for r in live for fd in (r.cmd_w, r.rep_r)]
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        shm = mmap.mmap(-1, _SLOTS_AT + _SLOTS)  # MAP_SHARED: the fork shares it
        pid = os.fork()
        if pid == 0:
            for fd in (cmd_w, rep_r, *others):  # no runner may reach another's pipes
                try:
                    os.close(fd)
                except OSError:
                    pass
            for r in live:  # nor another's verdict slots
                try:
                    r.shm.close()
                except (OSError, BufferError):
                    pass
            _child_main(self.sandbox, limits, cmd_r, rep_w, shm)
            os._exit(0)  # not reached
        os.close(cmd_r)
        os.close(rep_w)
        self.forks += 1
        self.sandbox.runner_pids.add(pid)
        return _Runner(pid, cmd_w, rep_r, limits, shm)

    def _go(self, runner: _Runner, dying: _Runner | None = None) -> bool:
        """Let a forked runner enter the sandbox; wait until it is ready (so a pair's
        deadline never includes set-up).  The previous runner must be dead by then:
        ``dying`` (already sent SIGKILL) is reaped while the new one sets itself up - its
        first act is the uid sweep, which kills the dying one again - so the kernel's
        tear-down of one overlaps the set-up of the other."""
        try:
            os.write(runner.cmd_w, _GO)
        except OSError:
            return False  # the caller discards it with a sweep
        finally:
            if dying is not None:
                self._discard(dying, sweep=False)
        ready = select.select([runner.rep_r], [], [], _READY_TIMEOUT)[0]
        hello = os.read(runner.rep_r, _REC.size) if ready else b""
        self.sandbox.reap_orphans()  # what the runner's uid sweep killed
        return len(hello) == _REC.size and _REC.unpack(hello)[0] == _READY

    def _discard(self, runner: _Runner, sweep: bool) -> None:
        for fd in (runner.cmd_w, runner.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.sandbox.reap(runner.pid, sweep=sweep)
        runner.shm.close()

    def _spawn(self, limits: dict) -> _Runner:
        runner = self._fork(limits)
        if not self._go(runner):
            self._discard(runner, sweep=True)
            self.sandbox.clean_workdir()
            raise RuntimeError("sandbox runner failed to start")
        self.sandbox.clean_workdir()  # after its sweep, before its first message
        return runner

    def _retire(self) -> None:
        """Kill the current runner; start the spare (if any) in its place."""
        runner = self.runner
        if runner is None:
            return
        self.runner = None
        spare, self.spare = self.spare, None
        if spare is None:
            self._discard(runner, sweep=True)
        else:  # the spare's first act is the uid sweep (see _go)
            self.sandbox.kill(runner.pid)
            if self._go(spare, dying=runner):
                self.runner = spare
            else:
                self._discard(spare, sweep=True)
        self.sandbox.clean_workdir()  # after the sweep, before the next runner's first message
        self._want_spare = True

    def close(self) -> None:
        if self.spare is not None:
            self._discard(self.spare, sweep=False)  # never let go: still root, nothing to sweep
            self.spare = None
        self._retire()

    def run_batch(self, batch: dict) -> None:
        bid = batch["id"]
        tests = batch.get("tests", [])
        limits = batch.get("limits", {})
        limit = float(limits.get("time_limit", 1.0))
        n = len(tests)
        program = batch.get("program", "")
        inferred_before, forks_before = self.inferred_timeouts, self.forks
        self._warm(program)
        for t in tests:
            _memo(_CODE, t.get("source", ""), lambda src: _compile(src, "<test>"))
        ours = self._facts_of(program).shared
        unsafe = [pair_touches_shared_state(ours, self._facts_of(t.get("source", "")).shared)
                  for t in tests]
        specs = [(t.get("source", ""), t.get("kind", "unittest"), t.get("class_name"))
                 for t in tests]
        pos = 0
        probe = True
        self._verdicts = []
        limits_key = json.dumps(limits, sort_keys=True)
        known = self._program_verdicts.get((program, limits_key))
        keys = self._hang_keys(program, tests, unsafe)
        watched = frozenset(
            i for i, t in enumerate(tests) if not unsafe[i]
            and self._facts_of(t.get("source", "")).provable_test) \
            if self._facts_of(program).provable else frozenset()
        hung: set[str] = _memo(self._hung, (program, limits_key), lambda _: set()) \
            if any(k is not None for k in keys) else set()
        if known is not None:
            # this program alone already hung / crashed / raised under these limits in an
            # earlier batch: a hanging candidate costs one limit per server, not per batch
            self._verdicts = [known] * n
            pos = n
        while pos < n:
            if self.spare is not None and self.spare.limits != limits:
                self._discard(self.spare, sweep=False)  # never let go: nothing to sweep
                self.spare = None
            if self.runner is not None and self.runner.limits != limits:
                self._retire()
            if self.runner is None:
                self.runner = self._spawn(limits)
            runner = self.runner
            # tests whose first call already timed out on this program: TIMEOUT unrun
            skip = frozenset(i for i in range(pos, n) if keys[i] is not None and keys[i] in hung)
            if not probe:
                pos = self._infer_timeouts(bid, pos, n, skip)
                if pos == n:
                    break
            stop = min(n, pos + _SLOTS)
            payload = pickle.dumps((program, specs, pos, stop, probe, unsafe, skip, watched,
                                    keys))
            started = time.monotonic()
            runner.post(pos, stop, started)
            try:  # one write: the runner wakes once per message
                _write_all(runner.cmd_w, _REC_LEN.pack(len(payload)) + payload)
            except OSError:  # the runner died between batches
                self._retire()
                continue
            if self._want_spare and self.spare is None:
                # forked while the runner works, so that the next timeout does not wait
                self.spare = self._fork(limits)

            def timed_out(i: int, stop: int = stop) -> bool:
                """Note pair ``i``'s TIMEOUT; may its runner go on with ``i + 1``?  Not
                when a later test of this message makes the same first call: the next
                message will skip those (see hang_key), this one would run them."""
                key = keys[i]
                if key is None:
                    return True
                hung.add(key)
                return all(keys[j] != key for j in range(i + 1, stop))

            pos, program_verdict, alive = self._watch(runner, bid, pos, stop, limit, probe,
                                                      started, skip, timed_out, keys, hung)
            if not alive:
                self._retire()
            if program_verdict is not None:
                # the program alone hangs / crashes / raises: every pair ends the same way
                if len(self._program_verdicts) > 20000:
                    self._program_verdicts.clear()
                self._program_verdicts[(program, limits_key)] = program_verdict
                for i in range(pos, n):
                    self.verdict(bid, i, program_verdict)
                pos = n
            probe = False
        self.emit({"id": bid, "v": self._verdicts, "done": True,
                   "t": self.inferred_timeouts - inferred_before,
                   "r": self.forks - forks_before})
        self.out.flush()

    def _infer_timeouts(self, bid: int, pos: int, n: int, skip: frozenset[int]) -> int:
        """TIMEOUT for the tests from ``pos`` on that are in ``skip`` (the runner does not
        run them, see hang_key); returns the first position the runner will report."""
        while pos < n and pos in skip:
            self.verdict(bid, pos, TIMEOUT)
            self.inferred_timeouts += 1
            pos += 1
        return pos

    def _watch(self, runner: _Runner, bid: int, pos: int, stop: int, limit: float,
               probe: bool, started: float, skip: frozenset[int],
               timed_out: Callable[[int], bool], keys: list[str | None],
               hung: set[str]) -> tuple[int, int | None, bool]:
        """Follow a runner through one message (tests ``pos:stop``) sent at ``started``.

        The server sleeps until the pipe speaks (probe verdict, end of message, taint, the
        runner's death) or the running pair's deadline is due; then it collects the
        verdict slots written so far and reads the header to learn which pair runs since
        when.  A pair's deadline is its start + ``limit``; a pair that is still running
        then, with no progress since the last look, is a TIMEOUT (see the CPU budget
        below).  Its runner is then *cut*: a signal raises :class:`_Cut` inside that pair
        and the runner goes on with the next one, as EvalPlus's own grader goes on after
        a timed-out input; a runner that has not moved on after ``_CUT_GRACE`` (the pair
        swallowed the exception, or sits in one long C call) is killed, and so is one
        whose later tests in this message make the timed-out first call (``timed_out``
        says so: the next message skips them).  The runner does not run the tests in
        ``skip``; they get TIMEOUT here, in order.  Returns (next test position, program
        verdict if the probe failed, runner alive).
        """
        r = runner.rep_r
        buf = b""
        deadline = started + limit
        # runner CPU clock when the current pair began; until the header names a pair,
        # the clock at the message's send (a runner kept off the CPU before its first
        # header write must not lose its budget to the wall clock)
        cpu_mark: float | None = _cpu_seconds(runner.pid)
        pair_start = started  # when the running pair began (monotonic)
        awaiting_probe = probe
        failed_probe: int | None = None
        seen: tuple | None = None
        cut: int | None = None  # the pair cut last, until the runner has left it

        def fill(pos: int) -> int:
            return self._infer_timeouts(bid, pos, stop, skip)

        def collect(pos: int) -> tuple[int, bool]:
            """Verdicts the runner wrote since the last look; False on a bad slot."""
            while pos < stop:
                code = runner.slot(pos)
                if code == _UNSET:
                    break
                if code > CRASH:  # garbage: the runner is not trustworthy any more
                    return pos, False
                if code == TIMEOUT:  # a proved hang, or one inferred from it (hang_key)
                    if keys[pos] is not None and keys[pos] in hung:
                        self.inferred_timeouts += 1
                    else:
                        timed_out(pos)
                self.verdict(bid, pos, code)
                pos = fill(pos + 1)
            return pos, True

        def crash(pos: int) -> tuple[int, int | None, bool]:
            self.verdict(bid, pos, CRASH)
            return pos + 1, None, False

        if not probe:
            pos = fill(pos)
        while True:
            timeout = deadline - time.monotonic()
            ready = select.select([r], [], [], timeout)[0] if timeout > 0 else []
            chunk = os.read(r, 65536) if ready else b""
            if not awaiting_probe and failed_probe is None:
                pos, ok = collect(pos)
                if not ok:
                    return crash(pos)
            head = runner.header()
            if cut is not None and head[0] != cut:
                cut = None  # it left the cut pair
            if ready and not chunk:  # the runner died
                if awaiting_probe:
                    return pos, CRASH, False
                if failed_probe is not None:
                    return pos, failed_probe, False
                if pos < stop and cut is None:
                    return crash(pos)
                return pos, None, False  # (it died unwinding the cut pair: no verdict)
            buf += chunk
            while len(buf) >= _REC.size:
                index, code = _REC.unpack_from(buf)
                buf = buf[_REC.size:]
                if index == _PROBE and awaiting_probe:
                    awaiting_probe = False
                    if code != PASS:
                        failed_probe = code
                    else:
                        pos, ok = collect(fill(pos))
                        if not ok:
                            return crash(pos)
                elif index == _TAINT:
                    return pos, failed_probe, False
                elif index == _BATCH_END:
                    if pos < stop and failed_probe is None:
                        return crash(pos)  # it claims the end, yet a slot is empty
                    return pos, failed_probe, True
                else:  # garbage on the report pipe: the runner is not trustworthy any more
                    return crash(pos)
            now = time.monotonic()
            if (pos, head) != seen:  # progress since the last look
                seen = (pos, head)
                current = _PROBE if awaiting_probe else pos
                if head[0] == current and head[1] >= started:  # it runs since head[1]
                    deadline, cpu_mark, pair_start = head[1] + limit, head[2], head[1]
                elif head[0] != _IDLE:  # between two pairs: the next one starts by now
                    deadline, cpu_mark, pair_start = now + limit, _cpu_seconds(runner.pid), now
                continue
            if now < deadline:
                continue
            if cut is not None:  # it did not leave the cut pair in time
                return pos, None, False
            used = _working_cpu_seconds(runner.pid) if cpu_mark is not None else None
            if used is not None and cpu_mark is not None:
                # the pair's budget covers every process it started, not only the
                # runner's thread: a fork bomb's children take the cores from the runner
                # they forked, which would otherwise wait for the wall-clock backstop
                used = used - cpu_mark + self.sandbox.pair_processes_cpu(runner.pid,
                                                                         pair_start)
            backstop = pair_start + wall_backstop(limit)
            if used is not None and now < backstop and used < limit - _CPU_SLACK:
                # working but short of its CPU budget: the machine's load kept it off
                # the CPU, so it gets the rest (up to the wall-clock backstop); a pair
                # that sleeps or waits is cut at the wall-clock limit below
                deadline = min(backstop, now + max(limit - used, 0.002))
                continue
            if awaiting_probe:
                return pos, TIMEOUT, False
            if failed_probe is not None:
                return pos, failed_probe, False
            self.verdict(bid, pos, TIMEOUT)
            go_on = timed_out(pos) and head[0] == pos
            if not go_on:
                return pos + 1, None, False
            runner.cut(pos)
            cut, pos = pos, fill(pos + 1)
            seen, deadline = (pos, head), now + _CUT_GRACE


def wall_backstop(limit: float) -> float:
    """Wall-clock seconds a working pair may take however little CPU the machine gave it.

    Generous on purpose: with every core busy a runner gets a share of a core (1/3 with
    two CPU-bound processes per core, less when other sessions' autogroups compete), so
    its pair needs several times its CPU limit in wall time; a backstop that load can
    reach turns a slow pass into a load-dependent TIMEOUT (issue 24: the old 4 x limit +
    0.25 s did, on the probe, for whole candidates).  30 x limit + 10 s: 40 s at the
    paper's 1 s."""
    return 30 * limit + 10.0


_CPU_SLACK = 0.001  # seconds of CPU under the limit at which a starved pair is done


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds of ``pid``'s main thread (what ``time.thread_time()`` reads there)."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _working_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of ``pid``'s main thread if that thread is working: runnable (state R:
    computing, or waiting for a CPU) or in uninterruptible sleep (D: the kernel works for
    it - page faults, reclaim, disk - and under memory pressure that takes longer); None
    if it sleeps or waits for something else (S: then its time is its own and the
    wall-clock limit applies)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            if f.read().rsplit(b")", 1)[1].split()[0] not in (b"R", b"D"):
                return None
    except (OSError, ValueError, IndexError):
        return None
    return _cpu_seconds(pid)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def serve(uid: int | None = None, workdir: str | None = None, infile=None, outfile=None) -> None:
    """Serve batches from ``infile`` (default stdin) until EOF or ``{"cmd": "quit"}``."""
    infile = infile or sys.stdin
    out = outfile or sys.stdout
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # a dead runner is an error, not our death
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # a warm numpy (Server._warm) must not start thread pools
    os.environ.setdefault("MPLBACKEND", "Agg")  # a warm matplotlib: no GUI, no threads
    for name in _PRELOADED_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass
    sandbox = Sandbox(uid, workdir)
    server = Server(sandbox, out)
    server.emit({"ready": True, "protocol": _PROTOCOL_VERSION, "pid": os.getpid(),
                 "python": sys.version.split()[0], "isolation": sandbox.describe()})
    out.flush()
    try:
        for line in infile:
            line = line.strip()
            if not line:
                continue
            msg = json.loads(line)
            if msg.get("cmd") == "quit":
                break
            server.run_batch(msg)
    finally:
        server.close()
        shutil.rmtree(sandbox.workdir, ignore_errors=True)
        shutil.rmtree(sandbox.outdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="coderm-evalplus pair runner (fork server)")
    parser.add_argument("--uid", type=int, default=None,
                        help="unprivileged uid children run as (when started as root)")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=False)
    serve(args.uid, args.workdir)


if __name__ == "__main__":
    main()
