"""The benchmark's chart (latest.png): cold start, warm latency layer by layer, image size and the memory sweep,
side by side, log scales where the rows differ by orders of magnitude (helpers.core.figures conventions)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.ticker
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from benchmarks.targets import TARGETS
from benchmarks.workload import LABELS, RELOAD, SEED, VARIANTS
from helpers.core.figures import finish, new_figure, save_png
from helpers.core.tables import cell

COLORS = {"torch": "#e6550d", "slim": "#3182bd", SEED: "#525252", RELOAD: "#a8a8a8"}
SHORT = {"torch": "torch", "slim": "slim", SEED: "seed", RELOAD: "reload"}
TARGET_COLOR = "#d62728"


def _plain_log_axis(ax: Any) -> None:
    """Log-scaled y axis labelled 1, 10, 100 (not 10^n), minor ticks at 2 and 5."""
    ax.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
        lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
    ax.tick_params(axis="y", which="minor", labelsize=7)


def _limit(metric: str, name: str) -> float | None:
    return next((t.limit for t in TARGETS if t.metric == metric and t.runtime == name), None)


def _grouped(ax: Any, names: list[str], series: list[tuple[str, str, float]], m: dict[str, dict[str, Any]],
             unit: str) -> list[Any]:
    """Bars per row for each measured (metric key, legend label, alpha), values on top; the legend handles
    (grey, since the colour stands for the row and the shade for the series)."""
    series = [s for s in series if any(m[n].get(s[0]) for n in names)]
    width = 0.8 / max(len(series), 1)
    handles = []
    for j, (key, label, alpha) in enumerate(series):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(names))]
        vals = [m[n].get(key) for n in names]
        bars = ax.bar([x for x, v in zip(xs, vals) if v], [v for v in vals if v], width,
                      color=[COLORS[n] for n, v in zip(names, vals) if v], alpha=alpha, edgecolor="black",
                      linewidth=0.4)
        ax.bar_label(bars, labels=[f"{cell(v)}{unit}" for v in vals if v], fontsize=7, rotation=90, padding=2)
        handles.append(Patch(facecolor="#666666", alpha=alpha, edgecolor="black", linewidth=0.4, label=label))
    ax.set_xticks(range(len(names)), [SHORT[n] for n in names])
    return handles


def _cold(ax: Any, m: dict[str, dict[str, Any]], names: list[str]) -> None:
    handles = _grouped(ax, names, [("cold_s", "host process", 1.0), ("container_cold_s", "container", 0.5)], m,
                       " s")
    for i, n in enumerate(names):
        if (lim := _limit("cold_s", n)) is not None:
            ax.hlines(lim, i - 0.45, i + 0.45, colors=TARGET_COLOR, linestyles="--", linewidth=1)
    _plain_log_axis(ax)
    ax.set_ylim(0.05, 100)
    ax.set_title("Cold start: start → first translation (s, log)", fontsize=10)
    ax.legend(handles=handles, fontsize=7, loc="upper left")


def _warm(ax: Any, m: dict[str, dict[str, Any]], names: list[str]) -> None:
    series = [("handler_p50_ms", "handler only", 0.35), ("warm_p50_ms", "through the runtime (RIE)", 0.7),
              ("container_warm_p50_ms", "through the container", 0.85), ("http_p50_ms", "HTTP end to end", 1.0)]
    handles = _grouped(ax, names, series, m, "")
    goal = ax.axhline(5, color=TARGET_COLOR, linestyle="--", linewidth=1, label="goal: p50 ≤ 5 ms")
    _plain_log_axis(ax)
    ax.set_ylim(0.3, 50_000)
    ax.set_title("Warm latency p50, layer by layer (ms, log)", fontsize=10)
    ax.legend(handles=[*handles, goal], fontsize=7, loc="upper left")


def _size(ax: Any, m: dict[str, dict[str, Any]], names: list[str]) -> None:
    """Added layers (staged, gzip'd: what the goal is about) on the base image's layers (from the registry)."""
    shown = [n for n in names if n != RELOAD]  # the reload row is the torch image plus one .py file
    added = [m[n].get("tar_gz_mb") or m[n].get("image_added_mb") or 0 for n in shown]
    bases = {rt: (m[rt].get("image_mb") or 0) - (m[rt].get("image_added_mb") or 0) for rt in m}
    base = [bases.get(VARIANTS[n], 0) for n in shown]
    ax.bar(range(len(shown)), added, color=[COLORS[n] for n in shown], edgecolor="black", linewidth=0.4,
           label="added layers")
    if any(base):
        ax.bar(range(len(shown)), base, bottom=added, color="white", edgecolor="black", hatch="//", linewidth=0.4,
               label="base image layers (registry)")
    for i, n in enumerate(shown):
        text = f"{cell(added[i])} added" + (f"\n≈ {cell(added[i] + base[i])} with base" if base[i] else "")
        ax.text(i, added[i] + base[i], text if added[i] else "not staged", ha="center", va="bottom", fontsize=8)
        if (lim := _limit("tar_gz_mb", n)) is not None:
            ax.hlines(lim, i - 0.4, i + 0.4, colors=TARGET_COLOR, linestyles="--", linewidth=1)
    ax.set_xticks(range(len(shown)), [SHORT[n] for n in shown])
    ax.set_ylim(0, max([a + b for a, b in zip(added, base)] + [300]) * 1.25)
    ax.set_title("Image size, compressed (MB)", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")


def _memory(ax: Any, memory: dict[str, Any]) -> None:
    drawn = False
    for name, e in memory.items():
        sweep = [r for r in (e.get("sweep") or []) if r.get("p99_ms")] if isinstance(e, dict) else []
        if not sweep:
            continue
        drawn = True
        xs = [r["memory_mb"] for r in sweep]
        ax.plot(xs, [r["p99_ms"] for r in sweep], "o-", color=COLORS[name], label=f"{name} p99")
        ax.plot(xs, [r["p50_ms"] for r in sweep], "o:", color=COLORS[name], alpha=0.6, label=f"{name} p50")
        if e.get("cheapest_mb"):
            best = next(r for r in sweep if r["memory_mb"] == e["cheapest_mb"])
            ax.annotate(f"cheapest {name}: {e['cheapest_mb']} MB", (best["memory_mb"], best["p99_ms"]), fontsize=8,
                        xytext=(-8, 10), textcoords="offset points", ha="right", color=COLORS[name],
                        weight="bold", arrowprops={"arrowstyle": "-", "color": COLORS[name]})
        if e.get("peak_rss_mib"):
            ax.axvline(e["peak_rss_mib"], color=COLORS[name], linewidth=0.8, linestyle="--")
    if not drawn:
        ax.text(0.5, 0.5, "memory sweep not measured", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xticks([128, 256, 512, 1024, 1769, 3008])
    _plain_log_axis(ax)
    ax.set_xlabel("memory setting (MB) → CPU share (1 vCPU at 1,769 MB); dashed: peak RSS", fontsize=8)
    ax.set_title("Warm latency vs memory setting (ms, log)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)


def chart(report: dict[str, Any]) -> Figure:
    """The 2x2 benchmark chart of a run's report."""
    m = report["metrics"]
    names = [n for n in ("torch", "slim", SEED, RELOAD) if n in m]
    fig, axes = new_figure(12, 8.5, nrows=2, ncols=2, dpi=100)
    _cold(axes[0][0], m, names)
    _warm(axes[0][1], m, names)
    _size(axes[1][0], m, names)
    _memory(axes[1][1], report.get("memory") or {})
    load = (report["meta"].get("load_before") or ["?"])[0]
    rows = "; ".join(f"{SHORT[n]}: {LABELS[n]}" for n in names if n in (SEED, RELOAD))
    fig.suptitle(f"lambda-torch-kit benchmark on {report['meta']['cpus']} vCPUs, load {load}. Dashed red: goals. "
                 f"{rows}", fontsize=10)
    return finish(fig)


def plot(report: dict[str, Any], out: Path) -> Path:
    """Write the chart of `report` to `out` (PNG)."""
    return save_png(chart(report), out)
