"""Offline vLLM: the paper's setting (CodeRM-8B, M samples per prompt, one batch).

All prompts go to vLLM in one ``LLM.chat`` call, each with its own ``SamplingParams``
(``n`` = the samples still missing for that prompt), so vLLM's scheduler batches across
problems and prefix caching shares each prompt's KV cache among its ``n`` samples.
``max_tokens`` is always set: vLLM's default of 16 would truncate every test class.

``vllm`` is imported lazily (CUDA wheels, several GB; an extra:
``pip install 'coderm-evalplus[vllm]'``).  Tests inject a stand-in ``llm`` object with
vLLM's ``chat``/``generate`` interface and a ``SamplingParams`` class.
"""

from __future__ import annotations

from typing import Any

from ..errors import RunError, UsageError
from .base import CachedGenerator, OnSample, PromptJob

DEFAULT_MODEL = "KAKA22/CodeRM-8B"
INSTALL_HINT = ("vLLM is not installed: pip install 'coderm-evalplus[vllm]' (needs a CUDA "
                "GPU), or serve the model with `vllm serve` and use --generator openai:URL")


def _import_vllm() -> Any:
    try:
        import vllm  # noqa: PLC0415 - lazy on purpose
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return vllm


class VLLMGenerator(CachedGenerator):
    """Test generation with an offline ``vllm.LLM``."""

    name = "vllm"

    def __init__(self, target: str | None = None, *, model: str | None = None,
                 tensor_parallel_size: int = 1, gpu_memory_utilization: float = 0.9,
                 max_model_len: int | None = None, dtype: str = "auto",
                 llm: Any = None, sampling_params_cls: Any = None, **options: Any) -> None:
        model_path = target or model or DEFAULT_MODEL
        super().__init__(model or model_path, **options)
        self.model_path = model_path
        self.engine_options: dict[str, Any] = {
            "model": model_path,
            "tensor_parallel_size": int(tensor_parallel_size),
            "gpu_memory_utilization": float(gpu_memory_utilization),
            "enable_prefix_caching": True,
            "dtype": dtype,
        }
        if self.seed is not None:
            self.engine_options["seed"] = int(self.seed)
        if max_model_len:
            self.engine_options["max_model_len"] = int(max_model_len)
        self._llm = llm
        self._params_cls = sampling_params_cls
        self.calls = 0

    def _engine(self) -> tuple[Any, Any]:
        """The LLM and SamplingParams class (built on first use: loading takes minutes)."""
        if self._llm is None or self._params_cls is None:
            vllm = _import_vllm()
            if self._params_cls is None:
                self._params_cls = vllm.SamplingParams
            if self._llm is None:
                self._llm = vllm.LLM(**self.engine_options)
        return self._llm, self._params_cls

    def _prepare(self) -> None:
        self._engine()

    def sampling_params(self, job: PromptJob) -> Any:
        """vLLM ``SamplingParams`` for a prompt's missing samples (``n`` of them)."""
        _, params_cls = self._engine()
        kwargs: dict[str, Any] = {"n": len(job.indices), **self.sampling.as_dict()}
        seed = job.sample_seed(job.indices[0])
        if seed is not None:
            kwargs["seed"] = seed
        return params_cls(**kwargs)

    def _run(self, jobs: list[PromptJob], on_sample: OnSample) -> None:
        llm, _ = self._engine()
        params = [self.sampling_params(j) for j in jobs]
        conversations = [j.request.messages for j in jobs]
        self.calls += 1
        if hasattr(llm, "chat"):
            outputs = llm.chat(conversations, sampling_params=params, use_tqdm=False)
        else:  # older vLLM: apply the model's chat template ourselves
            tok = llm.get_tokenizer()
            prompts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                       for c in conversations]
            outputs = llm.generate(prompts, params, use_tqdm=False)
        if len(outputs) != len(jobs):
            raise RunError(f"vllm: {len(outputs)} outputs for {len(jobs)} prompts")
        for job, out in zip(jobs, outputs, strict=True):
            for index, comp in zip(job.indices, out.outputs, strict=False):
                on_sample(job, index, comp.text, len(getattr(comp, "token_ids", ()) or ()))
