"""The Tatoeba/Anki loader, on a small file written by the test."""
from __future__ import annotations

import pytest

from helpers.train.corpus import Pair
from helpers.train.datasets import split_pairs
from helpers.core.errors import KitError
from helpers.train.tatoeba import load_tatoeba

ATTR = "CC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250 (Wittydev)"
LINES = [
    f"Go.\tVa !\t{ATTR}",
    f"Hi.\tSalut !\t{ATTR}",
    f"Hi.\tSalut.\t{ATTR}",
    f"I don't know.\tJe ne sais pas.\t{ATTR}",
    f"Go.\tVa !\t{ATTR}",  # duplicate French: keep the first
    "a line without any tab",
    "\tempty English",
    f"The two dogs walk in the park.\tLes deux chiens marchent dans le parc.\t{ATTR}",
    "No attribution column.\tPas de colonne d’attribution.",
]


@pytest.fixture
def fra_txt(tmp_path):
    p = tmp_path / "fra.txt"
    p.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return p


def test_loads_pairs_in_order_skipping_bad_lines(fra_txt):
    pairs = load_tatoeba(fra_txt)
    assert pairs == [
        Pair("Va !", "Go."), Pair("Salut !", "Hi."), Pair("Salut.", "Hi."), Pair("Je ne sais pas.", "I don't know."),
        Pair("Les deux chiens marchent dans le parc.", "The two dogs walk in the park."),
        Pair("Pas de colonne d’attribution.", "No attribution column."),
    ]


def test_limits(fra_txt):
    assert len(load_tatoeba(fra_txt, max_pairs=2)) == 2
    short = load_tatoeba(fra_txt, max_tokens=5)
    assert [p.en for p in short] == ["Go.", "Hi.", "Hi.", "I don't know."]


def test_same_english_stays_in_one_split(fra_txt):
    s = split_pairs(load_tatoeba(fra_txt), valid=0.2, test=0.2, seed=1)
    homes = [n for n in ("train", "valid", "test") if any(p.en == "Hi." for p in getattr(s, n))]
    assert len(homes) == 1


def test_missing_or_wrong_file_gives_kit_error(tmp_path):
    with pytest.raises(KitError, match="manythings"):
        load_tatoeba(tmp_path / "nope.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("just text\n")
    with pytest.raises(KitError, match="English<TAB>French"):
        load_tatoeba(bad)


def test_tatoeba_as_01s_data_source(tmp_path, fra_txt):
    """01's switch set to "tatoeba": train, score (test split and dev set) and export, with a tiny model."""
    pytest.importorskip("torch", reason="no torch here (KIT_TORCH=none)")
    from helpers.train import TrainConfig, dev_set, export_model, load_data, score, score_dev, train
    from helpers.train import translator_from_training

    lines = [f"I see {n} cats.\tJe vois {n} chats.\t{ATTR}" for n in range(2, 40)]
    sample = tmp_path / "fra-sample.txt"
    sample.write_text(fra_txt.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    data = load_data("tatoeba", pairs=100, fra_txt=sample)
    assert data.name == "tatoeba" and len(data.pairs) == 44 and data.dev_targets is None
    assert data.has_seed  # the sample holds the seed sentence
    splits = split_pairs(data.pairs, valid=0.2, test=0.2, seed=0)
    result = train(splits, TrainConfig(emb_dim=8, hidden_dim=16, max_epochs=2, time_budget_s=30))
    translator = translator_from_training(result)
    assert score(translator, splits.test).n == len(splits.test)
    assert score_dev(translator, dev_set()).n >= 150
    card = export_model(result, tmp_path / "model", metrics={}, data={"source": data.name})
    assert card["config"]["data"]["source"] == "tatoeba"
    with pytest.raises(KitError):
        load_data("tatoeba")
    with pytest.raises(KitError):
        load_data("wikipedia")
