"""This machine in Lambda's words: its architecture, and AWS's Runtime Interface Emulator binary for an architecture."""
from __future__ import annotations

import os
import platform
from pathlib import Path

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
