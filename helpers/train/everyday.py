"""Three everyday sentence kinds a beginner writes early: what one likes (English drops the generic article), where
things are, and what someone looks like. Realized by pyRealB through `Clause`, like the other kinds."""
from __future__ import annotations

from typing import Any

from helpers.train.clauses import Clause
from helpers.train.draw import APPRECIATION, Draw, generic_object, place_complement
from helpers.train.realize import Noun, Subject

_LIKED = ("food", "drink", "animal", "music", "screen", "sport", "subject", "clothes", "vehicle")
_LOOKS = ("oeil", "cheveu")  # avoir les yeux verts -> have green eyes; les cheveux longs -> long hair


def likes(d: Draw) -> tuple[str, str]:
    """J'aime le chocolat. -> I like chocolate. / Tu aimes les chats ? -> Do you like cats? / Il préfère le thé."""
    r = d.rng
    v = d.pick([d.lex.find("V", fr) for fr in APPRECIATION])
    obj = generic_object(v, d.noun(_LIKED, det="def", plural=r.random() < 0.4))
    c = Clause(d.subject(False), v, obj=obj, tense=r.choice(("p", "p", "p", "p", "i")), neg=d.neg(0.25),
               question=d.question(0.3))
    return c.french(), c.english()


def location(d: Draw) -> tuple[str, str]:
    """Le livre est sur la table. -> The book is on the table. / Mon chat est sous le lit ? / Marie est dans le
    jardin."""
    r = d.rng
    if r.random() < 0.3:
        s = d.subject()
    else:
        cls = r.choice((("thing", "clothes", "food", "drink", "vehicle"), ("animal",), ("person", "family")))
        s = Subject(3, noun=d.noun(cls, det=r.choice(("def", "def", "poss", "dem")), adj_cls=("any", "color")))
    c = Clause(s, d.lex.find("V", "être"), comp=place_complement(d), tense=r.choice(("p", "p", "p", "i")),
               neg=d.neg(0.15), question=d.question(0.2))
    return c.french(), c.english()


def looks(d: Draw) -> tuple[str, str]:
    """Ma sœur a les yeux verts. -> My sister has green eyes. / Il a les cheveux longs. -> He has long hair."""
    r = d.rng
    lemma = r.choice(_LOOKS)
    part = d.lex.find("N", lemma)
    adjectives = d.lex.of("A", "color") + ([d.lex.find("A", "long"), d.lex.find("A", "court")] if lemma == "cheveu"
                                           else [])
    adj = r.choice(adjectives)

    def comp(lang: str) -> list[Any]:
        plural = lang == "fr" or lemma == "oeil"  # English "hair" is singular
        return [Noun(part, "def" if lang == "fr" else "none", plural, adj=adj).build(lang)]
    s = d.subject() if r.random() < 0.6 else Subject(3, noun=d.noun(("family", "person"), det="poss"))
    c = Clause(s, d.lex.find("V", "avoir"), comp=comp, tense=r.choice(("p", "p", "p", "i")), neg=False,
               question=d.question(0.15))
    return c.french(), c.english()
