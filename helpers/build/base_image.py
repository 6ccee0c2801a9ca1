"""The image's base: AWS's Lambda Python 3.12 base (Amazon Linux 2023) when the engine has or can pull it, else an offline twin.

The offline twin follows the AWS base's contract: task root /var/task (LAMBDA_TASK_ROOT, WORKDIR),
Python 3.11 with awslambdaric as the runtime client in /var/runtime, pip for install stages, and
/lambda-entrypoint.sh as ENTRYPOINT running `python3 -m awslambdaric HANDLER` (under the Runtime
Interface Emulator when no Lambda runtime API is set, as `docker run -p 9000:8080 IMAGE` expects).
It is built once from Debian packages (debootstrap) plus the runtime client (copied from this environment when it
runs the same Python, else installed by pip for the base's Python 3.11), and cached in the engine as OFFLINE_BASE.
"""
from __future__ import annotations

import importlib.metadata as md
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import docker

from helpers.build.image_spec import HOST_BASE, KNOWN_BASES, OFFLINE_BASE, PLATFORMS, BaseSpec
from helpers.build.wheelhouse import platform_args, run_pip
from helpers.core.errors import KitError
from helpers.core.progress import progress
from helpers.core.platform import host_arch, rie_binary

AWS_BASE = "public.ecr.aws/lambda/python:3.12"  # Amazon Linux 2023: torch 2.13 needs glibc >= 2.28
OFFLINE_SPEC = KNOWN_BASES[OFFLINE_BASE]
DEBIAN_SUITE = "bookworm"  # its python3 is 3.11 (OFFLINE_SPEC)
DEBIAN_PACKAGES = ("python3", "python3-pip", "python3-venv", "python-is-python3", "ca-certificates")
RUNTIME_CLIENT = "awslambdaric"

ENTRYPOINT_SH = """#!/bin/sh
# Like the AWS base's /lambda-entrypoint.sh: the CMD is the handler.
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  exec /usr/local/bin/aws-lambda-rie python3 -m awslambdaric "$1"
fi
exec python3 -m awslambdaric "$1"
"""

DOCKERFILE = """FROM scratch
ADD rootfs.tar /
COPY runtime/ /var/runtime/
COPY lambda-entrypoint.sh /lambda-entrypoint.sh
COPY aws-lambda-rie /usr/local/bin/aws-lambda-rie
ENV LANG=C.UTF-8 TZ=:/etc/localtime \\
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime PYTHONPATH=/var/runtime
WORKDIR /var/task
ENTRYPOINT ["/lambda-entrypoint.sh"]
"""


def _has_image(client: docker.DockerClient, ref: str, arch: str | None = None) -> bool:
    """Whether the engine has `ref` (for `arch`'s platform, when given: a cached base of another one does not do)."""
    try:
        image = client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return arch is None or image.attrs.get("Architecture") == PLATFORMS[arch].split("/")[1]


def _try_pull(client: docker.DockerClient, ref: str, arch: str) -> bool:
    try:
        client.images.pull(ref, platform=PLATFORMS[arch])  # the target platform, not this machine's
    except docker.errors.APIError:  # offline, unknown host, no credentials: the offline base takes over
        return False
    return _has_image(client, ref, arch)


def resolve_base_image(client: docker.DockerClient, arch: str = "x86_64") -> str:
    """AWS_BASE for `arch` when the engine has it or can pull it, otherwise OFFLINE_BASE (built once, then cached)."""
    if _has_image(client, AWS_BASE, arch) or _try_pull(client, AWS_BASE, arch):
        return AWS_BASE
    tag = offline_base_tag(arch)
    if not _has_image(client, tag):
        build_offline_base(client, tag, arch)
    return tag


def offline_base_tag(arch: str) -> str:
    """OFFLINE_BASE for this machine's architecture; another one's twin (built under emulation) has its own tag."""
    return OFFLINE_BASE if arch == host_arch() else f"{OFFLINE_BASE}-{arch}"


def _requirement_names(dist: md.Distribution) -> list[str]:
    names = []
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        names.append(re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0])
    return names


def stage_runtime_client(dest: Path, root: str = RUNTIME_CLIENT, base: BaseSpec = OFFLINE_SPEC,
                         arch: str | None = None) -> list[str]:
    """The runtime client and its requirements for `base`'s Python on `arch` in `dest`: copied from this environment
    when it runs that Python on that machine (no network), else installed with pip for the base (it has a compiled
    extension). The distributions' names, the root first."""
    arch = arch or host_arch()
    try:
        version = md.version(root)
    except md.PackageNotFoundError:  # macOS, Windows: no awslambdaric here
        version = None
    if version and base.python == HOST_BASE.python and arch == host_arch():
        return _copy_installed(dest, root)
    requirement = f"{root}=={version}" if version else root
    run_pip(["install", "--target", str(dest), "--no-compile", *platform_args(arch, base), requirement],
            f"Installing {root} for the offline base (Python {base.python}, {arch})")
    for cache in dest.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    names = [md.Distribution.at(p).metadata["Name"] for p in sorted(dest.glob("*.dist-info"))]
    return sorted(names, key=lambda n: n.lower() != root)


def _copy_installed(dest: Path, root: str) -> list[str]:
    """Copy the installed `root` and its requirements (files only, no network) into `dest`."""
    seen: list[str] = []
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            raise KitError(f"{name} is not installed here: run `.venv/bin/pip install -e .` first.") from None
        if dist.metadata["Name"] in seen:
            continue
        seen.append(dist.metadata["Name"])
        base = Path(str(dist.locate_file("")))
        for f in dist.files or []:
            parts = Path(f).parts
            if parts[0] == ".." or "__pycache__" in parts:  # console scripts outside site-packages
                continue
            target = dest / f
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(base / f, target)
        todo.extend(_requirement_names(dist))
    return seen


def _debootstrap(rootfs: Path, log: Path, arch: str) -> None:
    if shutil.which("debootstrap") is None or getattr(os, "geteuid", lambda: -1)() != 0:  # POSIX only: no root elsewhere
        raise KitError(
            f"Cannot pull {AWS_BASE} and cannot build the offline base: give the engine network access, "
            "or run as root with debootstrap installed (`apt-get install debootstrap`)."
        )
    mirror = os.environ.get("KIT_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    cmd = ["debootstrap", "--variant=minbase", f"--arch={PLATFORMS[arch].split('/')[1]}",
           f"--include={','.join(DEBIAN_PACKAGES)}", DEBIAN_SUITE, str(rootfs), mirror]
    with log.open("w") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        foreign = "" if arch == host_arch() else (
            f" (an {arch} root file system on this {host_arch()} machine runs its packages' scripts under emulation: "
            "`apt-get install qemu-user-static`)")
        raise KitError(f"debootstrap failed (see {log}): check that the Debian mirror {mirror} is reachable{foreign}.")
    # The AWS base lets pip install system-wide; so does the twin. Package caches do not ship.
    (rootfs / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for p in (rootfs / cache).glob("*"):
            if p.is_file():
                p.unlink()


def build_offline_base(client: docker.DockerClient, tag: str = OFFLINE_BASE, arch: str | None = None) -> str:
    """Build the Lambda-compatible base for `arch` (default: this machine's) from Debian packages and tag it (about
    1.5 minutes, once; far longer for a foreign architecture, whose package scripts run under emulation)."""
    arch = arch or host_arch()
    with tempfile.TemporaryDirectory(prefix="ltk-base-") as tmp, \
            progress(total=4, desc="offline Lambda base", unit="step") as steps:
        ctx = Path(tmp)
        steps.set_postfix_str("debootstrap")
        _debootstrap(ctx / "rootfs", ctx / "debootstrap.log", arch)
        steps.update()
        steps.set_postfix_str("runtime client")
        stage_runtime_client(ctx / "runtime", arch=arch)
        shutil.copy2(rie_binary(arch), ctx / "aws-lambda-rie")
        (ctx / "lambda-entrypoint.sh").write_text(ENTRYPOINT_SH)
        (ctx / "lambda-entrypoint.sh").chmod(0o755)
        (ctx / "Dockerfile").write_text(DOCKERFILE)
        steps.update()
        steps.set_postfix_str("rootfs.tar")
        with tarfile.open(ctx / "rootfs.tar", "w") as tar:
            tar.add(ctx / "rootfs", arcname=".")
        shutil.rmtree(ctx / "rootfs")
        steps.update()
        steps.set_postfix_str("build")
        try:
            client.images.build(path=str(ctx), tag=tag, rm=True, forcerm=True, platform=PLATFORMS[arch])
        except (docker.errors.BuildError, docker.errors.APIError) as e:
            raise KitError(f"Building the offline base failed ({e}): check the engine's log and retry.") from None
        steps.update()
    return tag
