"""The image's SageMaker serve mode as a local instance: `IMAGE serve` in a container, or the task root on the host.

Where it runs: the built image in a container when an engine answers (the entrypoint's serve branch, port 8080
published on 127.0.0.1, root, a read-only file system but /tmp, as serverless endpoints run it), else the image's
staged task root in a host process (`python -m lambda_app.serve serve`, what that branch runs) on a free 127.0.0.1
port (`SAGEMAKER_BIND_TO_PORT`). Ready once `GET /ping` answers 200 (sagemaker_runtime.py waits for it).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from helpers.core.errors import KitError
from local_aws.ecr.images import ImageRecord
from local_aws.awslambda.launchers import HostInstance, Instance
from local_aws.stack.ports import PortLost, loopback_request, wait_for_listener, wait_for_port

SERVE_PORT = 8080  # where SageMaker expects the container to listen
PING_LIMIT_S = 180.0  # serverless: the model must answer /ping within 3 minutes
INVOKE_LIMIT_S = 60.0  # serverless: /invocations must answer within 1 minute


def _in_container(rec: ImageRecord) -> bool:
    from helpers.core.engine import docker_client

    return bool(rec.container_image) and docker_client() is not None


def serve_description(rec: ImageRecord) -> str:
    """Where `launch_serve` runs `rec`'s serve mode, in words (notebooks print it)."""
    if _in_container(rec):
        return f"the built image in a container, as `{rec.container_image} serve`"
    return "the image's staged task root in a host process, as `python -m lambda_app.serve serve` (no engine answers)"


def launch_serve(rec: ImageRecord, env: dict[str, str], port: int) -> Instance:
    """Start the image's serve mode on 127.0.0.1:`port`: the built image in a container when an engine answers,
    else the staged task root in a host process. Returns once something listens (the caller waits for /ping)."""
    return _serve_container(rec, env, port) if _in_container(rec) else _serve_host(rec, env, port)


def _serve_host(rec: ImageRecord, env: dict[str, str], port: int) -> Instance:
    if not rec.task_root or not (Path(rec.task_root) / "lambda_app" / "serve.py").is_file():
        raise KitError(f"Image {rec.uri} has no staged task root with lambda_app/serve.py on this machine: "
                       "rebuild and push it with 02_build_image.")
    root = str(Path(rec.task_root).resolve())
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env, "LAMBDA_TASK_ROOT": root, "PYTHONPATH": root,
           "SAGEMAKER_BIND_TO_PORT": str(port), "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-S", "-m", "lambda_app.serve", "serve", "--host", "127.0.0.1"]  # -S: as in the image
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=hasattr(os, "killpg"))
    inst = HostInstance(proc, port)
    if (state := wait_for_listener(proc.pid, port, PING_LIMIT_S)) != "listening":
        _failed(inst, port, PortLost if state == "exited" else KitError)
    return inst


def _serve_container(rec: ImageRecord, env: dict[str, str], port: int) -> Instance:
    """`docker run IMAGE serve` as SageMaker Serverless runs it: port 8080 (published on 127.0.0.1:`port`), root, a
    read-only file system but /tmp."""
    from helpers.core.engine import require_engine
    from local_aws.awslambda.container import LABEL, TMP, ULIMITS, run_attached

    inst = run_attached(require_engine(), f"ltk-sm-{port}", port, image=rec.container_image,
                        command=["serve"], environment=env, ports={f"{SERVE_PORT}/tcp": ("127.0.0.1", port)},
                        read_only=True, tmpfs=TMP, ulimits=ULIMITS, labels={LABEL: "sagemaker"})
    if not wait_for_port(port, PING_LIMIT_S, inst.alive):
        _failed(inst, port, KitError)
    return inst


def _failed(inst: Instance, port: int, error: type[KitError]) -> None:
    logs = inst.read_logs()
    inst.stop()
    raise error(f"The image's serve mode did not listen on port {port}: {logs.strip()[-300:]}")


def wait_for_ping(inst: Instance, limit_s: float = PING_LIMIT_S) -> bool:
    """Poll GET /ping until it answers 200 (True) or the limit passes or the instance dies (False)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and inst.alive():
        if loopback_request(inst.endpoint, "GET", "/ping", None, None, timeout=5)[0] == 200:
            return True
        time.sleep(0.05)
    return False
