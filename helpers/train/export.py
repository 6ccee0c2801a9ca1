"""Write the model directory that `lambda_app` serves: weights, vocab, ONNX encoder/decoder, model card."""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import torch
from torch import nn

from lambda_app.model import Seq2Seq
from lambda_app.text import save_vocabs

from helpers.train.training import TrainResult

MODEL_NAME = "fr-en-grammar-gru"
ONNX_OPSET = 17
ARTIFACTS = ("vocab.json", "weights.pt", "encoder.onnx", "decoder.onnx", "model_card.json")


def weights_version(model: nn.Module) -> str:
    """A short content hash of the weights (12 hex digits): same weights, same version."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


class _Encoder(nn.Module):
    def __init__(self, model: Seq2Seq):
        super().__init__()
        self.model = model

    def forward(self, src: torch.Tensor):
        return self.model.encode(src)


class _DecoderStep(nn.Module):
    def __init__(self, model: Seq2Seq):
        super().__init__()
        self.model = model

    def forward(self, prev, hidden, memory, src):
        return self.model.decode_step(prev, hidden, memory, src)


def export_onnx(model: Seq2Seq, out_dir: Path) -> None:
    """Export `encoder.onnx` (src -> memory, hidden) and `decoder.onnx` (one step -> logits, hidden, attn)."""
    model = model.cpu().eval()
    src = torch.tensor([[5, 6, 7, 3], [5, 6, 3, 0]])
    with torch.no_grad():  # not inference_mode: the exporter traces through these tensors
        memory, hidden = model.encode(src)
    prev = torch.tensor([2, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python values
        torch.onnx.export(_Encoder(model), (src,), str(out_dir / "encoder.onnx"), dynamo=False,
                          input_names=["src"], output_names=["memory", "hidden"], opset_version=ONNX_OPSET,
                          dynamic_axes={"src": {0: "batch", 1: "src_len"}, "memory": {0: "batch", 1: "src_len"},
                                        "hidden": {0: "batch"}})
        torch.onnx.export(_DecoderStep(model), (prev, hidden, memory, src), str(out_dir / "decoder.onnx"),
                          dynamo=False, input_names=["prev", "hidden", "memory", "src"],
                          output_names=["logits", "hidden_out", "attn"], opset_version=ONNX_OPSET,
                          dynamic_axes={"prev": {0: "batch"}, "hidden": {0: "batch"},
                                        "memory": {0: "batch", 1: "src_len"}, "src": {0: "batch", 1: "src_len"},
                                        "logits": {0: "batch"}, "hidden_out": {0: "batch"},
                                        "attn": {0: "batch", 1: "src_len"}})


def export_model(result: TrainResult, out_dir: str | Path, metrics: dict, data: dict | None = None) -> dict:
    """Write every artifact to `out_dir` (overwriting a previous export) and return the model card."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = result.model.cpu().eval()
    save_vocabs(out_dir / "vocab.json", result.src_vocab, result.tgt_vocab)
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, out_dir / "weights.pt")
    export_onnx(model, out_dir)
    train_cfg = result.config.to_dict()
    card = {
        "name": MODEL_NAME,
        "version": weights_version(model),
        "config": {"model": model.cfg.to_dict(), "training": train_cfg, "max_len": train_cfg["max_len"],
                   "data": data or {}},
        "metrics": metrics,
        "training_seconds": round(result.seconds, 1),
        "epochs": {"run": len(result.history), "best": result.best_epoch, "stop_reason": result.stop_reason},
        "sizes": {"parameters": sum(p.numel() for p in model.parameters()),
                  "src_vocab": len(result.src_vocab), "tgt_vocab": len(result.tgt_vocab),
                  **{f"{name}_bytes": (out_dir / name).stat().st_size for name in ARTIFACTS[:-1]}},
    }
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False))
    return card
