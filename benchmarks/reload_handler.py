"""A lighter baseline: the kit's own files loaded again on *every* request (the benchmark's "reload" row).

It does the seed's per-request steps (tokenizer, both vocabularies, the network and its weights) with this kit's
files (a regex tokenizer, `vocab.json`, `model_card.json`, `weights.pt`, all under 1 MB) and the kit's greedy
decoder, so the only difference measured against `lambda_app.app.handler` is *where* the loading happens. The
faithful seed baseline, with its spaCy pipeline and pickles, is benchmarks/seed_handler.py.

Runs inside a task root that holds `lambda_app/`, `model/` and torch (see benchmarks/task_roots.py);
handler string: `reload_handler.handler`.
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
    """Tokenizer, both vocabularies, the network and its weights, from the kit's files."""
    re.purge()  # the tokenizer's patterns are compiled afresh, as the seed re-created its tokenizer
    text._TOKEN = re.compile(text._TOKEN.pattern)
    translator = load_translator(model_dir, "torch")  # card, both vocabularies, the network, its weights
    translator.info = {**translator.info, "runtime": "reload"}
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
