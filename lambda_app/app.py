"""The Lambda handler (image CMD `lambda_app.app.handler`): a French to English translation API.

The model is loaded once, when Lambda initialises the function (module import), never per request.

API (README-ready):

- `POST /translate` with `{"sentence": "Les deux chiens marchent dans le parc."}` returns
  `200 {"fr": "...", "en": "...", "duration": seconds, "unknown": [words the model never saw],
  "confidence": 0..1, "low_confidence": bool}`: confidence is the decoder's probability for its least sure output
  word; under LOW_CONFIDENCE (0.4) the translation is likely wrong. Unknown names are copied through (Paris, Marie).
- `POST /translate` with `{"sentences": ["...", "..."]}` translates a batch in one call and returns
  `200 {"translations": [{"fr", "en", "unknown", "confidence", "low_confidence"}, ...], "duration": seconds}`.
- `GET /health` returns `200 {"status": "ok", "name", "version", "runtime", "limits"}`.
- `GET /vocabulary` returns `200 {"name", "version", "count", "words": [the French words the model knows]}`.
- `GET /` returns a small demo page (HTML) that calls the two routes above.
- Limits: a sentence has 1 to 500 characters (MAX_SENTENCE_CHARS) and at least one visible one; a batch
  has 1 to 32 sentences (MAX_BATCH); a request body is at most 64 KiB (MAX_BODY_BYTES, else 413), valid
  UTF-8 and strict JSON (no NaN, integers of at most MAX_INT_DIGITS digits, not nested too deeply).
- Bad input gets a 4xx with `{"error": "<what is wrong>"}` (never a 5xx, whatever a client sends); a wrong
  method on a known path 405, an unknown path 404; no loaded model 503. A 500 is a fault in the function:
  its body names the request id, and the stack trace goes to the log only.

Accepted events: API Gateway HTTP API (payload 2.0), REST API (payload 1.0), bodies base64-encoded or
not, and a direct invoke whose event is the JSON request object itself (treated as `POST /translate`).
The response is always the API Gateway proxy shape `{"statusCode", "headers", "body"}`. Every request,
from the handler or from `serve.py` (SageMaker), takes one path: route, decode, validate, answer.

Environment: MODEL_DIR (default: `model/` beside this package) and MODEL_RUNTIME (`torch` | `slim`;
default: `slim` when the model directory has the ONNX files, else `torch`).
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

from . import demo_page
from .validation import (MAX_BATCH, MAX_BODY_BYTES, MAX_INT_DIGITS, MAX_SENTENCE_CHARS, BadRequest, decode_body,
                         shown, validate_request)

__all__ = ["MAX_BATCH", "MAX_BODY_BYTES", "MAX_INT_DIGITS", "MAX_SENTENCE_CHARS", "ROUTES", "BadRequest",
           "ModelUnavailable", "Response", "decode_body", "error_response", "handle_request", "handler", "route",
           "validate_request"]

ROUTES: dict[str, str] = {"/": "GET", "/translate": "POST", "/health": "GET", "/vocabulary": "GET"}
JSON_HEADERS: dict[str, str] = {"Content-Type": "application/json"}

log = logging.getLogger("lambda_app")
log.setLevel(logging.INFO)


class ModelUnavailable(RuntimeError):
    """No model is loaded: a 503 (the service cannot answer, whatever the client sends)."""


class Response(NamedTuple):
    """An HTTP response: status, headers and the body as text (always encodable as UTF-8)."""

    status: int
    headers: dict[str, str]
    body: str


def default_model_dir() -> Path:
    """`MODEL_DIR`, or the `model/` directory beside the `lambda_app` package (the image layout)."""
    return Path(os.environ.get("MODEL_DIR") or Path(__file__).resolve().parent.parent / "model")


def load_from_env() -> Any | None:
    """Load the translator named by MODEL_DIR / MODEL_RUNTIME; None (logged) when there is no model."""
    model_dir = default_model_dir()
    if not (model_dir / "vocab.json").exists():
        log.error("No model at %s: set MODEL_DIR to a directory exported by 01_train.", model_dir)
        return None
    from .translator import load_translator

    return load_translator(model_dir, model_runtime(model_dir))


def model_runtime(model_dir: Path) -> str:
    """MODEL_RUNTIME, else what the model directory ships for: ONNX files mean `slim`, else `torch`."""
    return os.environ.get("MODEL_RUNTIME") or ("slim" if (model_dir / "encoder.onnx").exists() else "torch")


_translator: Any | None = load_from_env()


# ---------------------------------------------------------------- one path for every request


def handle_request(method: str, path: str, body: bytes | str | None, is_base64: bool = False,
                   request_id: str = "-", routes: Mapping[str, str] | None = None) -> Response:
    """Route, decode, validate and answer one HTTP request; every outcome is a Response, never an exception.

    `routes` maps public paths onto ROUTES' paths (serve.py: `/ping` -> `/health`); default: ROUTES as is.
    """
    return _guarded(lambda: _answer(method, path, body, is_base64, routes), request_id, path)


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: the event's request answered like `handle_request`, as an API Gateway proxy response."""
    request_id = str(getattr(context, "aws_request_id", "-"))
    path = (event.get("rawPath") or event.get("path")) if isinstance(event, dict) else None
    resp = _guarded(lambda: _answer(*_event_request(event)), request_id, path)
    return {"statusCode": resp.status, "headers": resp.headers, "body": resp.body, "isBase64Encoded": False}


def _answer(method: str, path: str, body: bytes | str | None, is_base64: bool,
            routes: Mapping[str, str] | None = None) -> Response:
    """The response to one request (raises BadRequest / ModelUnavailable); the body is decoded only if read."""
    target = route(method, path, routes)
    if target == "/":
        return Response(200, dict(demo_page.HEADERS), demo_page.HTML)
    if target == "/health":
        return _json(200, _health())
    if target == "/vocabulary":
        return _json(200, _vocabulary())
    return _json(200, _translate(decode_body(body, is_base64)))


def _guarded(run: Callable[[], Response], request_id: str, path: Any) -> Response:
    """`run()`, with client errors as 4xx, no model as 503 and anything else as a logged 500."""
    try:
        resp = run()
    except BadRequest as e:
        resp = error_response(e.status, str(e), e.headers)
    except ModelUnavailable as e:
        resp = error_response(503, str(e))
    except Exception:
        log.exception("Request %s failed", request_id)
        resp = error_response(500, f"Internal error; see the function's log for request {shown(request_id)}.")
    log.info(json.dumps({"request_id": request_id, "path": shown(str(path or "?")), "status": resp.status}))
    return resp


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The API's error shape: `{"error": message}` as JSON."""
    return _json(status, {"error": message}, headers)


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(payload, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate slipped through: escape it rather than fail to send
        text = json.dumps(payload)
    return Response(status, {**JSON_HEADERS, **(headers or {})}, text)


def _event_request(event: Any) -> tuple[str, str, Any, bool]:
    """(method, path, body, is_base64) of an HTTP API 2.0, REST 1.0 or direct-invoke event."""
    if not isinstance(event, dict):
        raise BadRequest("The event must be a JSON object like {\"sentence\": \"...\"}.")
    if event.get("version") == "2.0" and "requestContext" in event:
        context = _field(event, "requestContext", dict, {})
        method = _field(_field(context, "http", dict, {}), "method", str, "")
        path, stage = _field(event, "rawPath", str, "/"), _field(context, "stage", str, "$default")
        if stage != "$default" and (path == f"/{stage}" or path.startswith(f"/{stage}/")):
            path = path[len(stage) + 1:]
    elif "httpMethod" in event:
        method, path = _field(event, "httpMethod", str, ""), _field(event, "path", str, "") or "/"
    else:  # a direct invoke: the event is the request body, decoded like any other
        try:
            return "POST", "/translate", json.dumps(event), False
        except (ValueError, TypeError, RecursionError):
            raise BadRequest("The event could not be read as a JSON request like {\"sentence\": \"...\"}.") from None
    return method, path, event.get("body"), bool(event.get("isBase64Encoded"))


def _field(doc: dict, key: str, kind: type, default: Any) -> Any:
    value = doc.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise BadRequest(f"The event's '{key}' must be a {kind.__name__}, not {type(value).__name__}.")
    return value


def route(method: str, path: str, routes: Mapping[str, str] | None = None) -> str:
    """The ROUTES path that answers `method path` (via `routes`, public path -> ROUTES path); 404/405 if none."""
    routes = routes if routes is not None else {p: p for p in ROUTES}
    path = path.rstrip("/") or "/"
    if path not in routes:
        listing = [f"{ROUTES[t]} {p}" for p, t in routes.items()]
        raise BadRequest(f"No route {shown(path)}: use {', '.join(listing[:-1])} or {listing[-1]}.", status=404)
    allowed = ROUTES[routes[path]]
    if method.upper() != allowed:
        raise BadRequest(f"{path} accepts {allowed}, not {shown(method.upper())}.", status=405,
                         headers={"Allow": allowed})
    return routes[path]


# ---------------------------------------------------------------- the model's answers


def _model() -> Any:
    if _translator is None:
        raise ModelUnavailable("The model is not loaded, so nothing can be translated; the log says why "
                               "(see MODEL_DIR).")
    return _translator


def _health() -> dict[str, Any]:
    return {"status": "ok", **_model().info,
            "limits": {"max_sentence_chars": MAX_SENTENCE_CHARS, "max_batch": MAX_BATCH}}


def _vocabulary() -> dict[str, Any]:
    """The French words the model knows (its source vocabulary without specials and punctuation), A to Z."""
    translator = _model()
    words = sorted(w for w in translator.src_vocab.itos[4:] if w[:1].isalpha())
    return {"name": translator.info["name"], "version": translator.info["version"], "count": len(words),
            "words": words}


def _translate(body: Any) -> dict[str, Any]:
    sentences, is_batch = validate_request(body)
    translator = _model()
    start = time.perf_counter()
    results = translator.translate_detailed(sentences)
    duration = round(time.perf_counter() - start, 6)
    answers = [{"fr": f, "en": r.text, "unknown": translator.unknown_words(f), "confidence": r.confidence,
                "low_confidence": r.low_confidence} for f, r in zip(sentences, results)]
    if is_batch:
        return {"translations": answers, "duration": duration}
    return {**answers[0], "duration": duration}
