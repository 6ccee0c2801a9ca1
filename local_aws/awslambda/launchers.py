"""Function instances ("execution environments") for the local Lambda: a Lambda emulator running a handler.

An instance is one warm execution environment. The host launcher runs, from a staged task root, an emulator with the handler's
runtime interface client: AWS's Runtime Interface Emulator (the binary in the aws-sam-cli wheel) where it runs, else
the kit's pure-Python one (lambda_api_server.py; KIT_LOCAL_RUNTIME chooses, see helpers.core.platform), with
`python -m awslambdaric HANDLER` where awslambdaric is installed, else the kit's stdlib client (lambda_bootstrap.py;
KIT_LOCAL_RIC). The container launcher (container.py) runs the built image with the RIE mounted, as SAM does.
All answer POST {endpoint}/2015-03-31/functions/function/invocations.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Protocol

import psutil

from helpers.core.aws_facts.account import ACCOUNT_ID
from helpers.core.errors import KitError
from helpers.core.platform import host_arch, interface_client, local_emulator, rie_binary
from helpers.core.paths import kit_home
from local_aws.awslambda.process_tree import ProcessTree
from local_aws.ecr.images import ImageRecord
from local_aws.stack.ports import PortLost, free_port, wait_for_listener, with_free_port

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
# What Lambda's Python runtime directory (/var/runtime) offers besides the task root: the runtime interface
# client and the AWS SDK. The host launcher's instance sees only these and the task root, so a missing dependency fails here too.
LAMBDA_PYTHON_DISTRIBUTIONS = ("awslambdaric", "simplejson", "snapshot-restore-py", "boto3", "botocore", "s3transfer",
                         "jmespath", "python-dateutil", "six", "urllib3")
STANDINS = Path(__file__).parent.parent / "standins"
API_SERVER = STANDINS / "lambda_api_server.py"  # run by path: stdlib only
STDLIB_CLIENT = STANDINS / "lambda_bootstrap.py"  # copied into lambda_python_dir()


class Instance(Protocol):
    """A running function instance reachable through the RIE invoke endpoint."""

    endpoint: str  # base URL of the RIE, e.g. http://127.0.0.1:PORT

    def rss_bytes(self) -> int:
        """Current resident memory of the function's processes (0 if unknown)."""

    def read_logs(self) -> str:
        """Function output (stdout + stderr, RIE lines included) since the last call."""

    def alive(self) -> bool:
        """True while the instance runs."""

    def stop(self) -> None:
        """Stop the instance and everything it started."""


_RUNTIME_DIR_LOCK = threading.Lock()  # concurrent cold starts in one stack build the directory once


def lambda_python_dir() -> Path:
    """A directory like Lambda's /var/runtime: symlinks to LAMBDA_PYTHON_DISTRIBUTIONS in this environment (built once)."""
    with _RUNTIME_DIR_LOCK:
        return _lambda_python_dir()


def _lambda_python_dir() -> Path:
    d = kit_home() / "local" / "runtime"
    stamp = d / ".complete"
    key = f"{sys.prefix}\n{hashlib.sha256(STDLIB_CLIENT.read_bytes()).hexdigest()}"
    if stamp.is_file() and stamp.read_text() == key:
        return d
    tmp = d.with_name(f"runtime.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copy2(STDLIB_CLIENT, tmp / STDLIB_CLIENT.name)
    for name in LAMBDA_PYTHON_DISTRIBUTIONS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:  # awslambdaric on macOS/Windows: the stdlib client stands in
            continue
        tops = {f.parts[0] for f in dist.files or []
                if f.parts[0] not in ("..", "__pycache__") and not f.parts[0].endswith((".dist-info", ".data"))}
        for top in tops:
            if not (tmp / top).exists():
                (tmp / top).symlink_to(dist.locate_file(top))
    (tmp / ".complete").write_text(key)
    shutil.rmtree(d, ignore_errors=True)
    try:
        tmp.rename(d)
    except OSError:  # another process built it at the same moment
        shutil.rmtree(tmp, ignore_errors=True)
    return d


class HostInstance:
    """The emulator and the function's Python runtime as processes on this machine (own process group on POSIX)."""

    def __init__(self, proc: subprocess.Popen, port: int) -> None:
        self.endpoint = f"http://127.0.0.1:{port}"
        self._proc = proc
        self._ps = psutil.Process(proc.pid)
        self._tree = ProcessTree(self._ps, include_root=False)  # the emulator's children: the runtime
        self._buf: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        assert self._proc.stdout is not None
        for line in iter(self._proc.stdout.readline, b""):
            with self._lock:
                self._buf.append(line.decode("utf-8", "replace"))

    def rss_bytes(self) -> int:
        """Resident memory of the function runtime (the RIE's child processes), like Lambda's Max Memory Used."""
        return self._tree.rss_bytes()

    def _stop_group(self) -> None:
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
            except ProcessLookupError:
                pass
        try:  # the runtime may outlive a killed emulator for a moment: leave nothing behind
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _stop_tree(self) -> None:
        try:
            family = [self._ps, *self._ps.children(recursive=True)]
        except psutil.Error:
            family = []
        for p in reversed(family):
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(family, timeout=3)
        self._proc.wait()

    def read_logs(self) -> str:
        with self._lock:
            out, self._buf = "".join(self._buf), []
        return out

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        if hasattr(os, "killpg"):
            self._stop_group()
        else:  # Windows: no process groups to signal; end the process tree psutil sees
            self._stop_tree()
        self._reader.join(timeout=2)
        if self._proc.stdout:
            self._proc.stdout.close()


def emulator_command(port: int, handler: str) -> list[str]:
    """The host instance's command line: the emulator (RIE or the kit's) on 127.0.0.1:port running the handler's
    runtime interface client (awslambdaric or the kit's stdlib loop) with this Python, without site-packages."""
    client = "awslambdaric" if interface_client() == "awslambdaric" else STDLIB_CLIENT.stem
    emulator = ([str(rie_binary(host_arch()))] if local_emulator() == "rie"  # on the host, both run natively
                else [sys.executable, "-I", str(API_SERVER), "--account-id", ACCOUNT_ID])
    return [*emulator, "--runtime-interface-emulator-address", f"127.0.0.1:{port}",
            "--runtime-api-address", f"127.0.0.1:{free_port()}",
            sys.executable, "-S", "-m", client, handler]  # -S: no site-packages, as in the image


def launch_host(rec: ImageRecord, env: dict[str, str], port: int) -> HostInstance:
    """Run `rec`'s handler from its staged task root under the local emulator on 127.0.0.1:port, with exactly `env`."""
    if not rec.task_root or not Path(rec.task_root).is_dir():
        raise KitError(f"Image {rec.uri} has no staged task root on this machine ({rec.task_root}): "
                       "rebuild and push it with 02_build_image.")
    task_root = str(Path(rec.task_root).resolve())
    python_dir = str(lambda_python_dir())
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), **env, "LAMBDA_TASK_ROOT": task_root,
           "LAMBDA_RUNTIME_DIR": python_dir, "PYTHONPATH": f"{task_root}:{python_dir}", "PYTHONUNBUFFERED": "1",
           "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = emulator_command(port, rec.handler)
    proc = subprocess.Popen(cmd, cwd=task_root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=hasattr(os, "killpg"))
    inst = HostInstance(proc, port)
    if (state := wait_for_listener(proc.pid, port, timeout=10)) != "listening":
        logs = inst.read_logs()
        inst.stop()
        raise (PortLost if state == "exited" else KitError)(
            f"The local Lambda emulator ({local_emulator()}) did not start on port {port}: {logs.strip()[-300:]}")
    return inst


def _engine_for(rec: ImageRecord) -> Any:
    """The container engine to run `rec` in, or None (no built image, or no engine answers)."""
    from helpers.core.engine import docker_client

    return docker_client() if rec.container_image else None


def launch_instance(rec: ImageRecord, env: dict[str, str]) -> Instance:
    """Run the built image in the local container engine when there is one, else the staged task root on the host;
    on a free port (a launch that loses its port to another process is retried on a new one)."""
    if _engine_for(rec) is not None:
        from local_aws.awslambda.container import launch_container

        return with_free_port(lambda port: launch_container(rec, env, port))
    return with_free_port(lambda port: launch_host(rec, env, port))


def launcher_description(rec: ImageRecord) -> str:
    """Which of the two local paths `launch_instance` takes for `rec`, in words (notebooks print it)."""
    client = _engine_for(rec)
    if client is not None:
        from helpers.core.engine import engine_name

        return f"the built image, in a container ({engine_name(client)})"
    emulator = "AWS's Runtime Interface Emulator" if local_emulator() == "rie" else "the kit's Python Lambda emulator"
    return f"the image's staged task root, in a host process under {emulator} (no container engine answers)"
