"""Benchmark the translator on the local Lambda runtime, against a faithful seed baseline; one command:

    .venv/bin/python -m benchmarks.run            # the published run (stages the image task roots once, cached)
    .venv/bin/python -m benchmarks.run --quick    # a smoke run: few repetitions, repo sources + this venv

Rows: the image's `torch` and `slim` runtimes; `seed`, the seed's handler (spaCy pipeline, pickled vocabularies
and weights loaded per request; needs the `bench` extra); `reload`, the kit's own files reloaded per request.
Measured: sizes, cold start, peak RSS and warm latency of each row as a real function process under the RIE
(measure.py); HTTP end to end through the local API with the REPORT and handler durations (http_path.py); memory
configured vs used and a CPU-share memory sweep (memory_sweep.py); the built image in a container when an engine
answers (container_path.py); an in-process thread sweep. Writes latest.json, latest.md and latest.png to
benchmarks/results/ and the README's table (quick and --dev runs: to .kit/benchmark/, README untouched).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_tables
from benchmarks.bench_plot import plot
from benchmarks.headline import metrics
from benchmarks.measure import RowResult, measure_row, thread_sweep
from benchmarks.targets import check_targets, misses, target_lines
from benchmarks.task_roots import build_roots
from benchmarks.workload import (BASELINES, RUNTIMES, SENTENCE, SENTENCE_EN, VARIANTS, batch_sentences,
                                 check_variants, find_model)
from helpers.core.errors import KitError
from helpers.core.paths import REPO_ROOT, kit_home
from helpers.core.progress import progress
from helpers.core.tables import markdown_table, text_table

RESULTS = Path(__file__).resolve().parent / "results"
README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs" / "BENCHMARK.md"
BASELINE_COLD = 3  # cold starts of a baseline (at most): the seed's take seconds each


def write_outputs(report: dict[str, Any], out_dir: Path) -> None:
    """latest.json (everything), latest.md (every table) and latest.png (the chart) in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (out_dir / "latest.md").write_text(markdown_report(report))
    plot(report, out_dir / "latest.png")


def markdown_report(report: dict[str, Any]) -> str:
    """Every table of a run in Markdown: headline metrics, HTTP layers, memory, threads, targets."""
    parts = [("Metrics", bench_tables.metric_rows(report["metrics"])),
             ("HTTP end to end, layer by layer", bench_tables.http_layer_rows(report.get("http") or {})),
             ("Memory sweep (CPU share per setting)", bench_tables.memory_rows(report.get("memory") or {})),
             ("Thread sweep (in-process)", bench_tables.sweep_rows(report["thread_sweep"])),
             ("Goals", target_lines(report["targets"]))]
    return "\n\n".join(f"### {title}\n\n{markdown_table(rows)}" for title, rows in parts if rows) + "\n"


def docs_block(report: dict[str, Any]) -> str:
    """docs/BENCHMARK.md's generated results: every table of the run."""
    return bench_tables.fenced(bench_tables.DOCS_BEGIN, bench_tables.DOCS_END, markdown_report(report).rstrip("\n"))


def _measure_roots(roots: dict[str, Any], images: tuple[str, ...], bar: Any, phases: dict[str, float], t0: float, *,
                   n_cold: int, n_warm: int, n_warm_batch: int, n_seed: int, n_http: int, n_memory: int,
                   batch: list[str]) -> tuple[dict[str, RowResult], Any, Any]:
    """The rows (each task root), then HTTP through a local stack and the memory sweep for the image runtimes."""
    tick = lambda: bar.update(1)  # noqa: E731
    rows: dict[str, RowResult] = {}
    for name in roots:
        bar.set_postfix_str(name)
        baseline = name in BASELINES
        rows[name] = measure_row(roots[name], min(n_cold, BASELINE_COLD) if baseline else n_cold,
                                 n_seed if baseline else n_warm, n_warm_batch, batch, tick=tick)
        phases[name] = round(time.perf_counter() - t0, 1)
    http = memory = None
    if n_http and images:
        from benchmarks.http_path import measure_http

        bar.set_postfix_str("HTTP")
        http = measure_http({r: roots[r] for r in images}, kit_home() / "benchmark" / "stack-home", n_http, tick=tick)
        phases["http"] = round(time.perf_counter() - t0, 1)
    if n_memory:
        from benchmarks.memory_sweep import memory_report

        bar.set_postfix_str("memory")
        rss = {r: rows[r].peak_rss_bytes / 2**20 for r in images}
        memory = memory_report({r: roots[r] for r in images}, rss, n_memory, tick=tick)
        phases["memory"] = round(time.perf_counter() - t0, 1)
    return rows, http, memory


def _meta(model: Path, staged: bool, load_before: Any, counts: dict[str, int], phases: dict[str, float],
          started: float) -> dict[str, Any]:
    card = json.loads((model / "model_card.json").read_text())
    return {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()], "task_roots": "staged" if staged else "dev",
            "model": {"dir": str(model), "name": card["name"], "version": card["version"],
                      "metrics": card.get("metrics")},
            **counts, "sentence": SENTENCE, "expected": SENTENCE_EN,
            "seconds_at_end_of": phases, "seconds_total": round(time.perf_counter() - started, 1)}


def _containers(model: Path, n_cold: int, n_warm: int) -> dict[str, Any]:
    from benchmarks.container_path import measure_containers

    return measure_containers(model, min(n_cold, 3), min(n_warm, 100),
                              stack_home=kit_home() / "benchmark" / "container-stack")


def run(quick: bool = False, staged: bool = True, n_cold: int = 5, n_warm: int = 200, n_warm_batch: int = 50,
        n_seed: int = 20, n_http: int = 200, n_memory: int = 60, containers: bool = True,
        threads: list[int] | None = None, model: Path | None = None, runtimes: tuple[str, ...] = tuple(VARIANTS),
        out_dir: Path = RESULTS) -> dict[str, Any]:
    """Measure every row in `runtimes`; write latest.json / .md / .png into `out_dir`; return the report.

    n_http / n_memory = 0 skip the HTTP and memory parts; `containers` False skips the container part."""
    if quick:
        n_cold, n_warm, n_warm_batch, n_seed = min(n_cold, 2), min(n_warm, 20), min(n_warm_batch, 5), min(n_seed, 3)
        n_http, n_memory = min(n_http, 20), min(n_memory, 10)
    started = time.perf_counter()
    check_variants(runtimes)
    model = find_model(model)
    batch = batch_sentences()
    images = tuple(r for r in runtimes if r in RUNTIMES)
    n_memory = n_memory if images else 0
    with tempfile.TemporaryDirectory(prefix="ltk-bench-") as tmp_dir:
        roots = build_roots(runtimes, model, staged, Path(tmp_dir))
        load_before = os.getloadavg()  # after staging: the load the measurements ran under
        t0, phases = time.perf_counter(), {}  # seconds since the measurements began, at the end of each part
        total = (sum(min(n_cold, BASELINE_COLD) + n_seed if n in BASELINES else n_cold + n_warm + n_warm_batch
                     for n in runtimes)
                 + (n_http if images else 0) * len(images) + n_memory * 6 * len(images))
        with progress(total=total, desc="benchmark", unit="call") as bar:
            rows, http, memory = _measure_roots(roots, images, bar, phases, t0, n_cold=n_cold, n_warm=n_warm,
                                                n_warm_batch=n_warm_batch, n_seed=n_seed, n_http=n_http,
                                                n_memory=n_memory, batch=batch)
    sweep = thread_sweep(model, batch, threads or sorted({1, os.cpu_count() or 1}), reps=5 if quick else 30)
    phases["threads"] = round(time.perf_counter() - t0, 1)
    boxed = _containers(model, n_cold, n_warm) if containers and images else None
    if boxed is not None:
        phases["containers"] = round(time.perf_counter() - t0, 1)
    m = metrics(rows, http, memory, boxed)
    counts = {"n_cold": n_cold, "n_warm": n_warm, "n_warm_batch": n_warm_batch, "n_seed": n_seed, "n_http": n_http,
              "n_memory": n_memory}
    report = {
        "meta": _meta(model, staged, load_before, counts, phases, started),
        "metrics": m,
        "targets": check_targets(m),
        "http": http,
        "memory": memory,
        "containers": boxed,
        "thread_sweep": sweep,
        "translations": {n: r.translation for n, r in rows.items()},
        "raw": {n: asdict(r) for n, r in rows.items()},
    }
    write_outputs(report, out_dir)
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="few repetitions and no image staging (tests, smoke runs)")
    p.add_argument("--dev", action="store_true", help="run the repo's sources with this venv's packages (no staging)")
    p.add_argument("--cold", type=int, default=5, help="cold starts per row (median reported)")
    p.add_argument("--warm", type=int, default=200, help="warm single-sentence calls per runtime")
    p.add_argument("--warm-batch", type=int, default=50, help="warm batch calls per runtime")
    p.add_argument("--seed-calls", type=int, default=20, help="warm calls of each baseline (seed, reload)")
    p.add_argument("--http-calls", type=int, default=200, help="warm HTTP calls per runtime (0: skip the HTTP part)")
    p.add_argument("--memory-calls", type=int, default=60, help="warm calls per memory setting (0: skip the sweep)")
    p.add_argument("--no-containers", action="store_true", help="skip the container part even if an engine answers")
    p.add_argument("--threads", type=int, nargs="*", help="intra-op threads for the sweep (default: 1 and all CPUs)")
    p.add_argument("--runtimes", nargs="+", default=list(VARIANTS), help=f"subset of: {' '.join(VARIANTS)}")
    p.add_argument("--model", type=Path, help="model directory (default: model_dir(), else the test cache)")
    p.add_argument("--out", type=Path, help="results directory (default: benchmarks/results, which also updates the "
                                           "README's table; quick/dev runs: kit_home()/benchmark)")
    a = p.parse_args(argv)
    published = not (a.quick or a.dev or a.out) and set(a.runtimes) == set(VARIANTS)
    out = a.out or (kit_home() / "benchmark" if a.quick or a.dev else RESULTS)
    try:
        report = run(quick=a.quick, staged=not (a.quick or a.dev), n_cold=a.cold, n_warm=a.warm,
                     n_warm_batch=a.warm_batch, n_seed=a.seed_calls, n_http=a.http_calls, n_memory=a.memory_calls,
                     containers=not a.no_containers, threads=a.threads, model=a.model, runtimes=tuple(a.runtimes),
                     out_dir=out)
    except KitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    meta = report["meta"]
    print(f"\nModel {meta['model']['name']} {meta['model']['version']}; {meta['cpus']} CPUs; load before "
          f"{meta['load_before']}, after {meta['load_after']}; task roots: {meta['task_roots']}")
    print(f"Translations of {SENTENCE!r}: {report['translations']}\n")
    print(text_table(bench_tables.metric_rows(report["metrics"])))
    for title, rows in (("HTTP end to end, layer by layer", bench_tables.http_layer_rows(report["http"] or {})),
                        ("Memory sweep", bench_tables.memory_rows(report["memory"] or {})),
                        ("Thread sweep (in-process handler time)", bench_tables.sweep_rows(report["thread_sweep"])),
                        ("Goals", target_lines(report["targets"], why=False))):
        if rows:
            print(f"\n{title}:\n{text_table(rows)}")
    for line in misses(report["targets"]):
        print(f"- {line}")
    if report["containers"] and "skipped" in report["containers"]:
        print(f"\nContainers: skipped, {report['containers']['skipped']}.")
    if published:
        bench_tables.update_file(README, bench_tables.readme_block(report))
        bench_tables.update_file(DOCS, docs_block(report))
    print(f"\nWrote {out / 'latest.json'}, latest.md and latest.png"
          + (", and the tables in README.md and docs/BENCHMARK.md" if published else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
