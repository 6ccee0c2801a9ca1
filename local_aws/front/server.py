"""The local stack's process: moto behind a front WSGI app that answers the Lambda Invoke API itself, plus the
HTTP API endpoint (gateway.py). `python -m local_aws.front.server [ENDPOINT_PORT API_PORT]` runs it; stack/control.py starts,
finds and stops that process."""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any
from urllib.parse import unquote

from helpers.core.aws_facts.account import ACCOUNT_ID, LOCAL_CREDENTIALS
from helpers.core.aws_facts.sigv4 import UNSIGNED_REGION, signed_scope
from helpers.core.errors import KitError
from helpers.core.paths import write_json
from local_aws.awslambda.concurrency import Throttled, account_concurrency
from local_aws.sagemaker.control_plane import SageMakerApi
from local_aws.error_answers import LambdaError
from local_aws.awslambda.states import FunctionStates, InitFailed, init_failure
from local_aws.apigateway.gateway import Gateway
from local_aws.front.wsgi import respond
from local_aws.front.http_server import WsgiServer
from local_aws.awslambda.service import FunctionSpec, ImageNotFound, LocalLambda
from local_aws.ecr.images import find_image
from local_aws.ecr.lifecycle_clock import LifecycleClock
from local_aws.front.lookups import Lookups, may_change_state
from local_aws.front.routes import INVOKE, FrontRequest, dispatch
from local_aws.stack.control import StackInfo, idle_seconds, info_path, read_info
from local_aws.stack.processes import remember_endpoint

_LOG_WRITES = {"Logs_20140328.PutLogEvents", "Logs_20140328.CreateLogGroup", "Logs_20140328.CreateLogStream"}
INSTANCE_IDLE_SECONDS = 600.0  # Lambda recycles idle execution environments after some minutes


class Server:
    """The stack process: moto behind a front WSGI app, the HTTP API app, the local Lambda runtime."""

    def __init__(self, endpoint_port: int, api_port: int, idle_seconds: float) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        self.idle_seconds = idle_seconds
        self.last_activity = time.monotonic()
        self.regions_seen: list[str] = []
        self.lookups = Lookups()  # control-plane reads of the HTTP APIs and invokes, until the next change
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        import boto3

        self._session = boto3.session.Session()
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.front = make_server("127.0.0.1", endpoint_port, self._front_app, threaded=True,
                                 request_handler=MotoRequestHandler)
        self.gateway = Gateway(self)
        self.api = WsgiServer("127.0.0.1", api_port, self.gateway.wsgi_app)  # HTTP/1.1 keep-alive, as API Gateway
        self.endpoint = f"http://127.0.0.1:{self.front.server_port}"
        self.lam = LocalLambda(lambda region: self.client("logs", region), {
            **{k.upper(): v for k, v in LOCAL_CREDENTIALS.items()}, "AWS_SESSION_TOKEN": "testing",
            "AWS_ENDPOINT_URL": self.endpoint},  # boto3 inside a function reaches this stack
            account_concurrency=account_concurrency(), before_cold_start=self._before_cold_start)
        self.states = FunctionStates(lambda region: self.client("ecr", region),
                                     lambda: self.clock.now().timestamp(), ACCOUNT_ID)  # idle on 04's clock
        self.clock = LifecycleClock(lambda region: self.client("ecr", region), self.lam.stop_all, self.log)
        self.pool = ThreadPoolExecutor(max_workers=256)  # one thread per HTTP API request in flight
        self.sagemaker = SageMakerApi(self.client, self.pool.submit)  # SageMaker fixes over moto + InvokeEndpoint
        self.stopping = threading.Event()

    # --- helpers
    def client(self, service: str, region: str) -> Any:
        """A boto3 client on this stack's own endpoint (cached; clients are thread-safe)."""
        key = (service, region)
        with self._clients_lock:  # creating clients is not thread-safe
            if key not in self._clients:
                self._clients[key] = self._session.client(service, region_name=region, endpoint_url=self.endpoint,
                                                          **LOCAL_CREDENTIALS)
            return self._clients[key]

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def log(self, msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)

    # --- front endpoint
    def _front_app(self, environ: dict, start_response: Any) -> Any:
        self.touch()
        region, service = signed_scope(environ.get("HTTP_AUTHORIZATION", "")) or (UNSIGNED_REGION, None)
        if service and region not in self.regions_seen:
            self.regions_seen.insert(0, region)
        path = environ.get("PATH_INFO", "")
        if path == "/_kit/health":
            return respond(start_response, 200, {"content-type": "application/json"},
                            json.dumps({"pid": os.getpid()}).encode())
        target = environ.get("HTTP_X_AMZ_TARGET")
        if service == "logs" and target not in _LOG_WRITES:
            self.lam.flush_logs()  # read your writes: the records of every invocation so far are in
        method = environ.get("REQUEST_METHOD", "")
        if (method == "POST" and INVOKE.match(path)) or not may_change_state(method, service, target):
            return self._front_route(environ, start_response, region)
        self.lookups.changed()  # a change: before and after, so a lookup racing with it is never kept
        try:
            return self._front_route(environ, start_response, region)
        finally:
            self.lookups.changed()

    def _front_route(self, environ: dict, start_response: Any, region: str) -> Any:
        return dispatch(self, FrontRequest(environ, start_response, region,
                                           environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""),
                                           environ.get("HTTP_X_AMZ_TARGET", "")))

    def invoke_wsgi(self, request: FrontRequest) -> Any:
        """Lambda's Invoke API (a front row)."""
        from werkzeug.wrappers import Request

        name = INVOKE.match(request.path).group("name")  # type: ignore[union-attr]
        status, headers, body = self.invoke_api(request.region, unquote(name), Request(request.environ))
        return respond(request.start_response, status, headers, body)

    def spec(self, region: str, name: str, qualifier: str | None) -> Any:
        """What an invocation of `name` runs (its configuration and reserved concurrency), cached until a change."""
        return self.lookups.get(("spec", region, name, qualifier), lambda: self._load_spec(region, name, qualifier))

    def _load_spec(self, region: str, name: str, qualifier: str | None) -> Any:
        lam = self.client("lambda", region)
        kwargs = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
        fn = lam.get_function(**kwargs)
        conf = fn["Configuration"]
        if conf.get("PackageType") != "Image":
            raise LambdaError(400, "InvalidParameterValueException",
                            "The local target runs only container-image functions (PackageType=Image).")
        reserved = (fn.get("Concurrency") or lam.get_function_concurrency(FunctionName=conf["FunctionArn"])
                    ).get("ReservedConcurrentExecutions")  # GetFunction leaves out a reservation of 0
        return FunctionSpec.from_configuration(conf, fn["Code"]["ImageUri"], region,
                                               None if reserved is None else int(reserved))

    def run_function(self, spec: Any, payload: bytes) -> Any:
        """Invoke through the local Lambda, turning a missing image or runtime problem into an API error."""
        self.states.check_invocable(spec.region, spec.name)  # Pending or Failed functions are not invoked
        try:
            result = self.lam.invoke(spec, payload)
        except InitFailed as e:
            result, stream = init_failure(spec, e)
            self.lam.logs.put(spec.region, spec.name, stream, result.log)
        except ImageNotFound as e:
            raise LambdaError(404, "ResourceNotFoundException",
                            f"Image {e} is not in the local image store: build and push it with "
                            "02_build_image (helpers.build.ecr) before invoking the function.") from None
        except KitError as e:
            raise LambdaError(400, "InvalidRuntimeException", str(e)) from None
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
                raise LambdaError(413, "RequestTooLargeException", "Request must be smaller than 6291456 bytes "
                                "for the InvokeFunction operation")
            spec = self.spec(region, name, req.args.get("Qualifier"))
            kind = req.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            if kind == "DryRun":
                return 204, {}, b""
            if kind == "Event":
                self.pool.submit(self._run_quietly, spec, payload)
                return 202, {"x-amzn-RequestId": str(uuid.uuid4())}, b""
            result = self.run_function(spec, payload)
        except LambdaError as e:
            return e.response()
        except Throttled as e:  # Lambda's answer when no concurrency is left
            return LambdaError(429, "TooManyRequestsException", "Rate Exceeded.", Reason=e.reason).response()
        except ClientError as e:
            err = e.response["Error"]
            return LambdaError(e.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Code", "ServiceException"),
                             err.get("Message", "")).response()
        headers = {"content-type": "application/json", "x-amzn-RequestId": result.request_id,
                   "X-Amz-Executed-Version": "$LATEST"}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if req.headers.get("X-Amz-Log-Type") == "Tail":
            headers["X-Amz-Log-Result"] = result.log_result
        return 200, headers, result.payload

    def _before_cold_start(self, spec: Any) -> None:
        """Lambda fetches the image again for a new environment: if its digest left ECR, the function fails."""
        digest = self.states.digest(spec.region, spec.name)
        if digest and not self.states.image_exists(spec.region, spec.image_uri, digest):
            self.states.fail(spec.region, spec.name, "ImageDeleted",
                             f"The function is trying to use a deleted image ({digest} is no longer in ECR).")
            self.log(f"{spec.name}: image {digest} was deleted from ECR: function Failed (ImageDeleted)")
            self.states.check_invocable(spec.region, spec.name)
        rec = find_image(spec.image_uri)
        if rec is not None and rec.architecture != spec.architecture:  # Lambda starts it and fails: exec format
            raise InitFailed("Runtime.InvalidEntrypoint", "fork/exec /lambda-entrypoint.sh: exec format error")

    def _run_quietly(self, spec: Any, payload: bytes) -> None:
        try:
            self.run_function(spec, payload)
        except Throttled as e:  # Lambda would queue and retry it; the local Lambda drops it and says so
            self.log(f"async invoke of {spec.name} throttled ({e.reason}): dropped")
        except Exception as e:  # an Event invocation has no caller to tell
            self.log(f"async invoke of {spec.name} failed: {e}")

    # --- lifecycle
    def serve(self) -> None:
        for srv in (self.front, self.api):
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        info = StackInfo(pid=os.getpid(), endpoint_port=self.front.server_port, api_port=self.api.server_port)
        remember_endpoint(self.endpoint)
        write_json(info_path(), asdict(info))
        self.log(f"local stack pid {info.pid}: endpoint {info.endpoint}, HTTP APIs {info.api_endpoint}, "
                 f"idle timeout {self.idle_seconds:.0f} s")
        region = os.environ.get("KIT_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.pool.submit(lambda: [self.client(s, region) for s in ("lambda", "logs", "apigatewayv2")])  # warm-up
        while not self.stopping.wait(min(5.0, self.idle_seconds / 4)):
            if (time.monotonic() - self.last_activity > self.idle_seconds and not self.lam.busy()
                    and not self.sagemaker.runtime.busy()):
                self.log("idle timeout: stopping")
                break
            if stopped := self.lam.stop_idle(INSTANCE_IDLE_SECONDS):
                self.log(f"stopped {stopped} function instance(s) idle for {INSTANCE_IDLE_SECONDS:.0f} s")
        self.shutdown()

    def shutdown(self) -> None:
        self.lam.stop_all()
        self.sagemaker.runtime.stop_all()
        for srv in (self.front, self.api):
            srv.shutdown()
        self.pool.shutdown(wait=False, cancel_futures=True)
        info = read_info()
        if info and info.pid == os.getpid():
            info_path().unlink(missing_ok=True)
        self.log("stopped")



def serve(endpoint_port: int = 0, api_port: int = 0) -> None:
    """Run the stack in this process until SIGTERM/SIGINT or the idle timeout."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # so AWSLambdaBasicExecutionRole can be attached
    os.environ["MOTO_LAMBDA_STUB_ECR"] = "false"  # an image function needs its image in the emulated ECR
    # PutFunctionConcurrency checks the reservation against the account's quota, as Lambda does
    os.environ["MOTO_LAMBDA_CONCURRENCY_QUOTA"] = str(account_concurrency())
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)  # never touch real credentials
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = Server(endpoint_port, api_port, idle_seconds())
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: server.stopping.set())
    server.serve()


if __name__ == "__main__":
    serve(*(int(a) for a in sys.argv[1:3]))
