"""Lambda's Runtime API in pure Python: the stand-in for AWS's Runtime Interface Emulator (RIE) where its Linux
binary cannot run (macOS, native Windows) or when KIT_LOCAL_RUNTIME=python.

Stdlib only, run by path (launchers.py), with the RIE's own arguments:

    python lambda_api_server.py --runtime-interface-emulator-address 127.0.0.1:P1 --runtime-api-address 127.0.0.1:P2 CMD...

P1 answers POST /2015-03-31/functions/function/invocations, one invocation at a time. P2 serves the Lambda Runtime
API (2018-06-01) to CMD, started on the first invocation with AWS_LAMBDA_RUNTIME_API set: GET
/runtime/invocation/next (headers Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id),
POST /runtime/invocation/{id}/response and /error, POST /runtime/init/error. As on Lambda: init ends when the
runtime first asks for an event; past 10 s it counts against the function's timeout (Lambda re-runs such an init
within the invocation); a timeout, a crash or an init error ends the runtime and the next invocation starts a new
one; a response over 6 MB fails. It writes the RIE's log lines (`(rapid)` INIT REPORT / INVOKE RTDONE, START, END,
REPORT) so local_aws.awslambda.service reads both the same way; memory is measured and capped there (the runtime is
this process's child). Longer than 300 lines because it runs by path as one stdlib-only file (no sibling imports).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "/2018-06-01/runtime"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100  # 6,291,556 bytes: Lambda's synchronous response limit, as the RIE counts it
INIT_LIMIT_S = 10.0  # Lambda's init phase limit
_GO_SIGNALS = {9: "killed", 15: "terminated", 11: "segmentation fault", 6: "aborted"}  # how the RIE words them


def log(msg: str, level: str = "INFO") -> None:
    """One emulator line in the RIE's format (lambda_service drops lines marked `(rapid)`)."""
    now = datetime.now()
    print(f"{now:%d %b %Y %H:%M:%S},{now.microsecond // 1000:03d} [{level}] (rapid) {msg}", flush=True)


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


class Invocation:
    """One event: waiting for the runtime, then delivered, then answered (or failed)."""

    def __init__(self, payload: bytes) -> None:
        self.rid = str(uuid.uuid4())
        self.payload = payload
        self.trace_id = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"
        self.delivered: float | None = None  # time.monotonic() when /next handed it over
        self.deadline = math.inf  # time.monotonic() by which the runtime must answer
        self.answered: float | None = None  # when the runtime answered (response or error)
        self.result: tuple[int, bytes] | None = None
        self.done = threading.Event()

    def finish(self, status: int, body: bytes) -> None:
        if self.result is None:
            self.result = (status, body)
            self.done.set()


class Instance:
    """The runtime process, the Runtime API it talks to, and the invocation in flight."""

    def __init__(self, cmd: list[str], api_address: tuple[str, int], timeout_s: float, account_id: str) -> None:
        self.cmd, self.timeout_s, self.account_id = cmd, timeout_s, account_id
        # Bind and hand over: the Runtime API binds a free port itself and hands it to the runtime process in
        # AWS_LAMBDA_RUNTIME_API, so no other process can take it between choosing and binding (the port given is
        # not used; a restarted runtime gets a fresh one too, so nothing stale reaches it).
        self.api_address = (api_address[0], 0)
        self.cond = threading.Condition()
        self.invoke_lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.api: ThreadingHTTPServer | None = None  # one per runtime process: a killed runtime's requests die with it
        self.init_started = 0.0
        self.init_done: float | None = None
        self.first_event = True
        self.pending: Invocation | None = None  # waiting for /next
        self.current: Invocation | None = None  # delivered, waiting for /response or /error

    # --- the runtime process (all under self.cond)
    def _start(self) -> None:
        self.api = _Server(self.api_address, RuntimeApi, self)
        threading.Thread(target=self.api.serve_forever, daemon=True).start()
        host, port = self.api.server_address[:2]
        env = {**os.environ, "AWS_LAMBDA_RUNTIME_API": f"{host}:{port}", "_HANDLER": self.cmd[-1]}
        log("INIT START(type: on-demand, phase: init)")
        self.init_started, self.init_done, self.first_event = time.monotonic(), None, True
        self.proc = subprocess.Popen(self.cmd, env=env, stdin=subprocess.DEVNULL)  # output: ours (the same pipe)

    def reset(self, reason: str) -> None:
        """Kill the runtime and retire its Runtime API; the next invocation starts both again."""
        if self.proc is not None:
            log(f"Reset initiated: {reason}", "WARNING")
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        if self.api is not None:
            api, self.api = self.api, None
            threading.Thread(target=lambda: (api.shutdown(), api.server_close()), daemon=True).start()
        self.proc, self.pending, self.current = None, None, None
        self.cond.notify_all()

    # --- Runtime API side (called from RuntimeApi handlers)
    def next_event(self, api: ThreadingHTTPServer) -> Invocation | None:
        """Block until there is an event for the runtime behind `api`; None once that runtime is retired."""
        with self.cond:
            if api is not self.api:
                return None
            now = time.monotonic()
            if self.init_done is None:
                self.init_done = now
                log("INIT RTDONE(status: success)")
                log(f"INIT REPORT(durationMs: {(now - self.init_started) * 1000:.6f})")
            while self.pending is None:
                self.cond.wait(0.5)
                if api is not self.api:
                    return None
            inv, self.pending, self.current = self.pending, None, self.pending
            inv.delivered = time.monotonic()
            slow_init = self.first_event and self.init_done - self.init_started > INIT_LIMIT_S
            inv.deadline = (self.init_started if slow_init else inv.delivered) + self.timeout_s
            self.first_event = False
            log(f"INVOKE START(requestId: {inv.rid})")
            return inv

    def answer(self, api: ThreadingHTTPServer, rid: str, status: int, body: bytes) -> tuple[int, bytes]:
        """The runtime's /response (status 200) or /error; the Runtime API's own status and body."""
        with self.cond:
            inv = self.current
            if api is not self.api or inv is None or inv.rid != rid or inv.result is not None:
                return 400, _error("InvalidRequestID", "Invalid request ID")
            inv.answered = time.monotonic()
            self.current = None
            if len(body) > MAX_RESPONSE_BYTES:
                inv.finish(502, _error("Function.ResponseSizeTooLarge", "Response payload size exceeded maximum "
                                       f"allowed payload size ({MAX_RESPONSE_BYTES} bytes)."))
                return 413, _error("RequestEntityTooLarge",
                                   f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).")
            inv.finish(status, body)
            return 202, b'{"status":"OK"}'

    def init_error(self, api: ThreadingHTTPServer, body: bytes) -> tuple[int, bytes]:
        with self.cond:
            if api is not self.api or self.init_done is not None:
                return 403, _error("InvalidStateTransition", "init/error is only allowed during init")
            self.init_done = time.monotonic()
            log("INIT RTDONE(status: error)")
            log(f"INIT REPORT(durationMs: {(self.init_done - self.init_started) * 1000:.6f})")
            if self.pending is not None:
                self.pending.finish(502, body)
            return 202, b'{"status":"OK"}'

    # --- emulator side
    def invoke(self, payload: bytes) -> tuple[int, bytes]:
        """Run one invocation to its end: the status and body the RIE would answer."""
        with self.invoke_lock:
            inv = Invocation(payload)
            print(f"START RequestId: {inv.rid} Version: $LATEST", flush=True)
            t0 = time.monotonic()
            with self.cond:
                if self.proc is not None and self.proc.poll() is not None:
                    self.reset("runtime exited")
                if self.proc is None:
                    self._start()
                self.pending = inv
                self.cond.notify_all()
            while not inv.done.wait(0.01):
                self._watch(inv)
            status, body = inv.result or (502, b"")
            with self.cond:
                if status == 502:  # init error, crash or oversized response: this runtime is done
                    self.reset("ReleaseFail")
            if inv.answered is not None and inv.delivered is not None:
                log(f"INVOKE RTDONE(status: success, produced bytes: 0, duration: "
                    f"{(inv.answered - inv.delivered) * 1000:.6f}ms)")
            total = (time.monotonic() - t0) * 1000
            memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
            print(f"END RequestId: {inv.rid}", flush=True)
            print(f"REPORT RequestId: {inv.rid}\tDuration: {total:.2f} ms\tBilled Duration: {math.ceil(total)} ms\t"
                  f"Memory Size: {memory} MB\tMax Memory Used: {memory} MB\t", flush=True)
            return status, body

    def _watch(self, inv: Invocation) -> None:
        """Fail `inv` if the runtime died or ran past its deadline (init past its limit included)."""
        with self.cond:
            if inv.result is not None or self.proc is None:
                return
            code = self.proc.poll()
            now = time.monotonic()
            if code is not None:
                how = f"exit status {code}" if code >= 0 else f"signal: {_GO_SIGNALS.get(-code, str(-code))}"
                log(f"Invoke failed error=Runtime exited with error: {how} InvokeID={inv.rid}", "ERROR")
                inv.finish(502, _error("Runtime.ExitError", f"RequestId: {inv.rid} Error: Runtime exited with error: {how}"))
            elif (inv.delivered is not None and now > inv.deadline) or (
                    inv.delivered is None and now - self.init_started > max(INIT_LIMIT_S, self.timeout_s)):
                self.reset("Timeout")
                inv.finish(200, f"Task timed out after {self.timeout_s:.2f} seconds".encode())

    def stop(self) -> None:
        with self.cond:
            self.reset("SandboxTerminated")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, instance: Instance) -> None:
        super().__init__(address, handler)
        self.instance = instance

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a runtime killed mid-request drops its connection; that is no error worth a traceback


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # the function's log is no place for access lines
        pass

    def body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                chunk = self.rfile.read(size) if size else b""
                self.rfile.readline()
                if not size:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class RuntimeApi(_Handler):
    """The Runtime API the function's runtime client talks to."""

    def do_GET(self) -> None:
        instance: Instance = self.server.instance  # type: ignore[attr-defined]
        if self.path != f"{API}/invocation/next":
            return self.send(404, _error("NotFound", f"No such path: {self.path}"))
        inv = instance.next_event(self.server)  # type: ignore[arg-type]
        if inv is None:  # this runtime was retired while it waited
            self.close_connection = True
            return self.send(410, _error("Gone", "This runtime was reset."))
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "test_function")
        region = os.environ.get("AWS_REGION", "us-east-1")
        wall_deadline = time.time() + (inv.deadline - time.monotonic())
        self.send(200, inv.payload, {
            "Lambda-Runtime-Aws-Request-Id": inv.rid,
            "Lambda-Runtime-Deadline-Ms": str(int(wall_deadline * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": f"arn:aws:lambda:{region}:{instance.account_id}:function:{name}",
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        })

    def do_POST(self) -> None:
        instance: Instance = self.server.instance  # type: ignore[attr-defined]
        body = self.body()
        parts = self.path.removeprefix(API).strip("/").split("/")
        if parts == ["init", "error"]:
            return self.send(*instance.init_error(self.server, body))  # type: ignore[arg-type]
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            return self.send(*instance.answer(self.server, parts[1], 200, body))  # type: ignore[arg-type]
        self.send(404, _error("NotFound", f"No such path: {self.path}"))


class EmulatorApi(_Handler):
    """The RIE's invoke endpoint."""

    def do_POST(self) -> None:
        payload = self.body()
        if self.path != INVOKE_PATH:
            return self.send(404, b"404 page not found\n", {"Content-Type": "text/plain"})
        status, body = self.server.instance.invoke(payload)  # type: ignore[attr-defined]
        self.send(status, body, {"Content-Type": "text/plain; charset=utf-8"})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lambda_api_server.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtime-interface-emulator-address", default="0.0.0.0:8080")
    parser.add_argument("--runtime-api-address", default="127.0.0.1:9001")
    parser.add_argument("--log-level", default="info")  # accepted for the RIE's sake; nothing is quieter
    parser.add_argument("--account-id", default="000000000000")  # the kit passes the emulated account's id
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if not args.cmd:
        parser.error("the runtime command (e.g. python -m awslambdaric HANDLER) is missing")
    instance = Instance(args.cmd, _address(args.runtime_api_address),
                      float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT") or 300), args.account_id)
    server = _Server(_address(args.runtime_interface_emulator_address), EmulatorApi, instance)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log(f"exec '{args.cmd[0]}' (cwd={os.getcwd()}, handler={args.cmd[-1]})")
    try:
        while not stopping.wait(0.2):
            pass
    finally:
        instance.stop()
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
