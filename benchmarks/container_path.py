"""The built image in a container, when a container engine answers: cold start, warm latency and registry sizes.

Each runtime's image is built as 02 builds it (helpers.build.build_image; the engine's layer cache makes a rebuild
take seconds) and run as the local target runs it (local_aws.awslambda.container.launch_container: the RIE mounted, as
SAM does). Cold start: container start to first translation. Sizes: the image is pushed to the local registry
(KIT_REGISTRY, repository `ltk-bench`) and its manifest read back, so the sizes are the compressed layers a
registry (and ECR) stores, with and without the base image's layers.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.measure import FUNCTION_ENV, event_for, invoke, warm_calls
from benchmarks.workload import MiB, RUNTIMES, SENTENCE
from helpers.core.stats import percentile

BENCH_REPOSITORY = "ltk-bench"


def registry_sizes(client: Any, image_ref: str, base_ref: str, registry: str) -> dict[str, int]:
    """Compressed bytes of the image's layers in the registry: all of them, and those on top of the base."""
    import json

    from helpers.core.engine import registry_manifest

    tag = image_ref.rsplit(":", 1)[1]
    target = f"{registry}/{BENCH_REPOSITORY}"
    client.images.get(image_ref).tag(target, tag)
    for chunk in client.api.push(target, tag=tag, stream=True, decode=True):
        if "error" in chunk:
            raise RuntimeError(chunk["error"])
    layers = json.loads(registry_manifest(f"{target}:{tag}")[0])["layers"]
    base_count = len(client.images.get(base_ref).attrs["RootFS"]["Layers"])
    return {"with_base_bytes": sum(x["size"] for x in layers),
            "added_bytes": sum(x["size"] for x in layers[base_count:]), "layers": len(layers),
            "base_layers": base_count}


def measure_runtime(client: Any, runtime: str, model: Path, n_cold: int, n_warm: int,
                    tick: Any = None) -> dict[str, Any]:
    """Cold starts (a new container each) and warm calls on the last one, for one runtime's built image."""
    from helpers.build import build_image
    from local_aws.awslambda.container import launch_container
    from local_aws.ecr.images import ImageRecord
    from local_aws.awslambda.service import PeakRss
    from local_aws.stack.ports import free_port

    built = build_image(runtime, model=model)
    rec = ImageRecord(uri=f"local/{BENCH_REPOSITORY}:{runtime}", digest="sha256:" + "0" * 64,
                      container_image=built.image_ref)
    env = {**FUNCTION_ENV, "AWS_LAMBDA_FUNCTION_NAME": f"ltk-bench-{runtime}", "MODEL_RUNTIME": runtime}
    cold: list[float] = []
    out: dict[str, Any] = {"image": built.image_ref}
    peak = 0
    for i in range(n_cold):
        t0 = time.perf_counter()
        inst = launch_container(rec, env, free_port())
        sampler = PeakRss(inst, interval=0.005)
        sampler.start()
        try:
            body, _ = invoke(inst.endpoint, {"sentence": SENTENCE})
            cold.append(time.perf_counter() - t0)
            out["translation"] = body["en"]
            if tick:
                tick()
            if i == n_cold - 1:
                out["warm"] = warm_calls(inst.endpoint, event_for("single", []), n_warm, tick=tick)
        finally:
            peak = max(peak, sampler.finish())
            inst.stop()
    out.update(cold_s=[round(c, 3) for c in cold], cold_median_s=round(percentile(cold, 50), 3),
               peak_rss_mib=round(peak / MiB, 1) if peak else None)
    return out


def measure_containers(model: Path, n_cold: int, n_warm: int, tick: Any = None) -> dict[str, Any]:
    """Both runtimes in containers, or {"skipped": why} when no container engine answers."""
    from helpers.build.base_image import resolve_base_image
    from helpers.core.engine import docker_client, engine_name, local_registry

    client = docker_client()
    if client is None:
        return {"skipped": "no container engine answers (set DOCKER_HOST, or `eval \"$(.ci/container-services "
                           "start)\"` on Debian)"}
    out: dict[str, Any] = {"engine": engine_name(client)}
    registry = local_registry()
    base = resolve_base_image(client)
    out["base_image"] = base
    for runtime in RUNTIMES:
        out[runtime] = measure_runtime(client, runtime, model, n_cold, n_warm, tick)
        if registry:
            out[runtime]["registry"] = registry_sizes(client, out[runtime]["image"], base, registry)
    if not registry:
        out["sizes_skipped"] = "no local registry (KIT_REGISTRY): registry sizes not measured"
    return out
