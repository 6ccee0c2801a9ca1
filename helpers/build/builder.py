"""Build the Lambda image with the container engine when one answers, or stage its task root without one."""
from __future__ import annotations

import re
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from helpers.build.base_image import resolve_base_image
from helpers.build.dockerfile import parse_dockerfile
from helpers.build.image_spec import (DOCKERFILE, IMAGE_NAME, MODEL_LABEL, PLATFORMS, BuiltImage, StagedImage, base_spec,
                                      default_architecture)
from helpers.build.staging import stage_context, stage_task_root
from helpers.core.engine import docker_client, engine_arch, engine_name
from helpers.core.platform import host_arch
from helpers.core.errors import KitError
from helpers.core.progress import progress


def build_with_engine(client: Any, runtime: str, arch: str = "x86_64", model: Path | None = None,
                      say: bool = True) -> BuiltImage:
    """Build the image with the Docker SDK (classic builder) for `arch`, streaming the log into a progress bar;
    `say` prints which engine and base image it uses."""
    base = resolve_base_image(client, arch)
    if say:
        print(f"Building with the container engine ({engine_name(client)}) on base image {base}.")
    staged = stage_context(runtime, arch, model, base_spec(base))
    ref = f"{IMAGE_NAME}:{staged.tag}"
    steps = len(parse_dockerfile(DOCKERFILE.read_text()))
    stream = client.api.build(path=staged.context, dockerfile="Dockerfile", tag=ref, rm=True, forcerm=True,
                              buildargs={"BASE_IMAGE": base, "RUNTIME": runtime}, platform=PLATFORMS[arch],
                              decode=True, labels={MODEL_LABEL: staged.version})
    with progress(total=steps, desc=f"docker build {ref}", unit="step") as bar:
        for chunk in stream:
            if "error" in chunk:
                raise KitError(f"The image build failed: {chunk['error'].strip()} (fix it and re-run).")
            line = chunk.get("stream", "").strip()
            step = re.match(r"(?:Step|STEP) (\d+)/(\d+)", line)
            if step:
                bar.total = int(step.group(2))
                bar.n = int(step.group(1)) - 1
                bar.set_postfix_str(line[:60])
                bar.refresh()
        bar.n = bar.total
    return BuiltImage(staged=staged, image_ref=ref)


def build_image(runtime: str, arch: str | None = None, model: Path | None = None) -> BuiltImage:
    """Build with the container engine when one answers; otherwise say so and stage the task root."""
    return build_images([runtime], arch, model)[runtime]


def build_images(runtimes: Iterable[str], arch: str | None = None, model: Path | None = None) -> dict[str, BuiltImage]:
    """`build_image` for each runtime, saying once (not once per runtime) how: with which engine, or by staging.
    `arch` defaults to KIT_ARCH, else the engine's native architecture, else this machine's (default_architecture)."""
    client = docker_client()
    arch = arch or default_architecture(engine_arch(client) if client is not None else None, host_arch())
    if client is not None:
        return {rt: build_with_engine(client, rt, arch, model, say=i == 0) for i, rt in enumerate(runtimes)}
    print("No container engine answers (Docker/podman): staging the image's task root from the "
          "Dockerfile instead; the local target runs it as is.")
    return {rt: BuiltImage(staged=stage_task_root(rt, arch, model)) for rt in runtimes}


def measured_task_root(built: BuiltImage, model: Path | None = None) -> StagedImage:
    """The staged task root behind `built`, with its sizes; staged now (same Dockerfile steps, cached) after an
    engine build, so both paths report the same measurements."""
    if built.staged.task_root:
        return built.staged
    return stage_task_root(built.staged.runtime, built.staged.arch, model)
