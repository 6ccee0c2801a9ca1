"""A minimal Lambda runtime interface client in pure Python (stdlib only), where awslambdaric cannot be installed.

awslambdaric ships Linux wheels only; on macOS and Windows the local host path runs the handler with this loop
instead (KIT_LOCAL_RIC=stdlib forces it on Linux). launchers.py copies this file into the twin of Lambda's
/var/runtime, and runs `python -S -m lambda_bootstrap module.function` against AWS_LAMBDA_RUNTIME_API: load the
handler (or post /runtime/init/error and exit), then forever GET /runtime/invocation/next, call the handler with the
event and a context, and POST its JSON result to /response or an error document to /error. Error types, messages
and `[ERROR]` log lines follow awslambdaric's. It never ships in an image (the image's base has awslambdaric).
"""
from __future__ import annotations

import decimal
import http.client
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, Callable

API = "/2018-06-01/runtime"


class Fault(Exception):
    """A failure the runtime itself reports (bad handler name, import error, unserializable result)."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


class Context:
    """The handler's `context`, with the attributes awslambdaric's LambdaContext offers."""

    def __init__(self, request_id: str, deadline_ms: int, function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def load_handler(name: str) -> Callable[[Any, Context], Any]:
    """`module.function` from the task root, or a Fault worded as awslambdaric words it."""
    try:
        module_name, function = name.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{name}': {e}") from None
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}") from None
    except SyntaxError as e:
        raise Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}",
                    [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']) from None
    try:
        return getattr(module, function)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", f"Handler '{function}' missing on module '{module_name}'") from None


def error_document(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    """Lambda's error document for `exc`: errorMessage, errorType, requestId, stackTrace (this file's frames left out)."""
    if isinstance(exc, Fault):
        return {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id,
                "stackTrace": exc.trace}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id,
            "stackTrace": traceback.format_list(frames)}


def log_error(doc: dict[str, Any]) -> None:
    """awslambdaric's text log record: `[ERROR] Type: message` and the traceback, one record (lines joined by \\r)."""
    head = "[ERROR]" + (f" {doc['errorType']}" if doc["errorType"] else "")
    if doc["errorMessage"]:
        head += (":" if doc["errorType"] else "") + f" {doc['errorMessage']}"
    lines = [head, "Traceback (most recent call last):"]
    for element in doc["stackTrace"]:
        lines += [ln[: len(ln) - len(ln.lstrip(" "))].replace(" ", "\u00a0") + ln.lstrip(" ")
                  for ln in element.splitlines()]
    sys.stdout.write("\r".join(lines) + "\n")
    sys.stdout.flush()


def _decimal(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        return float(obj) if obj.is_nan() or obj != obj.to_integral_value() else int(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def marshal(result: Any) -> bytes:
    """The handler's result as the response body: bytes as they are, anything else as JSON."""
    if isinstance(result, bytes):
        return result
    try:
        return json.dumps(result, default=_decimal).encode()
    except (TypeError, ValueError) as e:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {e}") from None


class RuntimeApiClient:
    """The Runtime API over one keep-alive HTTP connection (no timeout: /next waits as long as it must)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port))

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        self.conn.request(method, API + path, body=body, headers=headers or {})
        resp = self.conn.getresponse()
        return resp.status, resp.headers, resp.read()

    def post(self, path: str, doc: bytes, error_type: str | None = None) -> None:
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        status, _, body = self.call("POST", path, doc, headers)
        if status != 202:
            raise RuntimeError(f"The Runtime API refused {path} ({status}): {body[:200]!r}")


def handle(client: RuntimeApiClient, handler: Callable[[Any, Context], Any]) -> None:
    """Wait for one event, run the handler on it, post the result or the error."""
    status, headers, body = client.call("GET", "/invocation/next")
    if status != 200:
        raise RuntimeError(f"The Runtime API answered /invocation/next with {status}")
    request_id = headers["Lambda-Runtime-Aws-Request-Id"]
    if headers.get("Lambda-Runtime-Trace-Id"):
        os.environ["_X_AMZN_TRACE_ID"] = headers["Lambda-Runtime-Trace-Id"]
    context = Context(request_id, int(headers["Lambda-Runtime-Deadline-Ms"]),
                      headers.get("Lambda-Runtime-Invoked-Function-Arn", ""))
    try:
        try:
            event = json.loads(body)
        except ValueError as e:
            raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}") from None
        payload = marshal(handler(event, context))
    except Exception as e:
        doc = error_document(e, request_id)
        log_error(doc)
        client.post(f"/invocation/{request_id}/error", json.dumps(doc).encode(), "Unhandled")
        return
    client.post(f"/invocation/{request_id}/response", payload)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lambda_bootstrap module.function", file=sys.stderr)
        return 2
    client = RuntimeApiClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(argv[1])
    except Exception as e:
        doc = error_document(e)
        log_error(doc)
        client.post("/init/error", json.dumps(doc).encode(), doc["errorType"])
        return 1
    while True:
        handle(client, handler)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
