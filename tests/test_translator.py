"""load_translator: both runtimes, the same greedy loop, robust input handling, the seed sentence."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from helpers.train.corpus import SEED_SENTENCE, generate_pairs
from helpers.train.evaluation import compare_runtimes
from lambda_app.translator import load_translator

ODD_INPUTS = ["", "   ", "Zorglub blorp !", "Le chien " * 40, "123 ??? …", "L'école est fermée."]


@pytest.mark.parametrize("runtime", ["torch", "slim"])
def test_untrained_model_handles_any_input(untrained_model_dir, runtime):
    tr = load_translator(untrained_model_dir, runtime)
    out = tr.translate_batch(ODD_INPUTS)
    assert len(out) == len(ODD_INPUTS) and out[0] == "" and out[1] == ""
    assert all(isinstance(s, str) for s in out)
    assert all(len(s.split()) <= tr.max_len for s in out)
    assert tr.translate_batch([]) == []
    assert tr.info["runtime"] == runtime and tr.info["name"] and len(tr.info["version"]) == 12
    with pytest.raises(TypeError):
        tr.translate_batch([None])  # type: ignore[list-item]


def test_torch_and_onnx_agree_on_untrained_model(untrained_model_dir):
    sentences = [p.fr for p in generate_pairs(300, seed=5)] + ODD_INPUTS
    agreement = compare_runtimes(untrained_model_dir, sentences)
    assert agreement.n == len(sentences)
    assert agreement.mismatches == []


@pytest.mark.parametrize("runtime", ["torch", "slim"])
def test_batch_mates_do_not_change_a_translation(untrained_model_dir, runtime):
    tr = load_translator(untrained_model_dir, runtime)
    sentences = [p.fr for p in generate_pairs(70, seed=3)]  # more than one internal batch of 64
    together = tr.translate_batch(sentences)
    assert together == [tr.translate_batch([s])[0] for s in sentences]


def test_slim_runtime_never_imports_torch(untrained_model_dir):
    code = (
        "import sys; from lambda_app.translator import load_translator; "
        f"t = load_translator({str(untrained_model_dir)!r}, 'slim'); t.translate_batch(['Le chien dort.']); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=untrained_model_dir.parent.parent)


def test_bad_arguments(tmp_path, untrained_model_dir):
    with pytest.raises(FileNotFoundError, match="01_train"):
        load_translator(tmp_path, "slim")
    with pytest.raises(ValueError, match="runtime"):
        load_translator(untrained_model_dir, "tensorflow")


@pytest.mark.parametrize("runtime", ["torch", "slim"])
def test_trained_model_translates_the_seed_sentence(trained_model_dir, runtime):
    tr = load_translator(trained_model_dir, runtime)
    assert tr.translate_batch([SEED_SENTENCE[0], ""]) == [SEED_SENTENCE[1], ""]


def test_attention_for_the_seed_sentence(trained_model_dir):
    al = load_translator(trained_model_dir, "slim").translate_with_attention(SEED_SENTENCE[0])
    assert al.source == ["les", "deux", "chiens", "marchent", "dans", "le", "parc", ".", "<eos>"]
    assert al.target == ["the", "two", "dogs", "walk", "in", "the", "park", ".", "<eos>"]
    assert al.weights.shape == (9, 9)
    assert np.allclose(al.weights.sum(1), 1.0, atol=1e-5)
    assert al.weights[2][2] > al.weights[2][6] and al.weights[6][6] > al.weights[6][2]  # dogs~chiens, park~parc


def test_attention_rows_match_output_tokens_on_untrained_model(untrained_model_dir):
    tr = load_translator(untrained_model_dir, "torch")
    al = tr.translate_with_attention("Le zorglub.")
    assert al.source == ["le", "<unk>", ".", "<eos>"]
    assert al.weights.shape == (len(al.target), len(al.source))
    assert 1 <= len(al.target) <= tr.max_len
    empty = tr.translate_with_attention("  ")
    assert empty.target == [] and empty.weights.shape == (0, 0)


class _ScriptedBackend:
    """A backend that emits a fixed token sequence with fixed probabilities and attention (numpy only)."""

    def __init__(self, out: list[int], probs: list[float], attend: list[int], vocab: int = 8):
        self.out, self.probs, self.attend, self.vocab = out, probs, attend, vocab

    def encode(self, src):
        return src, 0

    def step(self, prev, state, context):
        b, s = context.shape
        tok = self.out[min(state, len(self.out) - 1)]
        p = self.probs[min(state, len(self.probs) - 1)]
        rest = (1 - p) / (self.vocab - 1)  # softmax(logits) puts p on `tok`
        logits = np.log(np.full((b, self.vocab), rest))
        logits[:, tok] = np.log(p)
        attn = np.zeros((b, s), dtype=np.float32)
        attn[:, self.attend[min(state, len(self.attend) - 1)]] = 1.0
        return logits, attn, state + 1


def _scripted(out, probs, attend, cased=()):
    from lambda_app.text import Vocab
    from lambda_app.translator import Translator

    src = Vocab(["je", "m'", "appelle", "."])
    tgt = Vocab(["my", "name", "is", "."], cased=cased)  # ids 4..7; <unk> is 1, <eos> 3
    return Translator(_ScriptedBackend(out, probs, attend), src, tgt, 32, {"name": "t", "version": "v", "runtime": "x"})


def test_unknown_output_copies_the_attended_source_word():
    tr = _scripted([4, 5, 6, 1, 7, 3], [0.9] * 6, [0, 1, 2, 3, 4, 5])  # <unk> attends to source position 3
    [t] = tr.translate_detailed(["Je m'appelle Zorglub."])
    assert t.text == "My name is Zorglub." and t.copied == ["Zorglub"]
    assert tr.unknown_words("Je m'appelle Zorglub.") == ["zorglub"]


def test_confidence_is_the_least_sure_words_probability():
    sure = _scripted([4, 5, 6, 7, 3], [0.95, 0.9, 0.99, 0.97, 0.96], [0])
    [t] = sure.translate_detailed(["je m' appelle ."])
    assert t.confidence == pytest.approx(0.9, abs=1e-3) and not t.low_confidence
    unsure = _scripted([4, 5, 6, 7, 3], [0.95, 0.3, 0.99, 0.97, 0.96], [0])
    [t] = unsure.translate_detailed(["je m' appelle ."])
    assert t.confidence == pytest.approx(0.3, abs=1e-3) and t.low_confidence


def test_cased_words_are_capitalised():
    tr = _scripted([4, 5, 6, 7, 3], [0.9] * 5, [0], cased=("name",))
    assert tr.translate_batch(["je"]) == ["My Name is."]


def test_a_plural_or_feminine_form_reads_as_the_form_the_model_saw():
    from lambda_app.text import Vocab
    from lambda_app.translator import known_form, source_ids

    v = Vocab(["fatigué", "fermé", "croissant", "mari", "nous", "les", ",", "."])
    assert [known_form(v, t) for t in ("fatigués", "fermée", "fermées", "croissants", "marie", "nous", "zorglub")] == \
        ["fatigué", "fermé", "fermé", None, None, "nous", None]  # a name is no word; a plural noun is copied
    assert source_ids(v, ["nous", "fatigués", "zorglubs", "."], 32) == \
        [v.stoi["nous"], v.stoi["fatigué"], 1, v.stoi["."], 3]
    tr = _scripted([3], [0.9], [0])
    tr.src_vocab = v
    assert tr.unknown_words("Nous sommes fatigués, Zorglub.") == ["sommes", "zorglub"]
