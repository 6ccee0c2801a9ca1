"""Score translations: sacreBLEU and exact match, sample tables, and torch-vs-ONNX agreement."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sacrebleu

from lambda_app.runtime_torch import TorchBackend
from lambda_app.translator import Translator, load_translator

from helpers.train.corpus import Pair
from helpers.train.training import TrainResult


@dataclass(frozen=True)
class Scores:
    """Corpus-level sacreBLEU (0-100), exact-match rate (0-1) and the hypotheses behind them."""

    bleu: float
    exact_match: float
    n: int
    hypotheses: list[str]


def translator_from_training(result: TrainResult) -> Translator:
    """A torch `Translator` over the in-memory model (same greedy loop as serving)."""
    info = {"name": "in-memory", "version": "unsaved", "runtime": "torch"}
    return Translator(TorchBackend(result.model), result.src_vocab, result.tgt_vocab, result.config.max_len, info)


def score(translator: Translator, pairs: list[Pair]) -> Scores:
    """Translate every French sentence of `pairs` and compare with its English reference."""
    hyps = translator.translate_batch([p.fr for p in pairs])
    refs = [p.en for p in pairs]
    bleu = sacrebleu.corpus_bleu(hyps, [refs]).score
    exact = sum(h == r for h, r in zip(hyps, refs)) / len(pairs)
    return Scores(round(bleu, 2), round(exact, 4), len(pairs), hyps)


@dataclass(frozen=True)
class DevScores:
    """Scores on the hand-written development set: exact match with any reference (0-1), corpus chrF (0-100,
    the best reference per sentence), how many sentences were flagged (unknown word or low confidence)."""

    exact_match: float
    chrf: float
    n: int
    flagged: int
    rows: list[tuple[str, str, list[str], bool]]  # (French, model output, references, flagged)


def score_dev(translator: Translator, dev: list[tuple[str, list[str]]]) -> DevScores:
    """Translate the dev set's French sentences and score them against every reference translation."""
    results = translator.translate_detailed([fr for fr, _ in dev])
    hyps = [r.text for r in results]
    width = max(len(refs) for _, refs in dev)
    streams = [[refs[i] if i < len(refs) else refs[0] for _, refs in dev] for i in range(width)]
    flagged = [r.low_confidence or bool(translator.unknown_words(fr)) for r, (fr, _) in zip(results, dev)]
    exact = sum(h in refs for h, (_, refs) in zip(hyps, dev)) / len(dev)
    rows = [(fr, h, refs, f) for h, (fr, refs), f in zip(hyps, dev, flagged)]
    return DevScores(round(exact, 4), round(sacrebleu.corpus_chrf(hyps, streams).score, 2), len(dev), sum(flagged),
                     rows)


def dev_table(scores: DevScores, rows: int = 10, wrong_first: bool = True) -> str:
    """A plain-text table of dev-set translations (the wrong ones first): ✓/✗, flag, French, output, reference."""
    picked = sorted(scores.rows, key=lambda r: r[1] in r[2]) if wrong_first else scores.rows
    lines = [f"{'ok':2} | {'?':1} | {'French':42} | {'model output':38} | reference"]
    for fr, hyp, refs, flag in picked[:rows]:
        lines.append(f"{'✓' if hyp in refs else '✗':2} | {'!' if flag else ' '} | {fr:42} | {hyp:38} | {refs[0]}")
    return "\n".join(lines)


def sample_table(translator: Translator, pairs: list[Pair]) -> str:
    """A plain-text table of `pairs`: ✓/✗ (exact match), French, model output, reference."""
    hyps = translator.translate_batch([p.fr for p in pairs])
    lines = [f"{'ok':2} | {'French':45} | {'model output':40} | reference"]
    for p, hyp in zip(pairs, hyps):
        lines.append(f"{'✓' if hyp == p.en else '✗':2} | {p.fr:45} | {hyp:40} | {p.en}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Agreement:
    """How many sentences PyTorch and ONNX Runtime translate identically."""

    n: int
    identical: int
    mismatches: list[tuple[str, str, str]]  # (French, torch output, onnx output)

    @property
    def rate(self) -> float:
        return self.identical / self.n if self.n else 1.0


def compare_runtimes(model_dir: str | Path, sentences: list[str]) -> Agreement:
    """Translate `sentences` with both runtimes loaded from `model_dir` and count identical outputs."""
    torch_out = load_translator(model_dir, "torch").translate_batch(sentences)
    slim_out = load_translator(model_dir, "slim").translate_batch(sentences)
    mism = [(s, a, b) for s, a, b in zip(sentences, torch_out, slim_out) if a != b]
    return Agreement(len(sentences), len(sentences) - len(mism), mism)
