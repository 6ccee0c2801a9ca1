"""Measuring a function process directly through its Runtime Interface Emulator: cold starts, warm latency, RSS.

Each row runs as a real function process (local_aws.awslambda.launchers.launch_host: the RIE and `python -S -m
awslambdaric HANDLER`, the local Lambda runtime the notebooks use) and is called through the RIE's invoke endpoint.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from benchmarks.task_roots import TaskRoot
from benchmarks.workload import BASELINES, RUNTIMES, SENTENCE
from helpers.core.errors import KitError
from helpers.core.stats import latency_summary, percentile
from local_aws.ecr.images import ImageRecord
from local_aws.awslambda.service import PeakRss, init_ms_from_logs, post_invocation
from local_aws.awslambda.launchers import Instance, launch_host
from local_aws.stack.ports import with_free_port

FUNCTION_ENV = {"LANG": "en_US.UTF-8", "TZ": ":UTC", "AWS_REGION": "us-east-1",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048", "AWS_LAMBDA_FUNCTION_TIMEOUT": "120",
                "AWS_EXECUTION_ENV": "AWS_Lambda_Image"}
WARMUP_CALLS = 3


def summary_ms(values_s: list[float]) -> dict[str, float]:
    """helpers.core.stats.latency_summary of durations in seconds, in milliseconds (3 decimals)."""
    return {k: (v if k == "n" else round(v, 3)) for k, v in latency_summary([v * 1000 for v in values_s]).items()}


def parse_response(raw: bytes) -> dict[str, Any]:
    """The handler's JSON body from an API Gateway proxy response; KitError for errors and non-200 statuses."""
    try:
        doc = json.loads(raw)
    except ValueError:
        raise KitError(f"The function returned non-JSON output: {raw[:200]!r}.") from None
    if not isinstance(doc, dict) or "statusCode" not in doc:
        raise KitError(f"The function failed: {str(doc)[:300]} (see its log).")
    body = json.loads(doc.get("body") or "{}")
    if doc["statusCode"] != 200:
        raise KitError(f"The function answered {doc['statusCode']}: {body.get('error', body)}.")
    return body


def invoke(endpoint: str, event: dict[str, Any], timeout: float = 120) -> tuple[dict[str, Any], float]:
    """POST one event to the RIE; (decoded response body, round-trip seconds). KitError unless it is a 200."""
    t0 = time.perf_counter()
    status, raw = post_invocation(endpoint, json.dumps(event).encode(), timeout)
    rtt = time.perf_counter() - t0
    if status is None:
        raise KitError("The function did not answer: see its log above and re-run.")
    return parse_response(raw), rtt


@contextmanager
def running(root: TaskRoot) -> Iterator[tuple[Instance, PeakRss, float]]:
    """A new function instance of `root` with an RSS sampler; yields (instance, sampler, launch time)."""
    rec = ImageRecord(uri=f"local/ltk-bench:{root.name}", digest="sha256:" + "0" * 64, handler=root.handler,
                      task_root=str(root.path))
    env = {**FUNCTION_ENV, "AWS_LAMBDA_FUNCTION_NAME": f"ltk-bench-{root.name}", **root.env}
    t0 = time.perf_counter()
    inst = with_free_port(lambda port: launch_host(rec, env, port))
    sampler = PeakRss(inst, interval=0.005)
    sampler.start()
    try:
        yield inst, sampler, t0
    finally:
        sampler.finish()
        inst.stop()


@dataclass
class RowResult:
    """Everything measured directly for one row (a runtime or a baseline)."""

    name: str
    task_root_bytes: int | None
    tar_gz_bytes: int | None
    cold_s: list[float] = field(default_factory=list)
    init_ms: list[float] = field(default_factory=list)  # the RIE's INIT REPORT, when logged
    peak_rss_bytes: int = 0
    warm: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # case -> rtt|handler -> summary
    translation: str = ""

    @property
    def cold_median_s(self) -> float | None:
        return percentile(self.cold_s, 50) if self.cold_s else None


def event_for(case: str, batch: list[str]) -> dict[str, Any]:
    """The request body of a case: "single" (the 8-word sentence) or "batchN"."""
    return {"sentence": SENTENCE} if case == "single" else {"sentences": batch}


def warm_calls(endpoint: str, event: dict[str, Any], n: int, warmup: int = WARMUP_CALLS,
               tick: Any = None) -> dict[str, dict[str, float]]:
    """`warmup` unmeasured calls, then `n` measured ones: round trip and handler `duration` summaries (ms)."""
    for _ in range(warmup):
        invoke(endpoint, event)
    rtt, handler = [], []
    for _ in range(n):
        body, t = invoke(endpoint, event)
        rtt.append(t)
        handler.append(float(body["duration"]))
        if tick:
            tick()
    return {"rtt": summary_ms(rtt), "handler": summary_ms(handler)}


def measure_row(root: TaskRoot, n_cold: int, n_warm: int, n_warm_batch: int, batch: list[str],
                tick: Any = None) -> RowResult:
    """Cold starts (a new process each, launch to first translation), then warm latency on the last one."""
    res = RowResult(root.name, root.task_root_bytes, root.tar_gz_bytes)
    baseline = root.name in BASELINES
    cases = {"single": n_warm} if baseline else {"single": n_warm, f"batch{len(batch)}": n_warm_batch}
    for i in range(n_cold):
        with running(root) as (inst, sampler, t0):
            body, _ = invoke(inst.endpoint, {"sentence": SENTENCE})
            res.cold_s.append(time.perf_counter() - t0)
            res.translation = body["en"]
            init = init_ms_from_logs(inst.read_logs())
            if init is not None:
                res.init_ms.append(init)
            if tick:
                tick()
            if i == n_cold - 1:  # keep the last instance warm for the latency runs
                for case, n in cases.items():
                    res.warm[case] = warm_calls(inst.endpoint, event_for(case, batch), n,
                                                warmup=1 if baseline else WARMUP_CALLS, tick=tick)
            res.peak_rss_bytes = max(res.peak_rss_bytes, sampler.finish())
    return res


def thread_sweep(model: Path, batch: list[str], threads: list[int], reps: int) -> list[dict[str, Any]]:
    """In-process handler time per runtime and intra-op thread count (torch.set_num_threads / ORT sessions)."""
    import torch

    from lambda_app.runtime_slim import OnnxBackend
    from lambda_app.translator import Translator, load_translator

    rows = []
    default_torch = torch.get_num_threads()
    for runtime in RUNTIMES:
        base = load_translator(model, runtime)
        for n in threads:
            tr = base
            if runtime == "torch":
                torch.set_num_threads(n)
            else:
                tr = Translator(OnnxBackend(model, threads=n), base.src_vocab, base.tgt_vocab, base.max_len, base.info)
            row: dict[str, Any] = {"runtime": runtime, "threads": n}
            for case, sentences in (("single", [SENTENCE]), (f"batch{len(batch)}", batch)):
                tr.translate_batch(sentences)
                times = []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    tr.translate_batch(sentences)
                    times.append(time.perf_counter() - t0)
                row[case] = summary_ms(times)
            rows.append(row)
    torch.set_num_threads(default_torch)
    return rows
