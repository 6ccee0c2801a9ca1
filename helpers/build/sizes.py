"""Image size report: task root on disk and as gzip'd tar (what ECR stores) per runtime, vs the free tier."""
from __future__ import annotations

from matplotlib.figure import Figure

from helpers.build.image_spec import StagedImage
from helpers.core.figures import finish, new_figure

ECR_FREE_TIER_BYTES = 500 * 10**6  # 500 MB-month of private storage (first 12 months)
MB = 10**6


def size_rows(staged: list[StagedImage]) -> list[dict[str, float | str]]:
    """One row per runtime: MB on disk, MB gzip'd, and the share of the ECR free tier the layer uses."""
    return [{"runtime": s.runtime, "arch": s.arch, "task_root_mb": round(s.task_root_bytes / MB, 1),
             "tar_gz_mb": round(s.tar_gz_bytes / MB, 1),
             "free_tier_pct": round(100 * s.tar_gz_bytes / ECR_FREE_TIER_BYTES, 1)} for s in staged]


def plot_sizes(rows: list[dict[str, float | str]]) -> Figure:
    """A grouped bar chart (disk vs gzip'd, per runtime) with the 500 MB ECR free-tier line."""
    fig, ax = new_figure(6.4, 3.6)
    xs = range(len(rows))
    width = 0.38
    disk = ax.bar([x - width / 2 for x in xs], [float(r["task_root_mb"]) for r in rows], width,
                  label="task root on disk", color="#9ecae1")
    gz = ax.bar([x + width / 2 for x in xs], [float(r["tar_gz_mb"]) for r in rows], width,
                label="gzip'd tar (stored in ECR)", color="#3182bd")
    ax.bar_label(disk, fmt="%.0f", fontsize=8)
    ax.bar_label(gz, fmt="%.0f", fontsize=8)
    ax.axhline(ECR_FREE_TIER_BYTES / MB, color="#d62728", linestyle="--", label="ECR free tier (500 MB)")
    ax.set_xticks(list(xs), [f"{r['runtime']} ({r['arch']})" for r in rows])
    ax.set_ylabel("MB")
    ax.set_title("Image layers added to the Lambda base, per runtime")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_ylim(0, max(ECR_FREE_TIER_BYTES / MB, *(float(r["task_root_mb"]) for r in rows)) * 1.15)
    return finish(fig)
