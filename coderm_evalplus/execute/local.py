"""The local sandbox: a pool of worker fork servers on this machine.

Each pool slot is one ``python -I worker.py`` process (small: it never imports numpy or
the pipeline, so its ``fork()`` is cheap) started with a scrubbed environment.  The
pipeline's process only ships batches and reads verdicts: candidate code never runs in it.
As root each slot gets its own unprivileged uid (see worker.py), derived from our pid so
concurrent runs on one machine never share one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import RunError
from ..hookspecs import hookimpl
from .base import Batch, Limits, OnVerdict, TestSpec, default_jobs

WORKER_PATH = Path(__file__).with_name("worker.py")


@functools.cache
def worker_digest(path: Path = WORKER_PATH) -> str:
    """sha256 of a worker.py (default: this package's): the code that defines what a
    verdict is."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
CRASH = 4
_MAX_SERVER_RESTARTS_PER_BATCH = 2


def sandbox_uid(slot: int) -> int:
    """A dedicated uid per (run, slot): 100000 + (pid mod 20000) * 64 + slot."""
    return 100000 + (os.getpid() % 20000) * 64 + (slot % 64)


class WorkerProcess:
    """One fork server and its pipes (shared by the local and Ray backends)."""

    timeouts_inferred = 0  # TIMEOUT verdicts the server inferred without a run (hang_key)

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env if env is not None else scrubbed_env(), text=True, encoding="utf-8",
            bufsize=1, start_new_session=True,
        )
        hello = self.proc.stdout.readline() if self.proc.stdout else ""
        if not hello:
            code = self.proc.wait()
            raise RunError(f"sandbox worker {' '.join(argv)!r} exited with {code} at start")
        self.info = json.loads(hello)

    def run(self, batch: Batch, limits: Limits) -> Iterator[tuple[int, int]]:
        """Send a batch, yield (test position, verdict); raise EOFError if the server dies."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(_message(batch, limits)) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise EOFError("worker stdin closed") from exc
        line = self.proc.stdout.readline()
        if not line:
            raise EOFError("worker exited mid-batch")
        msg = json.loads(line)
        self.timeouts_inferred += int(msg.get("t", 0))
        yield from enumerate(msg["v"])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.write('{"cmd": "quit"}\n')
                    self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                self.proc.kill()
                self.proc.wait()


@functools.lru_cache(maxsize=16)
def _limits_dict(limits: Limits) -> dict:
    return limits.as_dict()  # dataclasses.asdict deep-copies: once per run, not per batch


def _message(batch: Batch, limits: Limits) -> dict:
    """``batch.as_message(limits)``, without re-deriving the limits for every batch."""
    return {"id": batch.id, "program": batch.program,
            "tests": [{"source": t.source, "kind": t.kind, "class_name": t.class_name}
                      for t in batch.tests],
            "limits": _limits_dict(limits)}


def scrubbed_env() -> dict[str, str]:
    """What a worker may see of our environment: nothing secret.

    ``PYTHONHASHSEED=0`` makes set / dict-of-str orders, and so verdicts of candidates
    that depend on them, the same on every run (one fixed draw of what a fresh
    interpreter would do), which regression runs need.
    """
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "PYTHONHASHSEED": "0"}


def run_with_retries(worker_for_slot, slot: int, batch: Batch, limits: Limits,
                     on_verdict: OnVerdict, lock: threading.Lock) -> None:
    """Run one batch on a slot's worker; if the worker dies, re-run what is missing.

    ``worker_for_slot(slot, restart)`` returns a live WorkerProcess-like object.  After
    too many deaths on the same batch its remaining pairs are reported as CRASH, so a
    candidate that kills its sandbox cannot stall the run.
    """
    remaining = list(range(len(batch.tests)))
    for attempt in range(_MAX_SERVER_RESTARTS_PER_BATCH + 1):
        sub = Batch(batch.id, batch.program, [batch.tests[i] for i in remaining])
        done: set[int] = set()
        try:
            worker = worker_for_slot(slot, attempt > 0)
            for pos, verdict in worker.run(sub, limits):
                original = remaining[pos]
                done.add(original)
                with lock:
                    on_verdict(batch.id, original, verdict)
            return
        except EOFError:
            remaining = [i for i in remaining if i not in done]
    with lock:
        for i in remaining:
            on_verdict(batch.id, i, CRASH)


class LocalExecutor:
    """Fork-server pool on this machine; ``jobs`` servers run batches in parallel."""

    name = "local"

    def __init__(self, jobs: int | None = None, python: str | None = None,
                 worker: str | Path | None = None, **_: object) -> None:
        self.jobs = max(1, int(jobs or default_jobs()))
        self.python = python or sys.executable
        # another worker.py (benchmarks run an older one side by side with ours)
        self.worker = Path(worker) if worker else WORKER_PATH
        self._workers: dict[int, WorkerProcess] = {}
        self._lock = threading.Lock()
        self.isolation: dict | None = None
        self._inferred_by_retired = 0

    @property
    def timeouts_inferred(self) -> int:
        """TIMEOUTs the servers inferred without running the pair (worker.hang_key)."""
        return self._inferred_by_retired + sum(w.timeouts_inferred
                                               for w in list(self._workers.values()))

    def _retire_worker(self, w: WorkerProcess) -> None:
        self._inferred_by_retired += w.timeouts_inferred

    @property
    def runtime_id(self) -> str:
        """Part of every cache key: verdicts depend on the interpreter and on the worker
        that produced them (a fixed worker bug must not be replayed from the cache)."""
        digest = worker_digest() if self.worker == WORKER_PATH else worker_digest(self.worker)
        return f"local:python{sys.version.split()[0]}:worker-{digest[:16]}"

    def _argv(self, slot: int) -> list[str]:
        # -s -P rather than -I: isolated from user site-packages and the cwd, but the
        # (scrubbed) environment's PYTHONHASHSEED applies.
        argv = [self.python, "-s", "-P", str(self.worker)]
        if os.geteuid() == 0:
            argv += ["--uid", str(sandbox_uid(slot))]
        return argv

    def _worker(self, slot: int, restart: bool) -> WorkerProcess:
        w = self._workers.get(slot)
        if w is not None and (restart or w.proc.poll() is not None):
            self._retire_worker(w)
            w.close()
            w = None
        if w is None:
            w = WorkerProcess(self._argv(slot))
            self._workers[slot] = w
            self.isolation = w.info.get("isolation")
        return w

    def run(self, batches: Iterable[Batch], limits: Limits, on_verdict: OnVerdict) -> None:
        source = iter(batches)
        source_lock = threading.Lock()
        verdict_lock = threading.Lock()
        errors: list[BaseException] = []

        def drive(slot: int) -> None:
            try:
                while not errors:
                    with source_lock:
                        batch = next(source, None)
                    if batch is None:
                        return
                    run_with_retries(self._worker, slot, batch, limits, on_verdict,
                                     verdict_lock)
            except BaseException as exc:  # surfaced in the calling thread below
                errors.append(exc)

        threads = [threading.Thread(target=drive, args=(s,), daemon=True)
                   for s in range(self.jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def close(self) -> None:
        for w in self._workers.values():
            w.close()
        self._workers.clear()

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@hookimpl
def register_sandboxes(register):
    register("local", LocalExecutor)


__all__ = ["LocalExecutor", "WorkerProcess", "TestSpec", "run_with_retries", "WORKER_PATH"]
