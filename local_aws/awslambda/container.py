"""Run a function's real image in the container engine, with AWS's Runtime Interface Emulator mounted (as SAM does).

As Lambda runs it: a non-root user, a read-only root file system with a writable /tmp (512 MB, Lambda's default
ephemeral storage). The emulator's port is published on 127.0.0.1 (no host networking), which works alike on
Docker Desktop (macOS, Windows), podman machine and Linux engines.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import docker
import psutil
import requests
from docker.models.containers import Container
from docker.types import Ulimit
from docker.utils.socket import frames_iter

from helpers.core.engine import require_engine
from helpers.core.errors import KitError
from helpers.core.platform import rie_binary
from local_aws.awslambda.process_tree import ProcessTree
from local_aws.stack.ports import PortLost, wait_for_http

if TYPE_CHECKING:
    from local_aws.ecr.images import ImageRecord

RIE_IN_CONTAINER = "/var/rapid/aws-lambda-rie"
RIE_PORT = 8080  # the emulator's port inside the container, published on 127.0.0.1
INSTANCE_USER = "993:990"  # Lambda's sandbox user (sbx_user1051) is not root: neither is this one
TMP = {"/tmp": "rw,size=512m,mode=1777"}  # the only writable path, Lambda's default 512 MB of ephemeral storage
LABEL = "ltk.launcher"
# Explicit limits: podman's default crun/runc setup here refuses to raise them (see .ci/container-services).
ULIMITS = [Ulimit(name="nofile", soft=1024, hard=1024), Ulimit(name="nproc", soft=1024, hard=1024)]
READY_TIMEOUT_S = 30.0
PORT_TAKEN = ("address already in use", "port is already allocated")  # podman's and Docker's words


class ContainerInstance:
    """One running function container (interface `Instance` of local_aws.awslambda.launchers).

    A call through it asks the engine nothing (an engine API call costs milliseconds, several per invocation did
    before): its output arrives on one attach stream, opened before the container started (`run_attached`) and
    followed by a thread, and that stream ends when the container stops; its memory and liveness are read from
    this machine's view of its processes (psutil), found once at start. Where the engine runs in a VM (Docker
    Desktop, podman machine) its processes are not visible here: then liveness is the log stream's, and its memory
    reads 0.
    """

    def __init__(self, endpoint: str, container: Container, stream: Any) -> None:
        self.endpoint, self.container = endpoint, container
        self._buf: list[str] = []
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._tree = _host_tree(container)
        self._reader = threading.Thread(target=self._follow, args=(stream,), daemon=True)
        self._reader.start()

    def _follow(self, stream: Any) -> None:
        try:
            for _, chunk in frames_iter(stream, tty=False):  # the engine's multiplexed frames (no TTY)
                with self._lock:
                    self._buf.append(chunk.decode("utf-8", errors="replace"))
        except (docker.errors.APIError, requests.RequestException, OSError):
            pass
        finally:
            stream.close()
            self._ended.set()

    def alive(self) -> bool:
        """True while the container runs."""
        if self._ended.is_set():
            return False
        return self._tree.alive() if self._tree is not None else True

    def rss_bytes(self) -> int:
        """Resident memory of the container's processes (host view; 0 when the engine runs in a VM)."""
        return self._tree.rss_bytes() if self._tree is not None else 0

    def read_logs(self) -> str:
        """The container's output (stdout + stderr) since the last call."""
        with self._lock:
            out, self._buf = "".join(self._buf), []
        return out

    def stop(self) -> None:
        """Remove the container (forcefully, like `podman rm -f`); safe to call twice."""
        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:
            pass
        self._ended.wait(timeout=2)


def _host_tree(container: Container) -> ProcessTree | None:
    """The container's processes as this machine sees them, or None where they are not visible here (an engine in
    a VM: a process of that pid here would be another one, so the entrypoint's name must match)."""
    try:
        container.reload()
        root = psutil.Process(int(container.attrs["State"]["Pid"]))
        cmd = root.cmdline()
    except (docker.errors.NotFound, psutil.Error, KeyError, ValueError):
        return None
    wanted = os.path.basename(str(container.attrs.get("Path") or ""))
    return ProcessTree(root, include_root=True) if any(os.path.basename(c) == wanted for c in cmd[:2]) else None


def run_attached(client: docker.DockerClient, name: str, port: int, **kwargs: Any) -> ContainerInstance:
    """`containers.run(..., detach=True)` as `name` (a leftover of that name is replaced), its output followed from
    the first byte, as an instance answering on 127.0.0.1:`port`. PortLost when the engine cannot publish `port`
    because another process took it since it was free.

    The container is created, attached to, then started, as `docker run` does. Attaching to a running container
    and asking for its earlier output (`logs=1`) loses the lines written meanwhile on podman 4 (an invocation's
    print went missing in CI; containers/podman#26951).
    """
    _remove(client, name)
    container = client.containers.create(name=name, **kwargs)
    stream = None
    try:
        stream = container.attach_socket(params={"stdout": 1, "stderr": 1, "stream": 1})
        container.start()
    except BaseException as err:
        if stream is not None:
            stream.close()
        _remove(client, name)  # created but not started: nothing is left behind
        if isinstance(err, docker.errors.APIError) and any(s in str(err) for s in PORT_TAKEN):
            raise PortLost(f"The container engine could not publish port {port}: {err}") from None
        raise
    return ContainerInstance(f"http://127.0.0.1:{port}", container, stream)


def _remove(client: docker.DockerClient, name: str) -> None:
    try:
        client.containers.get(name).remove(force=True)
    except docker.errors.NotFound:
        pass


def launch_container(rec: ImageRecord, env: dict[str, str], port: int) -> ContainerInstance:
    """Start rec.container_image as Lambda would (non-root, read-only, /tmp only) with the emulator on 127.0.0.1:`port`."""
    if not rec.container_image:
        raise KitError(f"Image {rec.uri} has no local container image: rebuild and push it with a container engine.")
    client = require_engine()
    try:
        image = client.images.get(rec.container_image)
    except docker.errors.ImageNotFound:
        raise KitError(f"Image {rec.container_image} is not in the container engine: rebuild it (02_deploy).") from None
    entrypoint = [  # the RIE's default log level writes INIT REPORT and INVOKE RTDONE: Init Duration vs Duration
        RIE_IN_CONTAINER, "--runtime-interface-emulator-address", f"0.0.0.0:{RIE_PORT}",
        *(image.attrs["Config"].get("Entrypoint") or []),
    ]
    instance = run_attached(
        client, f"ltk-fn-{port}", port,
        image=rec.container_image,
        command=[rec.handler],
        entrypoint=entrypoint,
        environment={"PYTHONUNBUFFERED": "1", **env},  # the function's prints stream before its REPORT, as on
        # the host path (launchers.py): a block-buffered pipe would hold them back until the process exits
        ports={f"{RIE_PORT}/tcp": ("127.0.0.1", port)},
        user=INSTANCE_USER,
        read_only=True,
        tmpfs=TMP,
        volumes={str(rie_binary(rec.architecture)): {"bind": RIE_IN_CONTAINER, "mode": "ro"}},
        ulimits=ULIMITS,
        labels={LABEL: "container"},
    )
    if not wait_for_http(port, READY_TIMEOUT_S, instance.alive):
        logs = instance.read_logs()[-2000:]
        instance.stop()
        raise KitError(f"The function container did not start (its output: {logs!r}); fix the image and retry.")
    return instance
