"""The Lambda handler: event formats, every bad-input case (status + message), faults, and both runtimes."""
from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from lambda_app import app

SEED = "Les deux chiens marchent dans le parc."


class FakeTranslator:
    """Upper-cases its input, so tests can check which sentence went where."""

    info = {"name": "fake", "version": "v0", "runtime": "slim"}

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def translate_batch(self, sentences: list[str]) -> list[str]:
        self.calls.append(list(sentences))
        return [s.upper() for s in sentences]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTranslator:
    t = FakeTranslator()
    monkeypatch.setattr(app, "_translator", t)
    return t


def http_v2(method: str, path: str, body: Any = None, b64: bool = False, stage: str = "$default") -> dict:
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    if b64 and raw is not None:
        raw = base64.b64encode(raw.encode()).decode()
    return {"version": "2.0", "routeKey": f"{method} {path}", "rawPath": path, "body": raw,
            "isBase64Encoded": b64, "requestContext": {"http": {"method": method, "path": path}, "stage": stage}}


def rest_v1(method: str, path: str, body: Any = None, b64: bool = False) -> dict:
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    if b64 and raw is not None:
        raw = base64.b64encode(raw.encode()).decode()
    return {"resource": path, "path": path, "httpMethod": method, "body": raw, "isBase64Encoded": b64,
            "requestContext": {"stage": "Prod"}}


def call(event: Any) -> tuple[int, dict]:
    resp = app.handler(event, None)
    assert resp["headers"]["Content-Type"] == "application/json"
    return resp["statusCode"], json.loads(resp["body"])


# ---------------------------------------------------------------- event formats


@pytest.mark.parametrize("event", [
    http_v2("POST", "/translate", {"sentence": SEED}),
    http_v2("POST", "/translate", {"sentence": SEED}, b64=True),
    http_v2("POST", "/prod/translate", {"sentence": SEED}, stage="prod"),
    rest_v1("POST", "/translate", {"sentence": SEED}),
    rest_v1("POST", "/translate", {"sentence": SEED}, b64=True),
    {"sentence": SEED},  # direct invoke
], ids=["http-v2", "http-v2-base64", "http-v2-named-stage", "rest-v1", "rest-v1-base64", "direct"])
def test_translate_single_in_every_event_format(fake: FakeTranslator, event: dict) -> None:
    status, body = call(event)
    assert status == 200
    assert body["fr"] == SEED and body["en"] == SEED.upper()
    assert isinstance(body["duration"], float) and body["duration"] >= 0
    assert fake.calls == [[SEED]]


def test_translate_batch_in_one_call(fake: FakeTranslator) -> None:
    status, body = call(http_v2("POST", "/translate", {"sentences": ["un chat", "deux chiens"]}))
    assert status == 200
    assert body["translations"] == [{"fr": "un chat", "en": "UN CHAT"}, {"fr": "deux chiens", "en": "DEUX CHIENS"}]
    assert fake.calls == [["un chat", "deux chiens"]]  # one model call for the whole batch


def test_health_reports_model(fake: FakeTranslator) -> None:
    for event in (http_v2("GET", "/health"), rest_v1("GET", "/health")):
        status, body = call(event)
        assert status == 200
        assert (body["status"], body["name"], body["version"], body["runtime"]) == ("ok", "fake", "v0", "slim")
        assert body["limits"] == {"max_sentence_chars": app.MAX_SENTENCE_CHARS, "max_batch": app.MAX_BATCH}


def test_unicode_survives_round_trip(fake: FakeTranslator) -> None:
    status, body = call(http_v2("POST", "/translate", {"sentence": "Élève à l'école"}))
    assert status == 200 and body["fr"] == "Élève à l'école"


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("event, status, message", [
    (http_v2("POST", "/translate", "{not json"), 400, "not valid JSON"),
    (http_v2("POST", "/translate", None), 400, "body is empty"),
    (http_v2("POST", "/translate", ""), 400, "body is empty"),
    ({**http_v2("POST", "/translate", "{}"), "body": "%%%", "isBase64Encoded": True}, 400, "not valid base64"),
    (http_v2("POST", "/translate", [SEED]), 400, "must be a JSON object"),
    (http_v2("POST", "/translate", {"text": SEED}), 400, "Missing field 'sentence'"),
    (http_v2("POST", "/translate", {"sentence": 42}), 400, "'sentence' must be a string, not int"),
    (http_v2("POST", "/translate", {"sentence": None}), 400, "'sentence' must be a string, not NoneType"),
    (http_v2("POST", "/translate", {"sentence": "   "}), 400, "'sentence' is empty"),
    (http_v2("POST", "/translate", {"sentence": "a" * (app.MAX_SENTENCE_CHARS + 1)}), 400,
     f"has {app.MAX_SENTENCE_CHARS + 1} characters; the limit is {app.MAX_SENTENCE_CHARS}"),
    (http_v2("POST", "/translate", {"sentence": SEED, "sentences": [SEED]}), 400, "not both"),
    (http_v2("POST", "/translate", {"sentences": SEED}), 400, "'sentences' must be a list of strings, not str"),
    (http_v2("POST", "/translate", {"sentences": []}), 400, "'sentences' is empty"),
    (http_v2("POST", "/translate", {"sentences": ["x"] * (app.MAX_BATCH + 1)}), 400,
     f"has {app.MAX_BATCH + 1} items; the limit is {app.MAX_BATCH}"),
    (http_v2("POST", "/translate", {"sentences": ["ok", 3]}), 400, "'sentences[1]' must be a string"),
    (http_v2("POST", "/translate", {"sentences": ["ok", ""]}), 400, "'sentences[1]' is empty"),
    (http_v2("POST", "/translate", {"sentence": "x" * (app.MAX_BODY_BYTES + 10)}), 413, "over 65536 bytes"),
    (http_v2("POST", "/translate", '{"sentence": "' + "é" * (app.MAX_BODY_BYTES // 2 + 10) + '"}'), 413,
     "over 65536 bytes"),  # UTF-8 text: the limit counts bytes
    ("just a string", 400, "must be a JSON object"),
    (http_v2("GET", "/translate"), 405, "/translate accepts POST, not GET"),
    (rest_v1("PUT", "/translate", {"sentence": SEED}), 405, "accepts POST, not PUT"),
    (http_v2("POST", "/health", {}), 405, "/health accepts GET, not POST"),
    (http_v2("POST", "/translat", {"sentence": SEED}), 404, "No route /translat"),
    (rest_v1("GET", "/"), 404, "No route /"),
], ids=lambda v: v if isinstance(v, (int, str)) and not isinstance(v, bool) and len(str(v)) < 40 else None)
def test_bad_input_is_a_client_error(fake: FakeTranslator, event: Any, status: int, message: str) -> None:
    got_status, body = call(event)
    assert got_status == status
    assert message in body["error"]
    assert set(body) == {"error"}
    assert fake.calls == []  # the model never ran


def test_405_names_the_allowed_method(fake: FakeTranslator) -> None:
    resp = app.handler(http_v2("GET", "/translate"), None)
    assert resp["headers"]["Allow"] == "POST"


# ---------------------------------------------------------------- faults


class Ctx:
    aws_request_id = "req-123"


def test_fault_is_500_without_stack_trace(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakeTranslator):
        def translate_batch(self, sentences: list[str]) -> list[str]:
            raise ValueError("secret internal detail")

    monkeypatch.setattr(app, "_translator", Broken())
    with caplog.at_level(logging.ERROR, logger="lambda_app"):
        resp = app.handler(http_v2("POST", "/translate", {"sentence": SEED}), Ctx())
    body = json.loads(resp["body"])
    assert resp["statusCode"] == 500
    assert body == {"error": "Internal error; see the function's log for request req-123."}
    assert "Traceback" not in resp["body"] and "secret" not in resp["body"]
    assert "secret internal detail" in caplog.text  # the trace is logged instead


def test_missing_model_is_a_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "_translator", None)
    status, body = call(http_v2("GET", "/health"))
    assert status == 500 and "Internal error" in body["error"]
    status, _ = call(http_v2("POST", "/translate", {"sentence": ""}))
    assert status == 400  # validation still answers before the fault


def test_no_model_dir_loads_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "missing"))
    assert app.load_from_env() is None


def test_runtime_follows_env_then_model_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MODEL_RUNTIME", raising=False)
    assert app.model_runtime(tmp_path) == "torch"
    (tmp_path / "encoder.onnx").write_bytes(b"")
    assert app.model_runtime(tmp_path) == "slim"
    monkeypatch.setenv("MODEL_RUNTIME", "torch")
    assert app.model_runtime(tmp_path) == "torch"


# ---------------------------------------------------------------- both runtimes, real model


@pytest.mark.parametrize("runtime", ["torch", "slim"])
def test_model_loads_once_from_env(monkeypatch: pytest.MonkeyPatch, untrained_model_dir: Path, runtime: str) -> None:
    monkeypatch.setenv("MODEL_DIR", str(untrained_model_dir))
    monkeypatch.setenv("MODEL_RUNTIME", runtime)
    translator = app.load_from_env()
    assert translator is not None and translator.info["runtime"] == runtime
    monkeypatch.setattr(app, "_translator", translator)
    status, body = call(http_v2("GET", "/health"))
    assert status == 200 and body["runtime"] == runtime


def test_both_runtimes_give_the_same_translations(monkeypatch: pytest.MonkeyPatch, trained_model_dir: Path) -> None:
    sentences = [SEED, "Un homme lit un livre.", "Une femme mange une pomme rouge.", "Le chat dort."]
    answers = {}
    for runtime in ("torch", "slim"):
        monkeypatch.setenv("MODEL_DIR", str(trained_model_dir))
        monkeypatch.setenv("MODEL_RUNTIME", runtime)
        monkeypatch.setattr(app, "_translator", app.load_from_env())
        status, body = call(http_v2("POST", "/translate", {"sentences": sentences}))
        assert status == 200
        answers[runtime] = [t["en"] for t in body["translations"]]
        status, single = call({"sentence": SEED})
        assert status == 200 and single["en"] == answers[runtime][0]
    assert answers["torch"] == answers["slim"]
    assert answers["slim"][0].lower().rstrip(" .") == "the two dogs walk in the park"
