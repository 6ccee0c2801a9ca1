"""The load test's counting (statuses, errors, throughput) against a tiny local server, and its loopback guard."""
from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks import load
from helpers.core.errors import KitError


class _Cycling(BaseHTTPRequestHandler):
    codes = itertools.cycle([200, 200, 429, 500])
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.lock:
            code = next(self.codes)
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Cycling)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_a_level_counts_every_status_and_only_non_429_failures_as_errors(server):
    level = load.run_level(server, clients=2, duration_s=0.5)
    s = level["statuses"]
    assert level["clients"] == 2 and level["requests"] == sum(s.values()) > 4
    assert set(s) == {"200", "429", "500"} and abs(s["200"] - 2 * s["500"]) <= 2
    assert level["errors"] == s["500"]
    assert level["throughput_rps"] == pytest.approx(level["requests"] / level["seconds"], rel=0.02)
    assert level["ok_rps"] < level["throughput_rps"] and level["p50_ms"] > 0 and level["ok_p99_ms"] > 0
    rows = load.level_rows({"levels": [{"mode": "lifted", **level}]})
    assert rows[0]["throttle"] == "lifted" and rows[0]["status counts"].startswith("200: ")


def test_unanswered_requests_are_errors(monkeypatch):
    level = load.run_level("http://127.0.0.1:9", clients=1, duration_s=0.2)  # the discard port: nothing answers
    assert level["requests"] >= 1 and level["statuses"] == {"0": level["requests"]} and level["errors"] == level["requests"]


def test_the_load_test_refuses_anything_but_loopback():
    with pytest.raises(KitError, match="only runs against the local stack"):
        load.run_level("https://abc.execute-api.us-east-1.amazonaws.com", clients=1, duration_s=0.1)
