"""The generated corpus: pyRealB's agreement and conjugation, the sentence kinds, reproducibility and splits."""
from __future__ import annotations

import re

import pytest

from helpers.core.errors import KitError
from helpers.train.corpus import KINDS, SEED_SENTENCE, Pair, coverage, french_word_forms, generate_pairs
from helpers.train.datasets import split_pairs

PAIRS = generate_pairs(6000, seed=0)


def _fr(pattern: str, questions: bool = True) -> list[Pair]:
    return [p for p in PAIRS if re.search(pattern, p.fr) and (questions or not p.fr.endswith("?"))]


def test_seed_sentence_first_and_reproducible():
    assert PAIRS[0] == Pair(*SEED_SENTENCE, kind="action (any tense)")
    assert generate_pairs(300, seed=7, workers=1) == generate_pairs(300, seed=7, workers=1)
    assert generate_pairs(300, seed=7, workers=1) != generate_pairs(300, seed=8, workers=1)
    assert len(PAIRS) == 6000


def test_common_sentences_repeat_a_bounded_number_of_times_with_one_english():
    from collections import Counter

    from helpers.train.corpus import MAX_REPEATS

    counts = Counter(p.fr for p in PAIRS)
    assert 1 < max(counts.values()) <= MAX_REPEATS  # "Il fait beau." comes up more than once, never more than 10
    assert len(counts) > 0.8 * len(PAIRS)  # but most sentences are one-off combinations
    english: dict[str, set[str]] = {}
    for p in PAIRS:
        english.setdefault(p.fr, set()).add(p.en)
    assert all(len(e) == 1 for e in english.values())  # one French sentence never teaches two translations


def test_the_split_keeps_every_copy_of_a_sentence_in_one_split():
    s = split_pairs(PAIRS, seed=0)
    train, rest = {p.fr for p in s.train}, {p.fr for p in s.valid + s.test}
    assert not train & rest


def test_every_kind_and_a_large_vocabulary():
    cov = coverage(PAIRS)
    assert set(cov["kinds"]) == set(KINDS)
    assert cov["lexicon_pairs"] >= 1500
    assert len(french_word_forms(PAIRS)) >= 1500


def test_nothing_pyrealb_could_not_realize():
    assert not [p for p in PAIRS if "[[" in p.fr + p.en]
    assert all(p.fr[0].isupper() and p.en[0].isupper() for p in PAIRS)
    assert all(p.fr[-1] in ".?!" and p.en[-1] == p.fr[-1] for p in PAIRS)


def test_etre_avoir_agreement_and_negation():
    assert _fr(r"^Je suis fatigué\.") or _fr(r"^Elle est \w+e\.")
    assert not _fr(r"\bElle est (content|fatigué|petit|grand)\b[^e]")
    for p in _fr(r"^(Il|Elle) n'a pas de ", questions=False):
        assert re.match(r"(He|She) does not have ", p.en), p
    assert not _fr(r"\bn'(a|ai|as|avons|avez|ont|avait|avais) pas (un|une|des) ")  # avoir: pas de (être keeps un)
    for p in _fr(r"^Je ne suis pas ", questions=False):
        if p.kind == "être + adjective":  # (not a passé composé: Je ne suis pas revenue.)
            assert p.en.startswith("I am not "), p


def test_passe_compose_futur_proche_and_questions():
    for p in _fr(r"^Elle est allée ", questions=False):
        assert p.en.startswith("She went "), p
    for p in _fr(r"^Nous allons \w+er\b", questions=False):
        assert p.en.startswith("We are going to "), p
    questions = [p for p in PAIRS if p.fr.endswith("?")]
    assert len(questions) > 300 and all(p.en.endswith("?") for p in questions)
    assert _fr(r"^Est-ce qu") and _fr(r"^\w+-(tu|vous|il|elle) ") and _fr(r"^Où ")
    assert not [p for p in questions if re.match(r"(Have|Has|Had) ", p.en)]  # "Do you have", not "Have you"


def test_elision_contraction_and_ligatures():
    assert not _fr(r"(?<!-)\b(le|la|je|ne) [aeiouéè]")  # "Suis-je architecte ?" is right
    assert not _fr(r"\bà le\b") and not _fr(r"\bde le\b")
    assert not _fr(r"\bsoeur|\boeuf|\bcoeur")


def test_splits_share_no_sentence():
    splits = split_pairs(PAIRS[:3000], valid=0.1, test=0.1, seed=0)
    assert len(splits.train) + len(splits.valid) + len(splits.test) == 3000
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


def test_train_only_keeps_a_sentence_in_train():
    for seed in range(6):
        s = split_pairs(PAIRS[:400], valid=0.3, test=0.3, seed=seed, train_only=frozenset([SEED_SENTENCE[0]]))
        assert PAIRS[0] in s.train
    homes = {name for seed in range(6) for name in ("valid", "test")
             if PAIRS[0] in getattr(split_pairs(PAIRS[:400], valid=0.3, test=0.3, seed=seed), name)}
    assert homes  # without train_only the seed sentence does land outside train


def test_no_proper_name_is_also_a_lexicon_word():
    """Names are left out of the vocabularies (the model copies them through): one spelt like a word would take
    that word with it ("Nice" took "nice": "The weather is beau.")."""
    from helpers.train.draw import PROPER_NAMES
    from helpers.train.lexicon import load_lexicon
    from lambda_app.text import tokenize

    words = {t for e in load_lexicon().entries for t in tokenize(e.fr) + tokenize(e.en)}
    assert not [n for n in PROPER_NAMES if set(tokenize(n)) & words]
