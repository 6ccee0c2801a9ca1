"""The local stack: one background process serving the emulated AWS endpoint and the HTTP APIs.

`ensure_stack()` starts `python -m helpers.local.stack serve` on demand (detached, so it outlives a notebook
kernel) and records it in `.kit/local/stack.json`; every notebook reuses it; `stop_stack()` (04_cleanup, tests)
or an idle timeout (KIT_LOCAL_IDLE_SECONDS, default 1800) ends it together with its function instances.

The process serves two ports on 127.0.0.1:
- the endpoint (`endpoint_url` of every boto3 client): moto for the control plane, except the Lambda Invoke API
  (`POST /2015-03-31/functions/{name}/invocations`), answered by the local runtime (invoke.py);
- the HTTP API endpoint: `api_url(api_id)` serves the API Gateway v2 APIs stored in moto (httpapi.py).

Settings: KIT_LOCAL_PORT / KIT_LOCAL_API_PORT pin the two ports (default: free ports), KIT_LOCAL_IDLE_SECONDS.
From a shell: `python -m helpers.local.stack status|stop`.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
import urllib.request
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote

import psutil

from ..errors import KitError
from ..paths import REPO_ROOT, kit_home

ACCOUNT_ID = "123456789012"  # moto's default account
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/")
_started: dict[int, subprocess.Popen] = {}  # stacks this process started (reaped in stop_stack)


@dataclass
class StackInfo:
    """A running local stack: its process, ports and how long it took to start."""

    pid: int
    endpoint_port: int
    api_port: int
    start_seconds: float = 0.0

    @property
    def endpoint(self) -> str:
        """The endpoint_url for boto3 clients."""
        return f"http://127.0.0.1:{self.endpoint_port}"

    @property
    def api_endpoint(self) -> str:
        """Base URL of the local HTTP APIs (api_url() appends the API id)."""
        return f"http://127.0.0.1:{self.api_port}"


# ----------------------------------------------------------------------------------------------- client side

def _dir() -> Path:
    d = kit_home() / "local"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _info_path() -> Path:
    return _dir() / "stack.json"


def log_path() -> Path:
    """The stack's log file (requests it answered, invocations, errors)."""
    return _dir() / "stack.log"


@contextmanager
def _start_lock() -> Iterator[None]:
    with open(_dir() / "stack.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _read_info() -> StackInfo | None:
    try:
        return StackInfo(**json.loads(_info_path().read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _is_stack_process(pid: int) -> bool:
    try:
        p = psutil.Process(pid)
        return p.status() != psutil.STATUS_ZOMBIE and "helpers.local.stack" in " ".join(p.cmdline())
    except psutil.Error:
        return False


def _healthy(info: StackInfo) -> bool:
    try:
        with urllib.request.urlopen(f"{info.endpoint}/_kit/health", timeout=2) as r:
            return json.load(r).get("pid") == info.pid
    except (OSError, ValueError):
        return False


def running_stack() -> StackInfo | None:
    """The stack recorded under this KIT_HOME if it is alive and answering, else None."""
    info = _read_info()
    if info and _is_stack_process(info.pid) and _healthy(info):
        return info
    return None


def _port_from_env(var: str) -> int:
    value = os.environ.get(var)
    if not value:
        return 0
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise KitError(f"{var}={value!r} is not a port number: set it to a free port like 4566, or unset it.")
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", int(value)))
        except OSError:
            raise KitError(f"Port {value} ({var}) is already in use: stop what uses it or unset {var} "
                           "to let the kit pick a free port.") from None
    return int(value)


def _idle_seconds() -> float:
    value = os.environ.get("KIT_LOCAL_IDLE_SECONDS", "1800")
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise KitError(f"KIT_LOCAL_IDLE_SECONDS={value!r} is not a positive number of seconds: "
                       "set it like 1800, or unset it.")
    return seconds


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def ensure_stack(timeout: float = 90) -> StackInfo:
    """The running local stack, started (and waited for) if needed; reused by every caller under this KIT_HOME."""
    info = running_stack()
    if info:
        return info
    with _start_lock():
        info = running_stack()
        if info:
            return info
        ports = [_port_from_env("KIT_LOCAL_PORT"), _port_from_env("KIT_LOCAL_API_PORT")]
        _idle_seconds()
        _info_path().unlink(missing_ok=True)
        env = {**os.environ, "KIT_HOME": str(kit_home().resolve())}
        t0 = time.monotonic()
        with open(log_path(), "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "helpers.local.stack", "serve", *map(str, ports)],
                                    cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        _started[proc.pid] = proc
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                _started.pop(proc.pid, None)
                raise KitError(f"The local stack exited while starting (see {log_path()}); its log ends with:\n"
                               f"{_tail(log_path())}")
            info = _read_info()
            if info and info.pid == proc.pid and _healthy(info):
                info.start_seconds = round(time.monotonic() - t0, 3)
                _info_path().write_text(json.dumps(asdict(info)))
                return info
            time.sleep(0.1)
        _kill_tree(proc.pid)
        raise KitError(f"The local stack did not answer within {timeout:.0f} s (machine busy?): try again, "
                       f"and see {log_path()} if it keeps failing.")


def _kill_tree(pid: int, timeout: float = 10) -> None:
    """SIGTERM the process (it stops its instances), then SIGKILL whatever of its tree is left."""
    if pid in _started and _started[pid].poll() is not None:
        _started.pop(pid)
        return
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    try:
        root.terminate()
    except psutil.Error:
        pass
    if pid in _started:
        try:
            _started[pid].wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    _, alive = psutil.wait_procs(family, timeout=timeout if pid not in _started else 1)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=3)
    if pid in _started:
        _started.pop(pid).wait()


def stop_stack() -> bool:
    """Stop the local stack under this KIT_HOME and its function instances; False if none was running."""
    info = _read_info()
    _info_path().unlink(missing_ok=True)
    if info is None or not _is_stack_process(info.pid):
        return False
    _kill_tree(info.pid)
    return True


def stop_started_stacks() -> None:
    """Stop every stack this process started and that still runs (the test session's safety net)."""
    for pid in list(_started):
        _kill_tree(pid)


def api_url(api_id: str, stage: str = "$default") -> str:
    """The local URL of an HTTP API stage: `api_url(id) + "/translate"` reaches its `POST /translate` route."""
    base = f"{ensure_stack().api_endpoint}/{api_id}"
    return base if stage == "$default" else f"{base}/{stage}"


# ----------------------------------------------------------------------------------------------- server side

class _Server:
    """The stack process: moto behind a front WSGI app, the HTTP API app, the local Lambda runtime."""

    def __init__(self, endpoint_port: int, api_port: int, idle_seconds: float) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from .invoke import LocalLambda

        self.idle_seconds = idle_seconds
        self.last_activity = time.monotonic()
        self.regions_seen: list[str] = []
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        import boto3

        self._session = boto3.session.Session()
        self._api_regions: dict[str, str] = {}
        self._moto = DomainDispatcherApplication(create_backend_app)
        self.front = make_server("127.0.0.1", endpoint_port, self._front_app, threaded=True,
                                 request_handler=MotoRequestHandler)
        self.api = make_server("127.0.0.1", api_port, self._api_app, threaded=True)
        self.endpoint = f"http://127.0.0.1:{self.front.server_port}"
        self.lam = LocalLambda(lambda region: self.client("logs", region), {
            **{k.upper(): v for k, v in DUMMY_CREDENTIALS.items()}, "AWS_SESSION_TOKEN": "testing",
            "AWS_ENDPOINT_URL": self.endpoint})  # boto3 inside a function reaches this stack
        self.pool = ThreadPoolExecutor(max_workers=8)
        self.stopping = threading.Event()

    # --- helpers
    def client(self, service: str, region: str) -> Any:
        """A boto3 client on this stack's own endpoint (cached; clients are thread-safe)."""
        key = (service, region)
        with self._clients_lock:  # creating clients is not thread-safe
            if key not in self._clients:
                self._clients[key] = self._session.client(service, region_name=region, endpoint_url=self.endpoint,
                                                          **DUMMY_CREDENTIALS)
            return self._clients[key]

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def log(self, msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)

    # --- front endpoint
    def _front_app(self, environ: dict, start_response: Any) -> Any:
        self.touch()
        m = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        if m and m.group("region") not in self.regions_seen:
            self.regions_seen.insert(0, m.group("region"))
        path = environ.get("PATH_INFO", "")
        if path == "/_kit/health":
            return _respond(start_response, 200, {"content-type": "application/json"},
                            json.dumps({"pid": os.getpid()}).encode())
        inv = _INVOKE.match(path)
        if inv and environ.get("REQUEST_METHOD") == "POST":
            from werkzeug.wrappers import Request

            req = Request(environ)
            status, headers, body = self.invoke_api(m.group("region") if m else "us-east-1",
                                                    unquote(inv.group("name")), req)
            return _respond(start_response, status, headers, body)
        return self._moto(environ, start_response)

    def _spec(self, region: str, name: str, qualifier: str | None) -> Any:
        from .invoke import FunctionSpec

        kwargs = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
        fn = self.client("lambda", region).get_function(**kwargs)
        conf = fn["Configuration"]
        if conf.get("PackageType") != "Image":
            raise _ApiError(400, "InvalidParameterValueException",
                            "The local target runs only container-image functions (PackageType=Image).")
        return FunctionSpec.from_configuration(conf, fn["Code"]["ImageUri"], region)

    def run_function(self, spec: Any, payload: bytes) -> Any:
        """Invoke through the local runtime, turning a missing image or runtime problem into an API error."""
        from .invoke import ImageNotFound

        try:
            result = self.lam.invoke(spec, payload)
        except ImageNotFound as e:
            raise _ApiError(404, "ResourceNotFoundException",
                            f"Image {e} is not in the local image store: build and push it with "
                            "02_build_image (helpers.ecr) before invoking the function.") from None
        except KitError as e:
            raise _ApiError(400, "InvalidRuntimeException", str(e)) from None
        self.log(f"invoke {spec.name} {result.request_id} {result.duration_ms:.1f} ms"
                 f"{' init %.1f ms' % result.init_ms if result.init_ms else ''} {result.max_memory_mb} MB"
                 f"{' ERROR' if result.function_error else ''}")
        return result

    def invoke_api(self, region: str, name: str, req: Any) -> tuple[int, dict[str, str], bytes]:
        """The Lambda Invoke API (RequestResponse, Event, DryRun; LogType=Tail)."""
        from botocore.exceptions import ClientError

        payload = req.get_data()
        try:
            if len(payload) > 6 * 1024 * 1024:
                raise _ApiError(413, "RequestTooLargeException", "Request must be smaller than 6291456 bytes "
                                "for the InvokeFunction operation")
            spec = self._spec(region, name, req.args.get("Qualifier"))
            kind = req.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            if kind == "DryRun":
                return 204, {}, b""
            if kind == "Event":
                self.pool.submit(self._run_quietly, spec, payload)
                return 202, {"x-amzn-RequestId": str(uuid.uuid4())}, b""
            result = self.run_function(spec, payload)
        except _ApiError as e:
            return e.response()
        except ClientError as e:
            err = e.response["Error"]
            return _ApiError(e.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Code", "ServiceException"),
                             err.get("Message", "")).response()
        headers = {"content-type": "application/json", "x-amzn-RequestId": result.request_id,
                   "X-Amz-Executed-Version": "$LATEST"}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if req.headers.get("X-Amz-Log-Type") == "Tail":
            headers["X-Amz-Log-Result"] = result.log_result
        return 200, headers, result.payload

    def _run_quietly(self, spec: Any, payload: bytes) -> None:
        try:
            self.run_function(spec, payload)
        except Exception as e:  # an Event invocation has no caller to tell
            self.log(f"async invoke of {spec.name} failed: {e}")

    # --- HTTP API endpoint
    def _api_region(self, api_id: str) -> str | None:
        from ..config import KNOWN_REGIONS

        if api_id in self._api_regions:
            return self._api_regions[api_id]
        for region in [*self.regions_seen, *sorted(KNOWN_REGIONS - set(self.regions_seen))]:
            try:
                self.client("apigatewayv2", region).get_api(ApiId=api_id)
            except Exception:
                continue
            self._api_regions[api_id] = region
            return region
        return None

    def _api_app(self, environ: dict, start_response: Any) -> Any:
        from werkzeug.wrappers import Request

        from .httpapi import json_response

        self.touch()
        req = Request(environ)
        try:
            resp = self.http_api(req)
        except Exception as e:  # API Gateway answers 500 and logs; so do we
            self.log(f"http api error: {e!r}")
            resp = json_response(500, {"message": "Internal Server Error"})
        extra = [("set-cookie", c) for c in resp.cookies]
        return _respond(start_response, resp.status, dict(resp.headers), resp.body, extra)

    def http_api(self, req: Any) -> Any:
        """Route one HTTP request to its API's Lambda integration, as API Gateway HTTP APIs do."""
        from .httpapi import (add_cors_headers, build_event, cors_preflight, invoke_allowed, json_response,
                              lambda_arn_of, map_result, match_route)

        not_found = json_response(404, {"message": "Not Found"})
        parts = req.path.split("/", 2)  # "", api_id, rest
        api_id, rest = parts[1], "/" + (parts[2] if len(parts) > 2 else "")
        region = self._api_region(api_id) if api_id else None
        if region is None:
            return not_found
        agw = self.client("apigatewayv2", region)
        api = agw.get_api(ApiId=api_id)
        if api.get("ProtocolType") != "HTTP":
            return not_found
        stages = {s["StageName"]: s for s in agw.get_stages(ApiId=api_id).get("Items", [])}
        first = rest.strip("/").split("/")[0]
        if first in stages and first != "$default":
            stage, path, raw_path = first, "/" + rest.strip("/").partition("/")[2], rest
        elif "$default" in stages:
            stage, path, raw_path = "$default", rest, rest
        else:
            return not_found
        headers = {k.lower(): v for k, v in req.headers.items()}
        cors = api.get("CorsConfiguration")
        pre = cors_preflight(cors, req.method, headers)
        if pre is not None:
            return pre
        match = match_route(agw.get_routes(ApiId=api_id).get("Items", []), req.method, path)
        if match is None or not str(match[0].get("Target", "")).startswith("integrations/"):
            return not_found
        route, params = match
        integ = agw.get_integration(ApiId=api_id, IntegrationId=route["Target"].split("/", 1)[1])
        arn = lambda_arn_of(integ)
        fail = json_response(500, {"message": "Internal Server Error"})
        if arn is None or integ.get("PayloadFormatVersion") != "2.0":
            self.log(f"api {api_id}: route {route['RouteKey']} needs an AWS_PROXY Lambda integration with "
                     "payload format 2.0")
            return fail
        source_arn = f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}/{req.method}{path}"
        if not invoke_allowed(self._policy(region, arn), source_arn):
            self.log(f"api {api_id}: {arn} has no resource policy letting apigateway.amazonaws.com invoke it "
                     f"from {source_arn} (lambda add_permission)")
            fail.headers["x-kit-local-error"] = "API Gateway is not allowed to invoke the function (add_permission)"
            return fail
        event = build_event(api=api, route_key=route["RouteKey"], stage=stage, method=req.method,
                            raw_path=raw_path, raw_query=req.query_string.decode(), headers=list(req.headers.items()),
                            body=req.get_data(), source_ip=req.remote_addr or "127.0.0.1", path_params=params,
                            stage_variables=stages[stage].get("StageVariables"))
        spec = self._spec(region, arn, None)
        future = self.pool.submit(self.run_function, spec, json.dumps(event).encode())
        try:
            result = future.result(timeout=int(integ.get("TimeoutInMillis") or 30000) / 1000)
        except FutureTimeout:
            return json_response(503, {"message": "Service Unavailable"})
        resp = fail if result.function_error else map_result(result.payload)
        resp.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        add_cors_headers(cors, headers, resp)
        return resp

    def _policy(self, region: str, arn: str) -> dict | None:
        try:
            return json.loads(self.client("lambda", region).get_policy(FunctionName=arn)["Policy"])
        except Exception:
            return None

    # --- lifecycle
    def serve(self) -> None:
        for srv in (self.front, self.api):
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        info = StackInfo(pid=os.getpid(), endpoint_port=self.front.server_port, api_port=self.api.server_port)
        tmp = _info_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(info)))
        tmp.replace(_info_path())
        self.log(f"local stack pid {info.pid}: endpoint {info.endpoint}, HTTP APIs {info.api_endpoint}, "
                 f"idle timeout {self.idle_seconds:.0f} s")
        region = os.environ.get("KIT_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.pool.submit(lambda: [self.client(s, region) for s in ("lambda", "logs", "apigatewayv2")])  # warm-up
        while not self.stopping.wait(min(5.0, self.idle_seconds / 4)):
            if time.monotonic() - self.last_activity > self.idle_seconds and not self.lam.busy():
                self.log("idle timeout: stopping")
                break
        self.shutdown()

    def shutdown(self) -> None:
        self.lam.stop_all()
        for srv in (self.front, self.api):
            srv.shutdown()
        self.pool.shutdown(wait=False, cancel_futures=True)
        info = _read_info()
        if info and info.pid == os.getpid():
            _info_path().unlink(missing_ok=True)
        self.log("stopped")


class _ApiError(Exception):
    """An AWS-style error answer of the Invoke API."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> tuple[int, dict[str, str], bytes]:
        return (self.status, {"content-type": "application/json", "x-amzn-ErrorType": self.code},
                json.dumps({"Type": "User", "message": self.message}).encode())


def _respond(start_response: Any, status: int, headers: dict[str, str], body: bytes,
             extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    start_response(f"{status} {phrase}", [*headers.items(), *(extra or []), ("content-length", str(len(body)))])
    return [body]



def serve(endpoint_port: int = 0, api_port: int = 0) -> None:
    """Run the stack in this process until SIGTERM/SIGINT or the idle timeout."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # so AWSLambdaBasicExecutionRole can be attached
    os.environ["MOTO_LAMBDA_STUB_ECR"] = "false"  # an image function needs its image in the emulated ECR
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)  # never touch real credentials
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = _Server(endpoint_port, api_port, _idle_seconds())
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: server.stopping.set())
    server.serve()


def main(argv: list[str]) -> int:
    """`serve [ENDPOINT_PORT API_PORT]` runs the stack; `status` and `stop` act on the one under KIT_HOME."""
    cmd = argv[0] if argv else ""
    if cmd == "serve":
        serve(*(int(a) for a in argv[1:3]))
    elif cmd == "status":
        info = running_stack()
        print(f"local stack pid {info.pid}: endpoint {info.endpoint}, HTTP APIs {info.api_endpoint}" if info
              else "no local stack is running")
    elif cmd == "stop":
        print("stopped" if stop_stack() else "no local stack was running")
    else:
        print("usage: python -m helpers.local.stack serve|status|stop", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
