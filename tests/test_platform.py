"""Which local Lambda emulator and runtime interface client the host path picks, per platform and setting."""
from __future__ import annotations

import importlib.util

import pytest

import helpers.core.platform as plat
from helpers.core.errors import KitError


@pytest.fixture
def host(monkeypatch):
    """host(system, machine, awslambdaric_installed): pretend to be another machine."""
    monkeypatch.delenv("KIT_LOCAL_RUNTIME", raising=False)
    monkeypatch.delenv("KIT_LOCAL_RIC", raising=False)

    def _host(system: str, machine: str, awslambdaric: bool = True) -> None:
        monkeypatch.setattr(plat.sys, "platform", system)
        monkeypatch.setattr(plat.platform, "machine", lambda: machine)
        real = importlib.util.find_spec
        monkeypatch.setattr(plat.importlib.util, "find_spec",
                            lambda name: (real(name) if awslambdaric else None) if name == "awslambdaric" else real(name))

    return _host


@pytest.mark.parametrize("system, machine, emulator, client, arch", [
    ("linux", "x86_64", "rie", "awslambdaric", "x86_64"),
    ("linux", "aarch64", "rie", "awslambdaric", "arm64"),
    ("darwin", "arm64", "python", "stdlib", "arm64"),  # Apple Silicon: no RIE binary, no awslambdaric wheel
    ("darwin", "x86_64", "python", "stdlib", "x86_64"),
    ("win32", "AMD64", "python", "stdlib", "x86_64"),
])
def test_defaults_per_platform(host, system, machine, emulator, client, arch):
    host(system, machine, awslambdaric=system == "linux")
    assert (plat.local_emulator(), plat.interface_client(), plat.host_arch()) == (emulator, client, arch)


def test_settings_force_the_python_paths_on_linux(host, monkeypatch):
    host("linux", "x86_64")
    monkeypatch.setenv("KIT_LOCAL_RUNTIME", "python")
    monkeypatch.setenv("KIT_LOCAL_RIC", "stdlib")
    assert (plat.local_emulator(), plat.interface_client()) == ("python", "stdlib")


def test_impossible_or_unknown_settings_are_one_sentence_errors(host, monkeypatch):
    host("darwin", "arm64", awslambdaric=False)
    monkeypatch.setenv("KIT_LOCAL_RUNTIME", "rie")
    with pytest.raises(KitError, match="needs Linux"):
        plat.local_emulator()
    monkeypatch.setenv("KIT_LOCAL_RUNTIME", "docker")
    with pytest.raises(KitError, match="not a local Lambda emulator"):
        plat.local_emulator()
    monkeypatch.setenv("KIT_LOCAL_RIC", "awslambdaric")
    with pytest.raises(KitError, match="Linux wheels only"):
        plat.interface_client()
    monkeypatch.setenv("KIT_LOCAL_RIC", "bootstrap")
    with pytest.raises(KitError, match="not a runtime interface client"):
        plat.interface_client()


def test_image_architecture_defaults_to_the_engines_then_this_machines(monkeypatch):
    from helpers.build.image_spec import default_architecture

    monkeypatch.delenv("KIT_ARCH", raising=False)
    assert default_architecture("arm64", "arm64") == "arm64"  # Apple Silicon + Docker Desktop: native arm64
    assert default_architecture("arm64", "x86_64") == "arm64"  # the engine's, not the host's
    assert default_architecture(None, "arm64") == "arm64"  # no engine: staged task roots run on this machine
    monkeypatch.setenv("KIT_ARCH", "x86_64")  # x86_64 on request (built under emulation on an arm64 engine)
    assert default_architecture("arm64", "arm64") == "x86_64"
    monkeypatch.setenv("KIT_ARCH", "amd64")
    with pytest.raises(KitError, match="not a Lambda architecture"):
        default_architecture("arm64", "arm64")


@pytest.mark.parametrize("version, arch", [({"Arch": "arm64"}, "arm64"), ({"Arch": "amd64"}, "x86_64"),
                                           ({"Arch": "aarch64"}, "arm64")])
def test_engine_architecture_in_lambdas_words(version, arch):
    from helpers.core.engine import engine_arch

    class Engine:
        def version(self):
            return version

    assert engine_arch(Engine()) == arch
