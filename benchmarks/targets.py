"""The benchmark's goals: checked and reported (met, or missed by how much and why), never asserted in tests."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.workload import BASELINES, VARIANTS


@dataclass(frozen=True)
class Target:
    metric: str  # a key of the headline metrics (benchmarks.headline.metrics)
    runtime: str
    limit: float
    unit: str
    higher_is_better: bool = False


TARGETS = (
    Target("tar_gz_mb", "torch", 300, "MB"), Target("tar_gz_mb", "slim", 80, "MB"),
    Target("cold_s", "torch", 2.5, "s"), Target("cold_s", "slim", 0.3, "s"),
    Target("peak_rss_mib", "torch", 350, "MiB"), Target("peak_rss_mib", "slim", 150, "MiB"),
    Target("warm_p50_ms", "torch", 5, "ms"), Target("warm_p50_ms", "slim", 5, "ms"),
    Target("http_p50_ms", "torch", 5, "ms"), Target("http_p50_ms", "slim", 5, "ms"),
    Target("speedup_seed", "torch", 50, "x", True), Target("speedup_seed", "slim", 100, "x", True),
)

# Why a target is missed and what would close it: (metric, runtime), else the metric alone.
ADVICE: dict[tuple[str, str | None], str] = {
    ("tar_gz_mb", "torch"): "libtorch_cpu.so (415 MB) dominates; strip what inference never loads (torch/test, "
                            "torch/include, torch/bin, *.a, sympy/networkx) or use the slim runtime",
    ("tar_gz_mb", "slim"): "onnxruntime + numpy dominate; drop onnxruntime's tools/ and tests, or use a minimal "
                           "ORT build with only the CPU kernels the model uses",
    ("cold_s", "torch"): "`import torch` alone is ~1.5-1.8 s and maps libtorch_cpu.so; use the slim runtime, "
                         "more Lambda memory (= more CPU) or provisioned concurrency",
    ("cold_s", "slim"): "Python + awslambdaric + numpy + onnxruntime imports and session creation dominate; keep "
                        "the handler module's imports minimal, or use more memory (= more CPU)",
    ("peak_rss_mib", None): "shared libraries are resident after import; slim avoids torch's, and one thread "
                            "per runtime avoids per-thread arenas",
    ("warm_p50_ms", "torch"): "greedy decoding dispatches ~20 small torch ops per output token, so framework "
                              "overhead dominates (a second intra-op thread gains little, and Lambda gives one "
                              "vCPU at 1,769 MB); serve the ONNX export (slim)",
    ("warm_p50_ms", "slim"): "one decoder call per output token; int8 dynamic quantization or capping the "
                             "output length would shorten it",
    ("http_p50_ms", None): "the local HTTP API adds its own layers on top of the function's duration (HTTP "
                           "server, route and integration lookup in the emulated API Gateway, Lambda's invoke "
                           "path, REPORT and log writes); see the per-layer columns",
    ("speedup_seed", None): "the runtime round trip (warm p50 minus handler p50) is a floor no handler goes "
                            "below, so the ratio is capped by the baseline's duration divided by that floor",
}


def advice(metric: str, runtime: str) -> str:
    """What explains a missed target and would close it."""
    return ADVICE.get((metric, runtime)) or ADVICE[(metric, None)]


def base_runtime(name: str) -> str | None:
    """The image runtime whose targets a row is checked against; the baselines have none."""
    return None if name in BASELINES else VARIANTS.get(name, name)


def check_targets(m: dict[str, dict[str, float | None]]) -> list[dict[str, Any]]:
    """One row per target and measured row of its runtime: value, limit, met or not, and the miss."""
    rows = []
    for t in TARGETS:
        for name in [n for n in m if base_runtime(n) == t.runtime] or [t.runtime]:
            rows.append(target_row(t, name, m.get(name, {}).get(t.metric)))
    return rows


def target_row(t: Target, name: str, value: float | None) -> dict[str, Any]:
    """A target checked against a measured value (None: not measured)."""
    row: dict[str, Any] = {**asdict(t), "variant": name, "value": value, "met": None, "miss": None,
                           "miss_pct": None}
    if value is not None:
        met = value >= t.limit if t.higher_is_better else value <= t.limit
        row["met"] = met
        if not met:
            row["miss"] = round(abs(value - t.limit), 3)
            row["miss_pct"] = round(100 * abs(value - t.limit) / t.limit, 1)
            row["advice"] = advice(t.metric, t.runtime)
    return row


def verdict(row: dict[str, Any]) -> str:
    """A target row in a few words: `met`, `missed by 2.4 ms (48%)`, or `not measured`."""
    if row["met"] is None:
        return "not measured"
    if row["met"]:
        return "met"
    return f"missed by {row['miss']:g} {row['unit']} ({row['miss_pct']:g}%)"


def target_lines(rows: list[dict[str, Any]], why: bool = True) -> list[dict[str, Any]]:
    """Target rows as table rows (for helpers.core.tables): row, metric, value, goal, verdict (and why)."""
    return [{"row": r["variant"], "metric": r["metric"], "value": r["value"],
             "goal": f"{'>=' if r['higher_is_better'] else '<='} {r['limit']:g} {r['unit']}",
             "verdict": verdict(r), **({"why": r.get("advice", "")} if why else {})} for r in rows]


def misses(rows: list[dict[str, Any]]) -> list[str]:
    """One line per missed target: which, by how much, and why."""
    return [f"{r['variant']} {r['metric']}: {verdict(r)}: {r['advice']}" for r in rows if r["met"] is False]
