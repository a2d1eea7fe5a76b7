"""One way to derive random generators from the run's seed.

Why keyed by (seed, task, purpose) rather than one generator for the run: a task's ties
then break the same way whatever other tasks are in the run, in whatever order they are
processed, and however many random numbers another stage drew before.
"""

from __future__ import annotations

import zlib

import numpy as np


def task_rng(seed: int, task_id: str, purpose: str) -> np.random.Generator:
    """A reproducible RNG per (seed, task, purpose), e.g. purpose = a selector's name."""
    return np.random.default_rng([seed, zlib.crc32(task_id.encode()),
                                  zlib.crc32(purpose.encode())])
