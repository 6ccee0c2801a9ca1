"""How the lexicon's entries were chosen (run at authoring time, not by the kit): the most frequent French words
that pyRealB's French lexicon knows as a noun, verb, adjective or adverb, in frequency order, with their Zipf
frequency and whether helpers/train/data/lexicon_fr_en.tsv already has them.

    python -m helpers.train.lexicon_candidates [N]     # N most frequent French words to scan (default 12000)

Needs `wordfreq` (pip install -e '.[dev]'); the kit itself never downloads or reads word lists at run time.
"""
from __future__ import annotations

import sys

import pyrealb as rb

from helpers.train.lexicon import load_lexicon

POS = ("N", "V", "A", "Adv")


def candidates(scan: int = 12_000) -> list[tuple[str, str, float]]:
    """(word, parts of speech, Zipf frequency) for the `scan` most frequent French words pyRealB can inflect."""
    from wordfreq import top_n_list, zipf_frequency

    rb.loadFr()
    known = rb.getLexicon("fr")
    out = []
    for word in top_n_list("fr", scan):
        pos = [p for p in POS if p in known.get(word, {})]
        if pos:
            out.append((word, "/".join(pos), zipf_frequency(word, "fr")))
    return out


def main(argv: list[str]) -> None:
    have = {e.fr for e in load_lexicon().entries}
    for word, pos, zipf in candidates(int(argv[0]) if argv else 12_000):
        print(f"{zipf:5.2f}  {'*' if word in have else ' '} {word:20} {pos}")


if __name__ == "__main__":
    main(sys.argv[1:])
