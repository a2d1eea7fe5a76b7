"""Pairs see the signal dispositions of a fresh interpreter, however the run was started.

A shell without job control starts background commands (``nohup pytest &``, many CI
scripts) with SIGINT and SIGQUIT ignored; Python keeps an inherited SIG_IGN, and so did
every runner: a test asserting the default SIGINT handler FAILed only when the whole run
was started that way (``tests/adversarial``'s probe did, in session 12).  Runners now
restore the dispositions a terminal gives (``worker._enter_sandbox``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from coderm_evalplus.execute import worker
from coderm_evalplus.model import Verdict

TESTS = [
    "import signal\nassert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n",
    "import signal\nassert signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL\n",
    "import os, signal\ntry:\n    os.kill(os.getpid(), signal.SIGINT)\n"
    "    import time\n    time.sleep(5)\n    assert False\nexcept KeyboardInterrupt:\n    pass\n",
]


def _ignore_like_a_background_job() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGQUIT, signal.SIG_IGN)


def test_runner_restores_sigint_and_sigquit_when_started_with_them_ignored():
    proc = subprocess.Popen([sys.executable, "-I", str(worker.__file__)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            bufsize=1, preexec_fn=_ignore_like_a_background_job)
    try:
        assert json.loads(proc.stdout.readline())["ready"]
        msg = {"id": 1, "program": "x = 1\n",
               "tests": [{"source": t, "kind": "assert"} for t in TESTS],
               "limits": {"time_limit": 2.0, "memory_mb": 1024,
                          "max_output_bytes": 1 << 20, "max_processes": 16}}
        proc.stdin.write(json.dumps(msg) + "\n")
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    assert reply["v"] == [Verdict.PASS] * len(TESTS), reply
