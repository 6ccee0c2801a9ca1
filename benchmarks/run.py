"""Benchmark the translator on the local Lambda runtime: image size, cold start, peak RSS, warm latency.

One run measures, on this machine, the `torch` and `slim` runtimes and the seed repo's design
(benchmarks/seed_handler.py: everything loaded per request), each as a real function process under AWS's
Runtime Interface Emulator (helpers.local.launchers.launch_host, the runtime the notebooks use):

    .venv/bin/python -m benchmarks.run            # full run (stages the image task roots once, cached)
    .venv/bin/python -m benchmarks.run --quick    # a few repetitions, repo sources + this venv's packages

Prints a table and checks the targets; writes latest.json, latest.md and latest.png to benchmarks/results/
(quick and --dev runs: to .kit/benchmark/).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

if __package__ in (None, ""):  # `python benchmarks/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tqdm import tqdm

from helpers.core.errors import KitError
from helpers.local.images import ImageRecord
from helpers.local.lambda_service import PeakRss, init_ms_from_logs, post_invocation
from helpers.local.launchers import Instance, free_port, launch_host
from helpers.core.paths import LAMBDA_APP, REPO_ROOT, kit_home, model_dir as default_model_dir

RESULTS = Path(__file__).resolve().parent / "results"
SEED_HANDLER = Path(__file__).resolve().parent / "seed_handler.py"
SENTENCE = "Les quatre chats jouent devant une maison rouge."  # 8 words, in the training grammar
SENTENCE_EN = "The four cats play in front of a red house."
BATCH = 32
RUNTIMES = ("torch", "slim")
SEED = "seed"
VARIANTS: dict[str, str] = {"torch": "torch", "slim": "slim", SEED: "torch"}  # benchmark row -> its image runtime
MB = 10**6
MiB = 2**20
KIT_HANDLER = "lambda_app.app.handler"
FUNCTION_ENV = {"LANG": "en_US.UTF-8", "TZ": ":UTC", "AWS_REGION": "us-east-1",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048", "AWS_LAMBDA_FUNCTION_TIMEOUT": "120",
                "AWS_EXECUTION_ENV": "AWS_Lambda_Image"}


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize(values_s: list[float]) -> dict[str, float]:
    """p50 / p99 / mean / min / max in milliseconds of durations given in seconds, and the sample count."""
    ms = [v * 1000 for v in values_s]
    return {"p50_ms": round(percentile(ms, 50), 3), "p99_ms": round(percentile(ms, 99), 3),
            "mean_ms": round(sum(ms) / len(ms), 3), "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3),
            "n": len(ms)}


# ---------------------------------------------------------------- inputs: model, sentences, task roots


def find_model(explicit: Path | None = None) -> Path:
    """The model to benchmark: `explicit`, else model_dir() (01_train), else the test suite's trained cache."""
    candidates = [explicit] if explicit else [default_model_dir()]
    if not explicit:
        cached = sorted((REPO_ROOT / ".kit" / "test-cache").glob("trained-*/model_card.json"),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        candidates += [p.parent for p in cached]
    for c in candidates:
        if c and (c / "model_card.json").exists() and (c / "weights.pt").exists() and (c / "encoder.onnx").exists():
            return c
    raise KitError("No trained model with weights and ONNX files found: run notebooks/01_train.ipynb "
                   "(or pass --model DIR) and re-run the benchmark.")


def batch_sentences(n: int = BATCH) -> list[str]:
    """`n` fixed French sentences from the training grammar (deterministic)."""
    from helpers.train.corpus import generate_pairs

    return [p.fr for p in generate_pairs(n, seed=7)]


@dataclass
class TaskRoot:
    """What one function runs: its task root, handler, env, and (when staged) the image layer sizes."""

    name: str  # "torch" | "slim" | "seed"
    path: Path
    handler: str
    env: dict[str, str]
    task_root_bytes: int | None = None
    tar_gz_bytes: int | None = None


def staged_task_root(runtime: str, model: Path) -> TaskRoot:
    """The image's task root staged from lambda_app/Dockerfile by helpers.build.staging (cached across runs)."""
    from helpers.build.staging import stage_task_root

    s = stage_task_root(runtime, "x86_64", model)
    assert s.task_root is not None
    return TaskRoot(runtime, Path(s.task_root), s.cmd[0] if s.cmd else KIT_HANDLER,
                    {"MODEL_RUNTIME": runtime, **s.env}, s.task_root_bytes, s.tar_gz_bytes)


def dev_task_root(runtime: str, model: Path, tmp: Path) -> TaskRoot:
    """A task root of the repo's lambda_app/*.py, the model and symlinks to this venv's packages (quick runs)."""
    import sysconfig

    root = tmp / f"dev-{runtime}"
    (root / "lambda_app").mkdir(parents=True)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():  # the RIE runs the base interpreter
        if not entry.name.startswith(("_", ".")) and entry.suffix != ".pth":
            (root / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for py in LAMBDA_APP.glob("*.py"):
        shutil.copy2(py, root / "lambda_app" / py.name)
    shutil.copytree(model, root / "model")
    return TaskRoot(runtime, root, KIT_HANDLER, {"MODEL_RUNTIME": runtime})


def seed_task_root(torch_root: TaskRoot, tmp: Path) -> TaskRoot:
    """The torch task root plus seed_handler.py (an overlay of symlinks: nothing large is copied)."""
    root = tmp / "seed"
    root.mkdir()
    for entry in torch_root.path.iterdir():
        (root / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    shutil.copy2(SEED_HANDLER, root / "seed_handler.py")
    return TaskRoot(SEED, root, "seed_handler.handler", {"MODEL_RUNTIME": "torch"},
                    torch_root.task_root_bytes, torch_root.tar_gz_bytes)


# ---------------------------------------------------------------- talking to a function instance


def invoke(endpoint: str, event: dict[str, Any], timeout: float = 120) -> tuple[dict[str, Any], float]:
    """POST one event to the RIE; (decoded response body, round-trip seconds). KitError unless it is a 200."""
    t0 = time.perf_counter()
    status, raw = post_invocation(endpoint, json.dumps(event).encode(), timeout)
    rtt = time.perf_counter() - t0
    if status is None:
        raise KitError("The function did not answer: see its log above and re-run.")
    return parse_response(raw), rtt


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


@contextmanager
def running(root: TaskRoot) -> Iterator[tuple[Instance, PeakRss, float]]:
    """A new function instance of `root` with an RSS sampler; yields (instance, sampler, launch time)."""
    rec = ImageRecord(uri=f"local/ltk-bench:{root.name}", digest="sha256:" + "0" * 64, handler=root.handler,
                      task_root=str(root.path))
    env = {**FUNCTION_ENV, "AWS_LAMBDA_FUNCTION_NAME": f"ltk-bench-{root.name}", **root.env}
    t0 = time.perf_counter()
    inst = launch_host(rec, env, free_port())
    sampler = PeakRss(inst, interval=0.005)
    sampler.start()
    try:
        yield inst, sampler, t0
    finally:
        sampler.finish()
        inst.stop()


# ---------------------------------------------------------------- measurements


@dataclass
class RuntimeResult:
    """Everything measured for one runtime (or the seed design)."""

    name: str
    task_root_bytes: int | None
    tar_gz_bytes: int | None
    cold_s: list[float] = field(default_factory=list)
    init_ms: list[float] = field(default_factory=list)  # the RIE's INIT REPORT, when logged
    peak_rss_bytes: int = 0
    warm: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # case -> rtt|handler -> stats
    translation: str = ""

    @property
    def cold_median_s(self) -> float | None:
        return percentile(self.cold_s, 50) if self.cold_s else None


def _event(case: str, batch: list[str]) -> dict[str, Any]:
    return {"sentence": SENTENCE} if case == "single" else {"sentences": batch}


def measure(root: TaskRoot, n_cold: int, n_warm: int, n_warm_batch: int, batch: list[str],
            bar: tqdm | None = None) -> RuntimeResult:
    """Cold starts (a new process each, launch to first translation), then warm latency on the last one."""
    res = RuntimeResult(root.name, root.task_root_bytes, root.tar_gz_bytes)
    cases = {"single": n_warm} if root.name == SEED else {"single": n_warm, f"batch{len(batch)}": n_warm_batch}
    for i in range(n_cold):
        with running(root) as (inst, sampler, t0):
            body, _ = invoke(inst.endpoint, {"sentence": SENTENCE})
            res.cold_s.append(time.perf_counter() - t0)
            res.translation = body["en"]
            init = init_ms_from_logs(inst.read_logs())
            if init is not None:
                res.init_ms.append(init)
            if bar:
                bar.update(1)
            if i == n_cold - 1:  # keep the last instance warm for the latency runs
                for case, n in cases.items():
                    event = _event(case, batch)
                    for _ in range(3):  # warm-up
                        invoke(inst.endpoint, event)
                    rtt, handler = [], []
                    for _ in range(n):
                        body, t = invoke(inst.endpoint, event)
                        rtt.append(t)
                        handler.append(float(body["duration"]))
                        if bar:
                            bar.update(1)
                    res.warm[case] = {"rtt": summarize(rtt), "handler": summarize(handler)}
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
                row[case] = summarize(times)
            rows.append(row)
    torch.set_num_threads(default_torch)
    return rows


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    metric: str  # key of metrics()
    runtime: str
    limit: float
    unit: str
    higher_is_better: bool = False


TARGETS = (
    Target("tar_gz_mb", "torch", 300, "MB"), Target("tar_gz_mb", "slim", 80, "MB"),
    Target("cold_s", "torch", 2.5, "s"), Target("cold_s", "slim", 0.6, "s"),
    Target("peak_rss_mib", "torch", 350, "MiB"), Target("peak_rss_mib", "slim", 150, "MiB"),
    Target("warm_p50_ms", "torch", 5, "ms"), Target("warm_p50_ms", "slim", 5, "ms"),
    Target("speedup", "torch", 50, "x", True), Target("speedup", "slim", 50, "x", True),
)

# Why a target is missed and what would close it: (metric, runtime), else the metric alone.
ADVICE: dict[tuple[str, str | None], str] = {
    ("tar_gz_mb", "torch"): "libtorch_cpu.so (415 MB) dominates; strip what inference never loads (torch/test, "
                            "torch/include, torch/bin, *.a, sympy/networkx) or use the slim runtime",
    ("tar_gz_mb", "slim"): "onnxruntime + numpy dominate; drop onnxruntime's tools/ and tests, or use a minimal "
                           "ORT build with only the CPU kernels the model uses",
    ("cold_s", "torch"): "`import torch` alone is ~1.75 s and maps libtorch_cpu.so; use the slim runtime, "
                         "more Lambda memory (= more CPU) or provisioned concurrency",
    ("cold_s", "slim"): "Python + awslambdaric + numpy + onnxruntime imports and session creation; keep the "
                        "handler module's imports minimal, or use more memory (= more CPU)",
    ("peak_rss_mib", None): "shared libraries are resident after import; slim avoids torch's, and one thread "
                           "per runtime avoids per-thread arenas",
    ("warm_p50_ms", "torch"): "greedy decoding dispatches ~20 small torch ops per output token, so framework "
                              "overhead dominates (torch.jit.trace and int8 dynamic quantization did not help "
                              "at this size); serve the ONNX export (slim)",
    ("warm_p50_ms", "slim"): "one decoder call per output token; int8 dynamic quantization or capping the "
                             "output length would shorten it",
    ("speedup", None): "the kit's artifacts are tiny (<1 MB, regex tokenizer), so loading them per request costs "
                       "only a few ms, and the runtime round trip alone (p50 minus handler p50) caps the ratio; "
                       "the seed's per-request spaCy/torchtext loads (not installable offline) cost far more",
}


def advice(metric: str, runtime: str) -> str:
    """What explains a missed target and would close it."""
    return ADVICE.get((metric, runtime)) or ADVICE[(metric, None)]


def metrics(results: dict[str, RuntimeResult]) -> dict[str, dict[str, float | None]]:
    """Headline numbers per runtime: sizes (MB), cold median (s), peak RSS (MB), warm p50/p99 (ms), speed-up."""
    seed = results.get(SEED)
    seed_p50 = seed.warm["single"]["rtt"]["p50_ms"] if seed and "single" in seed.warm else None
    out: dict[str, dict[str, float | None]] = {}
    for name, r in results.items():
        single = r.warm.get("single", {})
        batch = next((v for k, v in r.warm.items() if k.startswith("batch")), {})
        p50 = single.get("rtt", {}).get("p50_ms")
        out[name] = {
            "task_root_mb": None if r.task_root_bytes is None else round(r.task_root_bytes / MB, 1),
            "tar_gz_mb": None if r.tar_gz_bytes is None else round(r.tar_gz_bytes / MB, 1),
            "cold_s": None if r.cold_median_s is None else round(r.cold_median_s, 3),
            "init_ms": round(percentile(r.init_ms, 50), 1) if r.init_ms else None,
            "peak_rss_mib": round(r.peak_rss_bytes / MiB, 1) if r.peak_rss_bytes else None,
            "warm_p50_ms": p50, "warm_p99_ms": single.get("rtt", {}).get("p99_ms"),
            "handler_p50_ms": single.get("handler", {}).get("p50_ms"),
            "batch_p50_ms": batch.get("rtt", {}).get("p50_ms"), "batch_p99_ms": batch.get("rtt", {}).get("p99_ms"),
            "batch_handler_p50_ms": batch.get("handler", {}).get("p50_ms"),
            "speedup": round(seed_p50 / p50, 1) if seed_p50 and p50 and name != SEED else None,
        }
    return out


def base_runtime(name: str) -> str:
    """The image runtime whose targets a benchmark row is checked against; the seed design has none."""
    return name if name == SEED else VARIANTS.get(name, name)


def check_targets(m: dict[str, dict[str, float | None]]) -> list[dict[str, Any]]:
    """One row per target and measured row of its runtime: value, limit, met or not, and the miss."""
    rows = []
    for t in TARGETS:
        for name in [n for n in m if base_runtime(n) == t.runtime] or [t.runtime]:
            rows.append(_target_row(t, name, m.get(name, {}).get(t.metric)))
    return rows


def _target_row(t: Target, name: str, value: float | None) -> dict[str, Any]:
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


# ---------------------------------------------------------------- output

COLUMNS = (("task_root_mb", "task root MB"), ("tar_gz_mb", "added layers gzip MB"),
           ("cold_s", "cold start s (median)"), ("init_ms", "RIE init ms (median)"), ("peak_rss_mib", "peak RSS MiB"),
           ("warm_p50_ms", "warm p50 ms (1 sentence)"), ("warm_p99_ms", "warm p99 ms (1 sentence)"),
           ("handler_p50_ms", "handler p50 ms (1 sentence)"), ("batch_p50_ms", f"warm p50 ms (batch {BATCH})"),
           ("batch_p99_ms", f"warm p99 ms (batch {BATCH})"),
           ("batch_handler_p50_ms", f"handler p50 ms (batch {BATCH})"),
           ("speedup", "speed-up vs seed (p50)"))


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def format_table(m: dict[str, dict[str, float | None]]) -> str:
    """A fixed-width text table: one row per metric, one column per runtime."""
    names = list(m)
    lines = [f"{'metric':<30}" + "".join(f"{n:>12}" for n in names)]
    for key, label in COLUMNS:
        lines.append(f"{label:<30}" + "".join(f"{_fmt(m[n].get(key)):>12}" for n in names))
    return "\n".join(lines)


def markdown_table(m: dict[str, dict[str, float | None]]) -> str:
    """The same table in Markdown (for the README)."""
    names = list(m)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {label} | " + " | ".join(_fmt(m[n].get(key)) for n in names) + " |" for key, label in COLUMNS]
    return "\n".join(lines)


def format_targets(rows: list[dict[str, Any]]) -> str:
    """Targets as text lines: met / MISSED by how much, and what would close a miss."""
    out = []
    for r in rows:
        op = ">=" if r["higher_is_better"] else "<="
        head = f"{r['variant']:<9}{r['metric']:<13}{_fmt(r['value']):>9} {r['unit']:<4}(target {op} {r['limit']:g})"
        if r["met"] is None:
            out.append(f"{head}  not measured")
        elif r["met"]:
            out.append(f"{head}  met")
        else:
            out.append(f"{head}  MISSED by {r['miss']:g} {r['unit']} ({r['miss_pct']:g}%): {r['advice']}")
    return "\n".join(out)


def plot(m: dict[str, dict[str, float | None]], out: Path) -> Path:
    """A 2x2 chart: image layers, cold start, peak RSS (with targets) and warm p50 latency (log scale)."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(m)
    colors = {"torch": "#e6550d", "slim": "#3182bd", SEED: "#636363"}
    limits = {(t.metric, n): t.limit for t in TARGETS for n in names if base_runtime(n) == t.runtime}
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=100)
    panels = ((axes[0][0], "tar_gz_mb", "Added image layers, gzip'd (MB)", [n for n in names if n != SEED]),
              (axes[0][1], "cold_s", "Cold start: launch to first translation (s)", names),
              (axes[1][0], "peak_rss_mib", "Peak RSS of the function (MiB)", names))
    for ax, key, title, shown in panels:
        vals = [m[n][key] or 0 for n in shown]
        bars = ax.bar(shown, vals, color=[colors.get(n, "#999") for n in shown])
        ax.bar_label(bars, labels=[_fmt(m[n][key]) if m[n][key] is not None else "not staged" for n in shown],
                     fontsize=8)
        for i, n in enumerate(shown):
            if (key, n) in limits:
                ax.hlines(limits[(key, n)], i - 0.4, i + 0.4, colors="#d62728", linestyles="--")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, max([*vals, *(limits.get((key, n), 0) for n in shown)]) * 1.2 or 1)
    ax = axes[1][1]
    cases = (("warm_p50_ms", "1 sentence"), ("batch_p50_ms", f"batch of {BATCH}"))
    width = 0.8 / len(cases)
    for j, (key, label) in enumerate(cases):
        xs = [i + (j - (len(cases) - 1) / 2) * width for i in range(len(names))]
        vals = [m[n][key] or 0 for n in names]
        bars = ax.bar(xs, vals, width, label=label, color=[colors.get(n, "#999") for n in names],
                      alpha=1.0 if j == 0 else 0.55, edgecolor="black", linewidth=0.4)
        ax.bar_label(bars, fmt="%.3g", fontsize=7)
    ax.axhline(5, color="#d62728", linestyle="--", linewidth=1, label="target p50 5 ms")
    ax.set_yscale("log")
    shown = [v for n in names for k, _ in cases if (v := m[n][k])] or [1.0]
    ax.set_ylim(min(*shown, 5) / 2, max(*shown, 5) * 6)
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: plain(v) if plain(v)[0] in "25" else ""))
    ax.set_xticks(range(len(names)), names)
    ax.set_title("Warm latency p50 through the runtime (ms, log)", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", ncol=3)
    fig.suptitle("lambda-torch-kit benchmark (dashed red: targets)", fontsize=11)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


# ---------------------------------------------------------------- the run


def run(quick: bool = False, staged: bool = True, n_cold: int = 5, n_warm: int = 200, n_warm_batch: int = 50,
        n_seed: int = 50, threads: list[int] | None = None, model: Path | None = None,
        runtimes: tuple[str, ...] = tuple(VARIANTS), out_dir: Path = RESULTS) -> dict[str, Any]:
    """Measure every runtime in `runtimes`, write latest.json / .md / .png into `out_dir`; return the report."""
    if quick:
        n_cold, n_warm, n_warm_batch, n_seed = min(n_cold, 2), min(n_warm, 20), min(n_warm_batch, 5), min(n_seed, 5)
    unknown = set(runtimes) - set(VARIANTS)
    if unknown:
        raise KitError(f"Unknown runtime(s) {sorted(unknown)}: choose from {', '.join(VARIANTS)}.")
    model = find_model(model)
    batch = batch_sentences()
    results: dict[str, RuntimeResult] = {}
    with tempfile.TemporaryDirectory(prefix="ltk-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        roots: dict[str, TaskRoot] = {}
        for rt in sorted({VARIANTS[n] for n in runtimes}):
            roots[rt] = staged_task_root(rt, model) if staged else dev_task_root(rt, model, tmp)
        if SEED in runtimes:
            roots[SEED] = seed_task_root(roots["torch"], tmp)
        load_before = os.getloadavg()  # after staging: the load the measurements ran under
        total = sum(n_cold + (n_seed if n == SEED else n_warm + n_warm_batch) for n in runtimes)
        with tqdm(total=total, desc="benchmark", unit="call", mininterval=2.0) as bar:
            for name in runtimes:
                bar.set_postfix_str(name)
                results[name] = measure(roots[name], n_cold, n_seed if name == SEED else n_warm, n_warm_batch,
                                        batch, bar=bar)
                bar.set_postfix_str("")
    sweep = thread_sweep(model, batch, threads or sorted({1, os.cpu_count() or 1}), reps=5 if quick else 30)
    m = metrics(results)
    card = json.loads((model / "model_card.json").read_text())
    report = {
        "meta": {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.machine(),
                 "cpus": os.cpu_count(), "python": platform.python_version(),
                 "load_before": [round(x, 2) for x in load_before],
                 "load_after": [round(x, 2) for x in os.getloadavg()], "task_roots": "staged" if staged else "dev",
                 "model": {"dir": str(model), "name": card["name"], "version": card["version"]},
                 "n_cold": n_cold, "n_warm": n_warm, "n_warm_batch": n_warm_batch, "n_seed": n_seed,
                 "sentence": SENTENCE, "expected": SENTENCE_EN},
        "metrics": m,
        "targets": check_targets(m),
        "thread_sweep": sweep,
        "translations": {n: r.translation for n, r in results.items()},
        "raw": {n: asdict(r) for n, r in results.items()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out_dir / "latest.md").write_text(markdown_table(m) + "\n")
    plot(m, out_dir / "latest.png")
    return report


def format_sweep(rows: list[dict[str, Any]]) -> str:
    """The thread sweep as text: in-process handler p50 per runtime and thread count."""
    lines = [f"{'runtime':<8}{'threads':>8}{'1 sentence p50 ms':>20}{f'batch {BATCH} p50 ms':>20}"]
    for r in rows:
        batch = next(v for k, v in r.items() if k.startswith("batch"))
        lines.append(f"{r['runtime']:<8}{r['threads']:>8}{r['single']['p50_ms']:>20g}{batch['p50_ms']:>20g}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="few repetitions and no image staging (tests, smoke runs)")
    p.add_argument("--dev", action="store_true", help="run the repo's sources with this venv's packages (no staging)")
    p.add_argument("--cold", type=int, default=5, help="cold starts per runtime (median reported)")
    p.add_argument("--warm", type=int, default=200, help="warm single-sentence calls per runtime")
    p.add_argument("--warm-batch", type=int, default=50, help=f"warm batch-of-{BATCH} calls per runtime")
    p.add_argument("--seed-calls", type=int, default=50, help="warm calls of the seed design")
    p.add_argument("--threads", type=int, nargs="*", help="intra-op threads for the sweep (default: 1 and all CPUs)")
    p.add_argument("--runtimes", nargs="+", default=list(VARIANTS), help=f"subset of: {' '.join(VARIANTS)}")
    p.add_argument("--model", type=Path, help="model directory (default: model_dir(), else the test cache)")
    p.add_argument("--out", type=Path, help="results directory (default: benchmarks/results; quick/dev runs: "
                                           "kit_home()/benchmark, so they never overwrite the published results)")
    a = p.parse_args(argv)
    a.out = a.out or (kit_home() / "benchmark" if a.quick or a.dev else RESULTS)
    try:
        report = run(quick=a.quick, staged=not (a.quick or a.dev), n_cold=a.cold, n_warm=a.warm,
                     n_warm_batch=a.warm_batch, n_seed=a.seed_calls, threads=a.threads, model=a.model,
                     runtimes=tuple(a.runtimes), out_dir=a.out)
    except KitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    meta = report["meta"]
    print(f"\nModel {meta['model']['name']} {meta['model']['version']}; {meta['cpus']} CPUs; load before "
          f"{meta['load_before']}, after {meta['load_after']}; task roots: {meta['task_roots']}")
    print(f"Translations of {SENTENCE!r}: {report['translations']}\n")
    print(format_table(report["metrics"]))
    print("\nThread sweep (in-process handler time):")
    print(format_sweep(report["thread_sweep"]))
    print("\nTargets:")
    print(format_targets(report["targets"]))
    print(f"\nWrote {a.out / 'latest.json'}, latest.md and latest.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
