"""The same abstract phrase in French and English, realized by pyRealB (conjugation, agreement, elision).

pyRealB (RALI, Université de Montréal; MIT) keeps one current language: a tree must be built after `loadFr()`
or `loadEn()`, so phrases here are built by functions of the language ("fr" | "en"). Lemmas the kit needs that
pyRealB's lexicons lack borrow another lemma's inflection (the lexicon's `like` column).
"""
from __future__ import annotations

import copy
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import pyrealb as rb

from helpers.train.lexicon import Entry, load_lexicon

Build = Callable[[str], Any]  # lang -> a pyRealB constituent
# The gender of the clause's subject when it is "il", "elle" or a name, else None. English must choose his or her
# for son/sa; the only clue in the sentence is the subject ("Elle parle avec sa mère." -> "... her mother."), so a
# third-person possessive follows it, and without one it becomes mon/my: no pair teaches a coin toss.
POSSESSOR_GENDER: ContextVar[str | None] = ContextVar("possessor_gender", default=None)
_LIGATURES = {"soeur": "sœur", "coeur": "cœur", "oeuf": "œuf", "oeil": "œil", "boeuf": "bœuf", "oeuvre": "œuvre"}
_LIGATURE_RE = re.compile(r"\b(" + "|".join(_LIGATURES) + r")", re.IGNORECASE)


@lru_cache(maxsize=1)
def setup() -> None:
    """Add the lexicon's borrowed-inflection lemmas to pyRealB's lexicons (once per process); pyRealB's warnings
    (a lemma it cannot inflect, an option it ignores) become exceptions, so no flawed sentence is kept."""
    rb.Constituent.exceptionOnWarning = True
    for lang, load in (("fr", rb.loadFr), ("en", rb.loadEn)):
        load()
        known = rb.getLexicon(lang)
        for e in load_lexicon().entries:
            lemma = e.fr if lang == "fr" else e.en
            like = e.hint(lang)
            if e.pos not in ("N", "A", "V") or not like or like in ("pl", "sg"):
                continue
            head = _head(lemma, lang, e.pos)
            if head not in known and like in known and e.pos in known[like]:
                rb.addToLexicon(head, {e.pos: copy.deepcopy(known[like][e.pos])}, lang)
    rb.loadEn()
    known = rb.getLexicon("en")
    known["fish"]["N"]["tab"] = known["sheep"]["N"]["tab"]  # "fish" as a plural, not "fishes"


def _head(lemma: str, lang: str, pos: str) -> str:
    """The inflected word of a multi-word lemma: French's first ("salle de bains"), English's last ("ice cream")."""
    words = lemma.replace("se ", "").replace("s'", "").split()
    return words[0] if lang == "fr" or pos == "V" else words[-1]


def realize(lang: str, build: Build) -> str:
    """Realize `build(lang)` as one sentence (no trailing space; French ligatures œ restored)."""
    setup()
    (rb.loadFr if lang == "fr" else rb.loadEn)()
    text = build(lang).realize().strip()
    if lang == "fr":
        text = _LIGATURE_RE.sub(lambda m: _cased(_LIGATURES[m.group(1).lower()], m.group(1)), text)
    return text


def french_spacing(text: str) -> str:
    """pyRealB writes "Aimes-tu le chat?"; French typography (and textbooks) put a space before ? and !."""
    return text[:-1] + " " + text[-1] if text[-1:] in "?!" else text


def words(lang: str, build: Build) -> str:
    """Realize a phrase (not a sentence: no capital, no final period)."""
    setup()
    (rb.loadFr if lang == "fr" else rb.loadEn)()
    text = build(lang).realize().strip()
    return _LIGATURE_RE.sub(lambda m: _cased(_LIGATURES[m.group(1).lower()], m.group(1)), text) if lang == "fr" else text


def prep(word: str) -> Any:
    """A preposition: pyRealB's P for one word (so "à le" contracts to "au"), a quoted word group otherwise."""
    return rb.P(word) if " " not in word else rb.Q(word)


def _cased(word: str, like: str) -> str:
    return word[0].upper() + word[1:] if like[0].isupper() else word


# ---------------------------------------------------------------- noun phrases


@dataclass(frozen=True)
class Noun:
    """An abstract noun phrase: noun, determiner, number, count, adjective, possessor person, gender."""

    entry: Entry
    det: str = "def"  # def | indef | poss | part (du/de la -> no article) | none | neg (pas de -> no article/any)
    plural: bool = False
    count: int | None = None
    adj: Entry | None = None
    poss: int = 1  # possessor's person (singular possessor): mon/ton/son -> my/your/his|her (POSSESSOR_GENDER)
    gender: str = ""  # for persons whose French noun takes either gender (ami/amie)
    generic: bool = False  # English drops the article: J'aime le chocolat -> I like chocolate

    def terminal(self, lang: str) -> Any:
        e = self.entry
        lemma = e.fr if lang == "fr" else e.en
        always = "pl" in e.like.split(";")
        n = rb.N(e.hint("fr") if always and lang == "fr" else _head(lemma, lang, "N"))
        if self.gender and lang == "fr":
            n.g(self.gender)
        if (self.plural or always) and not (lang == "en" and "sg" in e.like.split(";")):
            n.n("p")
        words = lemma.split()
        if len(words) == 1:
            return [n]
        rest = rb.Q(" ".join(words[1:] if lang == "fr" else words[:-1]))
        return [n, rest] if lang == "fr" else [rest, n]

    def build(self, lang: str) -> Any:
        parts: list[Any] = []
        det = "none" if self.generic and lang == "en" else self.det
        if det == "def":
            parts.append(rb.D("le" if lang == "fr" else "the"))
        elif det == "indef" and not (self.plural and lang == "en"):
            parts.append(rb.D("un" if lang == "fr" else "a"))
        elif det == "poss":
            possessor = POSSESSOR_GENDER.get()
            pe = 1 if self.poss == 3 and possessor is None else self.poss
            d = rb.D("mon" if lang == "fr" else "my").pe(pe)
            parts.append(d.g(possessor or "m") if lang == "en" and pe == 3 else d)
        elif det == "part" and lang == "fr":
            parts += [rb.D("de"), rb.D("le")]
        elif det == "neg":
            if lang == "fr":
                parts.append(rb.D("de"))
            elif self.plural or not mass(self.entry):
                parts.append(rb.D("any" if self.plural else "a"))
        elif det == "dem":
            parts.append(rb.D("ce" if lang == "fr" else "this"))
        if self.count is not None:
            parts.append(rb.NO(self.count).nat(True))
        if self.adj is not None:
            parts.append(rb.A(self.adj.fr if lang == "fr" else _head(self.adj.en, "en", "A")))
        np = rb.NP(*parts, *self.terminal(lang))
        return np.n("p") if self.plural else np


@dataclass(frozen=True)
class Subject:
    """A subject: a personal pronoun (person 1-3, number, gender), a noun phrase, or a proper name."""

    pe: int = 3
    plural: bool = False
    gender: str = "m"
    noun: Noun | None = None
    name: str = ""

    def build(self, lang: str) -> Any:
        if self.noun is not None:
            return self.noun.build(lang)
        if self.name:
            return rb.NP(rb.Q(self.name)).g(self.gender)
        pro = rb.Pro("je" if lang == "fr" else "I").pe(self.pe).n("p" if self.plural else "s")
        return pro.g(self.gender if lang == "fr" or self.pe == 3 else "m")

    @property
    def third_singular(self) -> bool:
        return self.pe == 3 and not self.plural and not (self.noun and self.noun.plural)


def countable(e: Entry) -> bool:
    """Whether the noun of `e` can be plural in both languages (pyRealB refuses "informations", "rices")."""
    setup()
    info = rb.getLexicon("en").get(_head(e.en, "en", "N"), {}).get("N", {})
    return info.get("cnt", "yes") != "no" and not e.like


def mass(e: Entry) -> bool:
    """Whether English uses the noun of `e` without an article ("coffee", "bread", "information"): pyRealB's
    cnt no, or cnt both for food and drink ("a song", but "he does not eat meat")."""
    setup()
    cnt = rb.getLexicon("en").get(_head(e.en, "en", "N"), {}).get("N", {}).get("cnt", "yes")
    return cnt == "no" or (cnt == "both" and e.cls in ("food", "drink"))


def verb(lang: str, e: Entry, tense: str = "p") -> Any:
    """The verb of `e` (English particles such as "look for" are left to the caller: see `particle`)."""
    return rb.V(_head(e.fr if lang == "fr" else e.en, lang, "V")).t(tense)


def particle(e: Entry) -> str:
    """An English verb's particle or preposition: "look for" -> "for", "go to bed" -> "to bed"."""
    words = e.en.split()
    return " ".join(words[1:])


def bare_particle(e: Entry) -> str:
    """The particle a verb keeps without an object: an intransitive's ("come in", "get up"), not a transitive's
    ("listen to", "wait for": Écoutez ! -> Listen!)."""
    return particle(e) if "i" in e.frames or e.cls == "refl" else ""
