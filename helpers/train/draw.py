"""Random choices for the sentence templates: subjects, noun phrases (by class or named object set), tenses,
negation, question forms, and the complements several kinds share (places, company, time words, games)."""
from __future__ import annotations

import random
from dataclasses import replace
from typing import Any, Callable

import pyrealb as rb

from helpers.train.lexicon import Entry, Lexicon, load_lexicon
from helpers.train.realize import Noun, Subject, countable, mass, prep

NAMES_F = ("Marie", "Sophie", "Julie", "Claire", "Léa", "Emma", "Chloé", "Camille", "Manon", "Sarah", "Inès",
           "Alice", "Lucie", "Anne", "Nathalie", "Isabelle", "Fatima", "Aïcha", "Yasmine", "Zoé")
NAMES_M = ("Paul", "Pascal", "Lucas", "Thomas", "Hugo", "Louis", "Jean", "Marc", "Nicolas", "Julien", "Antoine",
           "Karim", "Mohamed", "Léo", "Nathan", "Théo", "Arthur", "Jules", "Adam", "Victor")
CITIES = ("Paris", "Lyon", "Marseille", "Brest", "Toulouse", "Bordeaux", "Lille", "Nantes", "Québec", "Berlin",
          "Rome", "Madrid", "Dakar", "Tokyo", "Boston", "Chicago", "Toronto", "Dublin", "Oslo", "Sydney", "Rennes")
PROPER_NAMES = frozenset(NAMES_F + NAMES_M + CITIES)
PERSONS = ("person", "family", "job")
TIME_FRONT = {"p": [("Aujourd'hui", "Today"), ("Maintenant", "Now"), ("Le matin", "In the morning"),
                    ("Le soir", "In the evening"), ("Le samedi", "On Saturdays"), ("Le dimanche", "On Sundays"),
                    ("Souvent", "Often"), ("Parfois", "Sometimes"), ("En été", "In summer"),
                    ("En hiver", "In winter"), ("Au printemps", "In spring"), ("En automne", "In autumn"),
                    ("En mai", "In May"), ("En juillet", "In July"), ("En décembre", "In December"),
                    ("En janvier", "In January"), ("Le week-end", "At the weekend"), ("À midi", "At noon"),
                    ("À huit heures", "At eight o'clock"), ("Tous les jours", "Every day")],
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

    def pick(self, entries: list[Entry]) -> Entry:
        """One of `entries`, the frequent ones more often: weight 2 ** zipf, so a word 10 times as frequent in
        French (one Zipf unit) is drawn twice as often; a beginner meets "manger" more than "repasser"."""
        weights = [2.0 ** e.zipf for e in entries]
        return self.rng.choices(entries, weights)[0]

    def nouns(self, *classes: str) -> list[Entry]:
        """Nouns of `classes`; an object set (OBJECT_SETS: lang, read, sport...) names its lemmas."""
        if classes not in self._nouns:
            named = [fr for c in classes for fr in OBJECT_SETS.get(c, ())]
            plain = [c for c in classes if c not in OBJECT_SETS]
            found = [e for e in self.lex.of("N") if e.fr in named] if named else []
            self._nouns[classes] = found + (self.lex.of("N", *plain) if plain else [])
        return self._nouns[classes]

    def noun(self, classes: tuple[str, ...], det: str = "", adj_cls: tuple[str, ...] = (), plural: bool | None = None
             ) -> Noun:
        """A noun phrase over `classes`: determiner, number, count, maybe an adjective of `adj_cls`."""
        r = self.rng
        e = self.pick(self.nouns(*classes))
        can_pl = countable(e)
        plural = (r.random() < 0.35 and can_pl) if plural is None else (plural and can_pl)
        partitive = mass(e) and e.cls in ("food", "drink")
        det = det or r.choice(("def", "def", "indef", "poss", "poss", "dem") + (("part",) * 3 if partitive else ()))
        if e.cls == "lang" or e.fr in OBJECT_SETS["lang"]:
            det, plural = "none", False
        count = r.choice((2, 2, 3, 4, 5, 6, 10, 12, 20)) if plural and det in ("def", "poss", "none") and \
            r.random() < 0.3 else None
        adj = self.pick(self.lex.of("A", *adj_cls)) if adj_cls and r.random() < 0.3 else None
        gender = r.choice("mf") if e.cls in PERSONS else ""
        return Noun(e, det, plural, count, adj, poss=r.choice((1, 1, 2, 3)), gender=gender)

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
        adjectives = ("any", "color") if classes == ("animal",) else ("any", "person")  # Le chat noir dort.
        return Subject(3, noun=self.noun(classes, det=r.choice(("def", "poss", "poss", "indef")), adj_cls=adjectives))

    def tense(self) -> str:
        return self.rng.choice(("p", "p", "p", "p", "pc", "pc", "prox", "prox", "i"))

    def neg(self, p: float = 0.25) -> bool:
        return self.rng.random() < p

    def question(self, p: float = 0.3) -> str:
        return self.rng.choice(("int", "esk", "inv")) if self.rng.random() < p else ""


# Object classes of the lexicon's verb frames that name lemmas rather than noun classes.
OBJECT_SETS: dict[str, tuple[str, ...]] = {
    "lang": ("français", "anglais", "allemand", "espagnol", "italien", "chinois", "japonais", "arabe", "russe"),
    "subject": ("histoire", "géographie", "chimie", "physique", "biologie", "musique", "français", "anglais",
                "mathématiques", "informatique", "médecine"),
    "song": ("chanson",), "read": ("livre", "journal", "magazine", "lettre", "roman", "article", "texte", "poème",
                                   "page", "carte", "message", "dictionnaire"),
    "write": ("lettre", "message", "phrase", "mot", "texte", "poème", "article", "roman", "livre", "carte"),
    "music": ("musique", "chanson", "radio", "concert", "professeur", "voix"),
    "screen": ("télévision", "film", "série", "match", "vidéo", "émission", "photo", "spectacle"),
    "bill": ("addition", "billet", "loyer"), "opening": ("porte", "fenêtre", "boîte", "livre", "sac", "bouteille"),
    "time": ("semaine", "journée", "soirée", "week-end", "vacances", "été", "hiver"), "story": ("histoire",),
    "building": ("maison", "pont", "château", "mur", "immeuble"), "crossing": ("rue", "pont", "rivière", "place", "parc"),
    "send": ("lettre", "message", "photo", "cadeau", "carte", "colis"), "money": ("argent",), "flower": ("fleur",),
    "container": ("verre", "tasse", "bouteille", "sac", "boîte", "panier"),
    "device": ("télévision", "radio", "ordinateur", "lampe", "téléphone", "portable"),
    "event": ("fête", "réunion", "voyage", "concert", "match", "rendez-vous"), "book": ("chambre", "table", "billet"),
    "sport": ("football", "tennis", "rugby", "basket", "golf", "volley"), "instrument": ("piano", "guitare", "violon"),
}
APPRECIATION = ("aimer", "adorer", "détester", "préférer")


def object_classes(objects: tuple[str, ...]) -> tuple[str, ...]:
    return objects


def generic_object(v: Entry, obj: Noun | None) -> Noun | None:
    """After aimer/adorer/détester/préférer, French's definite article is generic: English has none."""
    if obj is not None and v.fr in APPRECIATION and obj.det == "def" and not obj.count:
        return Noun(obj.entry, obj.det, obj.plural or countable(obj.entry) and not mass(obj.entry), None, obj.adj,
                    gender=obj.gender, generic=True)
    return obj


def play_complement(d: Draw) -> tuple[Entry, Callable[[str], list[Any]]]:
    """jouer au football -> play football; jouer du piano -> play the piano."""
    sport = d.rng.random() < 0.7
    e = d.pick(d.nouns("sport" if sport else "instrument"))
    n = Noun(e, "def")

    def comp(lang: str) -> list[Any]:
        if lang == "en":
            return [rb.Q(e.en if sport else "the " + e.en)]
        return [rb.PP(rb.P("à" if sport else "de"), n.build(lang))]
    return d.lex.find("V", "jouer"), comp


def place_complement(d: Draw) -> Callable[[str], list[Any]]:
    """A place complement: dans le parc, sur la table, près de la gare, à côté de la maison."""
    r = d.rng
    fr_p, en_p = r.choice((("dans", "in"), ("dans", "in"), ("sur", "on"), ("sous", "under"), ("devant", "in front of"),
                           ("derrière", "behind"), ("près de", "near"), ("à côté de", "next to")))
    cls = ("furniture",) if fr_p in ("sur", "sous") else ("place", "room")
    n = d.noun(cls, det=r.choice(("def", "def", "poss")), plural=False)
    if fr_p.endswith(" de"):  # près de + le parc -> près du parc: pyRealB contracts de + le
        return lambda lang: ([rb.Q(fr_p[:-3]), rb.PP(rb.P("de"), n.build(lang))] if lang == "fr"
                             else [rb.PP(prep(en_p), n.build(lang))])
    return lambda lang: [rb.PP(prep(fr_p if lang == "fr" else en_p), n.build(lang))]


def negated(obj: Noun | None, neg: bool) -> Noun | None:
    """Under negation, un/une/des and du/de la become de (Je ne mange pas de viande)."""
    return replace(obj, det="neg", count=None) if obj is not None and neg and obj.det in ("indef", "part") else obj


def with_complement(d: Draw) -> Callable[[str], list[Any]]:
    """avec mon frère -> with my brother; sans ma sœur -> without my sister."""
    fr_p, en_p = d.rng.choice((("avec", "with"), ("avec", "with"), ("sans", "without"), ("pour", "for")))
    n = d.noun(PERSONS, det=d.rng.choice(("poss", "def")))
    return lambda lang: [rb.PP(prep(fr_p if lang == "fr" else en_p), n.build(lang))]


def with_time(d: Draw, tense: str, fr: str, en: str) -> tuple[str, str]:
    fr_t, en_t = d.rng.choice(TIME_FRONT[tense])
    if d.rng.random() < 0.4:  # at the end: Je mange à midi. -> I eat at noon.
        en_end = en_t[0].lower() + en_t[1:]  # "In July" -> "... in July."
        return f"{fr[:-1]} {fr_t[0].lower()}{fr_t[1:]}{fr[-1]}", f"{en[:-1]} {en_end}{en[-1]}"
    keep = fr if fr.split()[0] in PROPER_NAMES else fr[0].lower() + fr[1:]
    en_keep = en if en.split()[0] in PROPER_NAMES or en.startswith("I ") else en[0].lower() + en[1:]
    return f"{fr_t}, {keep}", f"{en_t}, {en_keep}"
