"""`bash kit doctor`: each planted blocker is named with its fix, per platform; this machine has none (exit 0)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from helpers.core.doctor import GB, Facts, diagnose, main, report
from helpers.core.paths import REPO_ROOT
from helpers.core.setup_plan import Host

LINUX = Host("linux", "x86_64", (3, 12))
MAC = Host("darwin", "arm64", (3, 12))
WINDOWS = Host("win32", "AMD64", (3, 12))
DOCKER = {"ServerVersion": "27.3.1", "Name": "laptop", "Driver": "overlay2", "DriverStatus": [["Backing Filesystem",
                                                                                              "extfs"]]}
CONTAINERD = {"ServerVersion": "29.0.0", "Name": "docker-desktop", "Driver": "overlayfs",
              "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}


def blockers(facts: Facts) -> dict[str, str]:
    return {f.check: f"{f.found} | fix: {f.fix}" for f in diagnose(facts) if f.level == "blocker"}


@pytest.mark.parametrize("host", [LINUX, MAC, WINDOWS], ids=["linux", "macos", "windows"])
def test_a_ready_laptop_has_no_blocker(host: Host) -> None:
    assert blockers(Facts(host=host, engine=DOCKER)) == {}


@pytest.mark.parametrize("host", [LINUX, MAC, WINDOWS], ids=["linux", "macos", "windows"])
def test_an_old_python_is_a_blocker(host: Host) -> None:
    old = Host(host.system, host.machine, (3, 9))
    assert "3.9 (the kit needs 3.11, 3.12 or 3.13)" in blockers(Facts(host=old))["Python"]


def test_a_cuda_plan_on_a_linux_laptop_without_gpu_is_a_blocker() -> None:
    found = blockers(Facts(host=LINUX, torch_setting="cuda"))["torch"]
    assert "no NVIDIA GPU" in found and "KIT_TORCH=cpu" in found
    assert "torch" not in blockers(Facts(host=Host("linux", "x86_64", (3, 12), gpu=True), torch_setting="cuda"))
    assert "CUDA build" in blockers(Facts(host=MAC, torch_setting="cuda"))["torch"]  # no CUDA build for macOS


def test_the_download_size_follows_the_torch_plan() -> None:
    cpu = next(f for f in diagnose(Facts(host=LINUX)) if f.check == "torch")
    assert "download ~0.2 GB" in cpu.found
    assert "download ~2.5 GB" in next(f for f in diagnose(Facts(host=Host("linux", "x86_64", (3, 12), gpu=True)))
                                       if f.check == "torch").found


@pytest.mark.parametrize("host", [LINUX, MAC, WINDOWS], ids=["linux", "macos", "windows"])
def test_no_disk_space_is_a_blocker(host: Host) -> None:
    assert "0.5 GB free" in blockers(Facts(host=host, free_bytes=GB // 2))["disk"]


def test_the_containerd_image_store_is_a_blocker_and_no_engine_only_a_warning() -> None:
    found = blockers(Facts(host=MAC, engine=CONTAINERD))["container engine"]
    assert "image store: containerd" in found and "Use containerd for pulling and storing images" in found
    assert "daemon.json" in blockers(Facts(host=LINUX, engine=CONTAINERD))["container engine"]
    engine = next(f for f in diagnose(Facts(host=LINUX, engine=None)) if f.check == "container engine")
    assert engine.level == "warn"


def test_ports_and_aws_findings() -> None:
    assert "taken" in blockers(Facts(host=LINUX, busy_ports=[9001], pinned_ports=[9001]))["ports"]
    assert "127.0.0.1" in blockers(Facts(host=LINUX, loopback=False))["ports"]
    assert blockers(Facts(host=LINUX, busy_ports=[8888])) == {}  # Jupyter moves on by itself
    missing = blockers(Facts(host=LINUX, aws={"credentials": "", "region": "", "identity": ""}))
    assert set(missing) == {"aws credentials", "aws region"}
    ok = Facts(host=LINUX, aws={"credentials": "environment", "region": "eu-west-1", "identity": "arn:...:user/a"})
    assert blockers(ok) == {}
    assert "kit doctor: 2 blocker(s)" in report(diagnose(Facts(host=LINUX, free_bytes=0, engine=CONTAINERD)))


def test_kit_doctor_exits_0_here_and_runs_by_path_before_setup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0, capsys.readouterr().out
    run = subprocess.run([sys.executable, "-I", "helpers/core/doctor.py"], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and "ready for the workshop" in run.stdout, run.stdout + run.stderr
