"""What every test-generation backend shares: requests, sampling, cache, progress.

A backend (vLLM, an OpenAI-compatible server, transformers, a replay file) only has to
produce *missing* samples: :class:`CachedGenerator` looks every (prompt, sample index)
up in the :class:`~coderm_evalplus.generate.cache.CompletionCache` first and hands the
backend a :class:`PromptJob` per prompt listing the indices still to generate.  That is
what makes "150 tests after 100" cost 50 generations and a killed run resumable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import RunError
from ..model import content_hash
from .cache import CompletionCache, prompt_key
from .request import GenerationRequest, SamplingConfig, build_requests

__all__ = [
    "CachedGenerator", "GenerationRequest", "GenerationStats", "OnSample", "PromptJob",
    "SamplingConfig", "TestGenerator", "build_requests", "progress_bar",
]


@runtime_checkable
class TestGenerator(Protocol):
    """A test-generation backend (see :func:`coderm_evalplus.hookspecs.register_test_generators`)."""

    name: str
    model: str

    def generate(self, requests: list[GenerationRequest], *,
                 progress: bool = True) -> dict[str, list[str]]:
        """task_id -> its ``n`` completions, in a stable order (index 0 first).

        Asking again with a larger ``n`` returns the earlier completions as the prefix.
        """
        ...


@dataclass
class PromptJob:
    """The samples of one request still to generate: ``indices`` (ascending)."""

    request: GenerationRequest
    pkey: str
    indices: list[int]
    seed: int | None = None

    def sample_seed(self, index: int) -> int | None:
        """Per-sample seed: reproducible, yet different for every (prompt, index).

        A single seed reused for every request would make a seeded server return the same
        completion for each of the M independent requests of a prompt.
        """
        if self.seed is None:
            return None
        return int(content_hash(str(self.seed), self.pkey, str(index))[:8], 16) & 0x7FFFFFFF


OnSample = Callable[[PromptJob, int, str, int], None]
"""Callback a backend calls per finished sample: (job, index, text, completion tokens)."""


@dataclass
class GenerationStats:
    """Counters of one ``generate`` call (reported by the pipeline's ``on_stage_done``)."""

    requested: int = 0
    cached: int = 0
    generated: int = 0
    tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    @property
    def tests_per_s(self) -> float:
        return self.generated / self.seconds if self.seconds > 0 else 0.0


class CachedGenerator:
    """Base class: cache lookup, per-sample bookkeeping and progress around a backend.

    Subclasses set ``name`` and implement :meth:`_run` (generate every index of every
    job, calling ``on_sample`` as each completion is available).
    """

    name = "base"

    def __init__(self, model: str, *, temperature: float = 0.8, top_p: float = 0.95,
                 max_tokens: int = 2048, seed: int | None = 0,
                 cache_dir: str | Path | None = None, **_ignored: Any) -> None:
        self.model = model
        self.sampling = SamplingConfig(float(temperature), float(top_p), int(max_tokens))
        self.seed = seed
        self.cache = CompletionCache(cache_dir)
        self.last_stats = GenerationStats()

    # -- backend interface ------------------------------------------------------------
    def _prepare(self) -> None:
        """Load the model before timing starts (so tokens/s excludes loading)."""

    def _run(self, jobs: list[PromptJob], on_sample: OnSample) -> None:  # pragma: no cover
        raise NotImplementedError

    # -- shared logic -----------------------------------------------------------------
    def generate(self, requests: list[GenerationRequest], *,
                 progress: bool = True) -> dict[str, list[str]]:
        stats = GenerationStats()
        found: dict[str, dict[int, str]] = {}
        jobs: list[PromptJob] = []
        for req in requests:
            pkey = prompt_key(self.model, req.messages, self.sampling.as_dict(), self.seed)
            have = self.cache.get_many(pkey, req.n)
            found[req.task_id] = dict(have)
            stats.requested += req.n
            stats.cached += len(have)
            missing = [i for i in range(req.n) if i not in have]
            if missing:
                jobs.append(PromptJob(req, pkey, missing, self.seed))
        todo = sum(len(j.indices) for j in jobs)
        if jobs:
            self._prepare()
        start = time.monotonic()
        lock = threading.Lock()  # the OpenAI backend reports from worker threads
        with progress_bar(f"{self.name} tests", todo, enabled=progress and todo > 0) as bar:

            def on_sample(job: PromptJob, index: int, text: str, tokens: int) -> None:
                self.cache.put(job.pkey, index, self.model, text, tokens)
                with lock:
                    found[job.request.task_id][index] = text
                    stats.generated += 1
                    stats.tokens += tokens
                    bar(1, tokens)

            try:
                if jobs:
                    self._run(jobs, on_sample)
            finally:
                stats.seconds = time.monotonic() - start
                self.last_stats = stats
        out: dict[str, list[str]] = {}
        for req in requests:
            got = found[req.task_id]
            missing = [i for i in range(req.n) if i not in got]
            if missing:
                raise RunError(f"{self.name}: task {req.task_id}: backend returned no "
                               f"completion for sample(s) {missing[:5]}")
            out[req.task_id] = [got[i] for i in range(req.n)]
        return out

    def close(self) -> None:
        self.cache.close()


# ------------------------------------------------------------------------- progress


@dataclass
class _Rate:
    start: float = field(default_factory=time.monotonic)
    tests: int = 0
    tokens: int = 0


@contextmanager
def progress_bar(label: str, total: int, *, enabled: bool = True
                 ) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar showing tests done, tests/s and tokens/s.

    Yields ``advance(tests, tokens)``.  Disabled (tests, CI logs), it is a no-op.
    """
    rate = _Rate()
    if not enabled:
        def noop(tests: int, tokens: int) -> None:
            rate.tests += tests
            rate.tokens += tokens
        yield noop
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[tests_s]:.2f} tests/s"),
                  TextColumn("{task.fields[tokens_s]:.1f} tok/s"),
                  TimeElapsedColumn(), TimeRemainingColumn(), transient=False) as prog:
        task = prog.add_task(label, total=total, tests_s=0.0, tokens_s=0.0)

        def advance(tests: int, tokens: int) -> None:
            rate.tests += tests
            rate.tokens += tokens
            dt = max(time.monotonic() - rate.start, 1e-9)
            prog.update(task, advance=tests, tests_s=rate.tests / dt, tokens_s=rate.tokens / dt)

        yield advance

