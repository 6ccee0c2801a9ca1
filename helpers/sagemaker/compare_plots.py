"""The Lambda-vs-SageMaker figure: cold start and warm latency side by side, and the monthly bill against traffic."""
from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from helpers.core.figures import cold_warm_bars, finish, new_figure
from helpers.core.stats import percentile
from helpers.sagemaker.invocations import Timing
from helpers.sagemaker.serverless_cost import monthly_usd


def timing_rows(timings: list[Timing]) -> list[dict[str, Any]]:
    """One row per service: cold start and warm calls on the client, and what the service itself reports."""
    return [{"service": t.service, "memory MB": t.memory_mb, "cold call ms": round(t.cold_client_ms, 1),
             "setup ms": round(t.setup_ms, 1) if t.setup_ms is not None else "was warm",
             "warm p50 ms": round(percentile(t.warm_client_ms, 50), 1),
             "warm p90 ms": round(percentile(t.warm_client_ms, 90), 1),
             "service warm ms": round(t.warm_server_ms, 2)} for t in timings]


def plot_comparison(timings: list[Timing], bytes_per_call: int, max_requests: int = 30_000_000,
                    architecture: str = "x86_64") -> Figure:
    """Left: cold call vs warm median per service (client side, log scale). Right: monthly bill vs requests."""
    fig, (bars, lines) = new_figure(10, 3.6, ncols=2)
    cold = [t.cold_client_ms for t in timings]
    warm = [percentile(t.warm_client_ms, 50) for t in timings]
    cold_warm_bars(bars, [t.service for t in timings], cold, warm, "cold: first call after an update",
                   "ms on the client (log scale)")
    levels = [int(max_requests * i / 60) for i in range(61)]
    for t in timings:
        lines.plot([n / 1e6 for n in levels], [monthly_usd(t, n, bytes_per_call, architecture) for n in levels],
                   label=f"{t.service}: {t.billed_ms:.0f} ms x {t.memory_mb} MB")
    lines.set(xlabel="requests per month (millions)", ylabel="USD / month", title="Monthly bill (no HTTP API)")
    lines.legend(fontsize=8)
    return finish(fig)
