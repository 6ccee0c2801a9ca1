"""The headline numbers of a run: one flat dict of metrics per row, from every measurement (direct, HTTP, memory,
container); the tables, targets and the chart all read these."""
from __future__ import annotations

from typing import Any

from benchmarks.measure import RowResult
from benchmarks.workload import BASELINES, MB, RELOAD, SEED, MiB
from helpers.core.stats import percentile


def speedup(baseline_ms: float | None, ms: float | None) -> float | None:
    """How many times faster `ms` is than `baseline_ms` (1 decimal), None when either is missing."""
    if not baseline_ms or not ms:
        return None
    return round(baseline_ms / ms, 1)


def _mb(n: int | None, unit: int = MB) -> float | None:
    return None if n is None else round(n / unit, 1)


def direct_metrics(rows: dict[str, RowResult]) -> dict[str, dict[str, float | None]]:
    """Sizes (MB), cold median (s), peak RSS (MiB), warm p50/p99 (ms) and speed-ups over both baselines."""
    def p50(name: str) -> float | None:
        r = rows.get(name)
        return r.warm["single"]["rtt"]["p50"] if r and "single" in r.warm else None

    out: dict[str, dict[str, float | None]] = {}
    for name, r in rows.items():
        single = r.warm.get("single", {})
        batch = next((v for k, v in r.warm.items() if k.startswith("batch")), {})
        own = None if name in BASELINES else p50(name)
        out[name] = {
            "task_root_mb": _mb(r.task_root_bytes), "tar_gz_mb": _mb(r.tar_gz_bytes),
            "cold_s": None if r.cold_median_s is None else round(r.cold_median_s, 3),
            "init_ms": round(percentile(r.init_ms, 50), 1) if r.init_ms else None,
            "peak_rss_mib": _mb(r.peak_rss_bytes, MiB) if r.peak_rss_bytes else None,
            "warm_p50_ms": single.get("rtt", {}).get("p50"), "warm_p99_ms": single.get("rtt", {}).get("p99"),
            "handler_p50_ms": single.get("handler", {}).get("p50"),
            "batch_p50_ms": batch.get("rtt", {}).get("p50"), "batch_p99_ms": batch.get("rtt", {}).get("p99"),
            "batch_handler_p50_ms": batch.get("handler", {}).get("p50"),
            "speedup_seed": speedup(p50(SEED), own), "speedup_reload": speedup(p50(RELOAD), own),
        }
    return out


def add_http(m: dict[str, dict[str, Any]], http: dict[str, Any] | None) -> None:
    """HTTP end-to-end p50/p99 beside the REPORT Duration and the handler's own duration, per runtime."""
    for name, h in (http or {}).items():
        if name not in m or not isinstance(h, dict) or "http" not in h:
            continue
        rep = h.get("report") or {}
        m[name].update(http_p50_ms=h["http"]["p50"], http_p99_ms=h["http"]["p99"], report_p50_ms=rep.get("p50"),
                       report_p99_ms=rep.get("p99"), http_handler_p50_ms=h["handler"]["p50"])


def add_memory(m: dict[str, dict[str, Any]], memory: dict[str, Any] | None) -> None:
    """Configured memory (03's setting) and the cheapest setting with p99 within 2x of the best."""
    for name, e in (memory or {}).items():
        if name in m and isinstance(e, dict):
            m[name].update(configured_mb=e.get("configured_mb"), cheapest_mb=e.get("cheapest_mb"))


def add_containers(m: dict[str, dict[str, Any]], containers: dict[str, Any] | None) -> None:
    """Container cold start, warm p50/p99 and registry sizes (with and without the base layers)."""
    for name, c in (containers or {}).items():
        if name not in m or not isinstance(c, dict) or "cold_median_s" not in c:
            continue
        warm = (c.get("warm") or {}).get("rtt", {})
        reg = c.get("registry") or {}
        m[name].update(container_cold_s=c["cold_median_s"], container_warm_p50_ms=warm.get("p50"),
                       container_warm_p99_ms=warm.get("p99"),
                       image_mb=_mb(reg.get("with_base_bytes")), image_added_mb=_mb(reg.get("added_bytes")))


def metrics(rows: dict[str, RowResult], http: dict[str, Any] | None = None, memory: dict[str, Any] | None = None,
            containers: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every headline number per row (None where not measured)."""
    m = direct_metrics(rows)
    add_http(m, http)
    add_memory(m, memory)
    add_containers(m, containers)
    return m
