"""Starting and stopping the local stack: clear errors, the idle timeout, nothing left behind."""
from __future__ import annotations

import socket
import sys
import time

import psutil
import pytest

from helpers.core.errors import KitError
from local_aws.stack.control import ensure_stack, running_stack, stop_stack


def test_pinned_port_in_use_is_one_clear_sentence(kit_home, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        monkeypatch.setenv("KIT_LOCAL_PORT", str(s.getsockname()[1]))
        with pytest.raises(KitError, match=r"Port \d+ \(KIT_LOCAL_PORT\) is already in use: .*unset KIT_LOCAL_PORT"):
            ensure_stack()
    monkeypatch.setenv("KIT_LOCAL_PORT", "http")
    with pytest.raises(KitError, match="is not a port number"):
        ensure_stack()
    assert running_stack() is None


def test_bad_idle_timeout_is_refused(kit_home, monkeypatch):
    monkeypatch.setenv("KIT_LOCAL_IDLE_SECONDS", "soon")
    with pytest.raises(KitError, match="KIT_LOCAL_IDLE_SECONDS"):
        ensure_stack()


def test_a_stack_that_fails_to_start_shows_its_log(kit_home, monkeypatch, tmp_path):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'fatal: the emulator could not load' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    with pytest.raises(KitError, match=r"(?s)exited while starting.*fatal: the emulator could not load"):
        ensure_stack()
    assert running_stack() is None


def test_pinned_port_is_used_and_idle_timeout_stops_the_stack(kit_home, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("KIT_LOCAL_PORT", str(port))
    monkeypatch.setenv("KIT_LOCAL_IDLE_SECONDS", "1")
    info = ensure_stack()
    assert info.endpoint_port == port and info.start_seconds > 0
    proc = psutil.Process(info.pid)
    proc.wait(timeout=20)  # exits by itself once idle (and is reaped here)
    assert not (kit_home / "local" / "stack.json").exists()
    assert running_stack() is None and stop_stack() is False
    assert "idle timeout" in (kit_home / "local" / "stack.log").read_text()


def test_stop_without_a_stack_is_harmless(kit_home):
    t0 = time.monotonic()
    assert stop_stack() is False
    assert time.monotonic() - t0 < 5
