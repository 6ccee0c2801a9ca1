"""Tokenizer and vocabulary shared by training and serving: pure Python, JSON only (no pickle)."""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Iterable

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(4)

# A word ending in an apostrophe ("l'", "n'", "don'"), a word, or any single other symbol.
_TOKEN = re.compile(r"[^\W\d_]+'|\w+|[^\w\s]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_NO_SPACE_BEFORE = {".", ",", "!", "?", ";", ":", ")", "%", "-"}  # "-": dark-haired, father-in-law
_NO_SPACE_AFTER = {"(", "-"}


def visible(text: str) -> str:
    """`text` without invisible characters: format characters (zero-width, BOM, bidi marks) are dropped,
    control characters (tabs, newlines, NUL) become spaces. Printable text is returned as is (fast path)."""
    if text.isprintable():
        return text
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        kept.append(" " if cat == "Cc" else "" if cat == "Cf" else ch)
    return "".join(kept)


def tokenize(text: str, lower: bool = True) -> list[str]:
    """Lower-case (unless `lower` is False), normalise apostrophes and split into words, elided words ("l'")
    and punctuation; invisible characters are no tokens (see `visible`)."""
    text = unicodedata.normalize("NFC", visible(text)).translate(_APOSTROPHES)
    return _TOKEN.findall(text.lower() if lower else text)


def capitalized_words(sentences: Iterable[str]) -> set[str]:
    """Tokens written with a capital inside a sentence more often than not (English: Monday, French, May)."""
    upper, seen = Counter(), Counter()
    for sentence in sentences:
        for tok in tokenize(sentence, lower=False)[1:]:
            seen[tok.lower()] += 1
            upper[tok.lower()] += tok[:1].isupper()
    return {t for t, n in seen.items() if upper[t] * 2 > n and t != "i"}


_AN_BEFORE = ("hour", "honest", "honour", "honor", "heir")  # a silent h: an hour
_A_BEFORE = ("uni", "use", "usu", "euro", "one", "once", "ewe")  # a "you" or "w" sound: a university, a one


def indefinite_article(word: str) -> str:
    """"a" or "an" before `word`, by its sound as spelt: an apple, a car, an hour, a university."""
    w = word.lower()
    vowel = w[:1] in "aeiou" and not w.startswith(_A_BEFORE)
    return "an" if vowel or w.startswith(_AN_BEFORE) else "a"


def detokenize(tokens: Iterable[str], cased: set[str] | frozenset[str] = frozenset()) -> str:
    """Join tokens into an English sentence: punctuation attached, "a"/"an" agreeing with the next word (the
    decoder writes the article before it has chosen the noun), "i", the `cased` words and the first letter
    capitalised."""
    out = ""
    toks = [t for t in tokens if t not in SPECIALS]
    for k, tok in enumerate(toks):
        if tok in ("a", "an") and k + 1 < len(toks) and toks[k + 1][:1].isalpha():
            tok = indefinite_article(toks[k + 1])
        if tok == "i":
            tok = "I"
        elif tok in cased:
            tok = tok[:1].upper() + tok[1:]
        glue = (not out or tok in _NO_SPACE_BEFORE or out.endswith("'") or out[-1] in _NO_SPACE_AFTER
                or tok.startswith("'"))
        out += tok if glue else " " + tok
    return out[:1].upper() + out[1:]


class Vocab:
    """Token <-> id mapping; specials first (<pad>=0, <unk>=1, <bos>=2, <eos>=3); unknown words -> <unk>."""

    def __init__(self, tokens: Iterable[str], cased: Iterable[str] = ()):
        self.cased: frozenset[str] = frozenset(cased)  # words detokenize capitalises (target side)
        rest = [t for t in tokens if t not in SPECIALS]
        self.itos: list[str] = list(SPECIALS) + rest
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("Vocab tokens must be unique.")

    @classmethod
    def build(cls, sentences: Iterable[list[str]], min_freq: int = 1, exclude: Iterable[str] = ()) -> "Vocab":
        """A vocab of every token seen at least `min_freq` times, most frequent first (ties: alphabetical);
        `exclude`d tokens stay <unk> (proper names: the model learns to copy them through)."""
        counts = Counter(tok for sent in sentences for tok in sent)
        drop = set(exclude)
        kept = sorted((t for t, c in counts.items() if c >= min_freq and t not in drop), key=lambda t: (-counts[t], t))
        return cls(kept)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: list[str]) -> list[int]:
        """Token ids; words not in the vocab become <unk>."""
        return [self.stoi.get(t, UNK_ID) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens for `ids`, stopping at <eos> and skipping <pad>/<bos>."""
        out = []
        for i in ids:
            if i == EOS_ID:
                break
            if i not in (PAD_ID, BOS_ID):
                out.append(self.itos[i] if 0 <= i < len(self.itos) else UNK)
        return out


def save_vocabs(path: Path, src: Vocab, tgt: Vocab) -> None:
    """Write both vocabularies as `{"src": [...], "tgt": [...], "cased": [...]}`."""
    data = {"src": src.itos, "tgt": tgt.itos, "cased": sorted(tgt.cased)}
    Path(path).write_text(json.dumps(data, ensure_ascii=False))


def load_vocabs(path: Path) -> tuple[Vocab, Vocab]:
    """Read the (source, target) vocabularies written by `save_vocabs`."""
    data = json.loads(Path(path).read_text())
    return Vocab(data["src"]), Vocab(data["tgt"], data.get("cased", ()))
