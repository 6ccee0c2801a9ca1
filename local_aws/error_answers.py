"""One error base class for every emulated service: an AWS-shaped error answer (status, code, message).

AWS's JSON protocols carry the error code in the `x-amzn-ErrorType` header; the JSON 1.1 services (ECR, CloudWatch
Logs) also put it in the body as `__type`; the message key and extra fields are the service's own (botocore's
parsers read them so: botocore/parsers.py, BaseJSONParser._do_error_parse). A service raises its subclass; the
front renders it with `response()` (status, headers, body) or `respond()` (WSGI). No error body is built by hand.
"""
from __future__ import annotations

import json
from typing import Any, ClassVar

from local_aws.front.wsgi import respond


class AwsError(Exception):
    """An error answer: HTTP status, error code, message and extra body fields, in the service's JSON dialect."""

    code_in_body: ClassVar[bool] = False  # JSON 1.1 services also write `__type` in the body
    message_key: ClassVar[str] = "message"
    body_fields: ClassVar[dict[str, Any]] = {}  # fields every error of the service carries

    def __init__(self, status: int, code: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields

    def body(self) -> dict[str, Any]:
        """The JSON body, as the service writes it."""
        return {**({"__type": self.code} if self.code_in_body else {}), **self.body_fields,
                self.message_key: self.message, **self.fields}

    def response(self) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) of the answer."""
        return (self.status, {"content-type": self.content_type(), "x-amzn-ErrorType": self.code},
                json.dumps(self.body()).encode())

    def content_type(self) -> str:
        return "application/x-amz-json-1.1" if self.code_in_body else "application/json"

    def respond(self, start_response: Any) -> Any:
        """The answer as a WSGI response."""
        return respond(start_response, *self.response())


class LambdaError(AwsError):
    """Lambda (REST-JSON): `{"Type": "User", "message": ...}`."""

    body_fields = {"Type": "User"}


class SageMakerError(AwsError):
    """SageMaker and its runtime: `{"Message": ...}` (and the runtime's ModelError fields)."""

    message_key = "Message"


class EcrError(AwsError):
    """ECR (JSON 1.1): `{"__type": code, "message": ...}`."""

    code_in_body = True


class ApiGatewayError(AwsError):
    """API Gateway's control plane (REST-JSON): `{"message": ...}`."""


class KitApiError(AwsError):
    """The stack's own endpoints (/_kit/...), in the same shape."""
