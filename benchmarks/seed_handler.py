"""The seed repo's design as a baseline: everything is loaded again on *every* request.

The seed's `app.lambda_handler` rebuilt its tokenizer, unpickled both vocabularies, rebuilt the model and
loaded its weights inside the handler, then translated one sentence and returned
`{"fr", "en", "duration"}`. This handler does the same per-request work with this kit's model files
(`vocab.json`, `model_card.json`, `weights.pt`) and the kit's greedy decoder, so the only difference
measured against `lambda_app.app.handler` is *where* the loading happens. The seed's spaCy tokenizer
load was far heavier than the kit's regex tokenizer, so this baseline understates the seed's cost.

Runs inside a task root that holds `lambda_app/`, `model/` and torch (see benchmarks/run.py);
handler string: `seed_handler.handler`.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import torch  # noqa: F401  libraries are imported once, at init, as the seed did; everything else per request

from lambda_app import text
from lambda_app.translator import Translator, load_translator


def _model_dir() -> Path:
    return Path(os.environ.get("MODEL_DIR") or Path(__file__).resolve().parent / "model")


def _load_everything(model_dir: Path) -> Translator:
    """Tokenizer, both vocabularies, the network and its weights: what the seed did per request."""
    re.purge()  # the tokenizer's patterns are compiled afresh, as the seed re-created its tokenizer
    text._TOKEN = re.compile(text._TOKEN.pattern)
    translator = load_translator(model_dir, "torch")  # card, both vocabularies, the network, its weights
    translator.info = {**translator.info, "runtime": "seed"}
    return translator


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Direct-invoke `{"sentence": "..."}`: load everything, translate, return the proxy response."""
    start = time.perf_counter()
    sentence = event.get("sentence") if isinstance(event, dict) else None
    if not isinstance(sentence, str) or not sentence.strip():
        return {"statusCode": 400, "body": json.dumps({"error": "Send {\"sentence\": \"...\"}."})}
    translator = _load_everything(_model_dir())
    english = translator.translate_batch([sentence])[0]
    duration = round(time.perf_counter() - start, 6)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"fr": sentence, "en": english, "duration": duration}, ensure_ascii=False)}
