"""One real fork server (``execute/worker.py`` in its own interpreter) driven over its
JSON-lines protocol, for tests that must see the worker's own verdicts and timing without
the executor in between."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coderm_evalplus.execute import worker

WORKER = Path(worker.__file__)


class WorkerServer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-I", str(WORKER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        assert json.loads(self.proc.stdout.readline())["ready"]
        self.bid = 0

    def batch(self, program: str, tests: list[str], limit: float,
              memory_mb: int = 2048) -> tuple[dict[str, Any], float]:
        """The server's reply to one batch of assert tests, and the wall seconds it took."""
        self.bid += 1
        msg = {"id": self.bid, "program": program,
               "tests": [{"source": t, "kind": "assert"} for t in tests],
               "limits": {"time_limit": limit, "memory_mb": memory_mb,
                          "max_output_bytes": 1 << 20, "max_processes": 32}}
        started = time.monotonic()
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        return reply, time.monotonic() - started

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@contextlib.contextmanager
def private_output():
    """fds 1 and 2 on a file of their own while a pair runs in-process, as in a runner:
    the watch reads the output offset (HangWatch._output_mark), and pytest's capture file
    is shared with the worker servers earlier tests started, whose writes move it."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
