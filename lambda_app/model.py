"""The translator network: a GRU encoder-decoder with (Luong) attention, small enough for CPU.

`encode` runs once per batch, `decode_step` produces one target token; training uses `forward`
(teacher forcing, all steps at once). The ONNX export is the same two functions.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .text import PAD_ID


@dataclass(frozen=True)
class ModelConfig:
    src_vocab: int
    tgt_vocab: int
    emb_dim: int = 64
    hidden_dim: int = 128
    dropout: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


class Seq2Seq(nn.Module):
    """Bidirectional GRU encoder, GRU decoder with dot-product attention over encoder states."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden_dim
        self.src_emb = nn.Embedding(cfg.src_vocab, cfg.emb_dim, padding_idx=PAD_ID)
        self.tgt_emb = nn.Embedding(cfg.tgt_vocab, cfg.emb_dim, padding_idx=PAD_ID)
        self.enc_fwd = nn.GRU(cfg.emb_dim, h // 2, batch_first=True)
        self.enc_bwd = nn.GRU(cfg.emb_dim, h // 2, batch_first=True)
        self.dec = nn.GRU(cfg.emb_dim, h, batch_first=True)
        self.combine = nn.Linear(2 * h, h)
        self.out = nn.Linear(h, cfg.tgt_vocab)
        self.drop = nn.Dropout(cfg.dropout)

    @staticmethod
    def _reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Reverse each sequence's first `length` steps (padding stays at the end): [B, S, E]."""
        steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)  # [1, S]
        idx = lengths.unsqueeze(1) - 1 - steps  # [B, S]
        idx = torch.where(idx >= 0, idx, steps)  # padding positions map to themselves
        return x.gather(1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]))

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Source ids [B, S] -> (memory [B, S, H], initial decoder state [B, H]).

        Right padding never changes the states of real tokens, so a sentence translates the same
        alone or in a batch.
        """
        lengths = (src != PAD_ID).sum(1)
        emb = self.drop(self.src_emb(src))
        fwd, _ = self.enc_fwd(emb)
        bwd, _ = self.enc_bwd(self._reverse_within_length(emb, lengths))
        bwd = self._reverse_within_length(bwd, lengths)
        memory = torch.cat([fwd, bwd], dim=-1)
        last = fwd.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, fwd.shape[2])).squeeze(1)
        hidden = torch.cat([last, bwd[:, 0]], dim=-1)
        return memory, hidden

    def _attend(self, dec_out: torch.Tensor, memory: torch.Tensor, src: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder states [B, T, H] -> (logits [B, T, V], attention weights [B, T, S])."""
        scores = dec_out @ memory.transpose(1, 2)  # [B, T, S]
        scores = scores.masked_fill((src == PAD_ID).unsqueeze(1), -1e9)
        attn = scores.softmax(-1)
        context = attn @ memory
        mixed = torch.tanh(self.combine(torch.cat([dec_out, context], dim=-1)))
        return self.out(self.drop(mixed)), attn

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits [B, T, V] for target inputs `tgt_in` (starting with <bos>)."""
        memory, hidden = self.encode(src)
        dec_out, _ = self.dec(self.drop(self.tgt_emb(tgt_in)), hidden.unsqueeze(0))
        logits, _ = self._attend(dec_out, memory, src)
        return logits

    def decode_step(self, prev: torch.Tensor, hidden: torch.Tensor, memory: torch.Tensor, src: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One greedy step: previous tokens [B] -> (logits [B, V], new state [B, H], attention [B, S])."""
        dec_out, new_hidden = self.dec(self.tgt_emb(prev).unsqueeze(1), hidden.unsqueeze(0))
        logits, attn = self._attend(dec_out, memory, src)
        return logits.squeeze(1), new_hidden.squeeze(0), attn.squeeze(1)
