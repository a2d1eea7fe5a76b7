"""The Ray sandbox: the same worker fork server, one per Ray actor, across a cluster.

Why Ray and not a home-made cluster: at paper scale one benchmark is millions of
(candidate, test) pairs per policy model, and users who outgrow one machine usually
already have a Ray cluster (or can start one with ``ray up``).  Ray gives us placement,
node-failure detection and shipping of small messages; everything that decides a verdict
stays in :mod:`coderm_evalplus.execute.worker`, unchanged.

Shape of a run:

* one actor per slot (``jobs`` slots; default: the cluster's CPUs), each reserving one CPU
  and spread over the nodes.  An actor owns a one-slot executor of another sandbox on its
  node: by default :class:`~.local.LocalExecutor`, i.e. ``python -I worker.py`` from the
  package installed on that node with the local containment (scrubbed environment,
  limits, private temp dir, and as root a dedicated uid and an empty network namespace);
  with ``image=`` the Docker sandbox (the image must exist on every node);
* the driver keeps at most ``in_flight`` batches queued per actor (one running, the
  rest waiting so an actor never idles on a round trip) and reports each batch's
  verdicts when its result arrives (:func:`ray.wait`);
* the verdict cache stays with the driver (see runner.py), so a re-run skips every pair
  any node already ran;
* an actor that dies (killed, its node lost, out of memory) loses nothing: every batch
  queued on it goes back to the front of the queue, a replacement actor is started, and
  the batches run on whichever actor is free first.  A batch that was on
  :data:`MAX_ATTEMPTS` dead actors in a row is reported as CRASH, so one poisonous
  candidate cannot stall a run forever.

``ray`` is imported lazily: the rest of the package never needs it.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import RunError, UsageError
from ..hookspecs import hookimpl
from ..plugins import sandboxes
from .base import Batch, Limits, OnVerdict
from .docker import DockerExecutor
from .local import CRASH, LocalExecutor

INSTALL_HINT = "the ray sandbox needs Ray: pip install 'coderm-evalplus[ray]'"
DEFAULT_IN_FLIGHT = 2
MAX_ATTEMPTS = 4
"""Submissions of one batch (each to an actor that then died) before it counts as CRASH."""
PLACEMENT_TIMEOUT = 300.0
"""Seconds to wait for at least one actor to start when none is running."""


def import_ray() -> Any:
    """``import ray`` or a one-line UsageError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return ray


def _actor_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray exceptions that mean "the actor or its node is gone", across Ray 2.x."""
    names = ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError",
             "OwnerDiedError", "ActorUnschedulableError")
    return tuple(getattr(ray.exceptions, n) for n in names if hasattr(ray.exceptions, n))


# --------------------------------------------------------------------------- actor side

class SlotRunner:
    """What one Ray actor holds: a one-slot sandbox executor on the actor's node.

    A plain class (wrapped with ``ray.remote`` at run time) so that nothing here needs
    Ray at import time.  The node-side executor is any registered sandbox except ``ray``
    itself: ``local`` (default: the fork server with the local containment) or ``docker``
    (the image must exist on every node).  Worker restarts after a candidate kills its
    fork server, and everything else about running a batch, are that executor's job.
    """

    def __init__(self, node_sandbox: str = "local",
                 node_options: dict[str, Any] | None = None) -> None:
        self.node_sandbox = node_sandbox
        self.node_options = dict(node_options or {})
        self._inner: Any = None

    def _executor(self) -> Any:
        if self._inner is None:
            self._inner = _node_sandbox(self.node_sandbox)(jobs=1, **self.node_options)
        return self._inner

    def info(self) -> dict[str, Any]:
        """Where this actor runs (answered once it is placed and its sandbox is set up)."""
        import ray

        inner = self._executor()
        return {"host": socket.gethostname(), "pid": os.getpid(),
                "node_id": ray.get_runtime_context().get_node_id(),
                "python": sys.version.split()[0], "runtime_id": getattr(inner, "runtime_id", "")}

    def run_batch(self, batch: Batch, limits: Limits
                  ) -> tuple[list[tuple[int, int]], float, dict | None]:
        """Run one batch; return its (test position, verdict) pairs, seconds, isolation."""
        started = time.monotonic()
        out: list[tuple[int, int]] = []
        inner = self._executor()
        inner.run([batch], limits, lambda _bid, pos, verdict: out.append((pos, verdict)))
        return out, time.monotonic() - started, getattr(inner, "isolation", None)

    def shutdown(self) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None


def _node_sandbox(name: str) -> Any:
    """The node-side executor class; built-ins without loading every plugin (an actor
    starts faster when it imports only what it runs)."""
    if name == "local":
        return LocalExecutor
    if name == "docker":
        return DockerExecutor
    table = sandboxes()
    if name not in table:
        raise UsageError(f"unknown node sandbox {name!r} (registered: "
                         f"{', '.join(sorted(table))})")
    return table[name]


# --------------------------------------------------------------------------- driver side

@dataclass
class RayStats:
    """Counters of one executor (they go into the run report and the benchmark)."""

    batches: int = 0
    pairs: int = 0
    actors_started: int = 0
    actors_lost: int = 0
    batches_resubmitted: int = 0
    batches_abandoned: int = 0
    busy_seconds: float = 0.0
    """Sum over batches of the time actors spent running them (worker time)."""
    round_trip_seconds: float = 0.0
    """Sum over batches of submit-to-result time seen by the driver."""
    nodes: dict[str, int] = field(default_factory=dict)
    """Ray node id -> actors placed there (replacements included)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Job:
    batch: Batch
    attempts: int = 0
    submitted: float = 0.0


@dataclass
class _Slot:
    index: int
    handle: Any
    ready: bool = False
    probe: Any = None  # the pending info() call of an actor not yet known to be up
    inflight: set = field(default_factory=set)  # refs of batches queued on the actor


class RayExecutor:
    """Batches on Ray actors, each running the local worker (or its container) on its node.

    ``ray_address``: ``None`` -> ``ray.init()`` (``RAY_ADDRESS`` or a new local cluster),
    ``"auto"`` -> the cluster this machine belongs to, ``"host:port"`` -> that cluster,
    ``"ray://host:10001"`` -> Ray Client.  If Ray is already initialised in this process
    that connection is used and left open on :meth:`close`.

    ``node_sandbox`` is the executor each actor runs on its node (``local`` by default,
    ``docker`` when ``image`` is given); every other keyword (``image``, ``memory``,
    ``pids_limit``...) is passed on to it.
    """

    name = "ray"

    def __init__(self, jobs: int | None = None, ray_address: str | None = None,
                 node_sandbox: str | None = None, in_flight: int = DEFAULT_IN_FLIGHT,
                 placement_timeout: float = PLACEMENT_TIMEOUT, **node_options: Any) -> None:
        self.node_sandbox = node_sandbox or ("docker" if node_options.get("image") else "local")
        if self.node_sandbox == "ray":
            raise UsageError("the ray sandbox cannot run the ray sandbox on its nodes")
        _node_sandbox(self.node_sandbox)  # an unknown name fails here, not on every node
        self._ray = import_ray()
        ray = self._ray
        self._owns_connection = False
        if not ray.is_initialized():
            try:
                ray.init(address=ray_address, logging_level=logging.WARNING,
                         log_to_driver=False)
            except Exception as exc:  # ray raises ConnectionError, RuntimeError, ValueError...
                where = ray_address or os.environ.get("RAY_ADDRESS") or "a new local cluster"
                raise RunError(f"ray sandbox: cannot connect to {where}: "
                               f"{_first_line(exc)}") from None
            self._owns_connection = True
        cpus = int(ray.cluster_resources().get("CPU", 0))
        self.jobs = max(1, int(jobs or cpus or 1))
        self.in_flight = max(1, int(in_flight))
        self.node_options = node_options
        self.placement_timeout = placement_timeout
        self.isolation: dict | None = None
        self.stats = RayStats()
        self._actor_cls = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(SlotRunner)
        self._slots: list[_Slot] = []
        self._errors = _actor_errors(ray)
        self._runtime_id: str | None = None
        self._closed = False

    @property
    def runtime_id(self) -> str:
        """Part of every cache key: ``ray:`` + the node executor's own runtime id.

        Asking for it waits until the first actor is up (it is needed before the run
        anyway).  Ray refuses nodes whose Python differs from the driver's, so one actor
        speaks for all of them.
        """
        if self._runtime_id is None:
            self._ensure_slots()
            slot = self._slots[0]
            if slot.probe is None and not slot.ready:
                slot.probe = slot.handle.info.remote()
            if slot.probe is not None:
                try:
                    info = self._ray.get(slot.probe, timeout=self.placement_timeout)
                except Exception as exc:
                    raise RunError(f"ray sandbox: the first actor did not start: "
                                   f"{_first_line(exc)}") from None
                self._placed(slot, info)
        return f"ray:{self._runtime_id}"

    def _placed(self, slot: _Slot, info: dict[str, Any]) -> None:
        slot.probe = None
        slot.ready = True
        node = str(info.get("node_id") or info.get("host"))
        self.stats.nodes[node] = self.stats.nodes.get(node, 0) + 1
        if self._runtime_id is None:
            self._runtime_id = str(info.get("runtime_id") or self.node_sandbox)

    # -- actors

    def _start_actor(self, index: int) -> _Slot:
        handle = self._actor_cls.options(scheduling_strategy="SPREAD").remote(
            self.node_sandbox, self.node_options)
        self.stats.actors_started += 1
        return _Slot(index, handle)

    def actors(self) -> list[Any]:
        """Handles of the current actors (for tests and monitoring)."""
        return [s.handle for s in self._slots]

    def _ensure_slots(self) -> None:
        while len(self._slots) < self.jobs:
            self._slots.append(self._start_actor(len(self._slots)))

    # -- the driver loop

    def run(self, batches: Iterable[Batch], limits: Limits, on_verdict: OnVerdict) -> None:
        if self._closed:
            raise RunError("ray sandbox: run() after close()")
        ray = self._ray
        self._ensure_slots()
        source: Iterator[Batch] = iter(batches)
        retry: deque[_Job] = deque()
        exhausted = False
        # ref -> (slot, job); job None = the readiness probe (info()) of a new actor
        outstanding: dict[Any, tuple[_Slot, _Job | None]] = {}
        for slot in self._slots:
            if not slot.ready:
                self._probe(slot, outstanding)
        probe_failures = 0

        def next_job() -> _Job | None:
            nonlocal exhausted
            if retry:
                return retry.popleft()
            if exhausted:
                return None
            batch = next(source, None)
            if batch is None:
                exhausted = True
                return None
            return _Job(batch)

        def work_left() -> bool:
            return bool(retry) or not exhausted or any(
                job is not None for _, job in outstanding.values())

        while True:
            for slot in self._slots:
                while slot.ready and len(slot.inflight) < self.in_flight:
                    job = next_job()
                    if job is None:
                        break
                    job.attempts += 1
                    job.submitted = time.monotonic()
                    ref = slot.handle.run_batch.remote(job.batch, limits)
                    outstanding[ref] = (slot, job)
                    slot.inflight.add(ref)
            if not work_left():
                return
            running = any(job is not None for _, job in outstanding.values())
            done, _ = ray.wait(list(outstanding), num_returns=1,
                               timeout=None if running else self.placement_timeout)
            if not done:
                raise RunError(f"ray sandbox: no actor started within "
                               f"{self.placement_timeout:.0f} s; does the cluster have a free "
                               "CPU per slot? (see `ray status`)")
            for ref in done:
                if ref not in outstanding:  # dropped with an actor lost earlier in this loop
                    continue
                slot, job = outstanding.pop(ref)
                slot.inflight.discard(ref)
                try:
                    value = ray.get(ref)
                except self._errors as exc:
                    if job is None:
                        probe_failures += 1
                        if probe_failures > 2 * self.jobs + 2:
                            raise RunError(f"ray sandbox: actors keep dying at start: "
                                           f"{_first_line(exc)}") from None
                    else:
                        self._requeue(job, retry, on_verdict)
                    self._replace(slot, outstanding, retry, on_verdict)
                    continue
                except ray.exceptions.RayTaskError as exc:
                    cause = getattr(exc, "cause", None) or exc
                    if isinstance(cause, (RunError, UsageError)):
                        raise type(cause)(str(cause)) from None
                    raise RunError(f"ray sandbox: {type(cause).__name__}: "
                                   f"{_first_line(cause)}") from None
                if job is None:
                    self._placed(slot, value)
                    probe_failures = 0
                    continue
                verdicts, busy, isolation = value
                if isolation is not None:
                    self.isolation = isolation
                self.stats.batches += 1
                self.stats.pairs += len(verdicts)
                self.stats.busy_seconds += busy
                self.stats.round_trip_seconds += time.monotonic() - job.submitted
                for pos, verdict in verdicts:
                    on_verdict(job.batch.id, pos, verdict)

    def _probe(self, slot: _Slot, outstanding: dict[Any, tuple[_Slot, _Job | None]]) -> None:
        """Wait for a new actor's info() before giving it work (it may never be placed)."""
        if slot.probe is None:
            slot.probe = slot.handle.info.remote()
        outstanding[slot.probe] = (slot, None)

    def _requeue(self, job: _Job, retry: deque[_Job], on_verdict: OnVerdict) -> None:
        if job.attempts >= MAX_ATTEMPTS:
            self.stats.batches_abandoned += 1
            for pos in range(len(job.batch.tests)):
                on_verdict(job.batch.id, pos, CRASH)
            return
        self.stats.batches_resubmitted += 1
        retry.appendleft(job)

    def _replace(self, slot: _Slot, outstanding: dict[Any, tuple[_Slot, _Job | None]],
                 retry: deque[_Job], on_verdict: OnVerdict) -> None:
        """The actor of ``slot`` is gone: requeue what it held, start a replacement."""
        self.stats.actors_lost += 1
        for ref in list(slot.inflight):
            _, job = outstanding.pop(ref, (slot, None))
            if job is not None:
                self._requeue(job, retry, on_verdict)
        slot.inflight.clear()
        if slot.probe is not None:
            outstanding.pop(slot.probe, None)
        try:
            self._ray.kill(slot.handle, no_restart=True)
        except Exception:  # already gone
            pass
        fresh = self._start_actor(slot.index)
        self._slots[self._slots.index(slot)] = fresh
        self._probe(fresh, outstanding)

    def close(self) -> None:
        """Stop every actor (each closes its worker) and our Ray connection, if ours."""
        if self._closed:
            return
        self._closed = True
        ray = self._ray
        if self._slots and ray.is_initialized():
            # Placed actors close their sandboxes (workers, containers) politely; one that
            # was never placed (e.g. its node is gone and no CPU is free) is just killed.
            refs = [s.handle.shutdown.remote() for s in self._slots if s.ready]
            try:
                if refs:
                    ray.wait(refs, num_returns=len(refs), timeout=10)
            except Exception:  # an actor already dead: nothing to close there
                pass
            for s in self._slots:
                try:
                    ray.kill(s.handle, no_restart=True)
                except Exception:
                    pass
        self._slots.clear()
        if self._owns_connection and ray.is_initialized():
            ray.shutdown()

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_line(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


@hookimpl
def register_sandboxes(register):
    register("ray", RayExecutor)


__all__ = ["RayExecutor", "RayStats", "SlotRunner", "import_ray", "INSTALL_HINT"]
