"""Loopback ports: a free one, and waiting until something listens (or answers HTTP) on one."""
from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
