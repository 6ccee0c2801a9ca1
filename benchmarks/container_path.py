"""The built image in a container, when a container engine answers: cold start, warm latency and registry sizes.

Each runtime's image is built as 02 builds it (helpers.build.build_image; the engine's layer cache makes a rebuild
take seconds) and run as the local target runs it (local_aws.awslambda.container.launch_container: the RIE mounted, as
SAM does). Cold start: container start to first translation. Warm calls: straight to the container's published
port (`warm`), and through a local stack of the benchmark's own as a learner's request goes (`through_stack`:
Lambda's Invoke API and POST /translate through the HTTP API, the function running the same built image in a
container; `stack_overhead_ms` is their p50 minus the direct p50). Sizes: the image is pushed to the local registry
(KIT_REGISTRY, repository `ltk-bench`) and its manifest read back, so the sizes are the compressed layers a
registry (and ECR) stores, with and without the base image's layers.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import FUNCTION_ENV, event_for, invoke, summary_ms, warm_calls
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


def through_stack(built: Any, runtime: str, home: Path, n: int) -> dict[str, Any]:
    """`n` warm calls through an own local stack (02's push, 03's deploy): Invoke and HTTP round trips (ms)."""
    from benchmarks.http_path import ACCOUNT_THROTTLE, deploy_runtime, http_layers, own_stack, stage_throttle
    from helpers import aws
    from helpers.build.ecr import push_image
    from helpers.core.config import get_config
    from helpers.core.state import save_state

    with own_stack(home):
        cfg = get_config(target="local", runtime=runtime)
        save_state(image_uris={runtime: push_image(cfg, built).uri})
        deployed = deploy_runtime(runtime)
        name, lam = deployed.functions[runtime].name, aws.invoke_client(cfg)
        payload, rtt = json.dumps(event_for("single", [])).encode(), []
        for i in range(n + 3):  # 3 unmeasured: the first is the cold start
            t0 = time.perf_counter()
            answer = lam.invoke(FunctionName=name, Payload=payload)
            answer["Payload"].read()
            if i >= 3:
                rtt.append(time.perf_counter() - t0)
        with stage_throttle(deployed.api.api_id, ACCOUNT_THROTTLE):
            http = http_layers(deployed.url, name, n)
    return {"invoke": summary_ms(rtt), "http": http["http"], "report": http["report"]}


def measure_runtime(client: Any, runtime: str, model: Path, n_cold: int, n_warm: int,
                    tick: Any = None, stack_home: Path | None = None) -> dict[str, Any]:
    """Cold starts (a new container each) and warm calls on the last one, for one runtime's built image."""
    from helpers.build import build_image
    from local_aws.awslambda.container import launch_container
    from local_aws.ecr.images import ImageRecord
    from local_aws.awslambda.service import PeakRss
    from local_aws.stack.ports import with_free_port

    built = build_image(runtime, model=model)
    rec = ImageRecord(uri=f"local/{BENCH_REPOSITORY}:{runtime}", digest="sha256:" + "0" * 64,
                      container_image=built.image_ref)
    env = {**FUNCTION_ENV, "AWS_LAMBDA_FUNCTION_NAME": f"ltk-bench-{runtime}", "MODEL_RUNTIME": runtime}
    cold: list[float] = []
    out: dict[str, Any] = {"image": built.image_ref}
    peak = 0
    for i in range(n_cold):
        t0 = time.perf_counter()
        inst = with_free_port(lambda port: launch_container(rec, env, port))
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
    if stack_home is not None:
        stacked = out["through_stack"] = through_stack(built, runtime, stack_home, n_warm)
        direct = out["warm"]["rtt"]["p50"]
        out["stack_overhead_ms"] = {k: round(stacked[k]["p50"] - direct, 3) for k in ("invoke", "http")}
    return out


def measure_containers(model: Path, n_cold: int, n_warm: int, tick: Any = None, stack_home: Path | None = None,
                       runtimes: tuple[str, ...] = RUNTIMES) -> dict[str, Any]:
    """The runtimes in containers (and through a local stack under `stack_home`, if given), or {"skipped": why}
    when no container engine answers."""
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
    for runtime in runtimes:
        out[runtime] = measure_runtime(client, runtime, model, n_cold, n_warm, tick, stack_home)
        if registry:
            out[runtime]["registry"] = registry_sizes(client, out[runtime]["image"], base, registry)
    if not registry:
        out["sizes_skipped"] = "no local registry (KIT_REGISTRY): registry sizes not measured"
    return out


def main() -> None:
    """`python -m benchmarks.container_path [--runtimes slim] [--warm N] [--out FILE]`: this part alone."""
    from benchmarks.workload import find_model
    from helpers.core.paths import kit_home

    p = argparse.ArgumentParser(prog="python -m benchmarks.container_path", description=__doc__.split("\n")[0])
    p.add_argument("--runtimes", nargs="+", default=list(RUNTIMES), choices=list(RUNTIMES))
    p.add_argument("--cold", type=int, default=1)
    p.add_argument("--warm", type=int, default=100)
    p.add_argument("--out", type=Path, help="also write the JSON here")
    a = p.parse_args()
    report = measure_containers(find_model(), a.cold, a.warm, stack_home=kit_home() / "benchmark" / "container-stack",
                                runtimes=tuple(a.runtimes))
    text = json.dumps(report, indent=1)
    if a.out:
        a.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
