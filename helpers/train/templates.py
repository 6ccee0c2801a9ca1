"""Sentence kinds of a beginner's (CEFR A1) course, drawn at random over the lexicon and realized by pyRealB.

Each kind is a function `(Draw) -> (French, English)`; `KINDS` maps its name to it and to its weight in the
corpus. Fixed expressions (greetings, weather, time, names) are in `helpers.train.phrases`.
"""
from __future__ import annotations

import random
from typing import Any, Callable

import pyrealb as rb

from helpers.train.clauses import Clause
from helpers.train.lexicon import Entry, Lexicon, load_lexicon
from helpers.train.realize import Noun, Subject, countable, particle, prep

NAMES_F = ("Marie", "Sophie", "Julie", "Claire", "Léa", "Emma", "Chloé", "Camille", "Manon", "Sarah", "Inès",
           "Alice", "Lucie", "Anne", "Nathalie", "Isabelle", "Fatima", "Aïcha", "Yasmine", "Zoé")
NAMES_M = ("Paul", "Pierre", "Lucas", "Thomas", "Hugo", "Louis", "Jean", "Marc", "Nicolas", "Julien", "Antoine",
           "Karim", "Mohamed", "Léo", "Nathan", "Théo", "Arthur", "Jules", "Adam", "Victor")
CITIES = ("Paris", "Lyon", "Marseille", "Nice", "Toulouse", "Bordeaux", "Lille", "Nantes", "Montréal", "Québec",
          "Genève", "Bruxelles", "Berlin", "Rome", "Madrid", "Dakar", "Tokyo", "Boston", "Chicago", "Lisbonne")
PROPER_NAMES = frozenset(NAMES_F + NAMES_M + CITIES)
PERSONS = ("person", "family", "job")
TIME_FRONT = {"p": [("Aujourd'hui", "Today"), ("Maintenant", "Now"), ("Le matin", "In the morning"),
                    ("Le soir", "In the evening"), ("Le samedi", "On Saturdays"), ("Le dimanche", "On Sundays"),
                    ("Souvent", "Often"), ("Parfois", "Sometimes"), ("En été", "In summer"),
                    ("En hiver", "In winter"), ("Au printemps", "In spring"), ("En automne", "In autumn"),
                    ("En mai", "In May"), ("En juillet", "In July"), ("En décembre", "In December"),
                    ("En janvier", "In January"), ("Le week-end", "At the weekend")],
              "pc": [("Hier", "Yesterday"), ("Hier soir", "Last night"), ("Ce matin", "This morning"),
                     ("Samedi", "On Saturday"), ("La semaine dernière", "Last week")],
              "prox": [("Demain", "Tomorrow"), ("Ce soir", "This evening"), ("Lundi", "On Monday"),
                       ("La semaine prochaine", "Next week"), ("Cet été", "This summer")],
              "i": [("Avant", "Before"), ("Quand j'étais petit", "When I was little"),
                    ("Quand j'étais petite", "When I was little"), ("Autrefois", "In the past")]}


class Draw:
    """Random choices over the lexicon: subjects, noun phrases, tenses, negation and question forms."""

    def __init__(self, rng: random.Random, lexicon: Lexicon | None = None):
        self.rng, self.lex = rng, lexicon or load_lexicon()
        self._nouns: dict[tuple[str, ...], list[Entry]] = {}

    def nouns(self, *classes: str) -> list[Entry]:
        if classes not in self._nouns:
            self._nouns[classes] = self.lex.of("N", *classes)
        return self._nouns[classes]

    def noun(self, classes: tuple[str, ...], det: str = "", adj_cls: tuple[str, ...] = (), plural: bool | None = None
             ) -> Noun:
        """A noun phrase over `classes`: determiner, number, count, maybe an adjective of `adj_cls`."""
        r = self.rng
        e = r.choice(self.nouns(*classes))
        can_pl = countable(e)
        plural = (r.random() < 0.35 and can_pl) if plural is None else (plural and can_pl)
        det = det or r.choice(("def", "def", "indef", "poss", "poss", "dem"))
        count = r.choice((2, 2, 3, 4, 5, 6, 10, 12, 20)) if plural and det in ("def", "poss", "none") and \
            r.random() < 0.3 else None
        adj = r.choice(self.lex.of("A", *adj_cls)) if adj_cls and r.random() < 0.3 else None
        gender = r.choice("mf") if e.cls in PERSONS else ""
        return Noun(e, det, plural, count, adj, poss=r.choice((1, 1, 2, 3)), poss_g=r.choice("mf"), gender=gender)

    def subject(self, persons_only: bool = True) -> Subject:
        r = self.rng
        x = r.random()
        if x < 0.6:
            pe = r.choice((1, 1, 2, 3, 3))
            return Subject(pe, r.random() < 0.3, r.choice("mf"))
        if x < 0.72:
            g = r.choice("mf")
            return Subject(3, gender=g, name=r.choice(NAMES_F if g == "f" else NAMES_M))
        classes = PERSONS if persons_only or r.random() < 0.6 else ("animal",)
        return Subject(3, noun=self.noun(classes, det=r.choice(("def", "poss", "poss", "indef"))))

    def tense(self) -> str:
        return self.rng.choice(("p", "p", "p", "p", "pc", "pc", "prox", "prox", "i"))

    def neg(self, p: float = 0.25) -> bool:
        return self.rng.random() < p

    def question(self, p: float = 0.3) -> str:
        return self.rng.choice(("int", "esk", "inv")) if self.rng.random() < p else ""


_DEGREES = [("très", "very"), ("très", "very"), ("trop", "too"), ("assez", "quite"), ("vraiment", "really"),
            ("si", "so")]


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
        s, adj = d.subject(), r.choice(d.lex.of("A", "person", "any", "nation"))
    else:
        cls = r.choice((("thing", "clothes", "furniture", "vehicle"), ("place", "room"), ("food", "drink"), ("animal",),
                        ("nature",)))
        s = Subject(3, noun=d.noun(cls, det=r.choice(("def", "poss", "dem"))))
        adj = r.choice(d.lex.of("A", {"food": "food", "drink": "food", "animal": "animal", "place": "place",
                                      "room": "room"}.get(cls[0], "thing"), "any", "color"))
    degree = r.choice(_DEGREES) if r.random() < 0.25 else None
    c = Clause(s, d.lex.find("V", "être"), comp=_adj(adj, degree), tense=r.choice(("p", "p", "p", "p", "p", "i")), neg=d.neg(), question=d.question())
    return c.french(), c.english()


def be_job(d: Draw) -> tuple[str, str]:
    """Mon père est médecin. -> My father is a doctor. (no article in French)"""
    r = d.rng
    s = d.subject()
    job = r.choice(d.nouns("job"))
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
    c = Clause(d.subject(False), d.lex.find("V", "avoir"), obj=obj, tense=r.choice(("p", "p", "p", "p", "i")), neg=neg,
               question=d.question())
    return c.french(), c.english()


def action(d: Draw) -> tuple[str, str]:
    """An intransitive or transitive verb, any tense, maybe a place and a time word: Hier, j'ai mangé une pomme."""
    r = d.rng
    v = r.choice(d.lex.verbs("t") if r.random() < 0.65 else d.lex.verbs("i"))
    obj = None
    if v.objects():
        obj = d.noun(_classes(v.objects()), adj_cls=("any", "color"))
    tense = d.tense()
    place = _place(d) if obj is None and r.random() < 0.4 else _with(d) if r.random() < 0.12 else None
    c = Clause(d.subject(False), v, obj=obj, comp=place or (lambda lang: []), tense=tense, neg=d.neg(0.2),
               question=d.question(0.2))
    fr, en = c.french(), c.english()
    return _with_time(d, tense, fr, en) if not c.question and r.random() < 0.3 else (fr, en)


_OBJECT_SETS = {"lang": ("abstract",), "subject": ("abstract",), "song": ("thing",), "read": ("thing",),
                "write": ("thing",), "music": ("abstract",), "screen": ("abstract",), "bill": ("abstract",),
                "opening": ("thing",), "time": ("time",), "story": ("abstract",), "building": ("place",),
                "crossing": ("place",), "send": ("thing",), "money": ("thing",), "flower": ("thing",),
                "container": ("thing",), "device": ("thing",), "event": ("abstract",), "book": ("thing",)}


def _classes(objects: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for o in objects:
        out += _OBJECT_SETS.get(o, (o,))
    return tuple(dict.fromkeys(out))


def _place(d: Draw) -> Callable[[str], list[Any]]:
    """A place complement: dans le parc, sur la table, près de la gare, à côté de la maison."""
    r = d.rng
    fr_p, en_p = r.choice((("dans", "in"), ("dans", "in"), ("sur", "on"), ("sous", "under"), ("devant", "in front of"),
                           ("derrière", "behind"), ("près de", "near"), ("à côté de", "next to")))
    cls = ("furniture",) if fr_p in ("sur", "sous") else ("place", "room")
    n = d.noun(cls, det=r.choice(("def", "def", "poss")), plural=False)
    return lambda lang: [rb.PP(prep(fr_p if lang == "fr" else en_p), n.build(lang))]


def _with(d: Draw) -> Callable[[str], list[Any]]:
    """avec mon frère -> with my brother; sans ma sœur -> without my sister."""
    fr_p, en_p = d.rng.choice((("avec", "with"), ("avec", "with"), ("sans", "without"), ("pour", "for")))
    n = d.noun(PERSONS, det=d.rng.choice(("poss", "def")))
    return lambda lang: [rb.PP(prep(fr_p if lang == "fr" else en_p), n.build(lang))]


def _with_time(d: Draw, tense: str, fr: str, en: str) -> tuple[str, str]:
    fr_t, en_t = d.rng.choice(TIME_FRONT[tense])
    keep = fr if fr.split()[0] in PROPER_NAMES else fr[0].lower() + fr[1:]
    en_keep = en if en.split()[0] in PROPER_NAMES or en.startswith("I ") else en[0].lower() + en[1:]
    return f"{fr_t}, {keep}", f"{en_t}, {en_keep}"


def verb_infinitive(d: Draw) -> tuple[str, str]:
    """J'aime danser. / Je veux manger une pomme. / Tu peux venir ? / Je dois travailler."""
    r = d.rng
    modal = r.choice(d.lex.verbs("inf"))
    v = r.choice(d.lex.verbs("t") + d.lex.verbs("i"))
    obj = d.noun(_classes(v.objects())) if v.objects() and r.random() < 0.7 else None
    en_modal = {"pouvoir": "can", "devoir": "have", "savoir": "know how"}.get(modal.fr, modal.en)

    def comp(lang: str) -> list[Any]:
        inner: list[Any] = []
        if obj is not None:
            o = obj.build(lang)
            inner.append(rb.PP(rb.P(particle(v)), o) if lang == "en" and particle(v) else o)
        elif lang == "en" and particle(v):
            inner.append(rb.Q(particle(v)))
        tense = "b" if lang == "fr" or en_modal == "can" else "b-to"
        return [rb.VP(rb.V(v.fr if lang == "fr" else v.en.split()[0]).t(tense), *inner)]
    entry = Entry("V", modal.fr, en_modal, modal.cls)
    c = Clause(d.subject(False), entry, comp=comp, tense=r.choice(("p", "p", "p", "p", "p", "pc")) if en_modal != "can" else "p",
               neg=d.neg(0.2), question=d.question(0.25))
    return c.french(), c.english()


def go_place(d: Draw) -> tuple[str, str]:
    """Je vais à l'école. / J'habite à Paris. / Elle travaille à l'hôpital. / Nous allons à la plage."""
    r = d.rng
    v = r.choice(d.lex.verbs("l"))
    tense = d.tense()
    motion = v.fr in ("aller", "venir", "arriver", "partir", "retourner")
    if r.random() < 0.35:
        city = r.choice(CITIES)
        fr_p, en_p = ("à", "to" if v.fr in ("aller", "retourner") else "in") if v.fr != "partir" else ("pour", "for")
        if v.fr in ("venir", "arriver"):
            fr_p, en_p = ("de", "from") if v.fr == "venir" else ("à", "in")
        comp = lambda lang: [rb.PP(rb.P(fr_p if lang == "fr" else en_p), rb.Q(city))]
    else:
        place = r.choice(d.nouns("place"))
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
    return _with_time(d, tense, fr, en) if not c.question and r.random() < 0.25 else (fr, en)


def wh_question(d: Draw) -> tuple[str, str]:
    """Où habites-tu ? / Pourquoi est-ce qu'il pleure ? / Que manges-tu ? / Quand arrives-tu ?"""
    r = d.rng
    kind = r.choice(("whe", "whn", "why", "how", "wad", "wos"))
    pool = d.lex.verbs("t") if kind == "wad" else d.lex.verbs("i") + d.lex.verbs("l")
    v = r.choice(pool)
    s = Subject(r.choice((2, 2, 3, 1)), r.random() < 0.3, r.choice("mf")) if r.random() < 0.8 else d.subject()
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
