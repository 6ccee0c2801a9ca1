"""Load a trained model directory and translate French to English with one greedy decoding loop.

The loop runs on a backend with two operations - `encode` (once per batch) and `step` (one token) -
so PyTorch (`runtime="torch"`) and ONNX Runtime (`runtime="slim"`, no torch import) share it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .text import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocab, detokenize, load_vocabs, tokenize

RUNTIMES = ("torch", "slim")
BATCH_SIZE = 64
# Below this probability for its least sure output word, the reply says the translation is doubtful. Measured on the
# hand-written dev set with 01's model (label smoothing caps its certainty): 0.4 flags 13 of 155 right translations
# and 18 of 26 wrong ones (with the unknown-word notice); 0.3 flags 9 right ones and 14 wrong ones.
LOW_CONFIDENCE = 0.4


class Backend(Protocol):
    """What the greedy loop needs from a runtime; states are opaque, ids and outputs are numpy."""

    def encode(self, src: np.ndarray) -> tuple[Any, Any]:
        """Source ids [B, S] -> (encoder context, initial decoder state)."""

    def step(self, prev: np.ndarray, state: Any, context: Any) -> tuple[np.ndarray, np.ndarray, Any]:
        """Previous tokens [B] -> (logits [B, V], attention [B, S], next state)."""


def greedy_decode(backend: Backend, src: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy decoding of a batch: (token ids [B, T], attention [B, T, S], probability of each chosen token
    [B, T]); finished rows emit <pad> with probability 1."""
    context, state = backend.encode(src)
    prev = np.full(src.shape[0], BOS_ID, dtype=np.int64)
    done = np.zeros(src.shape[0], dtype=bool)
    ids, attns, probs = [], [], []
    for _ in range(max_len):
        logits, attn, state = backend.step(prev, state, context)
        shifted = logits - logits.max(-1, keepdims=True)
        top = 1.0 / np.exp(shifted).sum(-1)  # softmax probability of the argmax
        prev = np.where(done, PAD_ID, logits.argmax(-1)).astype(np.int64)
        ids.append(prev)
        attns.append(attn)
        probs.append(np.where(done, 1.0, top))
        done |= prev == EOS_ID
        if done.all():
            break
    return np.stack(ids, 1), np.stack(attns, 1), np.stack(probs, 1)


def known_form(vocab: Vocab, token: str) -> str | None:
    """`token` if the model saw it, else the masculine singular of an adjective or participle in -é it saw
    (fatigués -> fatigué, fermée -> fermé), else None: an unknown word. Only -é words: cutting any -e or -s would
    turn names into words (Marie -> mari) and lose a noun's plural that copying keeps (croissants)."""
    if token in vocab.stoi:
        return token
    for ending in ("ées", "ée", "és"):
        if token.endswith(ending) and token[: -len(ending)] + "é" in vocab.stoi:
            return token[: -len(ending)] + "é"
    return None


def source_ids(vocab: Vocab, tokens: list[str], max_len: int) -> list[int]:
    """Source ids as the model reads them: tokens (see `known_form`; unknown -> <unk>, at most max_len - 1), <eos>."""
    return vocab.encode([known_form(vocab, t) or t for t in tokens[: max_len - 1]]) + [EOS_ID]


def encode_sources(vocab: Vocab, token_lists: list[list[str]], max_len: int) -> np.ndarray:
    """Right-padded [B, S] source ids for a batch of token lists."""
    rows = [source_ids(vocab, toks, max_len) for toks in token_lists]
    out = np.full((len(rows), max(len(r) for r in rows)), PAD_ID, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


@dataclass(frozen=True)
class Translation:
    """One translation: the English text, the decoder's confidence (its least sure output word's probability)
    and the source words copied through as unknown names."""

    text: str
    confidence: float
    copied: list[str]

    @property
    def low_confidence(self) -> bool:
        return self.confidence < LOW_CONFIDENCE


def _copy_through(out_ids: list[int], attn: np.ndarray, source: list[str], tgt_vocab: Vocab) -> tuple[list[str], list[str]]:
    """Output tokens with each <unk> replaced by the source token it attends to most (Paris, Marie): the
    model never saw that word, so it copies it instead of guessing another."""
    tokens, copied = [], []
    for t, i in enumerate(out_ids):
        if i == EOS_ID:
            break
        if i == UNK_ID and source:
            word = source[int(attn[t, : len(source)].argmax())]
            tokens.append(word)
            copied.append(word)
        else:
            tokens += tgt_vocab.decode([i])
    return tokens, copied


@dataclass(frozen=True)
class Alignment:
    """A translation with its attention weights [target tokens (+<eos>), source tokens (+<eos>)]."""

    source: list[str]
    target: list[str]
    weights: np.ndarray


class Translator:
    """French -> English translation: `translate_batch` for serving, `translate_with_attention` to explain."""

    def __init__(self, backend: Backend, src_vocab: Vocab, tgt_vocab: Vocab, max_len: int, info: dict):
        self.backend, self.src_vocab, self.tgt_vocab = backend, src_vocab, tgt_vocab
        self.max_len = max_len
        self.info = info

    def _decode(self, token_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return greedy_decode(self.backend, encode_sources(self.src_vocab, token_lists, self.max_len), self.max_len)

    def translate_batch(self, sentences: list[str]) -> list[str]:
        """Translate French sentences (empty ones give ""); the result does not depend on batch mates."""
        return [t.text for t in self.translate_detailed(sentences)]

    def translate_detailed(self, sentences: list[str]) -> list[Translation]:
        """Translations with the decoder's confidence and the names copied through (see `Translation`)."""
        if not all(isinstance(s, str) for s in sentences):
            raise TypeError("translate_batch expects a list of strings.")
        cased = [_source_words(s, self.max_len) for s in sentences]
        tokens = [[w.lower() for w in c] for c in cased]
        todo = [i for i, t in enumerate(tokens) if t]
        out = [Translation("", 1.0, [])] * len(sentences)
        for start in range(0, len(todo), BATCH_SIZE):
            chunk = todo[start: start + BATCH_SIZE]
            ids, attn, probs = self._decode([tokens[i] for i in chunk])
            for row, i in enumerate(chunk):
                words, copied = _copy_through(ids[row].tolist(), attn[row], cased[i], self.tgt_vocab)
                out[i] = Translation(detokenize(words, self.tgt_vocab.cased), round(float(probs[row].min()), 4),
                                     copied)
        return out

    def unknown_words(self, sentence: str) -> list[str]:
        """The sentence's tokens the model never saw in any form (it reads them as <unk>), in order, without repeats."""
        return list(dict.fromkeys(t for t in tokenize(sentence) if known_form(self.src_vocab, t) is None))

    def translate_with_attention(self, sentence: str) -> Alignment:
        """One sentence's translation tokens and the attention each output token paid to the source."""
        toks = tokenize(sentence)[: self.max_len - 1]
        if not toks:
            return Alignment([], [], np.zeros((0, 0), dtype=np.float32))
        ids, attn, _ = self._decode([toks])
        row = ids[0].tolist()
        n_out = row.index(EOS_ID) + 1 if EOS_ID in row else len(row)  # up to and including <eos>
        source = [self.src_vocab.itos[i] for i in source_ids(self.src_vocab, toks, self.max_len)]
        target = [self.tgt_vocab.itos[i] for i in row[:n_out]]
        return Alignment(source, target, attn[0, :n_out])


def _source_words(sentence: str, max_len: int) -> list[str]:
    """The sentence's tokens as written (case kept, for names copied through), as many as the model reads."""
    cased = tokenize(sentence, lower=False)
    lower = tokenize(sentence)
    words = cased if [w.lower() for w in cased] == lower else lower  # casing changed the split: keep it simple
    return words[: max_len - 1]


def load_translator(model_dir: str | Path, runtime: str = "slim") -> Translator:
    """Load `model_dir` (vocab.json, model_card.json and weights.pt or the ONNX files) for `runtime`."""
    model_dir = Path(model_dir)
    if runtime not in RUNTIMES:
        raise ValueError(f"Unknown runtime {runtime!r}: use 'torch' or 'slim'.")
    card_path = model_dir / "model_card.json"
    if not card_path.exists():
        raise FileNotFoundError(f"No model in {model_dir}: run notebooks/01_train.ipynb to export one.")
    card = json.loads(card_path.read_text())
    src_vocab, tgt_vocab = load_vocabs(model_dir / "vocab.json")
    if runtime == "torch":
        from .runtime_torch import TorchBackend

        backend: Backend = TorchBackend.load(model_dir, card["config"]["model"])
    else:
        from .runtime_slim import OnnxBackend

        backend = OnnxBackend(model_dir)
    info = {"name": card["name"], "version": card["version"], "runtime": runtime}
    return Translator(backend, src_vocab, tgt_vocab, int(card["config"]["max_len"]), info)
