"""This machine in Lambda's words: its architecture, AWS's Runtime Interface Emulator binary for an architecture, and
which local Lambda emulator and runtime interface client the host path uses (KIT_LOCAL_RUNTIME, KIT_LOCAL_RIC)."""
from __future__ import annotations

import importlib.util
import os
import platform
import sys
from pathlib import Path
from typing import Literal

from helpers.core.errors import KitError


def host_arch() -> str:
    """This machine's architecture in Lambda's words: "arm64" or "x86_64"."""
    return "arm64" if platform.machine().lower() in ("arm64", "aarch64") else "x86_64"


def rie_binary(arch: str = "x86_64") -> Path:
    """The Runtime Interface Emulator binary for `arch` ("x86_64" or "arm64") from the aws-sam-cli wheel."""
    try:
        import samcli
    except ImportError:
        raise KitError("The aws-sam-cli package is missing: run `bash kit setup` to install the kit's dependencies.") from None
    path = Path(samcli.__file__).parent / "local" / "rapid" / f"aws-lambda-rie-{arch}"
    if not path.is_file():
        raise KitError(f"AWS's Runtime Interface Emulator is missing at {path}: reinstall aws-sam-cli "
                       "(`.venv/bin/pip install --force-reinstall aws-sam-cli`).")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o755)
    return path


def rie_runs_here() -> bool:
    """True where AWS's RIE binary runs natively: Linux on x86_64 or arm64 (not macOS, not native Windows)."""
    return sys.platform.startswith("linux") and platform.machine().lower() in ("x86_64", "amd64", "arm64", "aarch64")


def local_emulator() -> Literal["rie", "python"]:
    """The host path's Lambda emulator: KIT_LOCAL_RUNTIME (`rie` | `python`), else the RIE where it runs, else the
    kit's pure-Python Runtime API (local_aws/standins/lambda_api_server.py)."""
    value = os.environ.get("KIT_LOCAL_RUNTIME", "").strip().lower()
    if value not in ("", "rie", "python"):
        raise KitError(f"KIT_LOCAL_RUNTIME={value!r} is not a local Lambda emulator: use 'rie' (AWS's binary, Linux "
                       "only) or 'python' (the kit's own), or unset it.")
    if value == "rie" and not rie_runs_here():
        raise KitError(f"KIT_LOCAL_RUNTIME=rie needs Linux on x86_64 or arm64 (this is {sys.platform} on "
                       f"{platform.machine()}): unset it to use the kit's Python emulator.")
    return value or ("rie" if rie_runs_here() else "python")  # type: ignore[return-value]


def interface_client() -> Literal["awslambdaric", "stdlib"]:
    """What runs the handler on the host: awslambdaric where it is installed (Linux), else the kit's stdlib loop
    (local_aws/standins/lambda_bootstrap.py); KIT_LOCAL_RIC (`awslambdaric` | `stdlib`) chooses. Both emulators take either."""
    value = os.environ.get("KIT_LOCAL_RIC", "").strip().lower()
    if value not in ("", "awslambdaric", "stdlib"):
        raise KitError(f"KIT_LOCAL_RIC={value!r} is not a runtime interface client: use 'awslambdaric' or "
                       "'stdlib', or unset it.")
    installed = importlib.util.find_spec("awslambdaric") is not None
    if value == "awslambdaric" and not installed:
        raise KitError("KIT_LOCAL_RIC=awslambdaric but awslambdaric is not installed (it has Linux wheels only): "
                       "unset KIT_LOCAL_RIC to use the kit's stdlib client.")
    return value or ("awslambdaric" if installed else "stdlib")  # type: ignore[return-value]
