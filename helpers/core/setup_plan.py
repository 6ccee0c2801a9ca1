"""What `bash kit setup` installs here: the kit's dependencies (pyproject.toml) with the torch build this machine
needs, and no more. Stdlib only: `kit` runs it by path with the new environment's Python, before anything is in it.

    .venv/bin/python -I helpers/core/setup_plan.py --extras dev[,lab] --stamp .venv/.kit-installed [--dry-run]

(-I: run by path, this folder would otherwise shadow the standard library's `platform` with helpers/core/platform.py.)

torch, by KIT_TORCH (`auto`, the default, | `cpu` | `cuda` | `none`):
- Linux: `cpu` (auto without an NVIDIA GPU) installs torch alone from PyTorch's CPU index, as the image's wheelhouse
  does (a ~180 MB wheel instead of PyPI's CUDA build and its GBs of nvidia-* wheels); `cuda` (auto when an NVIDIA
  driver answers) takes PyPI's build. An environment whose pip already serves the pinned CPU build (a find-links
  directory holding the wheel, or the CPU index configured) is left alone.
- macOS and Windows: PyPI's wheels (CPU; Apple's MPS on Apple Silicon); `cuda` is for Linux (and WSL2) only.
- `none`: everything but torch (the local target and the slim runtime work; training and the torch runtime do not).
The stamp records what was installed (pyproject's hash, extras, torch choice); a matching stamp means nothing to do.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
SETTINGS = ("auto", "cpu", "cuda", "none")
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@dataclass(frozen=True)
class Host:
    """What the choice depends on: OS (sys.platform), machine, CPython version, GPU, pip's configured sources."""

    system: str
    machine: str
    python: tuple[int, int]
    gpu: bool = False
    pip_sources: tuple[str, ...] = ()  # find-links and index URLs pip is configured with

    @property
    def abi(self) -> str:
        return f"cp{self.python[0]}{self.python[1]}"


@dataclass
class Plan:
    """pip invocations (arguments after `python -m pip`), in order, and one line saying why."""

    torch: str  # "cpu-index" | "pypi" | "preset" | "none"
    commands: list[list[str]] = field(default_factory=list)
    note: str = ""


class SetupError(Exception):
    """A setting this machine cannot honour (one sentence)."""


def requirements(pyproject: Path = PYPROJECT) -> tuple[list[str], dict[str, list[str]]]:
    """The project's dependencies and optional dependencies, from pyproject.toml."""
    project = tomllib.loads(pyproject.read_text())["project"]
    return list(project["dependencies"]), dict(project.get("optional-dependencies", {}))


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower()


def torch_requirement(deps: list[str]) -> str:
    """The pinned torch requirement, e.g. `torch==2.13.0`."""
    return next(d for d in deps if _name(d) == "torch")


def _local_dir(source: str) -> Path | None:
    if source.startswith("file://"):
        source = source[len("file://"):]
    if "://" in source:
        return None
    path = Path(source)
    return path if path.is_dir() else None


def serves_cpu_torch(host: Host, torch: str) -> bool:
    """True if pip's configured sources already give the pinned torch as a CPU build for this Python and machine."""
    version = torch.split("==", 1)[1].strip() if "==" in torch else "*"
    machine = {"arm64": "aarch64", "amd64": "x86_64"}.get(host.machine.lower(), host.machine.lower())
    pattern = f"torch-{version}+cpu-{host.abi}-{host.abi}-*{machine}.whl"
    for source in host.pip_sources:
        if CPU_INDEX in source.rstrip("/") + "/":
            return True
        d = _local_dir(source)
        if d is not None and (any(d.glob(pattern)) or any(d.glob(f"torch/{pattern}"))):
            return True
    return False


def plan(host: Host, setting: str, extras: list[str], deps: list[str],
         optional: dict[str, list[str]]) -> Plan:
    """Which pip commands set up the kit on `host` with KIT_TORCH=`setting` and these extras."""
    if setting not in SETTINGS:
        raise SetupError(f"KIT_TORCH={setting!r} is not a torch choice: use auto, cpu, cuda or none.")
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SetupError(f"Unknown extras {unknown}: pyproject.toml offers {sorted(optional)}.")
    linux = host.system.startswith("linux")
    if setting == "cuda" and not linux:
        raise SetupError("KIT_TORCH=cuda is for Linux (and WSL2 on Windows): PyPI's torch for this system has no "
                         "CUDA build; unset KIT_TORCH.")
    torch = torch_requirement(deps)
    kit = ".[" + ",".join(extras) + "]" if extras else "."
    if setting == "none":
        rest = [d for d in deps if _name(d) != "torch"] + [d for e in extras for d in optional[e]]
        return Plan("none", [["install", "-e", ".", "--no-deps"], ["install", *rest]],
                    "torch left out (KIT_TORCH=none): the local target and the slim runtime work, training does not")
    if not linux:
        return Plan("pypi", [["install", "-e", kit]], f"torch from PyPI ({host.system}: CPU wheels)")
    if setting == "cuda" or (setting == "auto" and host.gpu):
        why = "KIT_TORCH=cuda" if setting == "cuda" else "an NVIDIA GPU answers"
        return Plan("pypi", [["install", "-e", kit]], f"torch's CUDA build from PyPI ({why}; several GB)")
    if serves_cpu_torch(host, torch):
        return Plan("preset", [["install", "-e", kit]], "torch's CPU build from pip's configured sources")
    return Plan("cpu-index", [["install", torch, "--index-url", CPU_INDEX], ["install", "-e", kit]],
                f"torch's CPU build from {CPU_INDEX} (no NVIDIA GPU; set KIT_TORCH=cuda for the CUDA build)")


def gpu_present() -> bool:
    """An NVIDIA driver answers (Linux)."""
    if Path("/proc/driver/nvidia/version").exists():
        return True
    smi = shutil.which("nvidia-smi")
    return bool(smi) and subprocess.run([smi, "-L"], capture_output=True).returncode == 0


def parse_pip_config(listing: str) -> tuple[str, ...]:
    """find-links, index-url and extra-index-url values in `pip config list` output (files and PIP_* variables)."""
    found: list[str] = []
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        if key.rsplit(".", 1)[-1] in ("find-links", "index-url", "extra-index-url"):
            found += value.strip().strip("'\"").split()
    return tuple(found)


def pip_sources(python: str = sys.executable) -> tuple[str, ...]:
    """Where pip looks for packages besides PyPI, as configured for `python`."""
    return parse_pip_config(subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True,
                                           text=True).stdout)


def this_host() -> Host:
    return Host(sys.platform, platform.machine(), sys.version_info[:2],
                gpu=sys.platform.startswith("linux") and gpu_present(), pip_sources=pip_sources())


def stamp_of(extras: list[str], setting: str, pyproject: Path = PYPROJECT) -> dict[str, object]:
    return {"pyproject": hashlib.sha256(pyproject.read_bytes()).hexdigest(), "extras": sorted(extras),
            "torch": setting}


def up_to_date(stamp: Path, wanted: dict[str, object]) -> bool:
    """The stamp shows this pyproject, the same torch choice and at least these extras."""
    try:
        have = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return (have.get("pyproject") == wanted["pyproject"] and have.get("torch") == wanted["torch"]
            and set(wanted["extras"]) <= set(have.get("extras", [])))  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extras", default="dev")
    parser.add_argument("--stamp", type=Path)
    parser.add_argument("--log", type=Path, help="pip's output goes here (default: this process's output)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, install nothing")
    args = parser.parse_args(argv)
    setting = os.environ.get("KIT_TORCH", "auto").strip().lower() or "auto"
    extras = [e for e in args.extras.split(",") if e]
    if args.stamp:  # a stamp from an earlier setup with more extras keeps them
        try:
            extras = sorted(set(extras) | set(json.loads(args.stamp.read_text()).get("extras", [])))
        except (OSError, ValueError):
            pass
    wanted = stamp_of(extras, setting)
    if args.stamp and not args.dry_run and up_to_date(args.stamp, wanted):
        return 0
    deps, optional = requirements()
    try:
        the_plan = plan(this_host(), setting, extras, deps, optional)
    except SetupError as e:
        print(f"kit: {e}", file=sys.stderr)
        return 2
    where = f" (a few minutes the first time; log: {args.log})" if args.log else ""
    print(f"kit: installing the kit's dependencies with extras {','.join(extras) or '(none)'}; {the_plan.note}{where}",
          file=sys.stderr)
    log = args.log.open("w") if args.log else sys.stdout
    try:
        for cmd in [["install", "--upgrade", "pip"], *the_plan.commands]:
            print("$ python -m pip " + " ".join(cmd), file=log, flush=True)
            if not args.dry_run and subprocess.run([sys.executable, "-m", "pip", *cmd], cwd=PYPROJECT.parent,
                                                   stdout=log, stderr=subprocess.STDOUT).returncode:
                return 1
    finally:
        if args.log:
            log.close()
    if args.stamp and not args.dry_run:
        args.stamp.write_text(json.dumps({**wanted, "plan": the_plan.torch}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
