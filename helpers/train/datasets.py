"""Train/validation/test splits with no sentence shared across splits, and padded id tensors."""
from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from lambda_app.text import BOS_ID, EOS_ID, PAD_ID, Vocab, tokenize
from lambda_app.translator import source_ids

from helpers.train.corpus import Pair
from helpers.core.errors import KitError


@dataclass(frozen=True)
class Splits:
    train: list[Pair]
    valid: list[Pair]
    test: list[Pair]


def split_pairs(pairs: list[Pair], valid: float = 0.1, test: float = 0.1, seed: int = 0,
                train_only: frozenset[str] = frozenset()) -> Splits:
    """Split into train/valid/test so that no French or English sentence appears in two splits.

    Pairs sharing a sentence on either side (e.g. "tu marches"/"vous marchez" -> "You walk.") are
    grouped (union-find) and each group goes to one split; a group with a French sentence in `train_only`
    (01: the seed sentence, the example every notebook shows) goes to train.
    """
    if len(pairs) < 3:
        raise KitError(f"Need at least 3 sentence pairs to split (got {len(pairs)}).")
    parent = list(range(len(pairs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[tuple[str, str], int] = {}
    for i, p in enumerate(pairs):
        for key in (("fr", p.fr), ("en", p.en)):
            j = first_seen.setdefault(key, i)
            parent[find(i)] = find(j)
    groups: dict[int, list[Pair]] = {}
    for i, p in enumerate(pairs):
        groups.setdefault(find(i), []).append(p)
    order = list(groups.values())
    random.Random(seed).shuffle(order)
    n = len(pairs)
    out: dict[str, list[Pair]] = {"test": [], "valid": [], "train": []}
    for group in order:
        name = ("train" if any(p.fr in train_only for p in group) else
                "test" if len(out["test"]) < test * n else "valid" if len(out["valid"]) < valid * n else "train")
        out[name].extend(group)
    return Splits(**out)


def pad(seqs: list[list[int]]) -> torch.Tensor:
    """A [batch, longest] int64 tensor, right-padded with <pad>."""
    out = torch.full((len(seqs), max(len(s) for s in seqs)), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out


def make_batches(pairs: list[Pair], src_vocab: Vocab, tgt_vocab: Vocab, batch_size: int, max_len: int,
                 shuffle: bool, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(source ids, target ids) batches; targets are <bos> tokens <eos>; similar lengths batched together."""
    src = [source_ids(src_vocab, tokenize(p.fr), max_len) for p in pairs]
    tgt = [[BOS_ID] + tgt_vocab.encode(tokenize(p.en)[: max_len - 1]) + [EOS_ID] for p in pairs]
    rng = random.Random(seed)
    order = list(range(len(pairs)))
    if shuffle:
        rng.shuffle(order)  # new batch mates each epoch; the stable sort keeps lengths together
    order.sort(key=lambda i: len(src[i]))
    chunks = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(chunks)
    return [(pad([src[i] for i in c]), pad([tgt[i] for i in c])) for c in chunks]
