"""Run a function's real image in the container engine, with AWS's Runtime Interface Emulator mounted (as SAM does).

As Lambda runs it: a non-root user, a read-only root file system with a writable /tmp (512 MB, Lambda's default
ephemeral storage). The emulator's port is published on 127.0.0.1 (no host networking), which works alike on
Docker Desktop (macOS, Windows), podman machine and Linux engines.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import docker
import psutil
from docker.models.containers import Container
from docker.types import Ulimit

from helpers.core.engine import require_engine
from helpers.core.errors import KitError
from helpers.core.platform import rie_binary
from local_aws.stack.ports import wait_for_http

if TYPE_CHECKING:
    from local_aws.ecr.images import ImageRecord

RIE_IN_CONTAINER = "/var/rapid/aws-lambda-rie"
RIE_PORT = 8080  # the emulator's port inside the container, published on 127.0.0.1
SANDBOX_USER = "993:990"  # Lambda's sandbox user (sbx_user1051) is not root: neither is this one
TMP = {"/tmp": "rw,size=512m,mode=1777"}  # the only writable path, Lambda's default 512 MB of ephemeral storage
LABEL = "ltk.launcher"
# Explicit limits: podman's default crun/runc setup here refuses to raise them (see .ci/container-services).
ULIMITS = [Ulimit(name="nofile", soft=1024, hard=1024), Ulimit(name="nproc", soft=1024, hard=1024)]
READY_TIMEOUT_S = 30.0


@dataclass
class ContainerInstance:
    """One running function container (interface `Instance` of local_aws.awslambda.launchers)."""

    endpoint: str
    container: Container
    _log_offset: int = field(default=0, repr=False)

    def alive(self) -> bool:
        """True while the container runs."""
        try:
            self.container.reload()
        except docker.errors.NotFound:
            return False
        return self.container.status == "running"

    def rss_bytes(self) -> int:
        """Resident memory of the container's processes (host view; 0 when the engine runs in a VM)."""
        try:
            self.container.reload()
            root = psutil.Process(int(self.container.attrs["State"]["Pid"]))
            return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except (docker.errors.NotFound, psutil.Error, KeyError, ValueError):
            return 0

    def read_logs(self) -> str:
        """The container's output (stdout + stderr) since the last call."""
        try:
            data = self.container.logs(stdout=True, stderr=True)
        except docker.errors.NotFound:
            return ""
        new, self._log_offset = data[self._log_offset:], len(data)
        return new.decode("utf-8", errors="replace")

    def stop(self) -> None:
        """Remove the container (forcefully, like `podman rm -f`); safe to call twice."""
        try:
            self.container.remove(force=True)
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
    name = f"ltk-fn-{port}"
    try:  # a leftover from a crashed run on the same port: replace it
        client.containers.get(name).remove(force=True)
    except docker.errors.NotFound:
        pass
    entrypoint = [  # the RIE's default log level writes INIT REPORT and INVOKE RTDONE: Init Duration vs Duration
        RIE_IN_CONTAINER, "--runtime-interface-emulator-address", f"0.0.0.0:{RIE_PORT}",
        *(image.attrs["Config"].get("Entrypoint") or []),
    ]
    container = client.containers.run(
        rec.container_image,
        command=[rec.handler],
        entrypoint=entrypoint,
        environment=env,
        name=name,
        ports={f"{RIE_PORT}/tcp": ("127.0.0.1", port)},
        user=SANDBOX_USER,
        read_only=True,
        tmpfs=TMP,
        volumes={str(rie_binary(rec.architecture)): {"bind": RIE_IN_CONTAINER, "mode": "ro"}},
        ulimits=ULIMITS,
        labels={LABEL: "container"},
        detach=True,
    )
    instance = ContainerInstance(endpoint=f"http://127.0.0.1:{port}", container=container)
    if not wait_for_http(port, READY_TIMEOUT_S, instance.alive):
        logs = instance.read_logs()[-2000:]
        instance.stop()
        raise KitError(f"The function container did not start (its output: {logs!r}); fix the image and retry.")
    return instance
