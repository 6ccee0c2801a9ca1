"""The image's dependency wheels, downloaded once per runtime, architecture and base with `pip download`.

Binary manylinux wheels only, for the base's CPython and glibc; torch comes from PyTorch's CPU index
(TORCH_CPU_INDEX) so nobody downloads a multi-GB CUDA build.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from helpers.build.image_spec import HOST_BASE, MACHINE, TORCH_CPU_INDEX, BaseSpec, check_runtime_arch
from helpers.core.errors import KitError
from helpers.core.paths import LAMBDA_APP, kit_home


def wheel_platforms(arch: str, glibc: tuple[int, int] = HOST_BASE.glibc) -> list[str]:
    """pip `--platform` tags a base with this glibc can load, newest first."""
    m = MACHINE[arch]
    return [f"manylinux_2_{minor}_{m}" for minor in range(glibc[1], 16, -1)] + [f"manylinux2014_{m}"]


def platform_args(arch: str, base: BaseSpec) -> list[str]:
    """pip arguments that select binary wheels for `base`'s CPython and glibc on `arch`."""
    return ["--only-binary=:all:", "--python-version", base.python, "--implementation", "cp", "--abi", base.abi,
            *(f"--platform={p}" for p in wheel_platforms(arch, base.glibc))]


def run_pip(args: list[str], what: str) -> None:
    """Run this interpreter's pip quietly; a KitError naming `what` and pip's last error line on failure."""
    proc = subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"], check=False,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")]
        detail = lines[-1] if lines else f"exit code {proc.returncode}"
        raise KitError(f"{what} failed ({detail}); check the network/pip index and re-run.")


def download_wheelhouse(runtime: str, arch: str = "x86_64", base: BaseSpec = HOST_BASE) -> Path:
    """The runtime's dependency wheels for a Lambda base (its CPython, manylinux, binary only), cached."""
    check_runtime_arch(runtime, arch)
    req = LAMBDA_APP / f"requirements-{runtime}.txt"
    glibc = base.glibc
    platforms = wheel_platforms(arch, glibc)
    key = hashlib.sha256("\n".join([req.read_text(), base.python, *platforms]).encode()).hexdigest()[:12]
    dest = kit_home() / "wheels" / f"{runtime}-{arch}-{key}"
    if (dest / ".complete").exists():
        return dest
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    args = ["download", *platform_args(arch, base), "--timeout", "15", "--retries", "1", "-d", str(tmp), "-r", str(req)]
    if runtime == "torch":
        args += ["--extra-index-url", TORCH_CPU_INDEX]
    try:
        run_pip(args, f"Downloading the {runtime} wheels for {arch} (glibc {glibc[0]}.{glibc[1]})")
    except KitError as e:
        if runtime == "torch" and glibc < (2, 28):
            raise KitError(
                f"torch 2.13 wheels need glibc 2.28 but this base has glibc {glibc[0]}.{glibc[1]} (AWS's "
                "python:3.11 base is Amazon Linux 2): use its python:3.12 base, or runtime='slim'."
            ) from e
        raise
    cuda = [p.name for p in tmp.glob("nvidia*")]
    if cuda:
        shutil.rmtree(tmp)
        raise KitError(f"pip picked a CUDA torch ({cuda[0]}...): make sure {TORCH_CPU_INDEX} is reachable.")
    (tmp / ".complete").write_text(json.dumps(sorted(p.name for p in tmp.glob("*.whl"))))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest
