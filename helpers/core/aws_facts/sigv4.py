"""The region and service a request was signed for, read from its Signature Version 4 `Authorization` header
(AWS General Reference, "Signature Version 4": the credential scope is `KEY/DATE/REGION/SERVICE/aws4_request`)."""
from __future__ import annotations

import re

_SCOPE = re.compile(r"Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/")
UNSIGNED_REGION = "us-east-1"  # what the emulator assumes for an unsigned request


def signed_scope(authorization: str) -> tuple[str, str] | None:
    """(region, service) of a SigV4 `Authorization` header, or None when the request is not signed so."""
    m = _SCOPE.search(authorization)
    return (m.group("region"), m.group("service")) if m else None


def signed_region(authorization: str) -> str:
    """The region a request was signed for (UNSIGNED_REGION when it is not signed)."""
    scope = signed_scope(authorization)
    return scope[0] if scope else UNSIGNED_REGION


def signed_key(authorization: str) -> str | None:
    """The access key id a request was signed with (the credential scope's first part), or None."""
    m = _SCOPE.search(authorization)
    return m.group("key") if m else None
