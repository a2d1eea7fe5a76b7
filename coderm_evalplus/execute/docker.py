"""The Docker sandbox: the same worker as the local executor, in long-lived containers.

Why containers at all: users who do not trust the host (the paper's setup) want candidate
code behind a kernel namespace boundary with no network, a read-only root and hard memory
and process caps.  Why *long-lived* containers: a container start costs ~0.5-1 s, so one
container per pair would be hundreds of times slower than the fork server.  Each pool
slot is one ``docker run -i`` whose stdin/stdout carry the worker's JSON-lines protocol,
exactly as a local worker's pipes do, so the pool, the retry of unfinished pairs when a
worker dies, and the verdict semantics are shared with :mod:`.local`.

Inside the container (see coderm_evalplus/execute/Dockerfile and :meth:`DockerExecutor.docker_argv`):

* ``--network none --read-only --tmpfs /work --memory --pids-limit --cpus``,
  ``--security-opt no-new-privileges``, ``--init`` (tini reaps orphans as PID 1);
* the worker runs as container-root holding only SETUID, SETGID, CHOWN, DAC_OVERRIDE,
  FOWNER and KILL - just what it needs to run every child as a per-slot unprivileged uid
  (``--uid``), exactly as the local executor does as root.  So a candidate cannot signal
  the worker, and after each child every leftover process of that uid is killed.  No
  candidate ever holds a capability.

Lifecycle: every container carries the label ``coderm-evalplus.run=<run id>``.  They are
removed by :meth:`DockerExecutor.close`, at interpreter exit (atexit) and on SIGTERM /
SIGHUP (a handler that cleans up, then defers to the previous handler).  If our process
is SIGKILLed, the ``docker run`` clients see stdin close, the workers exit after their
current batch and ``--rm`` removes the containers; ``coderm-evalplus sandbox clean``
removes any leftover by label.  A container that stops answering (no output for
``hang_timeout`` seconds in a batch) is killed by a watchdog thread and replaced; its
unfinished pairs are re-run by :func:`.local.run_with_retries`.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from typing import cast

from ..errors import RunError
from ..hookspecs import hookimpl
from .base import Batch, Limits, OnVerdict, default_jobs
from .local import LocalExecutor, WorkerProcess, worker_digest
from .runner import BATCH_TESTS
from .worker import wall_backstop

DEFAULT_IMAGE = "coderm-evalplus-sandbox:latest"
RUN_LABEL = "coderm-evalplus.run"
WORKER_LABEL = "coderm-evalplus.worker-sha256"
WORKER_IN_IMAGE = "/opt/coderm/worker.py"
CONTAINER_WORKDIR = "/work/w"
CAPABILITIES = ("SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL")
_START_TIMEOUT = 120.0
_DOCKER_CMD_TIMEOUT = 60.0


def container_uid(slot: int) -> int:
    """Per-(run, slot) uid for candidates; a range disjoint from the local executor's."""
    return 2_000_000 + (os.getpid() % 20000) * 64 + (slot % 64)


def docker_env() -> dict[str, str]:
    """What the ``docker`` CLI needs of our environment (nothing of it enters a container)."""
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT",
            "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "XDG_RUNTIME_DIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


def docker_cli() -> str:
    path = shutil.which("docker")
    if path is None:
        raise RunError("docker sandbox: the `docker` command is not installed "
                       "(run `sudo sandbox/setup_docker.sh` or apt-get install docker.io)")
    return path


def _docker(args: list[str], timeout: float = _DOCKER_CMD_TIMEOUT,
            check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([docker_cli(), *args], capture_output=True, text=True,
                          timeout=timeout, env=docker_env(), check=check)


def _daemon_error(stderr: str) -> RunError | None:
    low = stderr.lower()
    if "cannot connect to the docker daemon" in low or "is the docker daemon running" in low \
            or "permission denied" in low and "docker.sock" in low \
            or "error during connect" in low:
        return RunError("docker sandbox: the Docker daemon is not reachable; start it "
                        "(`sudo dockerd &` or `sudo sandbox/setup_docker.sh`)")
    return None


def inspect_image(image: str) -> tuple[str, str]:
    """(image id, worker.py sha256 label or ""); a one-line RunError naming the fix."""
    fmt = "{{.Id}} {{index .Config.Labels \"" + WORKER_LABEL + "\"}}"
    try:
        res = _docker(["image", "inspect", "--format", fmt, image])
    except subprocess.TimeoutExpired:
        raise RunError("docker sandbox: `docker image inspect` timed out; is the Docker "
                       "daemon healthy?") from None
    if res.returncode == 0 and res.stdout.strip():
        ident, _, label = res.stdout.strip().partition(" ")
        return ident, ("" if label.strip() in ("", "<no value>") else label.strip())
    err = _daemon_error(res.stderr)
    if err is not None:
        raise err
    raise RunError(f"docker sandbox: image {image!r} not found; build it with "
                   f"`coderm-evalplus sandbox build --image {image}` "
                   "(no registry: `sudo sandbox/setup_docker.sh`)")


def image_id(image: str) -> str:
    """The image's id (``sha256:...``); a one-line RunError that says what to run if not."""
    return inspect_image(image)[0]


def check_worker_matches(image: str, label: str) -> None:
    """An image built from another worker.py speaks another protocol or gives other
    verdicts: refuse it with the command that rebuilds it."""
    if label != worker_digest():
        why = "has no worker.py digest label" if not label else \
            "was built from a different worker.py than this package's"
        raise RunError(f"docker sandbox: image {image!r} {why}; rebuild "
                       f"it with `coderm-evalplus sandbox build --image {image}` "
                       "(no registry: `sudo sandbox/setup_docker.sh`)")


def unavailable_reason(image: str) -> str | None:
    """Why the Docker sandbox cannot run ``image`` here (the one-line error a run would
    raise: no docker CLI, daemon down, image missing or stale), or None when it can."""
    try:
        _, label = inspect_image(image)
        check_worker_matches(image, label)
    except RunError as exc:
        return str(exc)
    return None


def remove_containers(run_id: str | None = None) -> int:
    """``docker rm -f`` every container of one run (or of every run); return how many."""
    label = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    try:
        res = _docker(["ps", "-aq", "--filter", f"label={label}"])
        ids = res.stdout.split()
        if ids:
            _docker(["rm", "-f", *ids], timeout=120)
        return len(ids)
    except (subprocess.TimeoutExpired, RunError, OSError):
        return 0


class DockerWorker(WorkerProcess):
    """One container running the worker; reports activity so a watchdog can spot a hang."""

    def __init__(self, argv: list[str], name: str) -> None:  # noqa: D107 - no super(): see below
        # Not WorkerProcess.__init__: the ready line is read under the watchdog's eye too,
        # and a failed start must say why (docker's stderr), not just an exit code.
        self.name = name
        self.busy_since: float | None = time.monotonic()
        self.last_output = self.busy_since
        self.killed = False
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=docker_env(), text=True, encoding="utf-8", bufsize=1, start_new_session=True,
        )
        self._stderr: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def wait_ready(self) -> None:
        assert self.proc.stdout is not None
        hello = self.proc.stdout.readline()
        self.busy_since = None
        if not hello:
            code = self.proc.wait()
            detail = " ".join("".join(self._stderr).split())[:300]
            err = _daemon_error(detail)
            if err is not None:
                raise err
            raise RunError(f"docker sandbox: container {self.name} exited with {code} at "
                           f"start: {detail or 'no output'}")
        self.info = json.loads(hello)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if len(self._stderr) < 50:
                self._stderr.append(line)

    def run(self, batch: Batch, limits: Limits) -> Iterator[tuple[int, int]]:
        self.busy_since = self.last_output = time.monotonic()
        try:
            for item in super().run(batch, limits):
                self.last_output = time.monotonic()
                yield item
        finally:
            self.busy_since = None

    def stalled_for(self, now: float) -> float:
        """Seconds without output while a batch (or the start) is in flight; 0 when idle."""
        if self.busy_since is None:
            return 0.0
        return now - self.last_output

    def kill(self) -> None:
        """Remove the container (the client's stdout then hits EOF: EOFError upstream)."""
        self.killed = True
        try:
            _docker(["rm", "-f", self.name], timeout=60)
        except (subprocess.TimeoutExpired, RunError, OSError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()

    def info_missing(self) -> bool:
        """Still waiting for the ready line (the start is watched with a longer limit)."""
        return not hasattr(self, "info")


_live: weakref.WeakSet[DockerExecutor] = weakref.WeakSet()
_hooks_installed = False
_previous_handlers: dict[int, object] = {}


def _cleanup_all() -> None:
    for ex in list(_live):
        try:
            ex.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def _on_signal(signum: int, frame: object) -> None:
    _cleanup_all()
    previous = _previous_handlers.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_IGN:
        return
    else:  # default action: die by the same signal, so the exit status says so
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _install_cleanup_hooks() -> None:
    """atexit + SIGTERM/SIGHUP handlers, once per process (signals: main thread only)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_cleanup_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            _previous_handlers[sig] = signal.getsignal(sig)
            signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # pragma: no cover - not the main interpreter
            pass


class DockerExecutor(LocalExecutor):
    """``jobs`` containers, each a worker fork server; the pool logic is LocalExecutor's.

    Options (``--sandbox-option`` / ``sandbox_options``): ``image``, ``memory`` (container
    memory cap, default: the per-pair address-space limit + 512 MB), ``pids_limit``,
    ``cpus`` (per container), ``tmpfs_size``, ``hang_timeout`` (seconds without output
    in a batch before the container is replaced; default ``max(30, 10 x time limit)``),
    ``run_id`` (label value, default ``<pid>-<random>``).
    """

    name = "docker"

    def __init__(self, jobs: int | None = None, image: str | None = None,
                 memory: str | None = None, pids_limit: int | None = None,
                 cpus: float | None = 1.0, tmpfs_size: str = "256m",
                 hang_timeout: float | None = None, run_id: str | None = None,
                 **_: object) -> None:
        super().__init__(jobs=jobs or default_jobs())
        self.image = image or DEFAULT_IMAGE
        self.image_id, label = inspect_image(self.image)  # fails fast with what to run
        check_worker_matches(self.image, label)
        self.memory = memory
        self.pids_limit = pids_limit
        self.cpus = cpus
        self.tmpfs_size = tmpfs_size
        self.hang_timeout = hang_timeout
        self.run_id = run_id or f"{os.getpid()}-{secrets.token_hex(3)}"
        self._limits = Limits()
        self._generation = 0
        self._closed = False
        self._state_lock = threading.RLock()  # close() may re-enter from a signal handler
        self._watchdog: threading.Thread | None = None
        self.restarts = 0
        self.hangs = 0
        _live.add(self)
        _install_cleanup_hooks()

    @property
    def runtime_id(self) -> str:
        """Cache-key part: verdicts depend on the image (its interpreter and libraries)."""
        return f"docker:{self.image_id}"

    def docker_argv(self, slot: int, name: str, limits: Limits) -> list[str]:
        memory = self.memory or f"{limits.memory_mb + 512}m"
        pids = self.pids_limit or max(128, 2 * limits.max_processes + 32)
        argv = [docker_cli(), "run", "-i", "--rm", "--init", "--name", name,
                "--label", f"{RUN_LABEL}={self.run_id}", "--log-driver", "none",
                "--network", "none", "--read-only",
                "--tmpfs", f"/work:rw,nosuid,nodev,size={self.tmpfs_size},mode=1777",
                "--memory", memory, "--pids-limit", str(pids),
                "--cap-drop", "ALL"]
        for cap in CAPABILITIES:
            argv += ["--cap-add", cap]
        argv += ["--security-opt", "no-new-privileges", "--user", "0:0", "--workdir", "/work"]
        if self.cpus:
            argv += ["--cpus", str(self.cpus)]
        argv += [self.image, "python3", "-I", WORKER_IN_IMAGE,
                 "--workdir", CONTAINER_WORKDIR, "--uid", str(container_uid(slot))]
        return argv

    def _worker(self, slot: int, restart: bool) -> DockerWorker:  # type: ignore[override]
        with self._state_lock:
            if self._closed:
                raise RunError("docker sandbox: executor closed (interrupted)")
            w = cast("DockerWorker | None", self._workers.get(slot))
        if w is not None and (restart or w.proc.poll() is not None):
            self.restarts += 1
            self._retire_worker(w)
            if w.proc.poll() is None:
                w.kill()  # hung or half-dead: remove the container, not just the client
            else:
                w.close()
            w = None
        if w is None:
            with self._state_lock:
                self._generation += 1
                name = f"coderm-{self.run_id}-s{slot}-{self._generation}"
                w = DockerWorker(self.docker_argv(slot, name, self._limits), name)
                self._workers[slot] = w
            w.wait_ready()
            with self._state_lock:
                if self._closed:
                    w.kill()
                    raise RunError("docker sandbox: executor closed (interrupted)")
            iso = dict(w.info.get("isolation") or {})
            iso.update(container=True, image=self.image, network="none",
                       read_only_root=True, no_new_privileges=True)
            self.isolation = iso
        return w

    def _hang_limit(self) -> float:
        if self.hang_timeout is not None:
            return float(self.hang_timeout)
        # a batch (one reply line) may hold BATCH_TESTS pairs that each run to the worker's
        # wall-clock backstop on a loaded machine
        return max(30.0, BATCH_TESTS * wall_backstop(self._limits.time_limit) + 10.0)

    def _watch(self, stop: threading.Event) -> None:
        while not stop.wait(0.5):
            now = time.monotonic()
            with self._state_lock:
                workers: list[DockerWorker] = list(self._workers.values())  # type: ignore[arg-type]
            for w in workers:
                limit = _START_TIMEOUT if w.info_missing() else self._hang_limit()
                if w.stalled_for(now) > limit and not w.killed:
                    self.hangs += 1
                    w.kill()

    def run(self, batches: Iterable[Batch], limits: Limits, on_verdict: OnVerdict) -> None:
        self._limits = limits
        stop = threading.Event()
        watchdog = threading.Thread(target=self._watch, args=(stop,), daemon=True)
        watchdog.start()
        try:
            super().run(batches, limits, on_verdict)
        finally:
            stop.set()
            watchdog.join(timeout=5)

    def close(self) -> None:
        with self._state_lock:
            self._closed = True
            workers = list(self._workers.values())
            self._workers.clear()
        # ask every worker to quit in parallel, then remove whatever is left by label
        closers = [threading.Thread(target=w.close, daemon=True) for w in workers]
        for t in closers:
            t.start()
        for t in closers:
            t.join(timeout=6)
        remove_containers(self.run_id)
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
        _live.discard(self)


@hookimpl
def register_sandboxes(register):
    register("docker", DockerExecutor)


__all__ = ["DockerExecutor", "DockerWorker", "DEFAULT_IMAGE", "RUN_LABEL", "WORKER_LABEL",
           "image_id", "inspect_image", "worker_digest",
           "remove_containers", "container_uid"]
