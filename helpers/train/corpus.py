"""The generated French -> English corpus: sentence kinds of a beginner's course, realized by pyRealB.

`generate_pairs(n, seed)` draws sentences from `KINDS` (helpers.train.templates and .phrases) over the kit's
bilingual lexicon (helpers.train.lexicon); pyRealB does the conjugation, agreement, elision and contractions in
both languages. The hand-written development set (tests/data/dev_fr_en.tsv) is never generated: its French
sentences are removed from the corpus, so the dev scores measure sentences the model never saw.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from helpers.core.errors import KitError
from helpers.core.paths import REPO_ROOT, kit_home
from helpers.train import everyday, phrases, templates
from helpers.train.lexicon import load_lexicon

SEED_SENTENCE = ("Les deux chiens marchent dans le parc.", "The two dogs walk in the park.")
DEV_SET = REPO_ROOT / "tests" / "data" / "dev_fr_en.tsv"
HELDOUT_SET = REPO_ROOT / "tests" / "data" / "heldout_fr_en.tsv"  # hand-written too; read only for the final score
# A pair may come up this many times, as often as it is drawn: "Il fait beau." is common, and a corpus of distinct
# sentences would teach it once, beside thousands of one-off combinations.
MAX_REPEATS = 10


@dataclass(frozen=True)
class Pair:
    """One French sentence and its English translation (`kind`: the template that made it, "" if unknown)."""

    fr: str
    en: str
    kind: str = ""


# name -> (template, weight in the corpus)
KINDS: dict[str, tuple[Callable[[templates.Draw], tuple[str, str]], float]] = {
    "action (any tense)": (templates.action, 26),
    "verb + infinitive": (templates.verb_infinitive, 10),
    "places (aller, habiter...)": (templates.go_place, 10),
    "être + adjective": (templates.be_adjective, 10),
    "être + profession": (templates.be_job, 3),
    "avoir (possession)": (templates.have, 7),
    "wh-questions": (templates.wh_question, 6),
    "avoir faim, soif...": (phrases.state, 2),
    "age": (phrases.age, 2),
    "il y a": (phrases.there_is, 4),
    "c'est": (phrases.it_is, 4),
    "weather": (phrases.weather, 4),
    "time of day": (phrases.clock, 2.5),
    "everyday questions (où est...)": (phrases.questions, 5),
    "greetings and polite phrases": (phrases.greeting, 3),
    "names": (phrases.names, 1.5),
    "daily routine (se lever...)": (phrases.routine, 2),
    "imperatives": (phrases.imperative, 3),
    "prices": (phrases.price, 1),
    "je voudrais": (phrases.would_like, 1.5),
    "likes (J'aime le thé)": (everyday.likes, 4),
    "where things are": (everyday.location, 4),
    "looks (les yeux verts)": (everyday.looks, 1.5),
}


def dev_set(path: Path = DEV_SET) -> list[tuple[str, list[str]]]:
    """The hand-written development set: (French, [reference translations])."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [(r[0], r[1:]) for r in rows]


def heldout_set() -> list[tuple[str, list[str]]]:
    """The hand-written held-out set (tests/data/heldout_fr_en.tsv): written without reading the generator and
    used for the final score only, never to tune; the same format as the dev set."""
    return dev_set(HELDOUT_SET)


def _dev_keys() -> set[str]:
    """The hand-written sets' French sentences (tokenized): the generator never keeps one."""
    from lambda_app.text import tokenize

    return {" ".join(tokenize(fr)) for path in (DEV_SET, HELDOUT_SET) if path.exists() for fr, _ in dev_set(path)}


class _Kept:
    """Pairs in drawing order, each French sentence at most MAX_REPEATS times and always with its first English."""

    def __init__(self) -> None:
        self.pairs: list[Pair] = []
        self._counts: dict[str, int] = {}
        self._english: dict[str, str] = {}

    def add(self, p: Pair) -> None:
        if self._english.setdefault(p.fr, p.en) == p.en and self._counts.get(p.fr, 0) < MAX_REPEATS:
            self._counts[p.fr] = self._counts.get(p.fr, 0) + 1
            self.pairs.append(p)


def generate_pairs(n: int, seed: int = 0, workers: int = 2) -> list[Pair]:
    """`n` (French, English) pairs, reproducible by `seed`, each at most MAX_REPEATS times; the seed sentence is
    always first.

    Drawn in `workers` processes (chunk k from seed `seed * 1000 + k`) and cached in .kit/corpus/ under a hash
    of the generator's sources, the lexicon, the dev set and (n, seed): a second call reads the file.
    """
    if n < 1:
        raise KitError(f"Ask for at least one sentence pair (got n={n}).")
    cache = kit_home() / "corpus" / f"{_generator_hash()}-{n}-{seed}.json"
    if cache.exists():
        return [Pair(*row) for row in json.loads(cache.read_text(encoding="utf-8"))]
    chunks = [(seed * 1000 + k, n // 7 + 1) for k in range(8)]  # 8/7 of n: a few repeats past MAX_REPEATS are dropped
    if workers > 1 and n > 2000 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(workers) as pool:  # pure Python: safe to fork
            parts = pool.starmap(_draw_pairs, chunks)
    else:
        parts = [_draw_pairs(s, n) for s, _ in chunks[:1]]
    kept = _Kept()
    kept.add(Pair(*SEED_SENTENCE, kind="action (any tense)"))
    for p in (p for part in parts for p in part):
        if len(kept.pairs) >= n:
            break
        kept.add(p)
    out = kept.pairs
    if len(out) < n:
        raise KitError(f"The templates cannot produce {n} pairs: ask for fewer.")
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps([[p.fr, p.en, p.kind] for p in out], ensure_ascii=False), encoding="utf-8")
    tmp.replace(cache)  # atomic: a concurrent reader sees the whole file or none
    return out


def _draw_pairs(seed: int, n: int) -> list[Pair]:
    """Up to `n` pairs drawn from `KINDS` by weight (none of them a hand-written set's sentence)."""
    from lambda_app.text import tokenize

    rng = random.Random(seed)
    draw = templates.Draw(rng)
    names, weights = list(KINDS), [w for _, w in KINDS.values()]
    banned = _dev_keys()
    kept = _Kept()
    for _ in range(20 * n + 1000):
        if len(kept.pairs) >= n:
            break
        kind = rng.choices(names, weights)[0]
        try:
            fr, en = KINDS[kind][0](draw)
        except Exception:  # pyRealB's warning (it could not realize a draw, e.g. a defective verb): draw again
            continue
        if "[[" in fr + en:  # pyRealB marks what it could not inflect: never train on it
            continue
        if " ".join(tokenize(fr)) not in banned:
            kept.add(Pair(fr, en, kind))
    return kept.pairs


def _generator_hash() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    sources = ("corpus.py", "templates.py", "draw.py", "phrases.py", "everyday.py", "clauses.py", "realize.py",
               "lexicon.py")
    for path in [here / name for name in sources] + [here / "data" / "lexicon_fr_en.tsv", DEV_SET, HELDOUT_SET]:
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def french_word_forms(pairs: list[Pair]) -> set[str]:
    """The French word forms (tokens) of `pairs`."""
    from lambda_app.text import tokenize

    return {t for p in pairs for t in tokenize(p.fr) if t[0].isalpha()}


def coverage(pairs: list[Pair]) -> dict:
    """What a corpus covers: pairs per sentence kind, lexicon size, word forms."""
    return {"pairs": len(pairs), "kinds": dict(Counter(p.kind for p in pairs).most_common()),
            "lexicon_pairs": len(load_lexicon()), "french_word_forms": len(french_word_forms(pairs))}
