"""The benchmark's arithmetic, parsing and reporting, and a tiny smoke run on the untrained model.

No wall-clock assertions: timings are measured and reported, never asserted."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run as bench  # importable through pytest's `pythonpath = ["."]`
from helpers.core.errors import KitError


def test_percentile_interpolates_like_numpy():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert bench.percentile(values, 50) == 3.0
    assert bench.percentile(values, 0) == 1.0
    assert bench.percentile(values, 100) == 5.0
    assert bench.percentile(values, 99) == pytest.approx(4.96)
    assert bench.percentile([1.0, 2.0], 50) == 1.5
    with pytest.raises(ValueError):
        bench.percentile([], 50)


def test_summarize_reports_milliseconds():
    s = bench.summarize([0.001, 0.002, 0.003, 0.010])
    assert s["p50_ms"] == 2.5
    assert s["min_ms"] == 1.0 and s["max_ms"] == 10.0
    assert s["mean_ms"] == 4.0 and s["n"] == 4


def test_init_duration_is_parsed_from_rie_logs():
    logs = ("START RequestId: abc Version: $LATEST\n"
            "26 Nov 2026 12:00:00,000 [INFO] (rapid) INIT REPORT(durationMs: 1234.56)\n"
            "END RequestId: abc\n")
    assert bench.init_ms_from_logs(logs) == 1234.56
    assert bench.init_ms_from_logs("REPORT RequestId: abc\tDuration: 3.00 ms") is None


def test_parse_response_returns_the_body_or_a_kit_error():
    ok = json.dumps({"statusCode": 200, "body": json.dumps({"en": "Hi.", "duration": 0.002})}).encode()
    assert bench.parse_response(ok) == {"en": "Hi.", "duration": 0.002}
    bad = json.dumps({"statusCode": 400, "body": json.dumps({"error": "empty"})}).encode()
    with pytest.raises(KitError, match="400: empty"):
        bench.parse_response(bad)
    crash = json.dumps({"errorMessage": "boom", "errorType": "Runtime.ImportModuleError"}).encode()
    with pytest.raises(KitError, match="failed"):
        bench.parse_response(crash)
    with pytest.raises(KitError, match="non-JSON"):
        bench.parse_response(b"Task timed out")


def _result(name: str, p50_s: float, cold: list[float], rss: int, tar_gz: int | None) -> bench.RuntimeResult:
    r = bench.RuntimeResult(name, task_root_bytes=None if tar_gz is None else 3 * tar_gz, tar_gz_bytes=tar_gz,
                            cold_s=cold, peak_rss_bytes=rss)
    r.warm["single"] = {"rtt": bench.summarize([p50_s] * 3), "handler": bench.summarize([p50_s / 2] * 3)}
    return r


def test_metrics_speedup_and_targets():
    results = {
        "torch": _result("torch", 0.010, [3.0, 2.0, 4.0], 400 * bench.MiB, 250 * bench.MB),
        "slim": _result("slim", 0.002, [0.5, 0.7, 0.4], 100 * bench.MiB, 60 * bench.MB),
        "seed": _result("seed", 0.200, [5.0], 410 * bench.MiB, 250 * bench.MB),
    }
    m = bench.metrics(results)
    assert m["torch"]["cold_s"] == 3.0 and m["slim"]["cold_s"] == 0.5
    assert m["torch"]["speedup"] == 20.0 and m["slim"]["speedup"] == 100.0 and m["seed"]["speedup"] is None
    assert m["torch"]["tar_gz_mb"] == 250.0 and m["torch"]["task_root_mb"] == 750.0
    assert m["slim"]["peak_rss_mib"] == 100.0
    rows = {(r["variant"], r["metric"]): r for r in bench.check_targets(m)}
    assert rows[("torch", "tar_gz_mb")]["met"] is True
    cold = rows[("torch", "cold_s")]
    assert cold["met"] is False and cold["miss"] == 0.5 and cold["miss_pct"] == 20.0 and cold["advice"]
    assert rows[("torch", "speedup")]["met"] is False and rows[("torch", "speedup")]["miss"] == 30.0
    assert rows[("slim", "speedup")]["met"] is True
    assert rows[("torch", "peak_rss_mib")]["met"] is False
    assert ("seed", "cold_s") not in rows
    assert "ONNX" in bench.advice("warm_p50_ms", "torch")
    assert bench.advice("peak_rss_mib", "slim") == bench.ADVICE[("peak_rss_mib", None)]
    text = bench.format_targets(bench.check_targets(m))
    assert "MISSED by 0.5 s (20%)" in text
    assert "| speed-up vs seed (p50) | 20 | 100 | - |" in bench.markdown_table(m)


def test_targets_of_unmeasured_runtimes_are_reported_as_such():
    m = bench.metrics({"torch": _result("torch", 0.004, [2.0], 300 * bench.MiB, None)})
    rows = bench.check_targets(m)
    assert {(r["variant"], r["metric"], r["met"]) for r in rows if r["variant"] == "torch"} >= {
        ("torch", "warm_p50_ms", True), ("torch", "cold_s", True), ("torch", "tar_gz_mb", None)}
    assert [r["met"] for r in rows if r["variant"] == "slim"] == [None] * 5  # slim was not run
    assert "not measured" in bench.format_targets(rows)


def test_unknown_runtime_is_a_kit_error(tmp_path: Path):
    with pytest.raises(KitError, match="Unknown runtime"):
        bench.run(quick=True, staged=False, runtimes=("tensorflow",), out_dir=tmp_path)


def test_quick_smoke_run_on_the_untrained_model(untrained_model_dir: Path, tmp_path: Path, kit_home: Path):
    out = tmp_path / "results"
    report = bench.run(quick=True, staged=False, n_cold=1, n_warm=3, n_warm_batch=2, n_seed=2, threads=[1],
                       model=untrained_model_dir, runtimes=("slim", "seed"), out_dir=out)
    m = report["metrics"]
    assert set(m) == {"slim", "seed"}
    assert m["slim"]["cold_s"] > 0 and m["slim"]["peak_rss_mib"] > 10
    assert m["slim"]["warm_p50_ms"] > 0 and m["slim"]["batch_p50_ms"] > 0 and m["slim"]["speedup"] > 0
    raw = report["raw"]["slim"]["warm"]
    assert raw["single"]["rtt"]["n"] == 3 and raw[f"batch{bench.BATCH}"]["rtt"]["n"] == 2
    assert report["raw"]["seed"]["warm"]["single"]["rtt"]["n"] == 2
    assert isinstance(report["translations"]["slim"], str)
    assert report["translations"]["slim"] == report["translations"]["seed"]  # same model, same greedy decoder
    assert [(r["runtime"], r["threads"]) for r in report["thread_sweep"]] == [("torch", 1), ("slim", 1)]
    saved = json.loads((out / "latest.json").read_text())
    assert saved["metrics"] == m and saved["meta"]["task_roots"] == "dev"
    assert (out / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "latest.md").read_text().startswith("| metric | slim | seed |")
