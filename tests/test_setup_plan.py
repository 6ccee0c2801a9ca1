"""`bash kit setup`'s choice of torch build and pip commands, per platform, GPU, Python and pip configuration."""
from __future__ import annotations

import json
import sys

import pytest

from helpers.core import setup_plan as sp

DEPS, OPTIONAL = sp.requirements()
TORCH = sp.torch_requirement(DEPS)
LINUX = sp.Host("linux", "x86_64", (3, 12))


def plan(host: sp.Host, setting: str = "auto", extras: tuple[str, ...] = ("dev",)) -> sp.Plan:
    return sp.plan(host, setting, list(extras), DEPS, OPTIONAL)


def cpu_wheel_dir(tmp_path, abi: str = "cp312", machine: str = "x86_64"):
    version = TORCH.split("==")[1]
    (tmp_path / f"torch-{version}+cpu-{abi}-{abi}-manylinux_2_28_{machine}.whl").write_bytes(b"")
    return str(tmp_path)


def test_pyproject_pins_torch_and_keeps_awslambdaric_to_linux():
    assert TORCH.startswith("torch==")
    ric = next(d for d in DEPS if d.startswith("awslambdaric"))
    assert "sys_platform == 'linux'" in ric


def test_linux_without_gpu_takes_torch_alone_from_the_cpu_index():
    p = plan(LINUX)
    assert p.torch == "cpu-index"
    assert p.commands == [["install", TORCH, "--index-url", sp.CPU_INDEX], ["install", "-e", ".[dev]"]]


@pytest.mark.parametrize("machine", ["aarch64", "x86_64"])
def test_linux_with_gpu_or_cuda_asked_takes_pypis_build(machine):
    assert plan(sp.Host("linux", machine, (3, 11), gpu=True)).commands == [["install", "-e", ".[dev]"]]
    p = plan(sp.Host("linux", machine, (3, 11)), "cuda")
    assert p.torch == "pypi" and "KIT_TORCH=cuda" in p.note
    assert plan(sp.Host("linux", machine, (3, 11), gpu=True), "cpu").torch == "cpu-index"  # cpu on request


def test_a_pip_that_already_serves_the_cpu_build_is_left_alone(tmp_path):
    links = cpu_wheel_dir(tmp_path, "cp311")
    here = sp.Host("linux", "x86_64", (3, 11), pip_sources=("file:///elsewhere/simple", links))
    assert plan(here).torch == "preset" and plan(here).commands == [["install", "-e", ".[dev]"]]
    assert plan(sp.Host("linux", "x86_64", (3, 13), pip_sources=(links,))).torch == "cpu-index"  # a cp311 wheel only
    assert plan(sp.Host("linux", "aarch64", (3, 11), pip_sources=(links,))).torch == "cpu-index"  # an x86_64 wheel
    index = sp.Host("linux", "x86_64", (3, 12), pip_sources=("https://download.pytorch.org/whl/cpu/",))
    assert plan(index).torch == "preset"


@pytest.mark.parametrize("system, machine", [("darwin", "arm64"), ("darwin", "x86_64"), ("win32", "AMD64")])
def test_macos_and_windows_take_pypis_wheels(system, machine):
    p = plan(sp.Host(system, machine, (3, 13)))
    assert p.torch == "pypi" and p.commands == [["install", "-e", ".[dev]"]]
    with pytest.raises(sp.SetupError, match="Linux"):
        plan(sp.Host(system, machine, (3, 13)), "cuda")


def test_none_installs_everything_but_torch():
    p = plan(LINUX, "none", ("dev", "lab"))
    assert p.commands[0] == ["install", "-e", ".", "--no-deps"]
    rest = p.commands[1][1:]
    assert not [r for r in rest if r.startswith("torch")]
    assert set(DEPS) - {TORCH} <= set(rest) and set(OPTIONAL["dev"]) | set(OPTIONAL["lab"]) <= set(rest)


def test_bad_settings_are_one_sentence_errors():
    with pytest.raises(sp.SetupError, match="not a torch choice"):
        plan(LINUX, "rocm")
    with pytest.raises(sp.SetupError, match="Unknown extras"):
        plan(LINUX, extras=("dev", "gpu"))


def test_pip_config_listing_is_parsed():
    listing = ("global.cert='/etc/ssl/certs/ca-certificates.crt'\n"
               "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'\n"
               "global.find-links='/opt/wheels'\n:env:.find-links='/opt/wheels'\n:env:.default-timeout='180'\n")
    assert sp.parse_pip_config(listing) == ("file:///opt/pypi/simple", "file:///opt/pypi-more/simple",
                                            "/opt/wheels", "/opt/wheels")


def test_stamp_covers_pyproject_extras_and_torch_choice(tmp_path):
    stamp = tmp_path / "stamp"
    assert not sp.up_to_date(stamp, sp.stamp_of(["dev"], "auto"))
    stamp.write_text(json.dumps(sp.stamp_of(["dev", "lab"], "auto")))
    assert sp.up_to_date(stamp, sp.stamp_of(["dev"], "auto"))  # fewer extras: nothing to do
    assert not sp.up_to_date(stamp, sp.stamp_of(["dev"], "none"))
    stamp.write_text("")  # an older kit's empty stamp
    assert not sp.up_to_date(stamp, sp.stamp_of(["dev"], "auto"))


def test_dry_run_prints_the_plan_for_this_machine(capsys, monkeypatch):
    monkeypatch.delenv("KIT_TORCH", raising=False)  # CI's second-Python pass sets KIT_TORCH=none
    assert sp.main(["--dry-run", "--extras", "dev"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "$ python -m pip install --upgrade pip" and "-e .[dev]" in out
    assert err.startswith("kit: installing the kit's dependencies with extras dev;")
    assert sys.platform != "linux" or "torch" in err
