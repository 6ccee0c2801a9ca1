"""The network: padding invariance, training path == inference path, export/version, learning."""
from __future__ import annotations

import json

import pytest
import torch

from helpers.train.export import weights_version
from lambda_app.model import ModelConfig, Seq2Seq
from lambda_app.text import BOS_ID, EOS_ID, PAD_ID


def _model(seed: int = 0) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(ModelConfig(src_vocab=30, tgt_vocab=20, emb_dim=8, hidden_dim=16, dropout=0.0)).eval()


def test_padding_does_not_change_a_sentence():
    model = _model()
    alone = torch.tensor([[5, 6, 7, EOS_ID]])
    padded = torch.tensor([[5, 6, 7, EOS_ID, PAD_ID, PAD_ID], [8, 9, 10, 11, 12, EOS_ID]])
    with torch.no_grad():
        m1, h1 = model.encode(alone)
        m2, h2 = model.encode(padded)
    assert torch.allclose(m1[0], m2[0, :4], atol=1e-6)
    assert torch.allclose(h1[0], h2[0], atol=1e-6)
    assert not torch.allclose(h2[0], h2[1])


def test_teacher_forcing_matches_step_by_step_decoding():
    model = _model()
    src = torch.tensor([[5, 6, 7, EOS_ID], [8, 9, EOS_ID, PAD_ID]])
    tgt_in = torch.tensor([[BOS_ID, 4, 5, 6], [BOS_ID, 7, 8, PAD_ID]])
    with torch.no_grad():
        full = model(src, tgt_in)
        memory, hidden = model.encode(src)
        steps = []
        for t in range(tgt_in.shape[1]):
            logits, hidden, attn = model.decode_step(tgt_in[:, t], hidden, memory, src)
            steps.append(logits)
            assert torch.allclose(attn.sum(-1), torch.ones(2))
            assert float(attn[1, 3]) == 0.0  # never attends to padding
    assert full.shape == (2, 4, 20)
    assert torch.allclose(full, torch.stack(steps, 1), atol=1e-5)


def test_version_is_a_content_hash():
    a, b = _model(0), _model(1)
    assert weights_version(a) == weights_version(_model(0))
    assert weights_version(a) != weights_version(b)
    assert len(weights_version(a)) == 12


def test_a_few_steps_reduce_the_loss():
    model = _model().train()
    src = torch.tensor([[5, 6, EOS_ID], [7, 8, EOS_ID]])
    tgt = torch.tensor([[BOS_ID, 9, 10, EOS_ID], [BOS_ID, 11, 12, EOS_ID]])
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        logits = model(src, tgt[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 20), tgt[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_exported_weights_load_with_weights_only(untrained_model_dir):
    card = json.loads((untrained_model_dir / "model_card.json").read_text())
    state = torch.load(untrained_model_dir / "weights.pt", weights_only=True)
    model = Seq2Seq(ModelConfig(**card["config"]["model"]))
    model.load_state_dict(state)
    assert weights_version(model) == card["version"]
    for name in ("vocab.json", "weights.pt", "encoder.onnx", "decoder.onnx"):
        assert card["sizes"][f"{name}_bytes"] == (untrained_model_dir / name).stat().st_size > 0
    assert card["sizes"]["parameters"] == sum(p.numel() for p in model.parameters())
    assert card["config"]["max_len"] == card["config"]["training"]["max_len"]


def test_training_stops_early_and_keeps_the_best_epoch():
    from helpers.train.corpus import generate_pairs
    from helpers.train.datasets import split_pairs
    from helpers.train.training import TrainConfig, train

    threads = torch.get_num_threads()
    splits = split_pairs(generate_pairs(300, seed=0), seed=0)
    cfg = TrainConfig(emb_dim=8, hidden_dim=16, lr=0.0, patience=1, max_epochs=5)  # lr=0: loss never improves
    result = train(splits, cfg)
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert result.best_epoch == 1 and result.stop_reason.startswith("early stop")
    assert result.history[0]["val_loss"] == pytest.approx(result.history[1]["val_loss"])
    assert torch.get_num_threads() == threads  # the training thread setting does not leak
