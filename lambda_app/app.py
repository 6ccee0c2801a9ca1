"""The Lambda handler (image CMD `lambda_app.app.handler`): a French to English translation API.

The model is loaded once, when Lambda initialises the function (module import), never per request.

API (README-ready):

- `POST /translate` with `{"sentence": "Les deux chiens marchent dans le parc."}` returns
  `200 {"fr": "...", "en": "...", "duration": seconds}`.
- `POST /translate` with `{"sentences": ["...", "..."]}` translates a batch in one call and returns
  `200 {"translations": [{"fr": "...", "en": "..."}, ...], "duration": seconds}`.
- `GET /health` returns `200 {"status": "ok", "name", "version", "runtime", "limits"}`.
- Limits: a sentence has 1 to 500 characters (MAX_SENTENCE_CHARS); a batch has 1 to 32 sentences
  (MAX_BATCH); a request body is at most 64 KiB (MAX_BODY_BYTES, else 413).
- Bad input gets a 400 with `{"error": "<what is wrong>"}`; a wrong method on a known path gets 405,
  an unknown path 404. A 500 means a fault in the function: its body names the request id, and the
  stack trace goes to the function's log only.

Accepted events: API Gateway HTTP API (payload 2.0), REST API (payload 1.0), bodies base64-encoded or
not, and a direct invoke whose event is the JSON request object itself (treated as `POST /translate`).
The response is always the API Gateway proxy shape `{"statusCode", "headers", "body"}`.

Environment: MODEL_DIR (default: `model/` beside this package) and MODEL_RUNTIME (`torch` | `slim`;
default: `slim` when the model directory has the ONNX files, else `torch`).
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

MAX_SENTENCE_CHARS = 500
MAX_BATCH = 32
MAX_BODY_BYTES = 64 * 1024
ROUTES: dict[str, str] = {"/translate": "POST", "/health": "GET"}

log = logging.getLogger("lambda_app")
log.setLevel(logging.INFO)


class BadRequest(ValueError):
    """Input the client must fix; becomes a 4xx response with its message."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


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


def _response(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(payload, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def parse_event(event: Any) -> tuple[str, str, Any]:
    """(method, path, body) for an HTTP API 2.0, REST 1.0 or direct-invoke event; body is decoded JSON."""
    if not isinstance(event, dict):
        raise BadRequest("The event must be a JSON object like {\"sentence\": \"...\"}.")
    if event.get("version") == "2.0" and "requestContext" in event:
        http = event["requestContext"].get("http", {})
        method, path = http.get("method", ""), event.get("rawPath", "/")
        stage = event["requestContext"].get("stage", "$default")
        if stage != "$default" and path.startswith(f"/{stage}/"):
            path = path[len(stage) + 1:]
    elif "httpMethod" in event:
        method, path = event["httpMethod"], event.get("path") or "/"
    else:
        return "POST", "/translate", event
    method, path = method.upper(), path.rstrip("/") or "/"
    if path not in ROUTES:
        raise BadRequest(f"No route {path}: use POST /translate or GET /health.", status=404)
    if method != ROUTES[path]:
        raise BadRequest(f"{path} accepts {ROUTES[path]}, not {method}.", status=405,
                         headers={"Allow": ROUTES[path]})
    if method == "GET":
        return method, path, None
    return method, path, _decode_body(event.get("body"), bool(event.get("isBase64Encoded")))


def _decode_body(body: str | None, is_base64: bool) -> Any:
    if body is None or body == "":
        raise BadRequest("The request body is empty: send JSON like {\"sentence\": \"...\"}.")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES * (4 / 3 if is_base64 else 1) + 4:  # bytes, not characters
        raise BadRequest(f"The request body is over {MAX_BODY_BYTES} bytes.", status=413)
    if is_base64:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest("The body is marked base64 but is not valid base64-encoded UTF-8.") from None
    try:
        return json.loads(body)
    except json.JSONDecodeError as e:
        raise BadRequest(f"The body is not valid JSON ({e.msg} at character {e.pos}).") from None


def _check_sentence(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' must be a string, not {type(value).__name__}.")
    if not value.strip():
        raise BadRequest(f"'{field}' is empty: send a French sentence.")
    if len(value) > MAX_SENTENCE_CHARS:
        raise BadRequest(f"'{field}' has {len(value)} characters; the limit is {MAX_SENTENCE_CHARS}.")
    return value


def validate_request(body: Any) -> tuple[list[str], bool]:
    """(sentences, is_batch) from a request body, or BadRequest saying what is wrong."""
    if not isinstance(body, dict):
        raise BadRequest(f"The body must be a JSON object like {{\"sentence\": \"...\"}}, not {type(body).__name__}.")
    if "sentence" in body and "sentences" in body:
        raise BadRequest("Send either 'sentence' or 'sentences', not both.")
    if "sentence" in body:
        return [_check_sentence(body["sentence"], "sentence")], False
    if "sentences" not in body:
        raise BadRequest("Missing field 'sentence' (a string) or 'sentences' (a list of strings).")
    batch = body["sentences"]
    if not isinstance(batch, list):
        raise BadRequest(f"'sentences' must be a list of strings, not {type(batch).__name__}.")
    if not batch:
        raise BadRequest("'sentences' is empty: send at least one sentence.")
    if len(batch) > MAX_BATCH:
        raise BadRequest(f"'sentences' has {len(batch)} items; the limit is {MAX_BATCH} per request.")
    return [_check_sentence(s, f"sentences[{i}]") for i, s in enumerate(batch)], True


def _health() -> dict[str, Any]:
    if _translator is None:
        raise RuntimeError("the model is not loaded (see the init log)")
    return {"status": "ok", **_translator.info,
            "limits": {"max_sentence_chars": MAX_SENTENCE_CHARS, "max_batch": MAX_BATCH}}


def _translate(body: Any) -> dict[str, Any]:
    sentences, is_batch = validate_request(body)
    if _translator is None:
        raise RuntimeError("the model is not loaded (see the init log)")
    start = time.perf_counter()
    english = _translator.translate_batch(sentences)
    duration = round(time.perf_counter() - start, 6)
    if is_batch:
        return {"translations": [{"fr": f, "en": e} for f, e in zip(sentences, english)], "duration": duration}
    return {"fr": sentences[0], "en": english[0], "duration": duration}


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: route, validate, translate; every outcome is a JSON proxy response."""
    request_id = getattr(context, "aws_request_id", "-")
    path = "?"
    try:
        _, path, body = parse_event(event)
        result = _health() if path == "/health" else _translate(body)
        status, response = 200, _response(200, result)
    except BadRequest as e:
        status, response = e.status, _response(e.status, {"error": str(e)}, e.headers)
    except Exception:
        log.exception("Request %s failed", request_id)
        status = 500
        response = _response(500, {"error": f"Internal error; see the function's log for request {request_id}."})
    log.info(json.dumps({"request_id": request_id, "path": path, "status": status}))
    return response
