"""Memory: what a function is configured with vs what it uses, and the cheapest setting whose p99 stays within 2x
of the best.

Lambda allocates CPU in proportion to memory, one vCPU-second of credits per second at 1,769 MB (AWS Lambda
Developer Guide, "Configure Lambda function memory"). The sweep emulates each setting on the host path by capping
the function's processes with the Linux cgroup CPU controller (v1 `cpu.cfs_quota_us` or v2 `cpu.max`): a quota of
memory / 1,769 of one CPU per 100 ms period, at most this machine's cores. One warm instance per runtime serves
every setting (the cap changes between settings; cold starts are not swept). Memory itself is not capped: a setting
below the measured peak RSS is reported as one Lambda would stop (out of memory) and is not measured. Cost per
million requests: Lambda's x86_64 price per GB-second times the billed duration (mean, rounded up to 1 ms), plus the
request price (helpers.deploy.cost).
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import psutil

from benchmarks.measure import event_for, invoke, running, warm_calls
from benchmarks.task_roots import TaskRoot

SETTINGS_MB = (128, 256, 512, 1024, 1769, 3008)
ONE_VCPU_MB = 1769
PERIOD_US = 100_000
P99_SLACK = 2.0  # "within 2x of the best p99"
WARMUP = 3


def cpu_share(memory_mb: int, cores: int | None = None) -> float:
    """The CPUs Lambda gives `memory_mb` (one at 1,769 MB, proportional), capped at this machine's cores."""
    return min(memory_mb / ONE_VCPU_MB, float(cores or os.cpu_count() or 1))


def cgroup_cpu_dir() -> tuple[Path, str] | None:
    """(where to create a CPU-capped cgroup, "v1" | "v2"), or None when no writable CPU controller exists."""
    v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
    if (v1 / "cpu.cfs_quota_us").exists() and os.access(v1, os.W_OK):
        return v1, "v1"
    controllers = v2 / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split() and os.access(v2, os.W_OK):
        return v2, "v2"
    return None


class CpuCap:
    """A cgroup of this process's own (removed on close) whose members share at most `cpus` CPUs."""

    def __init__(self, parent: Path, version: str) -> None:
        self.parent, self.version = parent, version
        self.path = parent / f"ltk-bench-{os.getpid()}"
        self.path.mkdir(exist_ok=True)

    def limit(self, cpus: float) -> None:
        quota = max(1000, int(cpus * PERIOD_US))
        if self.version == "v1":
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}")

    def add(self, pids: list[int]) -> None:
        for pid in pids:
            (self.path / "cgroup.procs").write_text(str(pid))

    def close(self) -> None:
        """Move the members back to the parent cgroup and remove this one."""
        for pid in (self.path / "cgroup.procs").read_text().split():
            try:
                (self.parent / "cgroup.procs").write_text(pid)
            except OSError:
                pass  # exited meanwhile
        self.path.rmdir()


@contextmanager
def cpu_cap() -> Iterator[CpuCap]:
    where = cgroup_cpu_dir()
    if where is None:
        raise PermissionError("no writable cgroup CPU controller (needs Linux and root)")
    cap = CpuCap(*where)
    try:
        yield cap
    finally:
        cap.close()


def instance_pids(endpoint: str) -> list[int]:
    """The process listening on the instance's endpoint (the RIE) and every process under it."""
    port = int(endpoint.rsplit(":", 1)[1])
    for c in psutil.net_connections(kind="tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
            root = psutil.Process(c.pid)
            return [root.pid, *(p.pid for p in root.children(recursive=True))]
    raise LookupError(f"no process listens on {endpoint}")


def cost_per_million(mean_ms: float, memory_mb: int) -> float:
    """USD per million requests at `memory_mb` (x86_64, no free tier): compute at the billed duration + requests."""
    from helpers.deploy.cost import PRICE_PER_GB_SECOND, PRICE_PER_MILLION_REQUESTS, gb_seconds_per_request

    gb_s = gb_seconds_per_request(math.ceil(mean_ms), memory_mb)
    return round(1e6 * gb_s * PRICE_PER_GB_SECOND["x86_64"] + PRICE_PER_MILLION_REQUESTS, 4)


def choose(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The cheapest measured setting whose p99 is within P99_SLACK of the best p99 (None if none was measured)."""
    measured = [r for r in rows if r.get("p99_ms") is not None]
    if not measured:
        return None
    best = min(r["p99_ms"] for r in measured)
    ok = [r for r in measured if r["p99_ms"] <= P99_SLACK * best]
    return min(ok, key=lambda r: (r["usd_per_million"], r["memory_mb"]))


def sweep_runtime(root: TaskRoot, peak_rss_mib: float, n: int, settings: tuple[int, ...] = SETTINGS_MB,
                  tick: Any = None) -> list[dict[str, Any]]:
    """Warm latency of one instance of `root` under each memory setting's CPU share."""
    rows: list[dict[str, Any]] = []
    with running(root) as (inst, _, _t0), cpu_cap() as cap:
        for _ in range(WARMUP):  # the first call is the cold one
            invoke(inst.endpoint, event_for("single", []))
        cap.add(instance_pids(inst.endpoint))
        for mb in settings:
            row: dict[str, Any] = {"memory_mb": mb, "cpus": round(cpu_share(mb), 3), "fits": peak_rss_mib <= mb,
                                   "p50_ms": None, "p99_ms": None, "mean_ms": None, "usd_per_million": None}
            if row["fits"]:
                cap.limit(row["cpus"])
                rtt = warm_calls(inst.endpoint, event_for("single", []), n, tick=tick)["rtt"]
                row.update(p50_ms=rtt["p50"], p99_ms=rtt["p99"], mean_ms=rtt["mean"],
                           usd_per_million=cost_per_million(rtt["mean"], mb))
            rows.append(row)
    return rows


def memory_report(roots: dict[str, TaskRoot], peak_rss_mib: dict[str, float], n: int,
                  tick: Any = None) -> dict[str, Any]:
    """Per runtime: configured memory (03's setting), peak RSS, the sweep, and the chosen setting."""
    from helpers.deploy.settings import FUNCTION_MEMORY_MB

    where = cgroup_cpu_dir()
    out: dict[str, Any] = {"method": f"cgroup {where[1]} CPU quota, period {PERIOD_US // 1000} ms" if where else None}
    for runtime, root in roots.items():
        entry: dict[str, Any] = {"configured_mb": FUNCTION_MEMORY_MB.get(runtime),
                                 "peak_rss_mib": peak_rss_mib.get(runtime)}
        if where is None:
            entry["skipped"] = "no writable cgroup CPU controller (needs Linux and root): CPU share not emulated"
        else:
            entry["sweep"] = sweep_runtime(root, peak_rss_mib.get(runtime) or 0, n, tick=tick)
            best = choose(entry["sweep"])
            entry["cheapest_mb"] = best["memory_mb"] if best else None
        out[runtime] = entry
    return out
