"""Property tests (issue 13): whatever a client sends, the handler answers 2xx or 4xx with a valid JSON body.

Hypothesis generates request bodies and events - random bytes, random JSON values, deep nesting, huge numbers,
strings with surrogates and invisible characters, batches of mixed types, base64 on and off, payload 2.0 and
1.0 events, direct invokes, and serve.py's `handle_request` - and runs them through a real (random-init, slim)
translator. Derandomized, so CI tries the same bodies every run; the last test prints how many were tried.
"""
from __future__ import annotations

import base64
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_app import app
from lambda_app.translator import load_translator

TRIED: dict[str, int] = {}  # bodies tried, per test
STATUSES: Counter[int] = Counter()
FUZZ_TESTS = {"random_bytes", "random_json", "deep_nesting", "huge_numbers", "odd_strings", "mixed_batches",
              "events", "serve_requests"}
STARTED: list[float] = []
SERVE_ROUTES = {"/ping": "/health", "/invocations": "/translate"}


def fuzz(examples: int) -> Any:
    """Reproducible settings for one property: `examples` bodies, no deadline, no example database."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", autouse=True)
def real_translator(untrained_model_dir: Path):
    """The slim runtime on a random-init model: real tokenizer, vocab and decoding loop; quiet request log."""
    level = app.log.level
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app, "_translator", load_translator(untrained_model_dir, "slim"))
        app.log.setLevel(logging.WARNING)
        STARTED.append(time.perf_counter())
        try:
            yield
        finally:
            app.log.setLevel(level)


# ---------------------------------------------------------------- what every answer must be


def _no_surrogates(doc: Any) -> None:
    if isinstance(doc, str):
        doc.encode("utf-8")
    elif isinstance(doc, list):
        for v in doc:
            _no_surrogates(v)
    elif isinstance(doc, dict):
        for k, v in doc.items():
            _no_surrogates(k)
            _no_surrogates(v)


def check_answer(test: str, status: int, headers: dict[str, str], body: str) -> None:
    """2xx or 4xx; a JSON object body (an error names it) that is valid UTF-8 throughout; or the demo page."""
    TRIED[test] = TRIED.get(test, 0) + 1
    STATUSES[status] += 1
    assert 200 <= status < 300 or 400 <= status < 500, (status, body)
    body.encode("utf-8")
    if headers["Content-Type"] != "application/json":
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        return
    doc = json.loads(body, parse_constant=lambda c: pytest.fail(f"{c} in a response"))
    _no_surrogates(doc)
    assert isinstance(doc, dict)
    if status >= 400:
        assert set(doc) == {"error"} and isinstance(doc["error"], str) and doc["error"]
    elif "fr" in doc:
        assert isinstance(doc["en"], str) and isinstance(doc["unknown"], list)
    elif "translations" in doc:
        assert all(isinstance(t["en"], str) and isinstance(t["unknown"], list) for t in doc["translations"])


def via_lambda(test: str, event: Any) -> None:
    resp = app.handler(event, None)
    json.dumps(resp, ensure_ascii=False).encode("utf-8")  # what the runtime serialises and sends
    check_answer(test, resp["statusCode"], resp["headers"], resp["body"])


def via_serve(test: str, method: str, path: str, body: bytes | str | None, b64: bool) -> None:
    resp = app.handle_request(method, path, body, b64, routes=SERVE_ROUTES)
    check_answer(test, resp.status, resp.headers, resp.body)


def send(test: str, body: str | bytes, how: str, b64: bool) -> None:
    """`body` as a POST /translate in one of the event formats (or serve.py's entry point)."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if how == "serve":
        via_serve(test, "POST", "/invocations", base64.b64encode(raw) if b64 else raw, b64)
        return
    text = base64.b64encode(raw).decode() if b64 else (body if isinstance(body, str)
                                                        else body.decode("utf-8", "surrogateescape"))
    if how == "v2":
        event = {"version": "2.0", "rawPath": "/translate", "body": text, "isBase64Encoded": b64,
                 "requestContext": {"http": {"method": "POST"}, "stage": "$default"}}
    else:
        event = {"httpMethod": "POST", "path": "/translate", "body": text, "isBase64Encoded": b64}
    via_lambda(test, event)


HOW = st.sampled_from(["v2", "v1", "serve"])
B64 = st.booleans()

# ---------------------------------------------------------------- strategies

FRENCH = ["le", "la", "les", "chat", "chien", "chiens", "deux", "marchent", "dans", "parc", "dort", "une", "pomme",
          "xyzzy", "l'école", "Élève", ".", "?", "!", ","]
ODD = ["\ud800", "\udfff", "\ud83d", "\ude00", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e",
       "\x00", "\x01", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\t", "\n", " ", "\u00a0", "\U0001f600",
       "\u0301", "\U000e0001", "\uffff", "\ue000", "'", '"', "\\", "é", "\u2019"]
# Pieces drawn one by one: `st.text(alphabet)` would hardly ever yield the surrogates we want.
PIECES = st.one_of(st.sampled_from(FRENCH).map(lambda w: w + " "), st.sampled_from(ODD), st.text(max_size=3),
                   st.characters(categories=["Cs"]), st.characters(categories=["Cc", "Cf", "Zs"]))
ODD_TEXT = st.lists(PIECES, max_size=8).map("".join)
SHORT_ODD_TEXT = st.lists(PIECES, max_size=3).map("".join)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ODD_TEXT,
                   st.integers(min_value=10 ** 99, max_value=10 ** 120))
JSON_VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.one_of(st.sampled_from(["sentence", "sentences", "x"]), ODD_TEXT), inner, max_size=4), max_leaves=12)


def dumps(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)


# ---------------------------------------------------------------- properties (10,400 bodies in all)


@fuzz(1500)
@given(body=st.binary(max_size=300), how=HOW, b64=B64)
def test_random_bytes(body: bytes, how: str, b64: bool) -> None:
    send("random_bytes", body, how, b64)


@fuzz(2000)
@given(value=JSON_VALUES, wrap=st.sampled_from(["bare", "sentence", "sentences"]), ascii_only=st.booleans(),
       how=HOW, b64=B64)
def test_random_json(value: Any, wrap: str, ascii_only: bool, how: str, b64: bool) -> None:
    doc = value if wrap == "bare" else {wrap: value}
    send("random_json", dumps(doc, ascii_only), how, b64)


@fuzz(300)
@given(depth=st.integers(1, 30_000), opener=st.sampled_from(["[", '{"a": ', '{"sentence": ', '{"sentences": [']),
       inner=st.sampled_from(["1", '"chat"', "", "null", "{}"]), closed=st.booleans(), how=HOW)
def test_deep_nesting(depth: int, opener: str, inner: str, closed: bool, how: str) -> None:
    closer = {"[": "]", '{"sentences": [': "]}"}.get(opener, "}")
    send("deep_nesting", opener * depth + inner + (closer * depth if closed else ""), how, False)


@fuzz(800)
@given(digits=st.integers(1, 12_000), seed=st.integers(0, 9), sign=st.sampled_from(["", "-"]),
       tail=st.sampled_from(["", ".5", "e5", "E-400", "e99999", ".0e+1"]),
       place=st.sampled_from(["{}", '{{"sentence": {}}}', '{{"sentences": [{}, "chat"]}}',
                              '{{"n": {}, "sentence": "Le chat dort."}}', "[{}]"]), how=HOW, b64=B64)
def test_huge_numbers(digits: int, seed: int, sign: str, tail: str, place: str, how: str, b64: bool) -> None:
    number = sign + str(seed or 1) + ("0123456789" * (digits // 10 + 1))[seed: seed + digits - 1] + tail
    send("huge_numbers", place.format(number), how, b64)


@fuzz(2000)
@given(text=ODD_TEXT, batch=st.booleans(), ascii_only=st.booleans(),
       how=st.sampled_from(["v2", "v1", "serve", "direct"]), b64=B64)
def test_odd_strings(text: str, batch: bool, ascii_only: bool, how: str, b64: bool) -> None:
    doc = {"sentences": [text, "Le chat dort."]} if batch else {"sentence": text}
    if how == "direct":
        via_lambda("odd_strings", doc)  # the runtime hands the decoded event over as is, surrogates included
    else:
        send("odd_strings", dumps(doc, ascii_only), how, b64)


@fuzz(1500)
@given(items=st.lists(st.one_of(ODD_TEXT, st.sampled_from(FRENCH), st.none(), st.integers(), st.floats(),
                                st.booleans(), st.lists(st.integers(), max_size=2), st.just({"sentence": "x"})),
                      max_size=40),
       how=st.sampled_from(["v2", "v1", "serve", "direct"]), b64=B64)
def test_mixed_batches(items: list[Any], how: str, b64: bool) -> None:
    if how == "direct":
        via_lambda("mixed_batches", {"sentences": items})
    else:
        send("mixed_batches", dumps({"sentences": items}, True), how, b64)


METHODS = st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "get", "post"]),
                    SHORT_ODD_TEXT)
PATHS = st.one_of(st.sampled_from(["/", "/translate", "/translate/", "/health", "/prod/translate", "/prod",
                                   "//", "/ping", "/invocations", ""]), ODD_TEXT)
BODIES = st.one_of(st.none(), ODD_TEXT, JSON_VALUES.map(lambda v: dumps(v, True)),
                   st.just('{"sentence": "Les deux chiens marchent dans le parc."}'))


@fuzz(1500)
@given(kind=st.sampled_from(["v2", "v1", "garbled", "direct-any"]), method=METHODS, path=PATHS,
       stage=st.sampled_from(["$default", "prod", "", "\ud800"]), body=BODIES, b64=st.one_of(B64, LEAVES),
       junk=st.dictionaries(st.sampled_from(["version", "requestContext", "rawPath", "httpMethod", "path", "body",
                                             "isBase64Encoded", "sentence", "sentences"]), JSON_VALUES, max_size=4),
       anything=JSON_VALUES)
def test_events(kind: str, method: str, path: str, stage: str, body: str | None, b64: Any, junk: dict,
                anything: Any) -> None:
    if kind == "v2":
        event = {"version": "2.0", "rawPath": path, "body": body, "isBase64Encoded": b64,
                 "requestContext": {"http": {"method": method}, "stage": stage}}
    elif kind == "v1":
        event = {"httpMethod": method, "path": path, "body": body, "isBase64Encoded": b64}
    elif kind == "garbled":  # a well-formed event with some fields replaced by anything
        event = {"version": "2.0", "rawPath": path, "body": body, "requestContext": {"http": {"method": method}},
                 **junk}
    else:
        event = anything  # a direct invoke of any JSON value
    via_lambda("events", event)


@fuzz(800)
@given(method=METHODS, path=PATHS, body=st.one_of(st.none(), st.binary(max_size=200), BODIES.map(
    lambda b: b if b is None else b.encode("utf-8", "surrogatepass"))), b64=B64,
    routes=st.sampled_from([SERVE_ROUTES, None]))
def test_serve_requests(method: str, path: str, body: bytes | None, b64: bool, routes: Any) -> None:
    resp = app.handle_request(method, path, body, b64, routes=routes)
    check_answer("serve_requests", resp.status, resp.headers, resp.body)


def test_fuzz_total(capsys: pytest.CaptureFixture[str]) -> None:
    """At least 10,000 bodies across the properties above (skipped when only some of them ran)."""
    if set(TRIED) != FUZZ_TESTS:
        pytest.skip(f"only {sorted(TRIED)} ran; run the whole module for the total")
    total, seconds = sum(TRIED.values()), time.perf_counter() - STARTED[0]
    with capsys.disabled():
        print(f"\nfuzz: {total} bodies tried in {seconds:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items()))
              + "; statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(STATUSES.items())))
    assert total >= 10_000
