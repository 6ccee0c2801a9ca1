"""Tokenizer, detokenizer and vocab round trip (no spaCy, no pickle)."""
from __future__ import annotations

import json

from lambda_app.text import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocab, detokenize, load_vocabs, save_vocabs, tokenize


def test_tokenize_french():
    assert tokenize("Les deux chiens marchent dans le parc.") == \
        ["les", "deux", "chiens", "marchent", "dans", "le", "parc", "."]
    assert tokenize("Je n’aime pas l'école !") == ["je", "n'", "aime", "pas", "l'", "école", "!"]
    assert tokenize("  ") == [] and tokenize("") == []
    assert tokenize("Ça va\u202f?") == ["ça", "va", "?"]


def test_detokenize_english():
    assert detokenize(["the", "two", "dogs", "walk", "in", "the", "park", "."]) == "The two dogs walk in the park."
    assert detokenize(["i", "don'", "t", "know", ",", "do", "you", "?"]) == "I don't know, do you?"
    assert detokenize(["<bos>", "hi", "<eos>"]) == "Hi"
    assert detokenize([]) == ""


def test_detokenize_agrees_a_and_an_with_the_next_word():
    assert detokenize(["i", "eat", "a", "apple", "."]) == "I eat an apple."
    assert detokenize(["we", "watched", "an", "film", "."]) == "We watched a film."
    assert detokenize(["an", "hour", "and", "a", "university", ",", "an", "uncle", "."]) == \
        "An hour and a university, an uncle."
    assert detokenize(["a", "."]) == "A."
    assert detokenize(["dark", "-", "haired"]) == "Dark-haired"


def test_round_trip_of_english():
    s = "The small black dog does not sleep near the house."
    assert detokenize(tokenize(s)) == s


def test_vocab_specials_unknowns_and_decode():
    v = Vocab.build([["b", "a", "b"], ["c"]])
    assert v.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert v.itos[4] == "b"  # most frequent first
    assert v.encode(["a", "zzz"]) == [v.stoi["a"], UNK_ID]
    assert v.decode([BOS_ID, v.stoi["a"], v.stoi["c"], EOS_ID, v.stoi["b"]]) == ["a", "c"]
    assert v.decode([PAD_ID, 999]) == ["<unk>"]


def test_vocab_json_round_trip(tmp_path):
    src, tgt = Vocab.build([["le", "chien"]]), Vocab.build([["the", "dog"]])
    save_vocabs(tmp_path / "vocab.json", src, tgt)
    data = json.loads((tmp_path / "vocab.json").read_text())
    assert data["src"][:4] == ["<pad>", "<unk>", "<bos>", "<eos>"] and "chien" in data["src"]
    src2, tgt2 = load_vocabs(tmp_path / "vocab.json")
    assert src2.itos == src.itos and tgt2.itos == tgt.itos
