"""sandbox/setup_docker.sh reads debootstrap's Debian mirror from the machine's apt sources.

The repository names no mirror host: the script takes the first URI apt itself uses for
bookworm's main suite.  These run the real script (``--print-mirror``) against temporary
apt directories; the hosts below use the reserved ``.test`` domain.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "sandbox" / "setup_docker.sh"


def _mirror(apt: Path, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "CODERM_DEBIAN_MIRROR"}
    full.update(CODERM_APT_ETC=str(apt), **env)
    return subprocess.run(["bash", str(SCRIPT), "--print-mirror"], capture_output=True,
                          text=True, env=full, timeout=30)


def test_deb822_sources_skip_security_and_updates_suites(tmp_path: Path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.test/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://main.test/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n")
    res = _mirror(tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "http://main.test/debian\n"


def test_one_line_list_with_options(tmp_path: Path):
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb-src http://src.test/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://list.test/debian bookworm main\n")
    res = _mirror(tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "http://list.test/debian\n"


def test_disabled_files_are_ignored_and_no_mirror_is_a_one_line_error(tmp_path: Path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "old.sources.disabled").write_text(
        "Types: deb\nURIs: http://old.test/debian\nSuites: bookworm\n")
    res = _mirror(tmp_path)
    assert res.returncode == 1 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Debian bookworm mirror" in lines[0]
    assert str(tmp_path) in lines[0] and "CODERM_DEBIAN_MIRROR" in lines[0]


def test_environment_override_wins(tmp_path: Path):
    res = _mirror(tmp_path, CODERM_DEBIAN_MIRROR="http://override.test/debian")
    assert res.returncode == 0 and res.stdout == "http://override.test/debian\n"
