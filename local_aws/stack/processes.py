"""The processes of the local stacks under one KIT_HOME: stack processes and their function instances.

A stack stops its instances when it stops; a stack that was killed (SIGKILL, a crash) cannot, and its instances
run on in their own sessions. Every instance carries its stack's endpoint in AWS_ENDPOINT_URL, and each stack
notes its endpoint in `.kit/local/endpoints`, so those leftovers can be found and stopped later.
"""
from __future__ import annotations

from pathlib import Path

import psutil

from helpers.core.paths import kit_home

SERVER_MODULE = "local_aws.front.server"  # `python -m` runs the stack process
KEEP_ENDPOINTS = 20


def _endpoints_path() -> Path:
    d = kit_home() / "local"
    d.mkdir(parents=True, exist_ok=True)
    return d / "endpoints"


def _known_endpoints() -> list[str]:
    try:
        return _endpoints_path().read_text().split()
    except OSError:
        return []


def remember_endpoint(endpoint: str) -> None:
    """Note the endpoint a stack under this KIT_HOME serves (the stack process calls this when it starts)."""
    known = [e for e in _known_endpoints() if e != endpoint][-(KEEP_ENDPOINTS - 1):]
    _endpoints_path().write_text("".join(f"{e}\n" for e in [*known, endpoint]))


def is_stack_process(pid: int) -> bool:
    """True if `pid` is a running stack process (of any KIT_HOME)."""
    try:
        p = psutil.Process(pid)
        return p.status() != psutil.STATUS_ZOMBIE and SERVER_MODULE in " ".join(p.cmdline())
    except psutil.Error:
        return False


def kit_processes() -> list[psutil.Process]:
    """Every process of the local stacks under this KIT_HOME that still runs: stack processes and their function
    instances, including instances a killed stack left behind."""
    home, endpoints = str(kit_home().resolve()), set(_known_endpoints())
    found = []
    for p in psutil.process_iter():
        try:
            if p.status() == psutil.STATUS_ZOMBIE:
                continue
            env = p.environ()
            if (env.get("KIT_HOME") == home and SERVER_MODULE in " ".join(p.cmdline())) or (
                    env.get("AWS_ENDPOINT_URL") in endpoints and "AWS_LAMBDA_FUNCTION_NAME" in env):
                found.append(p)
        except psutil.Error:
            continue
    return found


def stack_servers() -> list[psutil.Process]:
    """The stack processes under this KIT_HOME that run (normally none or one)."""
    servers = []
    for p in kit_processes():
        try:
            if SERVER_MODULE in " ".join(p.cmdline()):
                servers.append(p)
        except psutil.Error:  # gone meanwhile
            continue
    return servers


def stop_orphans() -> int:
    """Kill the function instances that no running stack owns (their stack was killed); how many there were."""
    orphans = []
    for p in kit_processes():
        try:
            if not any(is_stack_process(a.pid) for a in [p, *p.parents()]):
                orphans.append(p)
        except psutil.Error:
            continue
    kill_all(orphans)
    return len(orphans)


def kill_all(procs: list[psutil.Process]) -> None:
    """SIGKILL every process of `procs` that is still there, and reap them (3 s at most)."""
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=3)
