"""Local Hugging Face backend: a model directory, a hub id, or a single GGUF file.

For users without vLLM (CPU, one small GPU): ``transformers`` loads the model (a
``.gguf`` file is de-quantised through ``gguf_file=``), the chat template comes from the
model's tokenizer, and samples are generated in batches of ``batch_size`` rows (one row
per sample; a prompt with n samples is n rows, left-padded).  Each batch is seeded from
its first sample's seed, so a run is reproducible for the same batching.

Needs ``transformers``, ``torch``, and for GGUF ``gguf`` (plus ``accelerate``):
``pip install 'coderm-evalplus[transformers]'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError
from .base import CachedGenerator, OnSample, PromptJob

INSTALL_HINT = ("the transformers backend needs torch and transformers (and gguf for .gguf "
                "files): pip install 'coderm-evalplus[transformers]'")


class TransformersGenerator(CachedGenerator):
    """Test generation with ``AutoModelForCausalLM.generate``."""

    name = "transformers"

    def __init__(self, target: str | None, *, model: str | None = None, batch_size: int = 4,
                 device: str = "cpu", torch_dtype: str | None = None,
                 model_obj: Any = None, tokenizer: Any = None, **options: Any) -> None:
        if not target and model_obj is None:
            raise UsageError("transformers generator needs a model: "
                             "--generator transformers:PATH_OR_HUB_ID (a .gguf file works)")
        self.target = target or ""
        super().__init__(model or self.target or "transformers-model", **options)
        self.batch_size = max(1, int(batch_size))
        self.device = device
        self.torch_dtype = torch_dtype
        self._model = model_obj
        self._tok = tokenizer
        self.load_seconds = 0.0

    def _prepare(self) -> None:
        self._load()

    def _load(self) -> tuple[Any, Any]:
        if self._model is not None and self._tok is not None:
            return self._model, self._tok
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise UsageError(INSTALL_HINT) from None
        import time

        t0 = time.monotonic()
        path = Path(self.target)
        kwargs: dict[str, Any] = {}
        where = self.target
        if path.suffix == ".gguf":
            if not path.is_file():
                raise UsageError(f"transformers: GGUF file not found: {path}")
            where, kwargs["gguf_file"] = str(path.parent), path.name
        elif self.target.startswith(("/", ".", "~")) and not path.expanduser().exists():
            # transformers would take it for a hub id and fail on its tokenizer instead
            raise UsageError(f"transformers: model directory not found: {self.target}")
        elif path.is_dir() and not (path / "config.json").is_file():
            raise UsageError(f"transformers: {self.target}: not a model directory "
                             "(no config.json; for a GGUF model give the .gguf file)")
        if self.torch_dtype:
            kwargs_model = {**kwargs, "dtype": self.torch_dtype}
        else:
            kwargs_model = kwargs
        try:
            tok = AutoTokenizer.from_pretrained(where, **kwargs)
            mdl = AutoModelForCausalLM.from_pretrained(where, **kwargs_model)
        except (OSError, ValueError) as exc:  # not a model, not on the hub, offline, ...
            summary = " ".join(str(exc).split())
            if len(summary) > 240:
                summary = summary[:240] + "..."
            raise UsageError(f"transformers: cannot load the model {self.target!r}: "
                             f"{summary}") from None
        # transformers' typed wrapper around PreTrainedModel.to binds the first arg as self
        mdl.to(self.device)  # type: ignore[arg-type]
        mdl.eval()
        tok.padding_side = "left"  # decoder-only batching: pad on the left
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        self._model, self._tok = mdl, tok
        self.load_seconds = time.monotonic() - t0
        return mdl, tok

    def _run(self, jobs: list[PromptJob], on_sample: OnSample) -> None:
        import torch

        mdl, tok = self._load()
        rows: list[tuple[PromptJob, int, str]] = []
        for job in jobs:
            text = tok.apply_chat_template(job.request.messages, tokenize=False,
                                           add_generation_prompt=True)
            rows.extend((job, i, text) for i in job.indices)
        s = self.sampling
        gen_kwargs: dict[str, Any] = {"max_new_tokens": s.max_tokens,
                                      "pad_token_id": tok.pad_token_id}
        if s.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p)
        else:
            gen_kwargs.update(do_sample=False)
        eos = {tok.eos_token_id, tok.pad_token_id} - {None}
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start:start + self.batch_size]
            seed = batch[0][0].sample_seed(batch[0][1])
            if seed is not None:
                torch.manual_seed(seed)
            enc = tok([r[2] for r in batch], return_tensors="pt", padding=True,
                      add_special_tokens=False).to(self.device)
            with torch.no_grad():
                out = mdl.generate(**enc, **gen_kwargs)
            new = out[:, enc["input_ids"].shape[1]:]
            for (job, index, _), ids in zip(batch, new.tolist(), strict=True):
                n_tok = next((k for k, t in enumerate(ids) if t in eos), len(ids))
                text = tok.decode(ids[:n_tok], skip_special_tokens=True)
                on_sample(job, index, text, n_tok)
