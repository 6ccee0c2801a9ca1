"""Plots for 03_deploy_lambda: cold vs warm latency, and monthly cost against traffic."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.core.figures import cold_warm_bars, finish, new_figure
from helpers.deploy.cost import FREE_REQUESTS, monthly_cost
from helpers.deploy.calls import Measurement
from helpers.deploy.reports import summarize


def plot_latency(measurements: dict[str, Measurement]) -> Figure:
    """Left: histogram of warm call durations per runtime. Right: cold start (init + first call) vs warm median."""
    fig, (hist, bars) = new_figure(10, 3.6, ncols=2, gridspec_kw={"width_ratios": [3, 2]})
    every = [r.duration_ms for m in measurements.values() for r in m.warm]
    bins = np.geomspace(max(min(every), 0.1), max(every) * 1.05, 30)  # log bins: runtimes differ by 10x
    for runtime, m in measurements.items():
        hist.hist([r.duration_ms for r in m.warm], bins=bins, alpha=0.6, label=f"{runtime} ({len(m.warm)} warm calls)")
    hist.set_xscale("log")
    hist.set(xlabel="Duration per call (ms, REPORT; log scale)", ylabel="calls", title="Warm calls")
    hist.legend()
    names = list(measurements)
    cold = [(m.cold.init_ms or 0) + m.cold.duration_ms for m in measurements.values()]
    warm = [summarize(m.warm)["median_ms"] for m in measurements.values()]
    cold_warm_bars(bars, names, cold, warm, "cold: init + first call", "ms (log scale)")
    return finish(fig)


def plot_cost(usage: dict[str, tuple[float, int, str]], max_requests: int = 30_000_000) -> Figure:
    """Monthly Lambda cost vs requests per month; `usage` maps a label to (billed ms, memory MB, architecture)."""
    levels = [int(max_requests * i / 60) for i in range(61)]
    fig, ax = new_figure(7, 3.6)
    for label, (billed_ms, memory_mb, arch) in usage.items():
        ax.plot([n / 1e6 for n in levels], [monthly_cost(n, billed_ms, memory_mb, arch).lambda_usd for n in levels],
                label=f"{label}: {billed_ms:.0f} ms x {memory_mb} MB")
    ax.axvline(FREE_REQUESTS / 1e6, color="grey", linestyle="--", label="free tier: 1M requests")
    ax.set_yscale("symlog", linthresh=1.0)  # cheap setups stay visible next to expensive ones
    ax.set_ylim(bottom=0)
    ax.set(xlabel="requests per month (millions)", ylabel="Lambda bill (USD / month, symlog)",
           title="Monthly Lambda cost after the free tier")
    ax.legend(fontsize=8)
    return finish(fig)
