"""ONNX Runtime backend for the greedy loop (numpy + onnxruntime only: the image's `slim` runtime)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort


class OnnxBackend:
    """Runs `encoder.onnx` once per batch and `decoder.onnx` once per output token."""

    def __init__(self, model_dir: Path, threads: int = 1):
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads  # 1 by default: for this tiny model threads only add overhead
        opts.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        self.encoder = ort.InferenceSession(str(Path(model_dir) / "encoder.onnx"), opts, providers=providers)
        self.decoder = ort.InferenceSession(str(Path(model_dir) / "decoder.onnx"), opts, providers=providers)

    def encode(self, src: np.ndarray) -> tuple[Any, Any]:
        memory, hidden = self.encoder.run(None, {"src": src})
        return (memory, src), hidden

    def step(self, prev: np.ndarray, state: Any, context: Any) -> tuple[np.ndarray, np.ndarray, Any]:
        memory, src = context
        logits, hidden, attn = self.decoder.run(None, {"prev": prev, "hidden": state, "memory": memory, "src": src})
        return logits, attn, hidden
