"""A child virtual environment that sees the packages of the interpreter running the tests.

Why not ``python -m venv --system-site-packages``: inside a virtual environment that flag
exposes the *base* interpreter's site-packages, not the running venv's, so a child made
from a user's venv lacks every dependency the user installed (and ``pip install`` there
fails for want of ``wheel`` / a recent setuptools). Instead the child is a plain venv
(no pip of its own) with a ``.pth`` file listing the running interpreter's site
directories as plain paths. Plain path lines are not processed as site directories, so
the parent's own ``.pth`` files (an editable install of this package, our evalplus
start-up hook) stay inactive in the child: what the child runs is what was installed
into it. pip, setuptools and wheel come from the parent, which is why installs use
``--no-build-isolation`` (no download of build dependencies).
"""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
from pathlib import Path


def parent_site_dirs() -> list[str]:
    """The running interpreter's site directories, in its own order, without duplicates."""
    dirs: list[str] = []
    candidates = [*site.getsitepackages(), sysconfig.get_paths()["purelib"],
                  sysconfig.get_paths()["platlib"]]
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    for path in candidates:
        if path not in dirs and Path(path).is_dir():
            dirs.append(path)
    return dirs


def make_child_venv(env_dir: Path) -> Path:
    """Create a venv at ``env_dir`` whose interpreter also sees the parent's packages;
    returns the child's ``python``."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    child_site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    (child_site / "_coderm_parent_env.pth").write_text("\n".join(parent_site_dirs()) + "\n")
    return python


def child_pip_install(python: Path, *args: str, cwd: Path | None = None,
                      check: bool = True) -> subprocess.CompletedProcess[str]:
    """``pip install`` into the child with the parent's pip and build tools."""
    return subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                           "--disable-pip-version-check", *args],
                          cwd=cwd, capture_output=True, text=True, check=check)
