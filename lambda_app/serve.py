"""SageMaker serve mode: the translation API on a standard-library HTTP server (SageMaker's container contract).

SageMaker starts an inference container as `docker run IMAGE serve` and then calls, on port 8080
(SAGEMAKER_BIND_TO_PORT when set):

- `GET /ping`: 200 when the container can answer. Here: the same check as the API's `GET /health` (200 with
  the model's name and version, or 503 `{"error": ...}` when no model is loaded).
- `POST /invocations`: one inference. Here: exactly the API's `POST /translate`, through the same function
  as the Lambda handler (`app.handle_request`), so validation, statuses and error bodies never drift apart.
  Any non-2xx reaches the SageMaker caller as a ModelError carrying the body. The body limit stays the API's
  64 KiB (413), although SageMaker would forward more (4 MB on serverless endpoints).

Run it: `python -m lambda_app.serve [serve] [--host 0.0.0.0] [--port 8080]` (MODEL_DIR / MODEL_RUNTIME as for
the handler); it stops on SIGTERM. In the image, the entrypoint runs it when the first argument is `serve`
(`exec python3 -m lambda_app.serve serve "$@"` from the task root /var/task) and otherwise hands the CMD (the
handler) to the Lambda base image's `/lambda-entrypoint.sh`, so one image serves both.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

from . import app

DEFAULT_PORT = 8080
ROUTES: dict[str, str] = {"/ping": "/health", "/invocations": "/translate"}  # SageMaker path -> API route
DRAIN_LIMIT = 8 * 1024 * 1024  # read and drop up to this much of an oversized body, so the client gets its 413

log = logging.getLogger("lambda_app.serve")


class SageMakerHandler(BaseHTTPRequestHandler):
    """Every method on every path goes to `app.handle_request` (unknown ones get its 404/405, never a 501)."""

    protocol_version = "HTTP/1.1"  # keep-alive: SageMaker reuses connections
    server_version = "lambda-torch-kit"
    timeout = 60  # seconds a client may take to send its request

    def __getattr__(self, name: str) -> Callable[[], None]:
        if name.startswith("do_"):  # do_GET, do_POST, ... and any other method a client sends
            return self.answer
        raise AttributeError(name)

    def answer(self) -> None:
        """Read the request, answer it like the Lambda handler would, send the response."""
        request_id = self.headers.get("X-Amzn-RequestId") or uuid.uuid4().hex[:16]
        body, problem = self.read_body()
        if problem is not None:
            resp = app.error_response(400, problem)
        else:
            resp = app.handle_request(self.command, urlsplit(self.path).path, body, request_id=request_id,
                                      routes=ROUTES)
        data = resp.body.encode("utf-8")
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self) -> tuple[bytes | None, str | None]:
        """(body, None), or (None, what is wrong); reads at most one byte over the API's limit (then it says 413)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        text = self.headers.get("Content-Length")
        if text is None:
            return None, None
        if not (text.strip().isascii() and text.strip().isdigit()):
            self.close_connection = True
            return None, "The Content-Length header must be a number of bytes."
        length = int(text)
        body = self.rfile.read(min(length, app.MAX_BODY_BYTES + 1))
        rest = length - len(body)
        if rest > 0:  # oversized: handle_request answers 413; drop the rest or give up on the connection
            self.close_connection = True
            while 0 < rest <= DRAIN_LIMIT and (chunk := self.rfile.read(min(rest, 1 << 16))):
                rest -= len(chunk)
        return body, None

    def read_chunked(self) -> tuple[bytes | None, str | None]:
        """A `Transfer-Encoding: chunked` body, kept up to one byte over the API's limit, the rest dropped."""
        body, total = b"", 0
        while True:
            try:
                size = int(self.rfile.readline(100).split(b";")[0], 16)
            except ValueError:
                size = -1
            if size < 0:
                self.close_connection = True
                return None, "The chunked request body is malformed."
            if size == 0:
                while self.rfile.readline(1000).strip():  # trailer fields, up to the empty line
                    pass
                return body, None
            total += size
            keep = max(0, min(size, app.MAX_BODY_BYTES + 1 - len(body)))
            body += self.rfile.read(keep)
            if total > DRAIN_LIMIT:  # too much to drop: answer (413) and close
                self.close_connection = True
                return body, None
            self.rfile.read(size - keep)
            self.rfile.readline(100)  # the chunk's CRLF

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        log.debug(format, *args)  # app.handle_request logs one line per request already

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        log.warning(format, *args)


def make_server(host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A threading HTTP server for the SageMaker contract on (host, port); port 0 picks a free one."""
    return ThreadingHTTPServer((host, port), SageMakerHandler)


def _default_port() -> int:
    value = os.environ.get("SAGEMAKER_BIND_TO_PORT") or str(DEFAULT_PORT)
    if not value.isdigit():
        raise SystemExit(f"SAGEMAKER_BIND_TO_PORT must be a port number, not {value!r}.")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    """`python -m lambda_app.serve [serve] [--host H] [--port P]`: serve until SIGTERM or Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m lambda_app.serve", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("command", nargs="?", choices=["serve"], help="what SageMaker passes (optional)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port (default: SAGEMAKER_BIND_TO_PORT, else {DEFAULT_PORT}; 0 picks a free one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = make_server(args.host, _default_port() if args.port is None else args.port)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # docker stop: shut down like Ctrl+C
    host, port = server.server_address[:2]
    ready = app.handle_request("GET", "/ping", None, routes=ROUTES).status == 200
    model = "model loaded" if ready else "NO MODEL: /ping answers 503"
    print(f"lambda_app.serve: listening on http://{host}:{port} ({model})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
