"""What the benchmark measures: the rows (variants), the sentences sent, and the model they are sent to."""
from __future__ import annotations

from pathlib import Path

from helpers.core.errors import KitError
from helpers.core.paths import REPO_ROOT
from helpers.core.paths import model_dir as default_model_dir

SENTENCE = "Les quatre chats jouent devant une maison rouge."  # 8 words, in the training grammar
SENTENCE_EN = "The four cats play in front of a red house."
BATCH = 32
RUNTIMES = ("torch", "slim")  # the image's two model runtimes
SEED = "seed"  # the seed's handler, faithfully: spaCy pipeline, pickled vocabularies, weights, per request
RELOAD = "reload"  # the kit's own files reloaded per request (the earlier, lighter baseline)
BASELINES = (SEED, RELOAD)
VARIANTS: dict[str, str] = {"torch": "torch", "slim": "slim", SEED: "torch", RELOAD: "torch"}  # row -> image runtime
LABELS = {"torch": "torch", "slim": "slim", SEED: "seed (spaCy, pickles, weights per request)",
          RELOAD: "kit files reloaded per request"}
MB = 10**6
MiB = 2**20


def find_model(explicit: Path | None = None) -> Path:
    """The model to benchmark: `explicit`, else model_dir() (01_train), else the test suite's trained cache."""
    candidates = [explicit] if explicit else [default_model_dir()]
    if not explicit:
        cached = sorted((REPO_ROOT / ".kit" / "test-cache").glob("trained-*/model_card.json"),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        candidates += [p.parent for p in cached]
    for c in candidates:
        if c and (c / "model_card.json").exists() and (c / "weights.pt").exists() and (c / "encoder.onnx").exists():
            return c
    raise KitError("No trained model with weights and ONNX files found: run notebooks/01_train.ipynb "
                   "(or pass --model DIR) and re-run the benchmark.")


def batch_sentences(n: int = BATCH) -> list[str]:
    """`n` fixed French sentences from the training grammar (deterministic)."""
    from helpers.train.corpus import generate_pairs

    return [p.fr for p in generate_pairs(n, seed=7)]


def check_variants(names: tuple[str, ...]) -> None:
    """KitError unless every name is a known benchmark row."""
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise KitError(f"Unknown runtime(s) {sorted(unknown)}: choose from {', '.join(VARIANTS)}.")
