"""Request decoding and validation: the one path by which a client's bytes become sentences to translate.

Every way a body can be wrong ends in `BadRequest` (a 4xx with a message saying what to fix): empty, over
MAX_BODY_BYTES, bad base64, not UTF-8, not strict JSON (NaN, integers over MAX_INT_DIGITS digits, nesting
deeper than MAX_DEPTH), the wrong shape, a sentence that is not a string, holds a lone
surrogate, is too long or has nothing visible in it. Messages never echo raw input (see `shown`).
"""
from __future__ import annotations

import base64
import json
from typing import Any

from .text import tokenize

MAX_SENTENCE_CHARS = 500
MAX_BATCH = 32
MAX_BODY_BYTES = 64 * 1024
MAX_INT_DIGITS = 100
MAX_DEPTH = 32  # the API needs 2 levels ({"sentences": [...]}); the limit must not depend on Python's own


class BadRequest(ValueError):
    """Input the client must fix; becomes a 4xx response with its message."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def shown(text: str, limit: int = 60) -> str:
    """`text` safe to echo in a message: shortened, unprintable characters (and surrogates) escaped."""
    short = text[:limit] + ("..." if len(text) > limit else "")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in short)


def decode_body(body: bytes | str | None, is_base64: bool = False) -> Any:
    """The request body as JSON (bytes or text, base64 or not), or BadRequest saying what is wrong."""
    if body is not None and not isinstance(body, (str, bytes)):
        raise BadRequest(f"The request body must be text, not {type(body).__name__}.")
    if not body:
        raise BadRequest("The request body is empty: send JSON like {\"sentence\": \"...\"}.")
    too_large = BadRequest(f"The request body is over {MAX_BODY_BYTES} bytes.", status=413)
    if len(body) > ((MAX_BODY_BYTES + 2) // 3 * 4 if is_base64 else MAX_BODY_BYTES):
        raise too_large  # a cheap first check: a character is at least one byte, base64 takes 4 per 3
    if is_base64:
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text
            raise BadRequest("The body is marked base64 but is not valid base64-encoded UTF-8.") from None
    elif isinstance(body, str):
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as e:
            raise BadRequest(f"The body is not valid Unicode text (a lone surrogate at character {e.start}).") from None
    else:
        raw = body
    if len(raw) > MAX_BODY_BYTES:
        raise too_large  # the limit counts bytes, not characters
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest(f"The body is not valid UTF-8 (at byte {e.start}).") from None
    too_deep = BadRequest(f"The body is not valid JSON for this API: arrays or objects are nested too deeply "
                          f"(more than {MAX_DEPTH} levels).")
    try:
        value = json.loads(text, parse_int=_parse_int, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise BadRequest(f"The body is not valid JSON ({e.msg} at character {e.pos}).") from None
    except RecursionError:  # deeper than this Python's parser goes (the limit differs between versions)
        raise too_deep from None
    if _deeper_than(value, MAX_DEPTH):
        raise too_deep
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays/objects in `value` nest more than `limit` levels (iterative: no recursion limit)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise BadRequest(f"The body has a {len(digits.lstrip('-'))}-digit number; "
                         f"numbers may have at most {MAX_INT_DIGITS} digits.")
    return int(digits)


def _no_constant(name: str) -> Any:
    raise BadRequest(f"The body is not valid JSON ({name} is not a JSON value).")


def _check_sentence(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' must be a string, not {type(value).__name__}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise BadRequest(f"'{field}' has a lone surrogate (U+{ord(value[e.start]):04X} at character {e.start}): "
                         "send valid Unicode text.") from None
    if not value.strip():
        raise BadRequest(f"'{field}' is empty: send a French sentence.")
    if len(value) > MAX_SENTENCE_CHARS:
        raise BadRequest(f"'{field}' has {len(value)} characters; the limit is {MAX_SENTENCE_CHARS}.")
    if not tokenize(value):
        raise BadRequest(f"'{field}' is empty: it has only invisible characters; send a French sentence.")
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
