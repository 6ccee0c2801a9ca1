"""PyTorch backend for the greedy loop (imports torch; the image's `torch` runtime)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from .model import ModelConfig, Seq2Seq


class TorchBackend:
    """Runs `Seq2Seq.encode` / `decode_step` under `torch.inference_mode`, single-threaded.

    The model is tiny, so torch's thread pool only adds overhead (and spin-waits when cores are shared);
    `torch.set_num_threads(1)` is process-wide, which suits a Lambda process serving one model.
    """

    def __init__(self, model: Seq2Seq):
        self.model = model.eval()
        torch.set_num_threads(1)

    @classmethod
    def load(cls, model_dir: Path, model_config: dict) -> "TorchBackend":
        """Rebuild the network from its config and load `weights.pt` (tensors only: weights_only=True)."""
        model = Seq2Seq(ModelConfig(**model_config))
        model.load_state_dict(torch.load(Path(model_dir) / "weights.pt", map_location="cpu", weights_only=True))
        return cls(model)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def encode(self, src: np.ndarray) -> tuple[Any, Any]:
        with torch.inference_mode():
            src_t = torch.from_numpy(src).to(self.device)
            memory, hidden = self.model.encode(src_t)
        return (memory, src_t), hidden

    def step(self, prev: np.ndarray, state: Any, context: Any) -> tuple[np.ndarray, np.ndarray, Any]:
        memory, src_t = context
        with torch.inference_mode():
            logits, hidden, attn = self.model.decode_step(torch.from_numpy(prev).to(self.device), state, memory, src_t)
        return logits.float().cpu().numpy(), attn.float().cpu().numpy(), hidden
