"""template.yaml, the deployment as a SAM template: read as data and checked against what 03 creates.

`drift()` lists every name and number that template.yaml and helpers/deploy/settings.py (with role.py and the
build's spec) should share but do not; tests/test_sam_template.py asserts there is none. `resources()` lists what
the stack creates, named with the template's default prefix.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

from helpers.build.base_image import AWS_BASE
from helpers.core.aws_facts.account import ACCOUNT_ID
from helpers.build.image_spec import DOCKERFILE, RUNTIMES, base_spec
from helpers.core.config import KitConfig, get_config
from helpers.core.paths import REPO_ROOT
from helpers.deploy.role import LOG_POLICY_NAME, LAMBDA_TRUST_POLICY, log_policy
from helpers.deploy.settings import (CORS, INTEGRATION_TIMEOUT_MS, LOG_RETENTION_DAYS, FUNCTION_MEMORY_MB,
                                     RESERVED_CONCURRENCY, ROUTES, STAGE, THROTTLING, TIMEOUT_S, api_name,
                                     function_name, function_log_group, role_name)

TEMPLATE = REPO_ROOT / "template.yaml"
ARCH = "x86_64"  # 02_build_image builds linux/amd64 images; the template's functions run them
KIT_DEFAULTS = KitConfig(target="local")  # the notebooks' default prefix and runtime
ACCOUNT = ACCOUNT_ID  # any account: names and policies are compared with it in place of AWS::AccountId
RESERVE = {"Fn::If": ["Reserve", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as data; CloudFormation's short tags become their long form (`!Ref X` -> {"Ref": "X"})."""
    return yaml_parse(Path(path).read_text())


def function_id(runtime: str) -> str:
    """The logical id of a runtime's function in template.yaml, e.g. `TranslatorSlim`."""
    return f"Translator{runtime.capitalize()}"


def default_context(runtime: str, base_image: str = AWS_BASE) -> str:
    """The build context template.yaml points `sam build` at: the one helpers.build.staging stages in `.kit/`."""
    return f".kit/build/{runtime}-{ARCH}-{base_spec(base_image).abi}/context"


def resolve(value: Any, names: dict[str, str]) -> Any:
    """`value` with `Ref` and `Fn::Sub` of `names` (parameters, logical ids, pseudo parameters) replaced."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and arg in names:
            return names[arg]
        if key == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([\w:]+)\}", lambda m: names.get(m.group(1), m.group(0)), arg)
    if isinstance(value, dict):
        return {k: resolve(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, names) for v in value]
    return value


def _config(prefix: str) -> KitConfig:
    """The notebooks' config for `prefix` (names and tags exactly as 03 makes them)."""
    return get_config(target="local", region="us-east-1", prefix=prefix, runtime=KIT_DEFAULTS.runtime)


def _names(prefix: str) -> dict[str, str]:
    cfg = _config(prefix)
    return {"Prefix": prefix, "AWS::Partition": "aws", "AWS::Region": cfg.region, "AWS::AccountId": ACCOUNT,
            "TranslatorApi": "API_ID", "TranslatorIntegration": "INTEGRATION_ID",
            **{function_id(rt): function_name(cfg, rt) for rt in RUNTIMES}}


def _expected(prefix: str) -> dict[str, dict[str, Any]]:
    """What 03 creates, in template terms: {logical id: {property: value}} (values compared after resolve)."""
    cfg = _config(prefix)
    tag_list = [{"Key": k, "Value": v} for k, v in cfg.tags.items()]
    integration = "integrations/INTEGRATION_ID"
    want: dict[str, dict[str, Any]] = {
        "TranslatorRole": {"RoleName": role_name(cfg), "AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY,
                           "Tags": tag_list,
                           "Policies": [{"PolicyName": LOG_POLICY_NAME, "PolicyDocument": log_policy(cfg, ACCOUNT)}]},
        "TranslatorApi": {"Name": api_name(cfg), "ProtocolType": "HTTP", "CorsConfiguration": CORS, "Tags": cfg.tags},
        "TranslatorIntegration": {
            "ApiId": "API_ID", "IntegrationType": "AWS_PROXY", "IntegrationMethod": "POST",
            "PayloadFormatVersion": "2.0", "TimeoutInMillis": INTEGRATION_TIMEOUT_MS,
            "IntegrationUri": {"Fn::If": ["ServeTorch", {"Fn::GetAtt": [function_id("torch"), "Arn"]},
                                          {"Fn::GetAtt": [function_id("slim"), "Arn"]}]}},
        "DefaultStage": {"ApiId": "API_ID", "StageName": STAGE, "AutoDeploy": True,
                         "DefaultRouteSettings": THROTTLING, "Tags": cfg.tags},
        "ApiInvokePermission": {
            "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com",
            "FunctionName": {"Fn::If": ["ServeTorch", function_name(cfg, "torch"), function_name(cfg, "slim")]},
            "SourceArn": f"arn:aws:execute-api:{cfg.region}:{ACCOUNT}:API_ID/*/*"},
    }
    for rt in RUNTIMES:
        want[function_id(rt)] = {
            "FunctionName": function_name(cfg, rt), "PackageType": "Image", "Architectures": [ARCH],
            "MemorySize": FUNCTION_MEMORY_MB[rt], "Timeout": TIMEOUT_S, "ReservedConcurrentExecutions": RESERVE,
            "Role": {"Fn::GetAtt": ["TranslatorRole", "Arn"]}, "Tags": cfg.tags,
            "Environment": {"Variables": {"MODEL_RUNTIME": rt}}, "DependsOn": f"{function_id(rt)}Logs",
            "Metadata": {"DockerContext": default_context(rt), "Dockerfile": DOCKERFILE.name, "DockerTag": rt,
                         "DockerBuildArgs": {"RUNTIME": rt, "BASE_IMAGE": AWS_BASE}}}
        want[f"{function_id(rt)}Logs"] = {"LogGroupName": function_log_group(function_name(cfg, rt)),
                                          "RetentionInDays": LOG_RETENTION_DAYS, "Tags": tag_list}
    return want


def _properties(tpl: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """A resource's properties as deployed: SAM's Globals for functions, then its own; its Metadata and DependsOn."""
    res = tpl["Resources"][logical_id]
    props = dict(res.get("Properties") or {})
    if res.get("Type") == "AWS::Serverless::Function":
        props = {**tpl.get("Globals", {}).get("Function", {}), **props, "Metadata": res.get("Metadata"),
                 "DependsOn": res.get("DependsOn")}
    return props


def _parameter_drift(params: dict[str, Any]) -> list[str]:
    out = []
    prefix = str(params.get("Prefix", {}).get("Default", ""))
    if prefix == KIT_DEFAULTS.prefix or prefix.startswith(f"{KIT_DEFAULTS.prefix}-"):
        out.append(f"Parameters.Prefix: default {prefix!r} would share names with the notebooks' prefix "
                   f"{KIT_DEFAULTS.prefix!r} (04_cleanup deletes every `{KIT_DEFAULTS.prefix}-*` name)")
    if not re.fullmatch(str(params.get("Prefix", {}).get("AllowedPattern", "")), prefix):
        out.append(f"Parameters.Prefix: default {prefix!r} does not match its AllowedPattern")
    runtime = params.get("Runtime", {})
    if sorted(runtime.get("AllowedValues", [])) != sorted(RUNTIMES) or runtime.get("Default") != KIT_DEFAULTS.runtime:
        out.append(f"Parameters.Runtime: allowed {runtime.get('AllowedValues')} default {runtime.get('Default')!r}, "
                   f"the notebooks use {list(RUNTIMES)} default {KIT_DEFAULTS.runtime!r}")
    if params.get("ReservedConcurrency", {}).get("Default") != RESERVED_CONCURRENCY:
        out.append(f"Parameters.ReservedConcurrency: default {params.get('ReservedConcurrency', {}).get('Default')}, "
                   f"settings.py has {RESERVED_CONCURRENCY}")
    return out


def drift(tpl: dict[str, Any] | None = None) -> list[str]:
    """Every difference between the template and what 03 creates (names, sizes, limits, routes, tags); [] if none."""
    tpl = tpl if tpl is not None else load_template()
    resources, prefix = tpl.get("Resources", {}), "pfx"
    names = _names(prefix)
    out = _parameter_drift(tpl.get("Parameters", {}))
    for logical_id, want in _expected(prefix).items():
        if logical_id not in resources:
            out.append(f"{logical_id}: missing from the template")
            continue
        got = resolve(_properties(tpl, logical_id), names)
        out += [f"{logical_id}.{key}: template has {got.get(key)!r}, 03 uses {value!r}"
                for key, value in want.items() if got.get(key) != value]
    routes = {logical_id: resolve(r.get("Properties", {}), names) for logical_id, r in resources.items()
              if r.get("Type") == "AWS::ApiGatewayV2::Route"}
    keys = sorted(p.get("RouteKey", "") for p in routes.values())
    if keys != sorted(ROUTES):
        out.append(f"routes: template has {keys}, settings.py has {sorted(ROUTES)}")
    out += [f"{logical_id}: its target is {p.get('Target')!r}, not the API's integration"
            for logical_id, p in routes.items() if p.get("Target") != "integrations/INTEGRATION_ID"]
    kinds = Counter(r.get("Type") for r in resources.values())
    want_kinds = Counter({"AWS::IAM::Role": 1, "AWS::Serverless::Function": len(RUNTIMES),
                          "AWS::Logs::LogGroup": len(RUNTIMES), "AWS::ApiGatewayV2::Api": 1,
                          "AWS::ApiGatewayV2::Integration": 1, "AWS::ApiGatewayV2::Route": len(ROUTES),
                          "AWS::ApiGatewayV2::Stage": 1, "AWS::Lambda::Permission": 1})
    if kinds != want_kinds:
        out.append(f"resource kinds: template has {dict(kinds)}, 03 creates {dict(want_kinds)}")
    return out


def excerpt(logical_id: str, path: Path = TEMPLATE) -> str:
    """The lines of template.yaml that define one resource (its comments above it excluded)."""
    lines = Path(path).read_text().splitlines()
    start = lines.index(f"  {logical_id}:")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  ") and lines[i][2] not in " #"
                or (lines[i] and not lines[i].startswith(" "))), len(lines))
    while lines[end - 1].strip() == "" or lines[end - 1].lstrip().startswith("#"):
        end -= 1
    return "\n".join(lines[start:end])


def resources(tpl: dict[str, Any] | None = None, prefix: str | None = None) -> list[dict[str, str]]:
    """Rows (logical id, type, name) of what the stack creates, named with `prefix` (default: the template's)."""
    tpl = tpl if tpl is not None else load_template()
    prefix = prefix or str(tpl["Parameters"]["Prefix"]["Default"])
    names = _names(prefix)
    keys = ("FunctionName", "RoleName", "LogGroupName", "Name", "RouteKey", "StageName")
    rows = []
    for logical_id, res in tpl["Resources"].items():
        props = resolve(res.get("Properties") or {}, names)
        name = next((props[k] for k in keys if isinstance(props.get(k), str)), "")
        rows.append({"resource": logical_id, "type": res["Type"], "name": name})
    return rows
