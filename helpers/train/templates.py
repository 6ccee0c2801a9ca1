"""Sentence kinds of a beginner's (CEFR A1) course, drawn at random over the lexicon and realized by pyRealB.

Each kind is a function `(Draw) -> (French, English)`; helpers.train.corpus.KINDS maps a name to it and to its
weight in the corpus. Fixed expressions (greetings, weather, time, names) are in `helpers.train.phrases`; the
random choices in `helpers.train.draw`.
"""
from __future__ import annotations

from typing import Any, Callable

import pyrealb as rb

from helpers.train.clauses import Clause
from helpers.train.draw import (CITIES, PROPER_NAMES, Draw, generic_object, negated, object_classes,
                                place_complement, play_complement, with_complement, with_time)
from helpers.train.lexicon import Entry
from helpers.train.realize import Noun, Subject, bare_particle, particle

__all__ = ["Draw", "PROPER_NAMES", "action", "be_adjective", "be_job", "go_place", "have", "verb_infinitive",
           "wh_question"]

_DEGREES = [("très", "very"), ("très", "very"), ("trop", "too"), ("assez", "quite"), ("vraiment", "really"),
            ("si", "so")]


_ON_TIME = [("en retard", "late"), ("en avance", "early"), ("à l'heure", "on time")]


def _adj(e: Entry, degree: tuple[str, str] | None = None) -> Callable[[str], list[Any]]:
    """An attribute adjective, maybe after a degree adverb (très grand -> very big)."""
    def build(lang: str) -> list[Any]:
        a = rb.A(e.fr if lang == "fr" else e.en.split()[-1])
        return [rb.AP(rb.Adv(degree[0] if lang == "fr" else degree[1]), a)] if degree else [a]
    return build


def be_adjective(d: Draw) -> tuple[str, str]:
    """Je suis fatigué. / La maison est grande. / Le chat n'est pas noir."""
    r = d.rng
    if r.random() < 0.5:
        s, adj = d.subject(), d.pick(d.lex.of("A", "person", "any", "nation"))
    else:
        cls = r.choice((("thing", "clothes", "furniture", "vehicle"), ("place", "room"), ("food", "drink"), ("animal",),
                        ("nature",)))
        s = Subject(3, noun=d.noun(cls, det=r.choice(("def", "poss", "dem"))))
        adj = d.pick(d.lex.of("A", {"food": "food", "drink": "food", "animal": "animal", "place": "place",
                                      "room": "room"}.get(cls[0], "thing"), "any", "color"))
    degree = r.choice(_DEGREES) if r.random() < 0.25 else None
    comp = _adj(adj, degree)
    if r.random() < 0.08:  # Je suis en retard. -> I am late.
        fr_x, en_x = r.choice(_ON_TIME)
        comp = lambda lang: [rb.Q(fr_x if lang == "fr" else en_x)]  # noqa: E731
    c = Clause(s, d.lex.find("V", "être"), comp=comp, tense=r.choice(("p", "p", "p", "p", "p", "i")), neg=d.neg(),
               question=d.question())
    return c.french(), c.english()


def be_job(d: Draw) -> tuple[str, str]:
    """Mon père est médecin. -> My father is a doctor. (no article in French)"""
    r = d.rng
    s = d.subject()
    job = d.pick(d.nouns("job"))
    plural = s.plural or bool(s.noun and s.noun.plural)

    def comp(lang: str) -> list[Any]:
        n = Noun(job, "none" if lang == "fr" or plural else "indef", plural, gender=s.gender).build(lang)
        return [n]
    c = Clause(s, d.lex.find("V", "être"), comp=comp, neg=d.neg(0.15), question=d.question(0.2))
    return c.french(), c.english()


def have(d: Draw) -> tuple[str, str]:
    """J'ai un chien. / Elle n'a pas de voiture. / Tu as une sœur ?"""
    r = d.rng
    neg = d.neg()
    obj = d.noun(("thing", "animal", "vehicle", "clothes", "family", "furniture", "body"),
                 det="neg" if neg else r.choice(("indef", "indef", "none", "poss")), adj_cls=("any", "color"))
    if obj.det == "none" and not obj.count:
        obj = Noun(obj.entry, "indef", obj.plural, None, obj.adj, gender=obj.gender)
    more = d.noun(("animal", "family", "thing"), det="indef") if not neg and r.random() < 0.15 else None
    also = (lambda lang: [rb.Q("et" if lang == "fr" else "and"), more.build(lang)]) if more else (lambda lang: [])
    c = Clause(d.subject(False), d.lex.find("V", "avoir"), obj=obj, comp=also, tense=r.choice(("p", "p", "p", "p", "i")), neg=neg,
               question=d.question())
    return c.french(), c.english()


def action(d: Draw) -> tuple[str, str]:
    """An intransitive or transitive verb, any tense, maybe a place and a time word: Hier, j'ai mangé une pomme."""
    r = d.rng
    v = d.pick(d.lex.verbs("t") if r.random() < 0.65 else d.lex.verbs("i"))
    obj = None
    if v.objects():
        obj = generic_object(v, d.noun(object_classes(v.objects()), adj_cls=("any", "color")))
    tense, neg = d.tense(), d.neg(0.2)
    obj = negated(obj, neg)
    place = place_complement(d) if obj is None and r.random() < 0.4 else with_complement(d) if r.random() < 0.12 else None
    if r.random() < 0.06:
        (v, place), obj = play_complement(d), None
    c = Clause(d.subject(False), v, obj=obj, comp=place or (lambda lang: []), tense=tense, neg=neg,
               question=d.question(0.2))
    fr, en = c.french(), c.english()
    return with_time(d, tense, fr, en) if not c.question and r.random() < 0.3 else (fr, en)


def verb_infinitive(d: Draw) -> tuple[str, str]:
    """J'aime danser. / Je veux manger une pomme. / Tu peux venir ? -> Can you come? / Je dois travailler."""
    r = d.rng
    modal = d.pick(d.lex.verbs("inf"))
    v = d.pick([e for e in d.lex.verbs("t") + d.lex.verbs("i") if "inf" not in e.frames and e.cls != "cop"])
    obj = generic_object(v, d.noun(object_classes(v.objects()))) if v.objects() and r.random() < 0.7 else None
    play = play_complement(d) if r.random() < 0.12 else None
    if play:
        v, obj = play[0], None
    s, tense, neg, q = d.subject(False), r.choice(("p", "p", "p", "p", "p", "pc")), d.neg(0.2), d.question(0.25)
    obj = negated(obj, neg)
    extra = play[1] if play else (lambda lang: [])
    mod = {"pouvoir": "poss", "devoir": "obli"}.get(modal.fr, "")
    if mod:
        tense = "p"

    def comp(lang: str) -> list[Any]:
        inner: list[Any] = []
        if obj is not None:
            o = obj.build(lang)
            inner.append(rb.PP(rb.P(particle(v)), o) if lang == "en" and particle(v) else o)
        elif lang == "en" and bare_particle(v):
            inner.append(rb.Q(bare_particle(v)))
        head = rb.V(v.fr if lang == "fr" else v.en.split()[0]).t("b" if lang == "fr" else "b-to")
        return [rb.VP(head, *inner, *extra(lang))]
    fr = Clause(s, modal, comp=comp, tense=tense, neg=neg, question=q).french()
    if mod:
        en = Clause(s, v, obj=obj, comp=extra, tense=tense, neg=neg, question=q, en_mod=mod).english()
    else:
        en = Clause(s, modal, comp=comp, tense=tense, neg=neg, question=q).english()
    return fr, en


def go_place(d: Draw) -> tuple[str, str]:
    """Je vais à l'école. / J'habite à Paris. / Elle travaille à l'hôpital. / Nous allons à la plage."""
    r = d.rng
    v = d.pick(d.lex.verbs("l"))
    tense = d.tense()
    motion = v.fr in ("aller", "venir", "arriver", "partir", "retourner")
    if r.random() < 0.35:
        city = r.choice(CITIES)
        fr_p, en_p = ("à", "to" if v.fr in ("aller", "retourner") else "in") if v.fr != "partir" else ("pour", "for")
        if v.fr in ("venir", "arriver"):
            fr_p, en_p = ("de", "from") if v.fr == "venir" else ("à", "in")
        comp = lambda lang: [rb.PP(rb.P(fr_p if lang == "fr" else en_p), rb.Q(city))]
    else:
        place = d.pick(d.nouns("place"))
        fr_p = "à" if motion or r.random() < 0.5 else "dans"
        en_p = {"aller": "to", "retourner": "to", "venir": "to", "arriver": "at", "partir": "for"}.get(
            v.fr, "at" if fr_p == "à" else "in")
        if fr_p == "à" and place.fr in ("école", "maison") and v.fr in ("aller", "rentrer", "rester", "travailler"):
            en_word = {"école": "school", "maison": "home"}[place.fr]
            en_phrase = (f"to {en_word}" if v.fr == "aller" and en_word == "school" else
                         en_word if v.fr == "aller" else f"at {en_word}")
            comp = lambda lang: ([rb.PP(rb.P("à"), Noun(place, "def").build(lang))] if lang == "fr"
                                 else [rb.Q(en_phrase)])
        else:
            n = Noun(place, "def" if fr_p == "à" else r.choice(("def", "indef")))
            comp = lambda lang: [rb.PP(rb.P(fr_p if lang == "fr" else en_p), n.build(lang))]
    c = Clause(d.subject(False), v, comp=comp, tense=tense, neg=d.neg(0.15), question=d.question(0.25))
    fr, en = c.french(), c.english()
    return with_time(d, tense, fr, en) if not c.question and r.random() < 0.25 else (fr, en)


def wh_question(d: Draw) -> tuple[str, str]:
    """Où habites-tu ? / Pourquoi est-ce qu'il pleure ? / Que manges-tu ? / Quand arrives-tu ?"""
    r = d.rng
    kind = r.choice(("whe", "whn", "why", "how", "wad", "wos"))
    pool = d.lex.verbs("t") if kind == "wad" else d.lex.verbs("i") + d.lex.verbs("l")
    v = d.pick([e for e in pool if not (kind == "how" and e.fr == "aller")])  # Comment allez-vous ? is a greeting
    s = Subject(r.choice((2, 2, 3, 1)), r.random() < 0.3, r.choice("mf")) if r.random() < 0.8 else d.subject()
    if kind == "wos":  # Qui parle ? the subject is "qui": third person singular
        s = Subject(3)
    c = Clause(s, v, tense=r.choice(("p", "p", "p", "pc")) if kind != "how" else "p", question=kind)
    en = c.english()
    fr = c.french()
    if r.random() < 0.4 and kind != "wos":  # Où est-ce que tu habites ?
        decl = Clause(s, v, tense=c.tense).french()[:-1].rstrip()
        word = fr.split()[0] if kind != "wad" else "Qu'"
        first = decl if s.name else decl[0].lower() + decl[1:]
        fr = (f"{word}est-ce que {first} ?" if kind == "wad" else f"{word} est-ce que {first} ?").replace(
            "est-ce que i", "est-ce qu'i").replace("est-ce que e", "est-ce qu'e")
    return fr, en
