"""The kit's bilingual lexicon (helpers/train/data/lexicon_fr_en.tsv): French/English lemma pairs by class.

The data file's header says how the entries were chosen (word frequency, then a beginner's themes).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEXICON_PATH = Path(__file__).resolve().parent / "data" / "lexicon_fr_en.tsv"


@dataclass(frozen=True)
class Entry:
    """One lemma pair: part of speech, French and English lemmas, class (or verb frames), inflection hints."""

    pos: str
    fr: str
    en: str
    cls: str
    like: str = ""
    zipf: float = 0.0

    def hint(self, lang: str) -> str:
        """The lemma whose inflection this entry borrows in `lang` (`like` column), or ""."""
        return next((p[3:] for p in self.like.split(";") if p.startswith(lang + "=")), "")

    @property
    def frames(self) -> tuple[str, ...]:
        """A verb's frames, e.g. ("i", "t:food,drink")."""
        return tuple(self.cls.split(";")) if ";" in self.cls else _split_frames(self.cls)

    def objects(self) -> tuple[str, ...]:
        """The noun classes a transitive verb takes (`t:food,drink` -> ("food", "drink"))."""
        for frame in self.frames:
            if frame.startswith("t:"):
                return tuple(frame[2:].split(","))
        return ()


def _split_frames(cls: str) -> tuple[str, ...]:
    """`inf,t:food,drink` -> ("inf", "t:food,drink"): a `t:` frame keeps the classes after it."""
    head, sep, objects = cls.partition("t:")
    frames = tuple(f for f in head.split(",") if f)
    return frames + ((f"t:{objects}",) if sep else ())


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...]

    def __len__(self) -> int:
        return len(self.entries)

    def of(self, pos: str, *classes: str) -> list[Entry]:
        """Entries of `pos`, restricted to `classes` when given."""
        return [e for e in self.entries if e.pos == pos and (not classes or e.cls in classes)]

    def verbs(self, frame: str) -> list[Entry]:
        """Verbs having `frame` (i, l, inf, refl, w, cop; "t" for any transitive)."""
        return [e for e in self.entries if e.pos == "V" and any(f == frame or f.startswith(frame + ":")
                                                                 for f in e.frames)]

    def find(self, pos: str, fr: str) -> Entry:
        """The entry for a French lemma (KeyError if absent)."""
        for e in self.entries:
            if e.pos == pos and e.fr == fr:
                return e
        raise KeyError(f"{pos} {fr}")


@lru_cache(maxsize=1)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read the lexicon file (comment lines start with #; the first other line is the header)."""
    rows = [line.rstrip("\n").split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    entries = tuple(Entry(r[0], r[1], r[2], r[3], r[4] if len(r) > 4 else "", float(r[5]) if len(r) > 5 else 0.0)
                    for r in rows[1:])
    return Lexicon(entries)
