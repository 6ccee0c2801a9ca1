"""A small threaded HTTP/1.1 server for a WSGI app, with keep-alive: the local HTTP API endpoint's transport.

Werkzeug's development server closes every connection, so each request paid a new TCP connection and a new
thread (about 2 ms here): more than the translation itself. This one keeps connections open, as API Gateway
does, reading request bodies by Content-Length or chunked transfer encoding, and hands each request to the WSGI
app (gateway.py) with the usual environ.
"""
from __future__ import annotations

import io
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload quota for HTTP APIs: 10 MB


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle keep-alive connection is closed after a minute
    server: "WsgiServer"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle delay on keep-alive

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stack logs what matters
        pass

    def _body(self) -> bytes | None:
        """The request body (None: refused, an error answer was sent)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, size = [], 0
            while True:
                line = self.rfile.readline(65537).split(b";", 1)[0].strip()
                try:
                    n = int(line, 16)
                except ValueError:
                    self.send_error(400, "Bad chunked encoding")
                    return None
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size += n
                if size > MAX_BODY:
                    self.send_error(413)
                    return None
                chunks.append(self.rfile.read(n))
                self.rfile.readline(3)
        length = self.headers.get("Content-Length", "0") or "0"
        if not length.isdigit():
            self.send_error(400, "Bad Content-Length")
            return None
        if int(length) > MAX_BODY:
            self.send_error(413)
            return None
        return self.rfile.read(int(length))

    def _serve(self) -> None:
        body = self._body()
        if body is None:
            self.close_connection = True
            return
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": "", "QUERY_STRING": query,
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "RAW_URI": self.path,
            "SERVER_NAME": self.server.server_address[0], "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
            "CONTENT_LENGTH": str(len(body)), "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                environ[f"HTTP_{key}"] = f"{environ[f'HTTP_{key}']},{value}" if f"HTTP_{key}" in environ else value
        sent: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            sent[:] = [status, headers]
            return lambda data: None

        out = b"".join(self.server.app(environ, start_response))
        status, headers = sent
        self.send_response_only(int(status.split()[0]), status.partition(" ")[2])
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:  # any other method token reaches the app too (API Gateway: 404)
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


class WsgiServer(ThreadingHTTPServer):
    """`serve_forever()` a WSGI app on (host, port); `server_port` is the port it got."""

    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once (socketserver's default backlog is 5)

    def __init__(self, host: str, port: int, app: Callable[..., Any]) -> None:
        super().__init__((host, port), _Handler)
        self.app = app
