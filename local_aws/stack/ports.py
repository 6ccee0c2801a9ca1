"""Loopback ports: a free one, launching on one without losing a race for it, and waiting until something listens
(or answers HTTP) on one.

A port free "a moment ago" can be taken before the process meant to listen on it binds it (another launch, or any
outgoing connection, whose source port comes from the same ephemeral range). An emulator cannot be handed a bound
socket (AWS's RIE binary binds its own), so: this process never hands out the same port twice within HOLD_S,
a launcher checks that its own process listens (`wait_for_listener`, not just anyone on that port) and raises
PortLost when its process exits before listening, and `with_free_port` retries such a launch on new ports.
"""
from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from typing import Literal, TypeVar

import psutil

from helpers.core.errors import KitError

T = TypeVar("T")
HOLD_S = 120.0  # a port this process handed out is not handed out again for this long
LAUNCH_ATTEMPTS = 5
_handed_out: dict[int, float] = {}
_handed_lock = threading.Lock()


class PortLost(KitError):
    """The process meant to listen on a port exited before it listened: the port was taken meanwhile."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out lately."""
    with _handed_lock:
        now = time.monotonic()
        for port, at in list(_handed_out.items()):
            if now - at > HOLD_S:
                del _handed_out[port]
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in _handed_out:
                _handed_out[port] = now
                return port


def with_free_port(launch: Callable[[int], T], attempts: int = LAUNCH_ATTEMPTS) -> T:
    """`launch(port)` on a free port; when it raises PortLost (its port was taken), again on a new one."""
    for _ in range(attempts - 1):
        try:
            return launch(free_port())
        except PortLost:
            continue
    return launch(free_port())


def wait_for_listener(pid: int, port: int, timeout: float) -> Literal["listening", "exited", "timeout"]:
    """Poll until process `pid` itself listens on `port` (someone else listening there does not count), or it
    exits (typically: it could not bind the port), or `timeout` passes."""
    deadline = time.monotonic() + timeout
    try:
        proc = psutil.Process(pid)
        while time.monotonic() < deadline:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return "exited"
            if any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
                   for c in proc.net_connections("tcp")):
                return "listening"
            time.sleep(0.02)
    except psutil.AccessDenied:  # some systems hide another process's sockets: anyone listening then counts
        alive = lambda: psutil.pid_exists(pid)  # noqa: E731
        if wait_for_port(port, max(0.0, deadline - time.monotonic()), alive):
            return "listening"
        return "timeout" if alive() else "exited"
    except psutil.NoSuchProcess:
        return "exited"
    return "timeout"


def wait_for_port(port: int, timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll until something accepts connections on 127.0.0.1:port; False on timeout or if `alive()` turns False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def wait_for_http(port: int, timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll until an HTTP server answers (any status) on 127.0.0.1:port; False on timeout or if `alive()` turns False.

    For published container ports: an engine's port proxy accepts connections before the container listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
        finally:
            conn.close()
    return False


def loopback_request(endpoint: str, method: str, path: str, body: bytes | None, headers: dict[str, str] | None,
                     timeout: float) -> tuple[int | None, dict[str, str], bytes]:
    """One HTTP request to an instance (`endpoint`: http://127.0.0.1:PORT): (status, headers, body), or (None, {},
    b"") when it does not answer within `timeout` or drops the connection."""
    host, port = endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    except (OSError, http.client.HTTPException):
        return None, {}, b""
    finally:
        conn.close()
