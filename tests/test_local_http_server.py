"""The local HTTP API's transport (local_aws/front/http_server.py): keep-alive, bodies by length or chunks, any method."""
from __future__ import annotations

import http.client
import json
import threading

import pytest

from local_aws.front.http_server import MAX_BODY, WsgiServer


def echo_app(environ, start_response):
    from werkzeug.wrappers import Request

    req = Request(environ)
    body = json.dumps({"method": req.method, "path": req.path, "query": req.query_string.decode(),
                       "body": req.get_data().decode("latin-1"), "type": req.headers.get("Content-Type"),
                       "multi": req.headers.get("X-Multi")}).encode()
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def server():
    srv = WsgiServer("127.0.0.1", 0, echo_app)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_port
    srv.shutdown()
    srv.server_close()


def ask(conn: http.client.HTTPConnection, method: str, path: str, body=None, headers=None, chunked=False):
    conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
    resp = conn.getresponse()
    return resp, resp.read()


def test_one_connection_serves_many_requests(server):
    conn = http.client.HTTPConnection("127.0.0.1", server)
    first, data = ask(conn, "POST", "/api/translate?x=1", b'{"a": 1}', {"Content-Type": "application/json"})
    sock = conn.sock
    assert first.status == 201 and first.getheader("Connection") != "close"
    assert json.loads(data) == {"method": "POST", "path": "/api/translate", "query": "x=1", "body": '{"a": 1}',
                                "type": "application/json", "multi": None}
    second, _ = ask(conn, "GET", "/api/health")
    assert second.status == 201 and conn.sock is sock  # the same TCP connection: keep-alive


def test_chunked_bodies_odd_methods_paths_and_head(server):
    conn = http.client.HTTPConnection("127.0.0.1", server)
    resp, data = ask(conn, "PUT", "/x", iter([b"ab", b"cd"]), {"Transfer-Encoding": "chunked"}, chunked=True)
    assert json.loads(data)["body"] == "abcd"
    resp, data = ask(conn, "FOO", "/caf%C3%A9/%E2%82%AC", None, {"X-Multi": "1"})
    assert json.loads(data)["method"] == "FOO" and json.loads(data)["path"] == "/café/€"
    head, data = ask(conn, "HEAD", "/x")
    assert head.status == 201 and data == b"" and int(head.getheader("Content-Length")) > 0


def test_bad_or_too_large_bodies_are_client_errors(server):
    conn = http.client.HTTPConnection("127.0.0.1", server)
    conn.putrequest("POST", "/x")
    conn.putheader("Content-Length", str(MAX_BODY + 1))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn = http.client.HTTPConnection("127.0.0.1", server)
    conn.putrequest("POST", "/x")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"zz\r\nabc\r\n0\r\n\r\n")
    assert conn.getresponse().status == 400
