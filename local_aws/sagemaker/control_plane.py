"""SageMaker on the local target: moto's control plane, made to answer as AWS does, plus the runtime API.

moto 5.2 keeps models, endpoint configs and endpoints, but it returns empty objects AWS omits (`"VpcConfig": {}`,
which the sagemaker SDK's validation rejects), overwrites on a second Create*, has no UpdateEndpoint, puts an endpoint
InService at once (it never fails) and answers InvokeEndpoint with a fixed b'body'. This WSGI hook sits in front of it
on the stack's front endpoint (front/server.py routes SageMaker calls here):

- CreateModel, CreateEndpointConfig, CreateEndpoint refuse an existing name ("Cannot create already existing ...");
  CreateModel needs an execution role that exists and trusts sagemaker.amazonaws.com; a serverless config needs
  1024-6144 MB in 1 GB steps and a max concurrency of 1-200 (the API's documented ranges).
- CreateEndpoint and UpdateEndpoint (added here) pass through Creating / Updating while the endpoint is provisioned as
  SageMaker does it: the execution role must allow pulling the image from ECR, and the image's serve mode must answer
  GET /ping. A failed check leaves a new endpoint Failed, an updated one on its old configuration (InService), each
  with a FailureReason. A successful update retires the warm instance, so the next call is a cold start.
- Describe* answers drop empty objects; DeleteEndpoint stops the endpoint's instance.
- POST /endpoints/{name}/invocations (the runtime API) is answered by sagemaker_runtime.py.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

from helpers.core.errors import KitError
from local_aws.front.wsgi import call_wsgi, peek_body, respond
from helpers.core.aws_facts.account import ACCOUNT_ID
from helpers.core.aws_facts.iam_match import allows, statements
from helpers.core.aws_facts.image_uri import parse_image_uri
from helpers.core.aws_facts.sigv4 import signed_region
from local_aws.error_answers import SageMakerError
from local_aws.sagemaker.invoke_endpoint import SageMakerRuntime, ServeSpec

_INVOKE = re.compile(r"^/endpoints/(?P<name>[^/]+)/invocations$")
_DESCRIBES = {"DescribeModel", "DescribeEndpointConfig", "DescribeEndpoint"}
_HANDLED = {"CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint", "DeleteEndpoint", *_DESCRIBES}
PULL_ACTIONS = ("ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
# SageMaker takes minutes to provision an endpoint, so a DescribeEndpoint right after CreateEndpoint sees Creating;
# a check that fails at once (a role that cannot pull) must not turn it Failed before that describe can arrive.
MIN_CREATING_S = 1.0


def _strip_empty(value: Any) -> Any:
    """`value` without empty objects at any depth (AWS omits unset structures; moto sends `{}`)."""
    if isinstance(value, dict):
        return {k: _strip_empty(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [_strip_empty(v) for v in value]
    return value


class SageMakerApi:
    """The SageMaker calls the front endpoint answers itself (or corrects), before or after moto."""

    def __init__(self, client: Callable[[str, str], Any], background: Callable[[Callable[[], None]], Any]) -> None:
        """`client(service, region)` gives a boto3 client on the stack; `background(fn)` runs fn off the request."""
        self._client, self._background = client, background
        self.runtime = SageMakerRuntime(client, background)
        self._serving: dict[tuple[str, str], ServeSpec] = {}  # what each endpoint was provisioned with

    # --- routing
    @staticmethod
    def operation(environ: dict[str, Any]) -> str | None:
        """The SageMaker operation this request is, when this module handles it; else None."""
        if _INVOKE.match(environ.get("PATH_INFO", "")) and environ.get("REQUEST_METHOD") == "POST":
            return "InvokeEndpoint"
        service, _, op = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        return op if service == "SageMaker" and op in _HANDLED else None

    def app(self, environ: dict[str, Any], start_response: Any, moto: Any) -> Any:
        """Answer one request routed here (`operation(environ)` is not None); `moto` is the moto WSGI app."""
        region, op = signed_region(environ.get("HTTP_AUTHORIZATION", "")), self.operation(environ)
        body = peek_body(environ)
        try:
            if op == "InvokeEndpoint":
                name = _INVOKE.match(environ["PATH_INFO"]).group("name")  # type: ignore[union-attr]
                headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
                if environ.get("CONTENT_TYPE"):
                    headers["content-type"] = environ["CONTENT_TYPE"]
                status, out_headers, out = self.invoke(region, name, body, headers)
                return respond(start_response, status, out_headers, out)
            try:
                request = json.loads(body or b"{}")
                getattr(self, f"_before_{op}", lambda *_: None)(region, request)
            except (ValueError, TypeError, AttributeError) as e:  # a malformed request: the client's, never a 5xx
                raise SageMakerError(400, "ValidationException", f"The request is not valid for {op}: {e}.") from None
            status, out_headers, out = call_wsgi(moto, environ) if op != "UpdateEndpoint" else \
                self._update_endpoint(region, request)
            if status == 200:
                out = getattr(self, f"_after_{op}", lambda _r, _q, o: o)(region, request, out)
        except SageMakerError as e:
            status, out_headers, out = e.response()
        return respond(start_response, status, out_headers, out)

    # --- moto's state (its backend: the stack runs moto in this process)
    @staticmethod
    def backend(region: str) -> Any:
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[ACCOUNT_ID][region]

    @staticmethod
    def _arn(region: str, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:{kind}/{name.lower()}"

    def spec(self, region: str, endpoint: str, config_name: str) -> tuple[ServeSpec, str]:
        """The serve instance `config_name` describes for `endpoint`, and the model's execution role."""
        backend = self.backend(region)
        variant = backend.endpoint_configs[config_name].production_variants[0]
        model = backend.describe_model(variant["ModelName"])
        container = model.primary_container or {}
        memory = int((variant.get("ServerlessConfig") or {}).get("MemorySizeInMB") or 0)
        env = tuple(sorted((container.get("Environment") or {}).items()))
        return ServeSpec(endpoint, region, variant["VariantName"], container.get("Image", ""), env, memory), \
            model.execution_role_arn

    # --- control plane
    def _refuse_existing(self, region: str, kind: str, label: str, name: str, existing: Any) -> None:
        if name in existing:
            raise SageMakerError(400, "ValidationException",
                                f"Cannot create already existing {label} \"{self._arn(region, kind, name)}\".")

    def _before_CreateModel(self, region: str, req: dict[str, Any]) -> None:
        self._refuse_existing(region, "model", "model", req.get("ModelName", ""), self.backend(region)._models)
        role_arn = req.get("ExecutionRoleArn", "")
        trusted = False
        try:
            doc = self._client("iam", region).get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
            trusted = doc["Arn"] == role_arn and allows([doc["AssumeRolePolicyDocument"]], "sts:AssumeRole", "*") \
                and any("sagemaker.amazonaws.com" in json.dumps(st.get("Principal", {}))
                        for st in statements(doc["AssumeRolePolicyDocument"]))
        except Exception:  # NoSuchEntity (or a malformed ARN): the same answer as AWS's
            trusted = False
        if not trusted:
            raise SageMakerError(400, "ValidationException", f"Could not assume role {role_arn}. Please ensure that "
                                "the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.")

    def _before_CreateEndpointConfig(self, region: str, req: dict[str, Any]) -> None:
        self._refuse_existing(region, "endpoint-config", "endpoint configuration", req.get("EndpointConfigName", ""),
                              self.backend(region).endpoint_configs)
        for variant in req.get("ProductionVariants", []):
            sls = variant.get("ServerlessConfig")
            if sls and sls.get("MemorySizeInMB") not in SERVERLESS_MEMORY_MB:
                raise SageMakerError(400, "ValidationException", f"MemorySizeInMB {sls.get('MemorySizeInMB')} is not "
                                    "valid for a serverless endpoint: use 1024, 2048, 3072, 4096, 5120 or 6144.")
            if sls and not 1 <= int(sls.get("MaxConcurrency", 0)) <= 200:
                raise SageMakerError(400, "ValidationException", f"MaxConcurrency {sls.get('MaxConcurrency')} is "
                                    "not valid for a serverless endpoint: use 1 to 200.")

    def _before_CreateEndpoint(self, region: str, req: dict[str, Any]) -> None:
        self._refuse_existing(region, "endpoint", "endpoint", req.get("EndpointName", ""),
                              self.backend(region).endpoints)

    def _after_CreateEndpoint(self, region: str, req: dict[str, Any], out: bytes) -> bytes:
        name, config = req["EndpointName"], req["EndpointConfigName"]
        endpoint = self.backend(region).endpoints[name]
        endpoint.endpoint_status = "Creating"
        created = time.monotonic()

        def provision() -> None:
            spec, reason = self.check(region, name, config)
            time.sleep(max(0.0, created + MIN_CREATING_S - time.monotonic()))
            if self.backend(region).endpoints.get(name) is endpoint:
                if spec is not None:
                    self._serving[(region, name)] = spec
                endpoint.failure_reason = reason
                endpoint.endpoint_status = "Failed" if reason else "InService"

        self._background(provision)
        return out

    def _update_endpoint(self, region: str, req: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        name, config = req.get("EndpointName", ""), req.get("EndpointConfigName", "")
        backend = self.backend(region)
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise SageMakerError(400, "ValidationException",
                                f"Could not find endpoint \"{self._arn(region, 'endpoint', name)}\".")
        if endpoint.endpoint_status != "InService":
            raise SageMakerError(400, "ValidationException", f"Cannot update in-progress endpoint \"{endpoint.arn}\".")
        if config not in backend.endpoint_configs:
            raise SageMakerError(400, "ValidationException", "Could not find endpoint configuration "
                                f"\"{self._arn(region, 'endpoint-config', config)}\".")
        endpoint.endpoint_status = "Updating"
        variants = backend.endpoint_configs[config].production_variants

        def provision() -> None:
            spec, reason = self.check(region, name, config)
            if backend.endpoints.get(name) is not endpoint:
                return
            if spec is not None:
                endpoint.endpoint_config_name, endpoint.failure_reason = config, None
                endpoint.production_variants = endpoint._process_production_variants(variants)
                self._serving[(region, name)] = spec
                self.runtime.retire(region, name)
            else:
                endpoint.failure_reason = reason
            endpoint.endpoint_status = "InService"

        self._background(provision)
        return 200, {"content-type": "application/x-amz-json-1.1"}, json.dumps({"EndpointArn": endpoint.arn}).encode()

    def _after_DeleteEndpoint(self, region: str, req: dict[str, Any], out: bytes) -> bytes:
        self._serving.pop((region, req.get("EndpointName", "")), None)
        self.runtime.retire(region, req.get("EndpointName", ""))
        return out

    def _after_DescribeModel(self, region: str, req: dict[str, Any], out: bytes) -> bytes:
        return json.dumps(_strip_empty(json.loads(out))).encode()

    _after_DescribeEndpointConfig = _after_DescribeModel
    _after_DescribeEndpoint = _after_DescribeModel

    def check(self, region: str, endpoint: str, config: str) -> tuple[ServeSpec | None, str | None]:
        """Provision `config` for `endpoint` as SageMaker does (pull, start, /ping): (what it serves, None) if that
        works, else (None, why not)."""
        try:
            spec, role_arn = self.spec(region, endpoint, config)
        except KeyError as e:
            return None, f"The endpoint configuration or its model no longer exists ({e})."
        if missing := self.pull_denied(region, role_arn, spec.image_uri):
            return None, (f"The execution role {role_arn} does not allow {', '.join(missing)}, so SageMaker could not "
                          f"pull the image {spec.image_uri}.")
        try:
            inst, _ = self.runtime.start(spec)
        except KitError as e:
            return None, str(e)
        inst.stop()
        return spec, None

    def pull_denied(self, region: str, role_arn: str, image_uri: str) -> list[str]:
        """The ECR actions the role's policies do not allow for pulling `image_uri` (empty: it may pull)."""
        iam, role = self._client("iam", region), role_arn.rsplit("/", 1)[-1]
        docs: list[Any] = [iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]
                           for p in iam.list_role_policies(RoleName=role)["PolicyNames"]]
        for att in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=att["PolicyArn"])["Policy"]["DefaultVersionId"]
            docs.append(iam.get_policy_version(PolicyArn=att["PolicyArn"],
                                               VersionId=version)["PolicyVersion"]["Document"])
        ref = parse_image_uri(image_uri)
        account, repo_region = ref.ecr_account_region or (ACCOUNT_ID, region)
        repo_arn = f"arn:aws:ecr:{repo_region}:{account}:repository/{ref.repository}"
        return [a for a in PULL_ACTIONS if not allows(docs, a, "*" if a == "ecr:GetAuthorizationToken" else repo_arn)]

    # --- runtime
    def invoke(self, region: str, name: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """InvokeEndpoint: an InService (or Updating) endpoint's model answers, as provisioned (deleting its model or
        config afterwards does not stop it, as on AWS); anything else is a ValidationError."""
        endpoint = self.backend(region).endpoints.get(name)
        spec = self._serving.get((region, name))
        if endpoint is None or endpoint.endpoint_status not in ("InService", "Updating") or spec is None:
            return SageMakerError(400, "ValidationError",
                                 f"Endpoint {name} of account {ACCOUNT_ID} not found.").response()
        return self.runtime.invoke(spec, body, headers)
