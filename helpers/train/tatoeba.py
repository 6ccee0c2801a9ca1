"""Load the Tatoeba/Anki `fra.txt` format (`English<TAB>French<TAB>attribution`) to train on real data."""
from __future__ import annotations

from pathlib import Path

from lambda_app.text import tokenize

from helpers.train.corpus import Pair
from helpers.core.errors import KitError


def load_tatoeba(path: str | Path, max_pairs: int | None = None, max_tokens: int | None = None) -> list[Pair]:
    """French/English pairs from a Tatoeba/Anki file, first occurrence of each French sentence kept.

    Lines without a tab or with an empty side are skipped; `max_tokens` drops long sentences
    (either side), `max_pairs` keeps the first N pairs (the file is sorted from short to long).
    """
    path = Path(path)
    if not path.is_file():
        raise KitError(f"No file at {path}: download fra-eng.zip from manythings.org/anki and pass the fra.txt path.")
    pairs: dict[str, Pair] = {}
    with path.open(encoding="utf-8-sig") as f:
        for line in f:
            fields = line.rstrip("\n\r").split("\t")
            if len(fields) < 2:
                continue
            en, fr = fields[0].strip(), fields[1].strip()
            if not en or not fr:
                continue
            if max_tokens and max(len(tokenize(en)), len(tokenize(fr))) > max_tokens:
                continue
            pairs.setdefault(fr, Pair(fr, en))
            if max_pairs and len(pairs) >= max_pairs:
                break
    if not pairs:
        raise KitError(f"{path} has no 'English<TAB>French' lines: pass the fra.txt file from the Anki/Tatoeba zip.")
    return list(pairs.values())
