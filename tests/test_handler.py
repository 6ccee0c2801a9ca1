"""The Lambda handler: event formats, every bad-input case (status + message), faults, the demo page, and both
runtimes. Whatever a client sends gets a 2xx or 4xx with a JSON body (tests/test_handler_fuzz.py fuzzes that)."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from lambda_app import app, demo_page
from lambda_app.text import Vocab, tokenize
from lambda_app.translator import LOW_CONFIDENCE, Translation

SEED = "Les deux chiens marchent dans le parc."


class FakeTranslator:
    """Upper-cases its input, so tests can check which sentence went where; knows every word but 'xyzzy'."""

    info = {"name": "fake", "version": "v0", "runtime": "slim"}

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def translate_batch(self, sentences: list[str]) -> list[str]:
        self.calls.append(list(sentences))
        return [s.upper() for s in sentences]

    def translate_detailed(self, sentences: list[str]) -> list[Translation]:
        """Confident, except about sentences with 'hmm' in them."""
        return [Translation(t, 0.2 if "hmm" in s else 1.0, []) for s, t in zip(sentences, self.translate_batch(sentences))]

    src_vocab = Vocab(["le", "chat", "dort", ".", "un", "chien"])

    def unknown_words(self, sentence: str) -> list[str]:
        return list(dict.fromkeys(t for t in tokenize(sentence) if t == "xyzzy"))


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
    json.dumps(resp, ensure_ascii=False).encode("utf-8")  # what the runtime sends: no lone surrogate anywhere
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
    assert body["unknown"] == []
    assert fake.calls == [[SEED]]


def test_translate_batch_in_one_call(fake: FakeTranslator) -> None:
    status, body = call(http_v2("POST", "/translate", {"sentences": ["un chat", "deux chiens"]}))
    assert status == 200
    assert body["translations"] == [
        {"fr": "un chat", "en": "UN CHAT", "unknown": [], "confidence": 1.0, "low_confidence": False},
        {"fr": "deux chiens", "en": "DEUX CHIENS", "unknown": [], "confidence": 1.0, "low_confidence": False}]
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
    (rest_v1("GET", "/nope"), 404, "No route /nope: use GET /, POST /translate, GET /health or GET /vocabulary."),
    (http_v2("POST", "/", {"sentence": SEED}), 405, "/ accepts GET, not POST"),
    # issue 13: input that used to crash the handler (500) or be translated into nonsense
    (http_v2("POST", "/translate", '{"sentence": "\\ud800 chien"}'), 400,
     "'sentence' has a lone surrogate (U+D800 at character 0)"),
    (http_v2("POST", "/translate", {"sentences": ["ok", "chien \udfff"]}), 400,
     "'sentences[1]' has a lone surrogate (U+DFFF at character 6)"),
    (http_v2("POST", "/translate", '{"sentence": ' + "9" * 5000 + "}"), 400,
     f"a 5000-digit number; numbers may have at most {app.MAX_INT_DIGITS} digits"),
    (http_v2("POST", "/translate", '{"sentences": [-' + "1" * 200 + "]}"), 400, "a 200-digit number"),
    (http_v2("POST", "/translate", "[" * 20000 + "]" * 20000), 400, "nested too deeply"),
    (http_v2("POST", "/translate", '{"a": ' * 5000 + "1" + "}" * 5000), 400, "nested too deeply"),
    (http_v2("POST", "/translate", '{"sentences": ' + "[" * 40 + "]" * 40 + "}"), 400, "more than 32 levels"),
    (http_v2("POST", "/translate", '{"sentence": NaN}'), 400, "NaN is not a JSON value"),
    (http_v2("POST", "/translate", {"sentence": "\u200b\u200b"}), 400, "'sentence' is empty"),
    (http_v2("POST", "/translate", {"sentence": "\ufeff\u200d\u2060\u00ad\u202e"}), 400, "only invisible characters"),
    (http_v2("POST", "/translate", {"sentence": "\x00\x01\x7f\u0085"}), 400, "'sentence' is empty"),
    (http_v2("POST", "/translate", {"sentences": ["ok", "\u200b"]}), 400, "'sentences[1]' is empty"),
    ({**http_v2("POST", "/translate"), "body": base64.b64encode(b'{"sentence": "\xff"}').decode(),
      "isBase64Encoded": True}, 400, "not valid UTF-8 (at byte 14)"),
    ({**http_v2("POST", "/translate"), "body": "\u00e9t\u00e9", "isBase64Encoded": True}, 400, "not valid base64"),
    (http_v2("POST", "/translate", '{"sentence": "\ud800"}'), 400, "lone surrogate at character 14"),
    ({**http_v2("POST", "/translate"), "body": {"sentence": SEED}}, 400, "body must be text, not dict"),
    ({**http_v2("POST", "/translate"), "rawPath": 7}, 400, "'rawPath' must be a str, not int"),
    ({**rest_v1("POST", "/translate"), "httpMethod": ["POST"]}, 400, "'httpMethod' must be a str, not list"),
    ({**http_v2("POST", "/translate"), "requestContext": "x"}, 400, "'requestContext' must be a dict, not str"),
    ({"sentence": "\ud83d chien"}, 400, "'sentence' has a lone surrogate"),  # direct invoke
    ({"sentence": "\u200b"}, 400, "'sentence' is empty"),
    ({"sentence": "x" * (app.MAX_BODY_BYTES + 10)}, 413, "over 65536 bytes"),
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


def test_missing_model_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "_translator", None)
    status, body = call(http_v2("GET", "/health"))
    assert status == 503 and body == {"error": "The model is not loaded, so nothing can be translated; "
                                               "the log says why (see MODEL_DIR)."}
    status, body = call(http_v2("POST", "/translate", {"sentence": SEED}))
    assert status == 503 and "model is not loaded" in body["error"]
    status, _ = call(http_v2("POST", "/translate", {"sentence": ""}))
    assert status == 400  # validation still answers first


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


# ---------------------------------------------------------------- issue 13: unknown words, safe echoes


def test_unknown_words_are_reported(fake: FakeTranslator) -> None:
    status, body = call(http_v2("POST", "/translate", {"sentence": "Le xyzzy dort, xyzzy !"}))
    assert status == 200 and body["unknown"] == ["xyzzy"]
    assert set(body) == {"fr", "en", "duration", "unknown", "confidence", "low_confidence"}
    status, body = call(http_v2("POST", "/translate", {"sentences": ["Le chat dort.", "Le xyzzy dort."]}))
    assert status == 200 and [t["unknown"] for t in body["translations"]] == [[], ["xyzzy"]]


def test_invisible_characters_inside_a_sentence_are_ignored(fake: FakeTranslator) -> None:
    status, body = call(http_v2("POST", "/translate", {"sentence": "Le\u200b chat\u00ad dort.\n"}))
    assert status == 200 and body["fr"] == "Le\u200b chat\u00ad dort.\n"  # echoed as sent
    assert tokenize(body["fr"]) == ["le", "chat", "dort", "."]  # what the model reads


@pytest.mark.parametrize("event, status, message", [
    (rest_v1("GET", "/\ud800"), 404, "No route /\\ud800: use"),
    (http_v2("PUT\udc00", "/translate"), 405, "/translate accepts POST, not PUT\\udc00."),
    (rest_v1("GET", "/\u202e\u0000" + "x" * 500), 404, "No route /\\u202e\\x00" + "x" * 57 + "...: use"),
])
def test_echoed_input_is_escaped(fake: FakeTranslator, event: dict, status: int, message: str) -> None:
    got_status, body = call(event)  # call() checks that the whole response encodes as UTF-8
    assert got_status == status and message in body["error"]


def test_handle_request_is_the_handlers_path(fake: FakeTranslator) -> None:
    """serve.py's entry point: bytes in, the same status and body as the Lambda handler."""
    for raw in (json.dumps({"sentence": SEED}), "{oops", '{"sentence": "\\ud800"}', ""):
        resp = app.handle_request("POST", "/translate", raw.encode(), request_id="r1")
        lam = app.handler(http_v2("POST", "/translate", raw or None), None)
        assert resp.status == lam["statusCode"] and json.loads(resp.body).keys() == json.loads(lam["body"]).keys()
        if resp.status != 200:
            assert resp.body == lam["body"]
    resp = app.handle_request("GET", "/ping", None, routes={"/ping": "/health", "/invocations": "/translate"})
    assert resp.status == 200 and json.loads(resp.body)["status"] == "ok"
    resp = app.handle_request("GET", "/translate", None, routes={"/ping": "/health", "/invocations": "/translate"})
    assert resp.status == 404 and json.loads(resp.body)["error"] == \
        "No route /translate: use GET /ping or POST /invocations."


def test_unknown_words_with_the_real_model(monkeypatch: pytest.MonkeyPatch, trained_model_dir: Path) -> None:
    monkeypatch.setenv("MODEL_DIR", str(trained_model_dir))
    monkeypatch.setenv("MODEL_RUNTIME", "slim")
    monkeypatch.setattr(app, "_translator", app.load_from_env())
    status, body = call({"sentence": SEED})
    assert status == 200 and body["en"] == "The two dogs walk in the park." and body["unknown"] == []
    status, body = call({"sentences": ["Les deux xyzzy marchent dans le Plugh.", "Le\u200b chat dort."]})
    assert status == 200
    assert [t["unknown"] for t in body["translations"]] == [["xyzzy", "plugh"], []]
    assert body["translations"][1]["en"] == app._translator.translate_batch(["Le chat dort."])[0]


# ---------------------------------------------------------------- issue 22: low confidence, the vocabulary


def test_low_confidence_is_flagged(fake: FakeTranslator) -> None:
    status, body = call(http_v2("POST", "/translate", {"sentences": ["Le chat dort.", "hmm hmm"]}))
    assert status == 200
    assert [(t["confidence"], t["low_confidence"]) for t in body["translations"]] == [(1.0, False), (0.2, True)]


def test_vocabulary_route(fake: FakeTranslator) -> None:
    status, body = call(http_v2("GET", "/vocabulary"))
    assert status == 200 and body["words"] == ["chat", "chien", "dort", "le", "un"] and body["count"] == 5
    assert body["version"] == "v0"
    status, body = call(http_v2("POST", "/vocabulary", {"sentence": "x"}))
    assert status == 405 and body["error"] == "/vocabulary accepts GET, not POST."


def test_real_model_reports_confidence_and_unknown_words(monkeypatch: pytest.MonkeyPatch, trained_model_dir: Path
                                                          ) -> None:
    monkeypatch.setenv("MODEL_DIR", str(trained_model_dir))
    monkeypatch.setattr(app, "_translator", app.load_from_env())
    status, body = call({"sentences": [SEED, "Xyzzy plugh frobnitz quux zork ?"]})
    assert status == 200
    good, bad = body["translations"]
    assert 0 < good["confidence"] <= 1 and good["low_confidence"] == (good["confidence"] < LOW_CONFIDENCE)
    assert bad["unknown"] == ["xyzzy", "plugh", "frobnitz", "quux", "zork"]


# ---------------------------------------------------------------- issue 18: the demo page


def get_page(event: dict) -> dict:
    resp = app.handler(event, None)
    assert resp["statusCode"] == 200, resp["body"]
    assert resp["headers"]["Content-Type"] == "text/html; charset=utf-8"
    return resp


@pytest.mark.parametrize("event", [
    http_v2("GET", "/"), rest_v1("GET", "/"), http_v2("GET", "/prod/", stage="prod"),
    http_v2("GET", "/prod", stage="prod"),
], ids=["http-v2", "rest-v1", "named-stage-slash", "named-stage"])
def test_demo_page_is_served_at_root(fake: FakeTranslator, event: dict) -> None:
    html = get_page(event)["body"]
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert f">{SEED}</textarea>" in html and ">Translate</button>" in html
    assert fake.calls == []


def test_demo_page_is_self_contained(fake: FakeTranslator) -> None:
    resp = get_page(http_v2("GET", "/"))
    html = resp["body"]
    assert not re.search(r"<script[^>]+src|<link[^>]+stylesheet|@import|url\(|https?://|//cdn", html, re.I)
    # relative API calls from the page's own path, so it works at / and under /{api_id}/ or /{stage}/
    assert 'location.pathname.endsWith("/") ? location.pathname : location.pathname + "/"' in html
    assert 'fetch(base + "translate"' in html and 'fetch(base + "health"' in html
    assert "body.unknown" in html and "body.duration" in html and "h.version" in html and "body.error" in html
    # the Content-Security-Policy allows exactly the inline style and script, and calls to the same origin
    csp = resp["headers"]["Content-Security-Policy"]
    for tag in ("style", "script"):
        inline = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert resp["headers"]["X-Content-Type-Options"] == "nosniff"


def test_demo_page_survives_missing_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "_translator", None)
    assert get_page(http_v2("GET", "/"))["body"] == demo_page.HTML  # the page itself shows the 503 from /health
