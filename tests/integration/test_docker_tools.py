"""`coderm-evalplus sandbox ...` and the Docker sandbox's one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from coderm_evalplus.cli import main
from coderm_evalplus.docker_image import stage_context
from coderm_evalplus.errors import RunError
from coderm_evalplus.execute.docker import DEFAULT_IMAGE, DockerExecutor

IMAGE = os.environ.get("CODERM_SANDBOX_IMAGE", DEFAULT_IMAGE)
BASE = os.environ.get("CODERM_BASE_IMAGE", "coderm-base:bookworm")


def _daemon_up() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _has_image(name: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", name], capture_output=True,
                          timeout=20).returncode == 0


needs_daemon = pytest.mark.skipif(not _daemon_up(),
                                  reason="Docker daemon not running (run sandbox/setup_docker.sh)")
needs_cli = pytest.mark.skipif(shutil.which("docker") is None, reason="docker CLI not installed")


def test_dockerfile_exists_once_as_package_data():
    """One Dockerfile: the package data file, also the one sandbox/setup_docker.sh builds."""
    import coderm_evalplus

    pkg = Path(coderm_evalplus.__file__).parent
    repo = pkg.parent
    skip = {".git", ".tox", "build", "dist", "site-packages"}  # not sources
    found = sorted(str(p.relative_to(repo)) for p in repo.rglob("Dockerfile*")
                   if not skip & set(p.parts))
    assert found == ["coderm_evalplus/execute/Dockerfile"]
    script = (repo / "sandbox" / "setup_docker.sh").read_text(encoding="utf-8")
    assert "coderm_evalplus/execute/Dockerfile" in script


def test_stage_context_holds_only_dockerfile_and_the_worker(tmp_path: Path):
    from coderm_evalplus.execute.local import WORKER_PATH

    stage_context(tmp_path)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["Dockerfile", "coderm_evalplus/execute/worker.py"]
    assert (tmp_path / "coderm_evalplus/execute/worker.py").read_bytes() == WORKER_PATH.read_bytes()
    assert "ARG BASE_IMAGE=python:3.11-slim" in (tmp_path / "Dockerfile").read_text()


@needs_cli
def test_stopped_daemon_gives_one_line_error_naming_the_fix(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/coderm-docker.sock")
    with pytest.raises(RunError) as info:
        DockerExecutor(jobs=1, image=IMAGE)
    msg = str(info.value)
    assert "\n" not in msg and "daemon" in msg and "setup_docker.sh" in msg


@pytest.mark.docker
@needs_daemon
def test_missing_image_gives_one_line_error_naming_the_build_command(capsys):
    with pytest.raises(RunError) as info:
        DockerExecutor(jobs=1, image="coderm-evalplus-no-such-image:nope")
    msg = str(info.value)
    assert "\n" not in msg
    assert "coderm-evalplus sandbox build --image coderm-evalplus-no-such-image:nope" in msg
    # and through the CLI: exit 1, one line on stderr, no traceback
    code = main(["sandbox", "check", "--image", "coderm-evalplus-no-such-image:nope"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "sandbox build" in err


@pytest.mark.docker
@needs_daemon
def test_sandbox_build_cli_builds_a_working_image_from_a_local_base(capsys):
    if not _has_image(BASE):
        pytest.skip(f"base image {BASE} missing (run sandbox/setup_docker.sh)")
    tag = "coderm-evalplus-sandbox:pytest-build"
    try:
        assert main(["sandbox", "build", "-q", "--base-image", BASE, "--image", tag]) == 0
        assert f"built {tag}" in capsys.readouterr().out
        assert main(["sandbox", "check", "--image", tag]) == 0
        info = json.loads(capsys.readouterr().out)
        assert info["isolation"]["network_blocked"] is True
        assert info["isolation"]["uid_drop"] is True
        assert info["python"].startswith("3.")
        # the worker in the image is byte-identical to the package's
        from coderm_evalplus.execute.local import WORKER_PATH

        inside = subprocess.run(["docker", "run", "--rm", "--network", "none", tag, "cat",
                                 "/opt/coderm/worker.py"], capture_output=True, timeout=60)
        assert inside.stdout == WORKER_PATH.read_bytes()
    finally:
        subprocess.run(["docker", "rmi", tag], capture_output=True, timeout=60)


@pytest.mark.docker
@needs_daemon
def test_image_built_from_another_worker_is_refused_with_rebuild_command():
    if not _has_image(IMAGE):
        pytest.skip(f"sandbox image {IMAGE} missing (run sandbox/setup_docker.sh)")
    tag = "coderm-evalplus-sandbox:pytest-stale"
    cid = subprocess.run(["docker", "create", IMAGE], capture_output=True, text=True,
                         timeout=60).stdout.strip()
    try:
        subprocess.run(["docker", "commit", "--change",
                        "LABEL coderm-evalplus.worker-sha256=0123abcd", cid, tag],
                       capture_output=True, check=True, timeout=60)
        with pytest.raises(RunError) as info:
            DockerExecutor(jobs=1, image=tag)
        msg = str(info.value)
        assert "\n" not in msg and "different worker.py" in msg
        assert f"coderm-evalplus sandbox build --image {tag}" in msg
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True, timeout=60)
        subprocess.run(["docker", "rmi", tag], capture_output=True, timeout=60)
