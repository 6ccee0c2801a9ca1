"""The hand-written development set: its size, its format, and that the generated corpus never contains it."""
from __future__ import annotations

import random

import pytest

from helpers.train import corpus
from helpers.train.corpus import dev_set, generate_pairs, heldout_set
from lambda_app.text import tokenize


def _key(sentence: str) -> str:
    return " ".join(tokenize(sentence))


def test_dev_set_is_large_and_well_formed():
    dev = dev_set()
    assert len(dev) >= 150
    assert len({fr for fr, _ in dev}) == len(dev)
    assert all(fr.strip() and refs and all(r.strip() for r in refs) for fr, refs in dev)
    assert sum(len(refs) > 1 for _, refs in dev) >= 50  # several references where English allows


def test_no_dev_sentence_in_the_training_corpus():
    dev = {_key(fr) for fr, _ in dev_set()}
    assert not [p.fr for p in generate_pairs(6000, seed=0) if _key(p.fr) in dev]


def test_the_held_out_set_is_well_formed_and_never_generated():
    held = heldout_set()
    assert len(held) >= 100 and len({fr for fr, _ in held}) == len(held)
    assert all(fr.strip() and refs and all(r.strip() for r in refs) for fr, refs in held)
    keys = {_key(fr) for fr, _ in held}
    assert not keys & {_key(fr) for fr, _ in dev_set()}  # two sets, not one
    assert not [p.fr for p in generate_pairs(6000, seed=0) if _key(p.fr) in keys]


def test_the_generator_drops_dev_sentences_it_would_make(monkeypatch: pytest.MonkeyPatch):
    made = corpus._draw_pairs(3, 400)
    victim = random.Random(0).choice([p for p in made if p.fr != corpus.SEED_SENTENCE[0]])
    monkeypatch.setattr(corpus, "_dev_keys", lambda: {_key(victim.fr)})
    assert victim.fr not in {p.fr for p in corpus._draw_pairs(3, 400)}
