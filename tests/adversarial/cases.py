"""Hostile (candidate, test) pairs shared by every sandbox's adversarial suite.

Importable without pytest: a sandbox suite builds a :class:`HostContext` (a host file that
must stay untouched, the port of a listener on the host, a secret in the host
environment), renders each :class:`HostileCase` with it and checks the verdict is in
``case.allowed``.

Each hostile test is written so that it *passes only if the attack worked* (it asserts
the forbidden effect), so a non-pass verdict means "contained".  Two cases are the
exception and say so (``must_not_pass=False``): a thread that keeps running after its
test, and ``kill(-1)``; a fresh interpreter would pass them too, and what matters is that
nothing they start survives and no other pair's verdict moves.  The same goes for the
three leak cases at the end (builtins, stdlib attribute, file in cwd): their own verdict
is whatever a fresh interpreter gives; the suite checks the pairs after them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

PASS, FAIL, ERROR, TIMEOUT, CRASH = 0, 1, 2, 3, 4
NON_PASS = frozenset({FAIL, ERROR, TIMEOUT, CRASH})
ANY = frozenset({PASS}) | NON_PASS

PROGRAM = "def add(a, b):\n    return a + b\n"
"""The benign candidate every hostile test runs after (tests may call ``add``)."""


@dataclass(frozen=True)
class HostContext:
    """What the host side set up for the cases to attack."""

    host_file: str  # an existing file outside the sandbox; must keep its content
    listen_port: int  # a TCP listener on the host's 127.0.0.1
    secret_name: str = "CODERM_TEST_SECRET"
    secret_value: str = "s3cret-do-not-leak"


Source = str | Callable[[HostContext], str]


@dataclass(frozen=True)
class HostileCase:
    """One hostile pair.  ``test`` / ``program`` may depend on the host context."""

    name: str
    test: Source
    allowed: frozenset[int] = NON_PASS
    kind: str = "unittest"
    program: Source = PROGRAM
    why: str = ""
    slow: bool = False  # needs a full time limit to end (hangs until killed)
    tags: tuple[str, ...] = field(default=())

    @property
    def must_not_pass(self) -> bool:
        return PASS not in self.allowed

    @property
    def class_name(self) -> str | None:
        return "Hostile" if self.kind == "unittest" else None

    def render(self, ctx: HostContext) -> tuple[str, str]:
        """(program source, test source) for this host."""
        program = self.program(ctx) if callable(self.program) else self.program
        test = self.test(ctx) if callable(self.test) else self.test
        return program, test

    def spec(self, ctx: HostContext):
        """(program, TestSpec) for the executor API (imports the package lazily)."""
        from coderm_evalplus.execute.base import TestSpec

        program, test = self.render(ctx)
        return program, TestSpec(test, self.kind, self.class_name)


def unittest_source(body: str) -> str:
    """Wrap statements as the only test method of a ``Hostile`` TestCase."""
    return ("import unittest\n\n\nclass Hostile(unittest.TestCase):\n"
            "    def test_attack(self):\n"
            + textwrap.indent(textwrap.dedent(body).strip() + "\n", " " * 8))


def _t(body: str) -> str:
    return unittest_source(body)


def _write_outside(ctx: HostContext) -> str:
    return _t(f"""
        path = {ctx.host_file!r}
        wrote = False
        for mode in ("w", "a"):
            try:
                with open(path, mode) as f:
                    f.write("pwned")
                wrote = True
            except OSError:
                pass
        try:
            import os
            os.unlink(path)
            wrote = True
        except OSError:
            pass
        self.assertTrue(wrote)
    """)


def _network(ctx: HostContext) -> str:
    return _t(f"""
        import socket
        reached = []
        for host, port in (("127.0.0.1", {ctx.listen_port}), ("192.0.2.1", 80)):
            try:
                socket.create_connection((host, port), timeout=0.3).close()
                reached.append(host)
            except OSError:
                pass
        self.assertTrue(reached)
    """)


def _secret(ctx: HostContext) -> str:
    return _t(f"""
        import os
        secret = {ctx.secret_value!r}
        seen = os.environ.get({ctx.secret_name!r}) == secret
        pids = ["self", str(os.getppid()), "1"] + [p for p in os.listdir("/proc") if p.isdigit()]
        for pid in pids:
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    seen = seen or secret.encode() in f.read()
            except OSError:
                pass
        self.assertTrue(seen)
    """)


CASES_LIST: list[HostileCase] = [
    HostileCase("fork_bomb", _t("""
        import os
        n = 0
        while True:
            try:
                os.fork()
                n += 1
            except OSError:
                pass
    """), slow=True, why="process-count rlimit + kill of every process of the sandbox uid"),
    HostileCase("infinite_loop", _t("while True:\n    pass"), frozenset({TIMEOUT}), slow=True),
    HostileCase("thread_outlives_test", _t("""
        import threading
        def spin():
            while True:
                pass
        threading.Thread(target=spin, daemon=True).start()
    """), ANY, why="passes in a fresh interpreter too; the thread must not survive the "
                   "pair nor slow the pairs after it"),
    HostileCase("alloc_10gb", _t("x = bytearray(10 * 1024 ** 3)\nself.assertTrue(x)"),
                frozenset({ERROR, CRASH})),
    HostileCase("output_1gb", _t("""
        import sys
        chunk = "x" * (1 << 20)
        for _ in range(1024):
            sys.stdout.write(chunk)
        sys.stdout.flush()
    """), frozenset({ERROR, CRASH}), why="file-size rlimit on the captured output"),
    HostileCase("os_exit", _t("import os\nos._exit(0)"), frozenset({CRASH})),
    HostileCase("sys_exit", _t("import sys\nsys.exit(0)"), frozenset({ERROR})),
    HostileCase("kill_parent", _t("""
        import os, signal, time
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(0.2)
        self.assertEqual(os.getppid(), 1)
    """), frozenset({ERROR, FAIL, CRASH})),
    HostileCase("kill_process_group", _t("""
        import os, signal
        os.killpg(0, signal.SIGKILL)
    """), frozenset({CRASH, ERROR})),
    HostileCase("kill_everything", _t("""
        import os, signal
        os.kill(-1, signal.SIGKILL)
    """), ANY, why="kill(-1) spares its caller; as root it reaches only the sandbox uid"),
    HostileCase("signal_alarm_tampering", _t("""
        import signal
        for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
            signal.signal(s, signal.SIG_IGN)
        signal.alarm(0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    """), frozenset({TIMEOUT}), slow=True, why="the deadline is a SIGKILL from the server"),
    HostileCase("write_outside_sandbox", _write_outside, frozenset({FAIL, ERROR}),
                why="as root the pair runs as an unprivileged uid"),
    HostileCase("outbound_network", _network, frozenset({FAIL, ERROR}),
                why="as root the server is in an empty network namespace"),
    HostileCase("host_env_secret", _secret, frozenset({FAIL, ERROR}),
                why="scrubbed environment; other processes' environ unreadable (root)"),
    HostileCase("stdin_read", _t("""
        import sys
        data = sys.stdin.read()
        self.assertTrue(data)
        self.assertTrue(input())
    """), frozenset({FAIL, ERROR})),
    HostileCase("deep_recursion", _t("""
        def f(n):
            return f(n + 1)
        f(0)
    """), frozenset({ERROR, CRASH, TIMEOUT})),
    HostileCase("setrecursionlimit_deep", _t("""
        import sys
        sys.setrecursionlimit(10 ** 8)
        def f(n):
            return f(n + 1) + 1
        f(0)
    """), frozenset({ERROR, CRASH, TIMEOUT}), slow=True),
    HostileCase("sys_modules_tampering", _t("""
        import sys
        sys.modules["unittest"] = None
        sys.modules["json"] = None
        sys.modules["math"] = None
        import math
        self.assertEqual(math.sqrt(4), 2)
    """), frozenset({ERROR})),
    # leak cases: the suite's probe tests after them check nothing leaked
    HostileCase("builtins_replacement", _t("""
        import builtins
        builtins.len = lambda x: 0
        builtins.print = None
        builtins.AssertionError = KeyError
        __builtins__["abs"] = lambda x: -1
    """), ANY),
    HostileCase("stdlib_monkeypatch", _t("""
        import math, json, collections.abc
        math.sqrt = lambda x: -1.0
        json.dumps = lambda *a, **k: "hacked"
        collections.abc.__all__.append("leaked")
    """), ANY),
    HostileCase("output_file_symlink", lambda ctx: _t(f"""
        import os
        path = {ctx.host_file!r}
        names = [".out"] + os.listdir(".")
        try:
            names.append(os.readlink("/proc/self/fd/1").replace(" (deleted)", ""))
        except OSError:
            pass
        for name in names:
            try:
                os.remove(name)
            except OSError:
                pass
            try:
                os.symlink(path, name)
            except OSError:
                pass
        print("x" * 100)
    """), ANY, why="planting symlinks is harmless by itself; a server or runner that opens "
       "an output file through one as root would truncate the host file (host file check)"),
    HostileCase("file_in_cwd", _t("""
        with open("leak.txt", "w") as f:
            f.write("leak")
        import os
        os.makedirs("leakdir/sub", exist_ok=True)
    """), ANY),
]

HOSTILE_CASES = CASES_LIST

PROBES: list[tuple[str, str]] = [
    ("probe_builtins", _t("self.assertEqual(len([1, 2]), 2)\nself.assertEqual(abs(-3), 3)\n"
                          "print('probe')\nwith self.assertRaises(AssertionError):\n"
                          "    assert False")),
    ("probe_stdlib", _t("import math, json, collections.abc\n"
                        "self.assertEqual(math.sqrt(4), 2.0)\n"
                        "self.assertEqual(json.dumps([1]), '[1]')\n"
                        "self.assertNotIn('leaked', collections.abc.__all__)")),
    ("probe_cwd", _t("import os\nself.assertFalse(os.path.exists('leak.txt'))\n"
                     "self.assertFalse(os.path.exists('leakdir'))")),
    ("probe_interpreter", _t("import sys, unittest, signal\n"
                             "self.assertIsNotNone(sys.modules.get('unittest'))\n"
                             "self.assertLess(sys.getrecursionlimit(), 10 ** 6)\n"
                             "self.assertEqual(signal.getsignal(signal.SIGINT),"
                             " signal.default_int_handler)")),
    ("probe_add", _t("self.assertEqual(add(2, 3), 5)")),
]
"""Well-behaved unittest sources (class ``Hostile``) that pass on a correct ``add`` in a
fresh interpreter and fail when something a hostile case did leaked into them."""


def as_tuples(ctx: HostContext) -> list[tuple[str, str, object, bool]]:
    """``(name, program, TestSpec, must_not_pass)`` rows, the shape older suites read."""
    rows = []
    for case in CASES_LIST:
        program, spec = case.spec(ctx)
        rows.append((case.name, program, spec, case.must_not_pass))
    return rows
