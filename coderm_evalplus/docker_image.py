"""``coderm-evalplus sandbox build | check | clean``: the Docker image the ``docker`` executor runs.

Why a staged build context: the image needs exactly one file of ours, the worker
(``coderm_evalplus/execute/worker.py``).  ``build`` copies it from the *installed*
package (so a pip-installed copy builds the same image as a checkout) into a temporary
directory and builds there: a tiny context, no ``.dockerignore`` to keep in sync, and no
second copy of the runner code.

The Dockerfile exists once, as package data (``coderm_evalplus/execute/Dockerfile``), read
with :mod:`importlib.resources` so that a checkout, a wheel and a zip import build from the
same text; ``sandbox/setup_docker.sh`` builds with ``-f`` that same file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from importlib import resources
from pathlib import Path

from .errors import RunError
from .execute.docker import (
    DEFAULT_IMAGE,
    WORKER_LABEL,
    DockerExecutor,
    _daemon_error,
    docker_cli,
    docker_env,
    image_id,
    remove_containers,
    worker_digest,
)
from .execute.local import WORKER_PATH
from .hookspecs import hookimpl

DEFAULT_BASE_IMAGE = "python:3.11-slim"


def dockerfile_text() -> str:
    """The sandbox Dockerfile shipped inside the package."""
    return (resources.files("coderm_evalplus.execute") / "Dockerfile").read_text(
        encoding="utf-8")


def stage_context(directory: Path) -> Path:
    """Write the build context (Dockerfile + worker.py) into ``directory``; return it."""
    target = directory / "coderm_evalplus" / "execute"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(WORKER_PATH, target / "worker.py")
    (directory / "Dockerfile").write_text(dockerfile_text(), encoding="utf-8")
    return directory


def build_image(image: str, base_image: str = DEFAULT_BASE_IMAGE, quiet: bool = False,
                pull: bool = False) -> str:
    """``docker build`` the sandbox image; return its id.  One-line RunError on failure."""
    cli = docker_cli()
    with tempfile.TemporaryDirectory(prefix="coderm-ctx-") as tmp:
        ctx = stage_context(Path(tmp))
        argv = [cli, "build", "-f", str(ctx / "Dockerfile"), "--build-arg",
                f"BASE_IMAGE={base_image}", "--label", f"{WORKER_LABEL}={worker_digest()}",
                "-t", image]
        if pull:
            argv.append("--pull")
        if quiet:
            argv.append("-q")
        argv.append(str(ctx))
        res = subprocess.run(argv, env=docker_env(), text=True,
                             capture_output=quiet, check=False)
    if res.returncode != 0:
        lines = [ln.strip() for ln in (res.stderr or "").splitlines() if ln.strip()]
        tail = (lines[-1][-300:] if lines else "no output") if quiet else "see output above"
        err = _daemon_error(res.stderr or "")
        if err is not None:
            raise err
        raise RunError(f"docker build of {image!r} FROM {base_image!r} failed ({tail}); "
                       "without a registry use a local base image: "
                       "`sudo sandbox/setup_docker.sh`")
    return image_id(image)


def check_image(image: str) -> dict:
    """Start one container of the image and return the worker's ready line (isolation)."""
    ex = DockerExecutor(jobs=1, image=image)
    try:
        worker = ex._worker(0, False)
        return {"image": image, "image_id": ex.image_id, "python": worker.info.get("python"),
                "isolation": ex.isolation}
    finally:
        ex.close()


def _cmd_build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    ident = build_image(args.image, args.base_image, quiet=args.quiet, pull=args.pull)
    print(f"built {args.image} ({ident[:19]}) FROM {args.base_image} "
          f"in {time.monotonic() - started:.1f} s")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    print(json.dumps(check_image(args.image), indent=2))
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    n = remove_containers(args.run_id)
    print(f"removed {n} coderm-evalplus container(s)")
    return 0


@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser("sandbox", help="build / check / clean the Docker sandbox")
    sub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)

    b = sub.add_parser("build", help="build the sandbox image (runs the same worker as local)")
    b.add_argument("--image", default=DEFAULT_IMAGE, help="tag of the image to build")
    b.add_argument("--base-image", default=DEFAULT_BASE_IMAGE,
                   help="any image with python3 >= 3.10 (no registry: see "
                        "sandbox/setup_docker.sh for a debootstrap base)")
    b.add_argument("--pull", action="store_true", help="always pull the base image")
    b.add_argument("-q", "--quiet", action="store_true", help="no build log")
    b.set_defaults(func=_cmd_build)

    c = sub.add_parser("check", help="start one sandbox container and print its isolation")
    c.add_argument("--image", default=DEFAULT_IMAGE)
    c.set_defaults(func=_cmd_check)

    k = sub.add_parser("clean", help="remove leftover sandbox containers (all runs)")
    k.add_argument("--run-id", default=None, help="only this run's containers")
    k.set_defaults(func=_cmd_clean)
