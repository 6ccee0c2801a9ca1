"""The local stack: one background process serving the emulated AWS endpoint and the HTTP APIs.

`ensure_stack()` starts the server process (`python -m local_aws.front.server`) on demand (detached, so it outlives a notebook
kernel) and records it in `.kit/local/stack.json`; every notebook reuses it; `stop_stack()` (04_cleanup, tests)
or an idle timeout (KIT_LOCAL_IDLE_SECONDS, default 1800) ends it together with its function instances.

The process serves two ports on 127.0.0.1:
- the endpoint (`endpoint_url` of every boto3 client): moto for the control plane, except the Lambda Invoke API
  (`POST /2015-03-31/functions/{name}/invocations`), answered by the local Lambda (awslambda/service.py);
- the HTTP API endpoint: `api_url(api_id)` serves the API Gateway v2 APIs stored in moto (gateway.py).

Settings: KIT_LOCAL_PORT / KIT_LOCAL_API_PORT pin the two ports (default: free ports), KIT_LOCAL_IDLE_SECONDS.
From a shell: `python -m local_aws.stack.control status|stop`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
from filelock import FileLock

from helpers.core.errors import KitError
from helpers.core.paths import REPO_ROOT, kit_home, write_json
from local_aws.awslambda.concurrency import account_concurrency
from local_aws.stack.processes import SERVER_MODULE, is_stack_process, kill_all, stack_servers, stop_orphans

_started: dict[int, subprocess.Popen] = {}  # stacks this process started (reaped in stop_stack)


@dataclass
class StackInfo:
    """A running local stack: its process, ports and how long it took to start."""

    pid: int
    endpoint_port: int
    api_port: int
    start_seconds: float = 0.0

    @property
    def endpoint(self) -> str:
        """The endpoint_url for boto3 clients."""
        return f"http://127.0.0.1:{self.endpoint_port}"

    @property
    def api_endpoint(self) -> str:
        """Base URL of the local HTTP APIs (api_url() appends the API id). It names the machine as a person would,
        `localhost`, which resolves to the loopback address the stack listens on (127.0.0.1)."""
        return f"http://localhost:{self.api_port}"


# ----------------------------------------------------------------------------------------------- client side

def _dir() -> Path:
    d = kit_home() / "local"
    d.mkdir(parents=True, exist_ok=True)
    return d


def info_path() -> Path:
    return _dir() / "stack.json"


def log_path() -> Path:
    """The stack's log file (requests it answered, invocations, errors)."""
    return _dir() / "stack.log"


@contextmanager
def _start_lock() -> Iterator[None]:
    with FileLock(_dir() / "stack.lock"):  # portable (no fcntl on Windows)
        yield


def read_info() -> StackInfo | None:
    try:
        return StackInfo(**json.loads(info_path().read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _healthy(info: StackInfo) -> bool:
    try:
        with urllib.request.urlopen(f"{info.endpoint}/_kit/health", timeout=2) as r:
            return json.load(r).get("pid") == info.pid
    except (OSError, ValueError):
        return False


def running_stack() -> StackInfo | None:
    """The stack recorded under this KIT_HOME if it is alive and answering, else None."""
    info = read_info()
    if info and is_stack_process(info.pid) and _healthy(info):
        return info
    return None


def _port_from_env(var: str) -> int:
    value = os.environ.get(var)
    if not value:
        return 0
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise KitError(f"{var}={value!r} is not a port number: set it to a free port like 4566, or unset it.")
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", int(value)))
        except OSError:
            raise KitError(f"Port {value} ({var}) is already in use: stop what uses it or unset {var} "
                           "to let the kit pick a free port.") from None
    return int(value)


def idle_seconds() -> float:
    value = os.environ.get("KIT_LOCAL_IDLE_SECONDS", "1800")
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise KitError(f"KIT_LOCAL_IDLE_SECONDS={value!r} is not a positive number of seconds: "
                       "set it like 1800, or unset it.")
    return seconds


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def ensure_stack(timeout: float = 90) -> StackInfo:
    """The running local stack, started (and waited for) if needed; reused by every caller under this KIT_HOME."""
    info = running_stack()
    if info:
        return info
    with _start_lock():
        info = running_stack()
        if info:
            return info
        ports = [_port_from_env("KIT_LOCAL_PORT"), _port_from_env("KIT_LOCAL_API_PORT")]
        idle_seconds()
        account_concurrency()
        for server in stack_servers():  # one an interrupted call (Ctrl-C, kernel restart) left starting
            info = _await_stack(server.pid, lambda: is_stack_process(server.pid), time.monotonic(), timeout)
            if info:
                return info
        stop_orphans()  # what a killed stack left running
        info_path().unlink(missing_ok=True)
        env = {**os.environ, "KIT_HOME": str(kit_home().resolve())}
        t0 = time.monotonic()
        with open(log_path(), "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", SERVER_MODULE, *map(str, ports)],
                                    cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        _started[proc.pid] = proc
        info = _await_stack(proc.pid, lambda: proc.poll() is None, t0, timeout)
        if info is None:
            _started.pop(proc.pid, None)
            raise KitError(f"The local stack exited while starting (see {log_path()}); its log ends with:\n"
                           f"{_tail(log_path())}")
        return info


def _await_stack(pid: int, alive: Callable[[], bool], t0: float, timeout: float) -> StackInfo | None:
    """Wait until the stack process `pid` answers (its info) or exits (None); past `timeout` stop it: KitError."""
    while time.monotonic() < t0 + timeout:
        if not alive():
            return None
        info = read_info()
        if info and info.pid == pid and _healthy(info):
            info.start_seconds = round(time.monotonic() - t0, 3)
            write_json(info_path(), asdict(info))
            return info
        time.sleep(0.1)
    _kill_tree(pid)
    raise KitError(f"The local stack did not answer within {timeout:.0f} s (machine busy?): try again, "
                   f"and see {log_path()} if it keeps failing.")


def _kill_tree(pid: int, timeout: float = 10) -> None:
    """SIGTERM the process (it stops its instances), then SIGKILL whatever of its tree is left."""
    if pid in _started and _started[pid].poll() is not None:
        _started.pop(pid)
        return
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    try:
        root.terminate()
    except psutil.Error:
        pass
    if pid in _started:
        try:
            _started[pid].wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    _, alive = psutil.wait_procs(family, timeout=timeout if pid not in _started else 1)
    kill_all(alive)
    if pid in _started:
        _started.pop(pid).wait()


def stop_stack() -> bool:
    """Stop the local stack under this KIT_HOME and its function instances (also those of a stack that was
    killed); False if nothing was running."""
    info = read_info()
    info_path().unlink(missing_ok=True)
    running = info is not None and is_stack_process(info.pid)
    if running:
        _kill_tree(info.pid)  # type: ignore[union-attr]
    return stop_orphans() > 0 or running


def stop_started_stacks() -> None:
    """Stop every stack this process started and that still runs (the test session's safety net)."""
    for pid in list(_started):
        _kill_tree(pid)


def api_url(api_id: str, stage: str = "$default") -> str:
    """The local URL of an HTTP API stage: `api_url(id) + "/translate"` reaches its `POST /translate` route."""
    base = f"{ensure_stack().api_endpoint}/{api_id}"
    return base if stage == "$default" else f"{base}/{stage}"


def main(argv: list[str]) -> int:
    """`status` and `stop` act on the stack under KIT_HOME (front/server.py runs one)."""
    cmd = argv[0] if argv else ""
    if cmd == "status":
        info = running_stack()
        print(f"local stack pid {info.pid}: endpoint {info.endpoint}, HTTP APIs {info.api_endpoint}" if info
              else "no local stack is running")
    elif cmd == "stop":
        print("stopped" if stop_stack() else "no local stack was running")
    else:
        print("usage: python -m local_aws status|stop", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
