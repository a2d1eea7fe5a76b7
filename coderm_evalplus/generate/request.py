"""What a test generator is asked for: one chat prompt per problem, ``n`` samples of it.

These types live in their own module so that :mod:`.base` (the backends' shared
machinery) and :mod:`.prompt` (the default prompt hooks) both depend on them without
depending on each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ..model import Problem
from ..plugins import load_plugins


@dataclass
class GenerationRequest:
    """Ask for ``n`` completions of one chat prompt (one problem)."""

    task_id: str
    messages: list[dict[str, Any]]
    n: int


@dataclass(frozen=True)
class SamplingConfig:
    """Sampling parameters (paper: temperature 0.8, top_p 0.95, max_tokens 2048).

    ``max_tokens`` is always sent explicitly: vLLM's own default is 16 tokens, which
    truncates every unittest class.
    """

    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 2048

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_requests(problems: Iterable[Problem], n: int | dict[str, int],
                   pm: Any = None) -> list[GenerationRequest]:
    """One :class:`GenerationRequest` per problem, through the plugin hooks.

    ``n`` is the number of tests wanted (an int, or task_id -> int for dynamic scaling).
    The hooks ``choose_prompt_candidate`` and ``build_test_prompt`` are called through
    ``pm`` (default: the loaded plugin manager), so a plugin can change either.
    """
    if pm is None:
        pm = load_plugins()
    out = []
    for problem in problems:
        want = n[problem.task_id] if isinstance(n, dict) else n
        cand = pm.hook.choose_prompt_candidate(problem=problem)
        messages = pm.hook.build_test_prompt(problem=problem, candidate=cand)
        out.append(GenerationRequest(problem.task_id, messages, int(want)))
    return out
