"""SageMaker serve mode (issue 14): /ping and /invocations over HTTP answer exactly like the Lambda handler."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from lambda_app import app, serve
from lambda_app.translator import load_translator

SEED = "Les deux chiens marchent dans le parc."
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def translator(trained_model_dir: Path) -> Any:
    return load_translator(trained_model_dir, "slim")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    """serve.py's server on a free loopback port, in a thread, for the whole module."""
    srv = serve.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_address[:2]
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch, translator: Any) -> Any:
    monkeypatch.setattr(app, "_translator", translator)
    return translator


def request(server: tuple[str, int], method: str, path: str, body: bytes | str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(*server, timeout=30)
    try:
        conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def lambda_answer(body: str) -> tuple[int, bytes]:
    """What the Lambda handler answers to `body` POSTed to /translate (an HTTP API 2.0 event)."""
    resp = app.handler({"version": "2.0", "rawPath": "/translate", "body": body, "isBase64Encoded": False,
                        "requestContext": {"http": {"method": "POST"}, "stage": "$default"}})
    return resp["statusCode"], resp["body"].encode()


def test_ping_is_the_health_check(server: tuple[str, int], model: Any) -> None:
    status, headers, body = request(server, "GET", "/ping")
    assert status == 200 and headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["status"] == "ok" and doc["version"] == model.info["version"] and doc["runtime"] == "slim"


def test_invocations_translate(server: tuple[str, int], model: Any) -> None:
    status, _, body = request(server, "POST", "/invocations", json.dumps({"sentence": SEED}),
                              {"Content-Type": "application/json"})
    doc = json.loads(body)
    assert status == 200 and doc["fr"] == SEED and doc["en"] == "The two dogs walk in the park."
    assert doc["unknown"] == [] and doc["duration"] >= 0
    status, _, body = request(server, "POST", "/invocations?x=1", json.dumps({"sentences": [SEED, "Le xyzzy dort."]}))
    doc = json.loads(body)
    assert status == 200 and doc["translations"][0]["en"] == "The two dogs walk in the park."
    assert doc["translations"][1]["unknown"] == ["xyzzy"]


def test_keep_alive_serves_several_requests_on_one_connection(server: tuple[str, int], model: Any) -> None:
    conn = http.client.HTTPConnection(*server, timeout=30)
    try:
        for body in (json.dumps({"sentence": SEED}), "{oops", json.dumps({"sentence": "Le chat dort."})):
            conn.request("POST", "/invocations", body=body.encode())
            resp = conn.getresponse()
            resp.read()
            assert resp.status in (200, 400)
    finally:
        conn.close()


@pytest.mark.parametrize("body", [
    "{oops", json.dumps({"sentence": ""}), json.dumps({"sentence": "\u200b\u200b"}), '{"sentence": "\\ud800 chien"}',
    '{"sentence": ' + "9" * 5000 + "}", "[" * 20000 + "]" * 20000, json.dumps({"text": SEED}), json.dumps([SEED]),
    json.dumps({"sentences": ["x"] * 33}), json.dumps({"sentence": "x" * 501}), '{"sentence": NaN}',
    json.dumps({"sentence": "x" * (app.MAX_BODY_BYTES + 10)}),
], ids=["not-json", "empty-sentence", "invisible", "surrogate", "huge-int", "deep", "missing-field", "not-object",
        "batch-too-big", "too-long", "nan", "oversize"])
def test_bad_input_answers_like_the_lambda_handler(server: tuple[str, int], model: Any, body: str) -> None:
    status, headers, got = request(server, "POST", "/invocations", body)
    assert 400 <= status < 500 and headers["Content-Type"] == "application/json"
    assert (status, got) == lambda_answer(body)  # same status, byte-for-byte the same error body
    assert set(json.loads(got)) == {"error"}


def test_oversize_is_413(server: tuple[str, int], model: Any) -> None:
    status, _, body = request(server, "POST", "/invocations", b"x" * (app.MAX_BODY_BYTES + 1))
    assert status == 413 and json.loads(body) == {"error": f"The request body is over {app.MAX_BODY_BYTES} bytes."}
    status, headers, body = request(server, "POST", "/invocations", b"{" * (4 * 1024 * 1024))  # SageMaker's 4 MB
    assert status == 413 and headers["Connection"] == "close"


@pytest.mark.parametrize("raw, message", [
    (b"", "The request body is empty"), (b'{"sentence": "\xff"}', "not valid UTF-8 (at byte 14)"),
    (b"\xef\xbb\xbf{}", "not valid JSON"),
])
def test_bytes_that_are_not_json(server: tuple[str, int], model: Any, raw: bytes, message: str) -> None:
    status, _, body = request(server, "POST", "/invocations", raw)
    assert status == 400 and message in json.loads(body)["error"]


def test_broken_framing_is_400(server: tuple[str, int], model: Any) -> None:
    with socket.create_connection(server, timeout=30) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        reply = b"".join(iter(lambda: sock.recv(65536), b"")).decode()  # until the server closes
    assert reply.startswith("HTTP/1.1 400") and "Content-Length header must be a number" in reply
    with socket.create_connection(server, timeout=30) as sock:
        sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        reply = b"".join(iter(lambda: sock.recv(65536), b"")).decode()
    assert reply.startswith("HTTP/1.1 400") and "The chunked request body is malformed." in reply


def test_chunked_bodies_are_read(server: tuple[str, int], model: Any) -> None:
    chunks = [b'{"sentence": ', json.dumps(SEED).encode(), b"}"]
    status, _, body = request(server, "POST", "/invocations", iter(chunks))  # http.client sends them chunked
    assert status == 200 and json.loads(body)["en"] == "The two dogs walk in the park."
    status, _, body = request(server, "POST", "/invocations", iter([b"[" * 40_000] * 2))
    assert status == 413


def test_unknown_paths_and_methods(server: tuple[str, int], model: Any) -> None:
    status, _, body = request(server, "GET", "/translate")
    assert status == 404 and json.loads(body) == {"error": "No route /translate: use GET /ping or POST /invocations."}
    status, headers, body = request(server, "GET", "/invocations")
    assert status == 405 and headers["Allow"] == "POST"
    assert json.loads(body) == {"error": "/invocations accepts POST, not GET."}
    status, _, body = request(server, "BREW", "/ping")  # any method: a 4xx from the API, not http.server's 501
    assert status == 405 and json.loads(body)["error"] == "/ping accepts GET, not BREW."
    status, _, body = request(server, "HEAD", "/ping")
    assert status == 405 and body == b""


def test_no_model_is_503(server: tuple[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "_translator", None)
    expected = {"error": "The model is not loaded, so nothing can be translated; the log says why (see MODEL_DIR)."}
    status, _, body = request(server, "GET", "/ping")
    assert status == 503 and json.loads(body) == expected
    status, _, body = request(server, "POST", "/invocations", json.dumps({"sentence": SEED}))
    assert status == 503 and json.loads(body) == expected
    status, _, body = request(server, "POST", "/invocations", "{oops")
    assert status == 400  # the client's mistake is still named first


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_m_serve_runs_the_container_contract(trained_model_dir: Path) -> None:
    """`python -m lambda_app.serve serve`, as the image's entrypoint will run it: port from SAGEMAKER_BIND_TO_PORT."""
    port = _free_port()
    env = {**os.environ, "MODEL_DIR": str(trained_model_dir), "MODEL_RUNTIME": "slim",
           "SAGEMAKER_BIND_TO_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "lambda_app.serve", "serve", "--host", "127.0.0.1"], env=env,
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # printed once the socket listens
        assert f"listening on http://127.0.0.1:{port} (model loaded)" in line, line + proc.stderr.read()
        status, _, body = request(("127.0.0.1", port), "GET", "/ping")
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, _, body = request(("127.0.0.1", port), "POST", "/invocations", json.dumps({"sentence": SEED}))
        assert status == 200 and json.loads(body)["en"] == "The two dogs walk in the park."
        proc.send_signal(signal.SIGTERM)  # `docker stop`
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
