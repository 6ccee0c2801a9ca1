"""WSGI plumbing of the front, one copy each: answer a request, call a WSGI app (moto) and capture its answer, read a
request's body and leave it readable for the next reader."""
from __future__ import annotations

import io
from collections.abc import Callable
from http import HTTPStatus
from typing import Any


def respond(start_response: Any, status: int, headers: dict[str, str], body: bytes,
            extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    """Start a WSGI response with `status`, `headers` (+ `extra` repeated headers) and a content-length; the body."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    start_response(f"{status} {phrase}", [*headers.items(), *(extra or []), ("content-length", str(len(body)))])
    return [body]


def call_wsgi(app: Callable[..., Any], environ: dict) -> tuple[int, dict[str, str], bytes]:
    """Run a WSGI app and capture (status, headers, body)."""
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        seen["status"], seen["headers"] = status, headers
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    headers = {k: v for k, v in seen["headers"] if k.lower() != "content-length"}
    return int(seen["status"].split()[0]), headers, body


def peek_body(environ: dict) -> bytes:
    """The request's body, read so that moto (or a later hook) can read it again."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    return body
