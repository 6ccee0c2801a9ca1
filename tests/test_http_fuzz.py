"""Property tests through the local HTTP API (issue 13): whatever a client sends to the deployed API, it gets an
answer below 500, as AWS would give it.

The translator (the real lambda_app handler, slim runtime, a random-init model) is deployed by the kit's own
`deploy()` onto a local stack; Hypothesis then sends it request bodies - random bytes, random JSON, deep nesting,
huge numbers, odd strings, batches - with assorted content types, methods and paths, through the local HTTP API
(local_aws/apigateway/gateway.py: routing, payload 2.0 events, the function, result mapping). The stage's throttle is
raised for the run, so every request reaches the function. Derandomized; the last test prints the count.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from helpers import deploy
from helpers.aws import client
from helpers.core.config import get_config
from helpers.core.state import save_state
from local_aws.ecr.images import ImageRecord, register_image
from test_handler_fuzz import FRENCH, JSON_VALUES, ODD_TEXT, dumps, fuzz
from test_local_stack import push_test_image

SENT: Counter[str] = Counter()  # requests sent, per property
STATUSES: Counter[int] = Counter()
PROPERTIES = {"bytes", "json", "nesting", "numbers", "strings", "requests"}
STARTED: list[float] = []
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                 "application/octet-stream", "application/x-www-form-urlencoded", "", "image/png"])


@pytest.fixture(scope="module")
def api(local_stack, untrained_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The kit's deployment of the translator on the local stack; the stage without its throttle for the run."""
    from benchmarks.task_roots import dev_task_root

    root = dev_task_root("slim", untrained_model_dir, tmp_path_factory.mktemp("task-root"))
    uri = push_test_image("ltk-translator", "slim-fuzz", register=False)
    register_image(ImageRecord(uri=uri, digest=client("ecr").describe_images(
        repositoryName="ltk-translator", imageIds=[{"imageTag": "slim-fuzz"}])["imageDetails"][0]["imageDigest"],
        handler=root.handler, task_root=str(root.path)))
    save_state(image_uris={"slim": uri})
    d = deploy.deploy(get_config())
    gw = client("apigatewayv2")  # the emulator has no UpdateStage: the same stage, without the tight throttle
    gw.delete_stage(ApiId=d.api.api_id, StageName="$default")
    gw.create_stage(ApiId=d.api.api_id, StageName="$default", AutoDeploy=True,
                    DefaultRouteSettings={"ThrottlingBurstLimit": 5000, "ThrottlingRateLimit": 10000.0})
    STARTED.append(time.perf_counter())
    return {"url": d.url, "session": requests.Session()}


def send(api: dict[str, Any], prop: str, body: bytes | None, content_type: str = "application/json",
         method: str = "POST", path: str = "/translate") -> None:
    """One request through the HTTP API: never a 5xx, and always a JSON answer."""
    headers = {"Content-Type": content_type} if content_type else {}
    resp = api["session"].request(method, api["url"] + path, data=body, headers=headers, timeout=60)
    SENT[prop] += 1
    STATUSES[resp.status_code] += 1
    assert resp.status_code < 500, (method, path, body[:200] if body else body, resp.status_code, resp.text[:300])
    if resp.headers.get("content-type", "").startswith("text/html"):  # GET /: the demo page
        assert method == "GET" and resp.status_code == 200
    elif method != "HEAD":
        assert isinstance(resp.json(), dict), resp.text[:300]


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # lone surrogates go out as the (invalid) bytes they are


@fuzz(600)
@given(body=st.binary(max_size=400), content_type=CONTENT_TYPES)
def test_random_bytes(api, body: bytes, content_type: str) -> None:
    send(api, "bytes", body, content_type)


@fuzz(800)
@given(value=JSON_VALUES, wrap=st.sampled_from(["bare", "sentence", "sentences"]), ascii_only=st.booleans())
def test_random_json(api, value: Any, wrap: str, ascii_only: bool) -> None:
    send(api, "json", utf8(dumps(value if wrap == "bare" else {wrap: value}, ascii_only)))


@fuzz(150)
@given(depth=st.integers(1, 20_000), opener=st.sampled_from(["[", '{"a": ', '{"sentence": ', '{"sentences": [']),
       closed=st.booleans())
def test_deep_nesting(api, depth: int, opener: str, closed: bool) -> None:
    closer = {"[": "]", '{"sentences": [': "]}"}.get(opener, "}")
    send(api, "nesting", (opener * depth + "1" + (closer * depth if closed else "")).encode())


@fuzz(250)
@given(digits=st.integers(1, 12_000), tail=st.sampled_from(["", ".5", "e5", "E-400", "e99999"]),
       place=st.sampled_from(["{}", '{{"sentence": {}}}', '{{"sentences": [{}, "chat"]}}', "[{}]"]))
def test_huge_numbers(api, digits: int, tail: str, place: str) -> None:
    send(api, "numbers", place.format("7" * digits + tail).encode())


@fuzz(800)
@given(text=ODD_TEXT, batch=st.lists(st.one_of(ODD_TEXT, st.sampled_from(FRENCH), st.integers()), max_size=40),
       as_batch=st.booleans(), ascii_only=st.booleans())
def test_odd_strings_and_batches(api, text: str, batch: list[Any], as_batch: bool, ascii_only: bool) -> None:
    send(api, "strings", utf8(dumps({"sentences": batch} if as_batch else {"sentence": text}, ascii_only)))


@fuzz(400)
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
       path=st.one_of(st.sampled_from(["/translate", "/health", "/", "/translate/", "/health/x", "//translate"]),
                      ODD_TEXT.map(lambda t: "/" + quote(utf8(t), safe="/"))),
       body=st.one_of(st.none(), st.binary(max_size=100)), content_type=CONTENT_TYPES)
def test_any_request(api, method: str, path: str, body: bytes | None, content_type: str) -> None:
    send(api, "requests", body, content_type, method, path)


def test_http_fuzz_total(capsys: pytest.CaptureFixture[str]) -> None:
    """How many requests went through the HTTP API (skipped when only some properties ran)."""
    if set(SENT) != PROPERTIES:
        pytest.skip(f"only {sorted(SENT)} ran; run the whole module for the total")
    total, seconds = sum(SENT.values()), time.perf_counter() - STARTED[0]
    with capsys.disabled():
        print(f"\nhttp fuzz: {total} requests through the local HTTP API in {seconds:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in sorted(SENT.items()))
              + "; statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(STATUSES.items())))
    assert total >= 3_000 and set(STATUSES) <= set(range(200, 500))
