"""The README says where the verdict cache lives and how to start clean, and what it
says is what the code does (issue 21 item 9)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from coderm_evalplus import demo
from coderm_evalplus.execute.cache import default_cache_path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_names_the_default_cache_file(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    text = " ".join(README.read_text().split())
    stated = re.search(r"by default `(~/[^`]+)`", text)
    assert stated, "README does not say where the verdict cache lives"
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Path(stated.group(1).replace("~", str(tmp_path), 1)) == default_cache_path()
    assert "--no-cache" in text and f"rm {stated.group(1)}" in text


def test_no_cache_neither_reads_nor_writes(tmp_path: Path) -> None:
    cache = tmp_path / "verdicts.sqlite"
    base = [sys.executable, "-m", "coderm_evalplus.cli", "select", "--samples",
            str(demo.samples_path()), "--tests", str(demo.tests_path()), "--problems",
            str(demo.problems_path()), "--no-progress", "--cache", str(cache)]
    assert subprocess.run([*base, "--no-cache", "-o", str(tmp_path / "a")],
                          capture_output=True, timeout=600).returncode == 0
    assert not cache.exists()
