"""Operations the kit calls that moto 5.2 does not implement, answered on moto's own in-process state.

- API Gateway v2 `UpdateStage` (moto raises NotImplementedError, a 500): the kit updates the `$default` stage's
  throttling and auto-deploy when they drifted, so the emulator must take the update as API Gateway does.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from local_aws.front.wsgi import respond
from local_aws.error_answers import ApiGatewayError

_STAGE = re.compile(r"^/v2/apis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)$")
_FIELDS = {"autoDeploy": "auto_deploy", "defaultRouteSettings": "default_route_settings", "description": "description",
           "routeSettings": "route_settings", "stageVariables": "stage_variables",
           "accessLogSettings": "access_log_settings", "clientCertificateId": "client_certificate_id"}


def update_stage(environ: dict, start_response: Any, region: str, account: str) -> Any | None:
    """Answer `PATCH /v2/apis/{api}/stages/{stage}` (UpdateStage); None for any other request."""
    m = _STAGE.match(environ.get("PATH_INFO", ""))
    if m is None or environ.get("REQUEST_METHOD") != "PATCH":
        return None
    from moto.apigatewayv2.models import apigatewayv2_backends

    json_type = {"content-type": "application/json"}
    try:
        stage = apigatewayv2_backends[account][region].get_stage(unquote(m["api"]), unquote(m["stage"]))
    except Exception:  # noqa: BLE001 - moto's NotFound variants
        return ApiGatewayError(404, "NotFoundException", "Invalid stage identifier specified").respond(start_response)
    try:
        doc = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except ValueError:
        return ApiGatewayError(400, "BadRequestException", "Invalid request body").respond(start_response)
    for key, attr in _FIELDS.items():
        if key in doc:
            value = doc[key]
            setattr(stage, attr, {**getattr(stage, attr), **value} if key == "defaultRouteSettings" else value)
    stage.updated = datetime.now()
    return respond(start_response, 200, json_type, json.dumps(stage.to_json()).encode())
