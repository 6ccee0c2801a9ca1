"""The grammar: agreement, elision, conjugation, negation, reproducibility and splits."""
from __future__ import annotations

import re

import pytest

from helpers.train.corpus import SEED_SENTENCE, Pair, french_word_forms, generate_pairs
from helpers.train.datasets import split_pairs
from helpers.core.errors import KitError

PAIRS = generate_pairs(20000, seed=0)
BY_FR = {p.fr: p.en for p in PAIRS}


def _find(phrase: str) -> list[Pair]:
    """Pairs whose French (lower-cased, without the final period) contains `phrase` as whole words."""
    return [p for p in PAIRS if f" {phrase} " in f" {p.fr[:-1].lower()} "]


def test_seed_sentence_is_in_the_language():
    assert PAIRS[0] == Pair(*SEED_SENTENCE)
    assert BY_FR["Les deux chiens marchent dans le parc."] == "The two dogs walk in the park."


def test_reproducible_by_seed_and_distinct():
    assert generate_pairs(300, seed=7) == generate_pairs(300, seed=7)
    assert generate_pairs(300, seed=7) != generate_pairs(300, seed=8)
    assert len({p.fr for p in PAIRS}) == len(PAIRS) == 20000


def test_vocabulary_size():
    assert len(french_word_forms()) >= 150
    used = {w for p in PAIRS for w in p.fr[:-1].replace("'", "' ").split()}
    assert len(used) >= 150


def test_adjective_agreement_and_position():
    # Feminine plural adjective after the noun, translated before it in English.
    hits = _find("les vaches noires")
    assert hits and all("the black cows" in p.en.lower() for p in hits)
    assert not _find("vaches noirs") and not _find("chiens noires") and not _find("chien noirs")
    # Pre-nominal adjectives agree too; vieux/beau take vieil/bel before a vowel.
    assert _find("petites filles") and not _find("petits filles") and not _find("petite filles")
    assert not _find("vieux homme") and not _find("beau ami")
    hits = _find("vieil homme")
    assert hits and all(re.search(r"\bold (\w+ )?man\b", p.en) for p in hits)


def test_determiners_elision_and_contraction():
    assert not _find("le école") and not _find("la école") and not _find("le homme")
    hits = _find("l'école")
    assert hits and all(re.search(r"\bthe (\w+ )?school\b", p.en) for p in hits)
    hits = _find("près du parc")
    assert hits and all(re.search(r"\bnear the (\w+ )?park\b", p.en) for p in hits)
    assert not _find("de le") and not _find("de les") and not _find("de un")
    assert not _find("ma amie") and _find("mon amie")


def test_conjugation_and_negation():
    for fr, en in [("nous marchons", "we walk"), ("ils courent", "they run"), ("elle mange", "she eats"),
                   ("vous dormez", "you sleep"), ("je lis", "i read")]:
        hits = [p for p in PAIRS if p.fr.lower().startswith(fr + " ") or p.fr.lower() == fr + "."]
        assert hits, fr
        assert all(p.en.lower().startswith(en) for p in hits), (fr, hits[:2])
    neg = [p for p in PAIRS if p.fr.startswith("Il ne ")]
    assert neg and all(p.en.startswith("He does not ") for p in neg)
    assert all(" pas" in p.fr for p in neg)
    assert any(p.fr.startswith("Je n'aime pas") for p in PAIRS) and not any(p.fr.startswith("Je aime") for p in PAIRS)


def test_numbers_make_plurals():
    hits = _find("trois")
    assert hits and all("three" in p.en for p in hits)
    assert not any(" trois " in p.fr and p.fr.split(" trois ")[1].split()[0] in {"chien", "chat"} for p in hits)


def test_splits_share_no_sentence():
    splits = split_pairs(PAIRS[:3000], valid=0.1, test=0.1, seed=0)
    assert len(splits.train) + len(splits.valid) + len(splits.test) == 3000
    assert 250 <= len(splits.test) <= 350
    sides = [({p.fr for p in s}, {p.en for p in s}) for s in (splits.train, splits.valid, splits.test)]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not sides[i][0] & sides[j][0] and not sides[i][1] & sides[j][1]


def test_splits_group_pairs_sharing_a_sentence():
    pairs = [Pair("Tu marches.", "You walk."), Pair("Vous marchez.", "You walk.")] + \
        [Pair(f"f{i}", f"e{i}") for i in range(20)]
    for seed in range(5):
        s = split_pairs(pairs, seed=seed)
        homes = [name for name in ("train", "valid", "test") if any(p.en == "You walk." for p in getattr(s, name))]
        assert len(homes) == 1


def test_bad_requests_raise_kit_errors():
    with pytest.raises(KitError):
        generate_pairs(0)
    with pytest.raises(KitError):
        split_pairs(PAIRS[:2])
