"""Hand-made pass matrices for selector tests: groups of identical candidates."""

from __future__ import annotations

import numpy as np

from coderm_evalplus.model import Candidate, OutcomeMatrix, Problem


def build(groups: list[tuple[int, str]], task: str = "T/0"
          ) -> tuple[Problem, OutcomeMatrix, list[bool]]:
    """groups of (copies, pass pattern such as "1101"); the first group is the correct
    behaviour, so the labels are True for its copies only."""
    rows, labels = [], []
    for g, (copies, pattern) in enumerate(groups):
        for _ in range(copies):
            rows.append([0 if ch == "1" else 1 for ch in pattern])  # 0 = PASS
            labels.append(g == 0)
    cands = [Candidate(i, f"c{i}", label=lab) for i, lab in enumerate(labels)]
    return (Problem(task, candidates=cands),
            OutcomeMatrix(task, np.array(rows, dtype=np.int8)), labels)
