"""Built-in test generators and the default prompt hooks, registered as a plugin.

Factories are called as ``factory(target, **options)`` where ``target`` follows
``name:`` in ``--generator name:target``; backends are imported only when chosen, so the
optional heavy dependencies (vllm, torch) load only for the backend in use: each backend
module imports them inside the methods that need them, so importing the modules here is
cheap.
"""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl
from ..model import Candidate, Problem
from . import prompt
from .openai import OpenAIGenerator
from .replay import ReplayGenerator
from .transformers import TransformersGenerator
from .vllm import VLLMGenerator


def _vllm(target: str | None, **options: Any) -> Any:
    return VLLMGenerator(target, **options)


def _openai(target: str | None, **options: Any) -> Any:
    return OpenAIGenerator(target, **options)


def _replay(target: str | None, **options: Any) -> Any:
    return ReplayGenerator(target, **options)


def _transformers(target: str | None, **options: Any) -> Any:
    return TransformersGenerator(target, **options)


@hookimpl
def register_test_generators(register):
    register("vllm", _vllm)
    register("openai", _openai)
    register("replay", _replay)
    register("transformers", _transformers)


@hookimpl(trylast=True)  # a plugin's choice wins over this default
def choose_prompt_candidate(problem: Problem) -> Candidate | None:
    """Default: the most common candidate after normalisation (see
    :func:`coderm_evalplus.generate.prompt.most_common_candidate` for why)."""
    return prompt.most_common_candidate(problem.candidates)


@hookimpl(trylast=True)  # a plugin's prompt wins over this default
def build_test_prompt(problem: Problem, candidate: Candidate | None) -> list[dict[str, str]]:
    """Default: the CodeRM-8B message (:mod:`coderm_evalplus.generate.prompt`)."""
    return prompt.build_prompt(problem, candidate)
