"""`bash kit doctor`: a one-screen check of a laptop before a workshop, each finding with the one command that fixes
it; exit status 1 on a blocker. Stdlib only (it runs before `bash kit setup`, by path, with the system's Python):

    python3 -I helpers/core/doctor.py [--aws]

Checks: the Python version `kit` accepts; the torch build set-up will fetch (setup_plan.py's plan) and its download
size; free disk space for it, the images and the model; a container engine and its image store (Docker's
containerd image store pushes an OCI image index, which Lambda refuses); loopback ports; with --aws, credentials
and region. `diagnose(facts)` is pure, so each platform's findings are unit-tested (tests/test_doctor.py).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    from helpers.core import setup_plan
except ImportError:  # run by path (-I): load the sibling module without putting helpers/core on sys.path
    import importlib.util

    _spec = importlib.util.spec_from_file_location("setup_plan", Path(__file__).with_name("setup_plan.py"))
    setup_plan = sys.modules["setup_plan"] = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
    try:
        _spec.loader.exec_module(setup_plan)  # type: ignore[union-attr]
    except ImportError:  # a Python older than 3.11 (no tomllib): main() says so and stops
        setup_plan = None  # type: ignore[assignment]

GB = 1024 ** 3
# Downloads (wheels) by torch plan, measured from the wheel indexes for torch 2.x on x86_64: the CPU wheel ~0.2 GB;
# PyPI's Linux build pulls the nvidia-* CUDA wheels (~2.5 GB with torch); macOS/Windows CPU wheels ~0.1-0.25 GB.
TORCH_DOWNLOAD_GB = {"cpu-index": 0.2, "preset": 0.0, "none": 0.0, "pypi-cuda": 2.5, "pypi": 0.25}
# What the rest needs on disk: the venv without torch (~1.2 GB), the image build (base image, wheelhouse, layers:
# ~2 GB), the model and notebooks (~0.3 GB). Installed torch takes ~4x its download.
BASE_NEED_GB = 3.5
SUPPORTED = ((3, 11), (3, 13))
JUPYTER_PORT = 8888


@dataclass(frozen=True)
class Finding:
    """One line of the report: `ok`, `warn` or `blocker`, what was checked, what was found, the fix."""

    level: str
    check: str
    found: str
    fix: str = ""


@dataclass
class Facts:
    """What the findings depend on, gathered by `gather()` (tests build them by hand)."""

    host: "setup_plan.Host"
    torch_setting: str = "auto"
    free_bytes: int = 100 * GB
    engine: dict | None = None  # the engine's `docker info` (Engine API /info), None when none answers
    busy_ports: list[int] = field(default_factory=list)  # ports the kit or Jupyter will want that are taken
    pinned_ports: list[int] = field(default_factory=list)  # KIT_LOCAL_PORT / KIT_LOCAL_API_PORT
    loopback: bool = True  # a socket can listen on 127.0.0.1
    aws: dict[str, str] | None = None  # with --aws: "credentials", "region", "identity" ('' when missing)


def python_finding(version: tuple[int, int]) -> Finding:
    shown = f"{version[0]}.{version[1]}"
    if SUPPORTED[0] <= version <= SUPPORTED[1]:
        return Finding("ok", "Python", shown)
    return Finding("blocker", "Python", f"{shown} (the kit needs 3.11, 3.12 or 3.13)",
                   "install Python 3.12 (python.org, or `uv python install 3.12`), then "
                   "`PYTHON=python3.12 bash kit setup`")


def torch_findings(facts: Facts) -> tuple[list[Finding], float]:
    """The torch build set-up will fetch and its download size (GB); a CUDA build without a GPU is a blocker."""
    deps, optional = setup_plan.requirements()
    try:
        plan = setup_plan.plan(facts.host, facts.torch_setting, ["dev"], deps, optional)
    except setup_plan.SetupError as err:
        return [Finding("blocker", "torch", str(err), "unset KIT_TORCH")], 0.0
    linux = facts.host.system.startswith("linux")
    kind = "pypi-cuda" if plan.torch == "pypi" and linux else plan.torch
    size = TORCH_DOWNLOAD_GB[kind]
    found = f"{plan.note}; " + (f"download ~{size:.1f} GB" if size else "nothing to download")
    if kind == "pypi-cuda" and not facts.host.gpu:
        return [Finding("blocker", "torch", f"{found}, but no NVIDIA GPU answers here",
                        "`unset KIT_TORCH` (or `export KIT_TORCH=cpu`): the CPU build is ~0.2 GB")], size
    return [Finding("ok", "torch", found)], size


def disk_finding(free_bytes: int, torch_gb: float) -> Finding:
    need = BASE_NEED_GB + 4 * torch_gb
    found = f"{free_bytes / GB:.1f} GB free, ~{need:.1f} GB needed"
    if free_bytes < need * GB:
        return Finding("blocker", "disk", found, "free space (e.g. `docker system prune -a`, empty the trash), or "
                       "clone the kit onto a larger disk")
    return Finding("ok", "disk", found)


def engine_findings(info: dict | None) -> list[Finding]:
    """A container engine is optional (the kit stages the image without one); Docker's containerd image store is a
    blocker: its push is an OCI image index, which Lambda refuses."""
    if info is None:
        return [Finding("warn", "container engine", "none answers: 02 stages the image without a build, and "
                        "03 runs it on the host", "install Docker Desktop or Podman (optional), then `docker info`")]
    name = str(info.get("Name") or info.get("OperatingSystem") or "engine")
    status = {str(k): str(v) for k, v in (info.get("DriverStatus") or [])}
    store = "containerd" if "containerd" in status.get("driver-type", "") else str(info.get("Driver") or "?")
    found = f"{info.get('ServerVersion', '?')} on {name}, image store: {store}"
    if store == "containerd":
        return [Finding("blocker", "container engine", found + " (pushes an image index; Lambda refuses it)",
                        "Docker Desktop: Settings > General > untick 'Use containerd for pulling and storing "
                        "images'; Linux: set {\"features\": {\"containerd-snapshotter\": false}} in "
                        "/etc/docker/daemon.json, then `sudo systemctl restart docker`")]
    return [Finding("ok", "container engine", found)]


def port_findings(facts: Facts) -> list[Finding]:
    if not facts.loopback:
        return [Finding("blocker", "ports", "nothing can listen on 127.0.0.1 (the local target serves there)",
                        "allow local connections in the firewall / VPN client for python")]
    pinned = [p for p in facts.pinned_ports if p in facts.busy_ports]
    if pinned:
        return [Finding("blocker", "ports", f"pinned port(s) {pinned} (KIT_LOCAL_PORT / KIT_LOCAL_API_PORT) taken",
                        "`unset KIT_LOCAL_PORT KIT_LOCAL_API_PORT` (the kit then picks free ports)")]
    if JUPYTER_PORT in facts.busy_ports:
        return [Finding("warn", "ports", f"{JUPYTER_PORT} taken: Jupyter will pick the next free port",
                        "`jupyter server list` shows what runs there")]
    return [Finding("ok", "ports", "127.0.0.1 free for the local stack and Jupyter")]


def aws_findings(aws: dict[str, str]) -> list[Finding]:
    out = []
    if not aws.get("credentials"):
        out.append(Finding("blocker", "aws credentials", "none found",
                           "`aws configure` (access keys from the facilitator) or `aws sso login --profile NAME`"))
    elif aws.get("identity"):
        out.append(Finding("ok", "aws credentials", f"{aws['credentials']}, you are {aws['identity']}"))
    else:
        out.append(Finding("warn", "aws credentials", f"{aws['credentials']} (not checked: no `aws` CLI)",
                           "`aws sts get-caller-identity` after `bash kit setup`"))
    if aws.get("region"):
        out.append(Finding("ok", "aws region", aws["region"]))
    else:
        out.append(Finding("blocker", "aws region", "none set", "`export KIT_REGION=eu-west-1` (the workshop's)"))
    return out


def diagnose(facts: Facts) -> list[Finding]:
    """Every finding, in the order they are shown."""
    torch, size = torch_findings(facts)
    found = [python_finding(facts.host.python), *torch, disk_finding(facts.free_bytes, size),
             *engine_findings(facts.engine), *port_findings(facts)]
    return found + (aws_findings(facts.aws) if facts.aws is not None else [])


def engine_info() -> dict | None:
    """The engine's /info over DOCKER_HOST's Unix socket (or Docker's default one), None when none answers."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://") or not Path(host[len("unix://"):]).exists():
        return None

    class _Unix(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(5)
            self.sock.connect(host[len("unix://"):])

    try:
        conn = _Unix("localhost", timeout=5)
        conn.request("GET", "/info")
        resp = conn.getresponse()
        return json.loads(resp.read()) if resp.status == 200 else None
    except (OSError, ValueError):
        return None


def _busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _loopback() -> bool:
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
        return True
    except OSError:
        return False


def aws_facts() -> dict[str, str]:
    env = os.environ
    home = Path(env.get("AWS_SHARED_CREDENTIALS_FILE", Path.home() / ".aws" / "credentials"))
    config = Path(env.get("AWS_CONFIG_FILE", Path.home() / ".aws" / "config"))
    creds = ("environment" if env.get("AWS_ACCESS_KEY_ID") else f"profile {env['AWS_PROFILE']}"
             if env.get("AWS_PROFILE") else "~/.aws" if home.exists() or config.exists() else "")
    region = env.get("KIT_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
    if not region and config.exists():
        region = next((ln.split("=", 1)[1].strip() for ln in config.read_text().splitlines()
                       if ln.strip().startswith("region")), "")
    identity = ""
    if creds and shutil.which("aws"):
        run = subprocess.run(["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
                             capture_output=True, text=True, timeout=30)
        identity = run.stdout.strip() if run.returncode == 0 else ""
    return {"credentials": creds, "region": region, "identity": identity}


def gather(with_aws: bool) -> Facts:
    pinned = [int(os.environ[v]) for v in ("KIT_LOCAL_PORT", "KIT_LOCAL_API_PORT") if os.environ.get(v, "").isdigit()]
    return Facts(host=setup_plan.this_host(), torch_setting=os.environ.get("KIT_TORCH", "auto").strip() or "auto",
                 free_bytes=shutil.disk_usage(setup_plan.PYPROJECT.parent).free, engine=engine_info(),
                 busy_ports=[p for p in [JUPYTER_PORT, *pinned] if _busy(p)], pinned_ports=pinned,
                 loopback=_loopback(), aws=aws_facts() if with_aws else None)


def report(findings: list[Finding]) -> str:
    mark = {"ok": "ok     ", "warn": "warn   ", "blocker": "BLOCKER"}
    lines = [f"{mark[f.level]} {f.check:<17} {f.found}" + (f"\n{'':26}fix: {f.fix}" if f.fix else "")
             for f in findings]
    blockers = sum(f.level == "blocker" for f in findings)
    lines.append(f"kit doctor: {blockers} blocker(s)" if blockers else "kit doctor: ready for the workshop")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aws", action="store_true", help="also check AWS credentials and region")
    if setup_plan is None or sys.version_info[:2] < SUPPORTED[0]:
        print(report([python_finding(sys.version_info[:2])]))
        return 1
    findings = diagnose(gather(parser.parse_args(argv).aws))
    print(report(findings))
    return 1 if any(f.level == "blocker" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
