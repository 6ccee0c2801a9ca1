"""A French -> English sentence generator with real agreement, so the kit trains offline in minutes.

Sentences are `Subject Verb [Object] [Prepositional phrase].` with gender/number agreement on
determiners and adjectives, French adjective position (petit before, noir after the noun), elision
(l', n', j'), contractions (du, des), present-tense conjugation for all persons, negation
(ne ... pas -> do/does not), numbers (deux ... dix) and possessives (mon/ma/mes).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from helpers.core.errors import KitError

SEED_SENTENCE = ("Les deux chiens marchent dans le parc.", "The two dogs walk in the park.")


@dataclass(frozen=True)
class Pair:
    """One French sentence and its English translation."""

    fr: str
    en: str


@dataclass(frozen=True)
class Noun:
    fr: str
    fr_pl: str
    gender: str  # "m" | "f"
    en: str
    en_pl: str


@dataclass(frozen=True)
class Adj:
    m: str
    f: str
    m_pl: str
    f_pl: str
    en: str
    before: bool = False  # French position: before the noun (petit) or after it (noir)
    m_vowel: str | None = None  # masculine singular before a vowel (vieil, bel, nouvel)

    def form(self, gender: str, plural: bool, before_vowel: bool = False) -> str:
        """The form agreeing with a noun's gender and number."""
        if self.m_vowel and gender == "m" and not plural and before_vowel:
            return self.m_vowel
        return {("m", False): self.m, ("f", False): self.f, ("m", True): self.m_pl, ("f", True): self.f_pl}[
            gender, plural]


@dataclass(frozen=True)
class Verb:
    forms: tuple[str, str, str, str, str, str]  # je, tu, il/elle, nous, vous, ils/elles
    en: str  # base form: "walk"
    en_3sg: str  # "walks"
    obj: str | None = None  # None: intransitive; "animal" / "food" / "thing": kind of object
    en_obj_prep: str = ""  # e.g. "for" in "look for"


def _n(fr: str, gender: str, en: str, fr_pl: str | None = None, en_pl: str | None = None) -> Noun:
    return Noun(fr, fr_pl or fr + "s", gender, en, en_pl or en + "s")


ANIMATES = [
    _n("chien", "m", "dog"), _n("chat", "m", "cat"), _n("cheval", "m", "horse", "chevaux"),
    _n("oiseau", "m", "bird", "oiseaux"), _n("garçon", "m", "boy"), _n("homme", "m", "man", en_pl="men"),
    _n("enfant", "m", "child", en_pl="children"), _n("lapin", "m", "rabbit"), _n("ami", "m", "friend"),
    _n("femme", "f", "woman", en_pl="women"), _n("fille", "f", "girl"), _n("vache", "f", "cow"),
    _n("souris", "f", "mouse", "souris", "mice"), _n("amie", "f", "friend"), _n("étudiante", "f", "student"),
]
FOODS = [
    _n("pain", "m", "bread", "pains", "breads"), _n("gâteau", "m", "cake", "gâteaux"),
    _n("pomme", "f", "apple"), _n("orange", "f", "orange"), _n("soupe", "f", "soup"),
    _n("poisson", "m", "fish", en_pl="fish"),
]
THINGS = [
    _n("livre", "m", "book"), _n("journal", "m", "newspaper", "journaux"), _n("ballon", "m", "ball"),
    _n("lettre", "f", "letter"), _n("voiture", "f", "car"), _n("chanson", "f", "song"),
]
PLACES = [  # (noun, prepositions it takes)
    (_n("parc", "m", "park"), ("dans", "près de", "devant", "derrière")),
    (_n("jardin", "m", "garden"), ("dans", "près de", "devant", "derrière")),
    (_n("maison", "f", "house"), ("dans", "près de", "devant", "derrière")),
    (_n("forêt", "f", "forest"), ("dans", "près de")),
    (_n("école", "f", "school"), ("dans", "près de", "devant", "derrière")),
    (_n("rue", "f", "street"), ("dans",)),
    (_n("cuisine", "f", "kitchen"), ("dans",)),
    (_n("lit", "m", "bed"), ("sur", "sous", "près de")),
    (_n("table", "f", "table"), ("sur", "sous", "près de")),
    (_n("chaise", "f", "chair"), ("sur", "sous", "près de")),
    (_n("arbre", "m", "tree"), ("sous", "près de", "derrière", "devant")),
    (_n("pont", "m", "bridge"), ("sur", "sous", "près de")),
]
PREPOSITIONS = {"dans": "in", "sur": "on", "sous": "under", "près de": "near", "devant": "in front of",
                "derrière": "behind"}

ADJECTIVES = [
    Adj("petit", "petite", "petits", "petites", "small", before=True),
    Adj("grand", "grande", "grands", "grandes", "big", before=True),
    Adj("jeune", "jeune", "jeunes", "jeunes", "young", before=True),
    Adj("vieux", "vieille", "vieux", "vieilles", "old", before=True, m_vowel="vieil"),
    Adj("beau", "belle", "beaux", "belles", "beautiful", before=True, m_vowel="bel"),
    Adj("noir", "noire", "noirs", "noires", "black"),
    Adj("blanc", "blanche", "blancs", "blanches", "white"),
    Adj("gris", "grise", "gris", "grises", "grey"),
    Adj("rouge", "rouge", "rouges", "rouges", "red"),
    Adj("content", "contente", "contents", "contentes", "happy"),
    Adj("fatigué", "fatiguée", "fatigués", "fatiguées", "tired"),
    Adj("curieux", "curieuse", "curieux", "curieuses", "curious"),
]
ANIMATE_ONLY_ADJS = {"content", "fatigué", "curieux", "jeune"}


def _er(stem: str, en: str, en_3sg: str | None = None, obj: str | None = None, prep: str = "") -> Verb:
    nous = stem + ("eons" if stem.endswith("g") else "ons")
    forms = (stem + "e", stem + "es", stem + "e", nous, stem + "ez", stem + "ent")
    return Verb(forms, en, en_3sg or en + "s", obj, prep)  # type: ignore[arg-type]


INTRANSITIVE = [
    _er("march", "walk"), _er("jou", "play"), _er("chant", "sing"), _er("dans", "dance", "dances"),
    _er("nag", "swim"), _er("mang", "eat"), _er("travaill", "work"), _er("rêv", "dream"),
    Verb(("cours", "cours", "court", "courons", "courez", "courent"), "run", "runs"),
    Verb(("dors", "dors", "dort", "dormons", "dormez", "dorment"), "sleep", "sleeps"),
    Verb(("lis", "lis", "lit", "lisons", "lisez", "lisent"), "read", "reads"),
    Verb(("attends", "attends", "attend", "attendons", "attendez", "attendent"), "wait", "waits"),
]
TRANSITIVE = [
    _er("regard", "watch", "watches", obj="any"), _er("aim", "like", obj="any"),
    _er("cherch", "look", obj="any", prep="for"), _er("mang", "eat", obj="food"),
    _er("port", "carry", "carries", obj="thing"),
    Verb(("vois", "vois", "voit", "voyons", "voyez", "voient"), "see", "sees", obj="any"),
    Verb(("suis", "suis", "suit", "suivons", "suivez", "suivent"), "follow", "follows", obj="animal"),
    Verb(("lis", "lis", "lit", "lisons", "lisez", "lisent"), "read", "reads", obj="thing"),
]
# (French, English, person index into Verb.forms)
PRONOUNS = [("je", "I", 0), ("tu", "you", 1), ("il", "he", 2), ("elle", "she", 2), ("nous", "we", 3),
            ("vous", "you", 4), ("ils", "they", 5), ("elles", "they", 5)]
NUMBERS = [("deux", "two"), ("trois", "three"), ("quatre", "four"), ("cinq", "five"), ("six", "six"),
           ("sept", "seven"), ("huit", "eight"), ("neuf", "nine"), ("dix", "ten")]
_VOWELS = tuple("aeiouyéèêàâîôûh")  # h muet in this vocabulary (homme)


def _starts_with_vowel(word: str) -> bool:
    """French: elision and liaison forms apply (l'école, mon amie, bel oiseau)."""
    return word.startswith(_VOWELS)


def _english_article(next_word: str) -> str:
    return "an" if next_word[0] in "aeiou" else "a"


class _Grammar:
    """Random phrase builders returning (French words, English words)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def noun_phrase(self, noun: Noun, animate: bool) -> tuple[list[str], list[str], bool]:
        """A noun phrase and whether it is plural: determiner, number, adjectives, agreement."""
        r = self.rng
        plural = r.random() < 0.45
        det = r.choice(["def", "def", "indef", "poss"])
        number = r.choice(NUMBERS) if plural and det != "indef" and r.random() < 0.45 else None
        adjs = [a for a in ADJECTIVES if animate or a.m not in ANIMATE_ONLY_ADJS]
        pre = r.choice([a for a in adjs if a.before]) if r.random() < 0.25 else None
        post = r.choice([a for a in adjs if not a.before]) if r.random() < 0.3 else None
        g = noun.gender
        fr_noun = noun.fr_pl if plural else noun.fr
        fr_pre = [pre.form(g, plural, _starts_with_vowel(noun.fr))] if pre else []
        fr_post = [post.form(g, plural)] if post else []
        first = number[0] if number else (fr_pre or [fr_noun])[0]  # the word the determiner elides into
        if det == "def":
            fr_det = "les" if plural else ("l'" if _starts_with_vowel(first) else ("le" if g == "m" else "la"))
            en_det = ["the"]
        elif det == "indef":
            fr_det = "des" if plural else ("un" if g == "m" else "une")
            en_next = (pre or post or noun).en
            en_det = ["some"] if plural else [_english_article(en_next)]
        else:
            fr_det = "mes" if plural else ("mon" if g == "m" or _starts_with_vowel(first) else "ma")
            en_det = ["my"]
        fr = [fr_det] + ([number[0]] if number else []) + fr_pre + [fr_noun] + fr_post
        en = en_det + ([number[1]] if number else []) + ([pre.en] if pre else []) + ([post.en] if post else []) \
            + [noun.en_pl if plural else noun.en]
        return fr, en, plural

    def subject(self) -> tuple[list[str], list[str], int]:
        """A subject and its person index (0-5) for conjugation."""
        if self.rng.random() < 0.3:
            fr, en, person = self.rng.choice(PRONOUNS)
            return [fr], [en], person
        fr, en, plural = self.noun_phrase(self.rng.choice(ANIMATES), animate=True)
        return fr, en, 5 if plural else 2

    def obj(self, kind: str) -> tuple[list[str], list[str]]:
        pool = {"animal": ANIMATES, "food": FOODS, "thing": THINGS, "any": ANIMATES + FOODS + THINGS}[kind]
        noun = self.rng.choice(pool)
        fr, en, _ = self.noun_phrase(noun, animate=noun in ANIMATES)
        return fr, en

    def place(self) -> tuple[list[str], list[str]]:
        """A prepositional phrase; "près de" contracts with the article (du, des, d')."""
        noun, preps = self.rng.choice(PLACES)
        prep = self.rng.choice(preps)
        fr, en, _ = self.noun_phrase(noun, animate=False)
        while prep == "près de" and fr[0] == "des":  # "près de des" is not French: redraw
            fr, en, _ = self.noun_phrase(noun, animate=False)
        if prep != "près de":
            fr = [prep] + fr
        elif fr[0] in ("le", "les"):
            fr = ["près", "du" if fr[0] == "le" else "des"] + fr[1:]
        else:
            fr = ["près", "d'" if _starts_with_vowel(fr[0]) else "de"] + fr
        return fr, PREPOSITIONS[prep].split() + en

    def sentence(self) -> tuple[list[str], list[str]]:
        """Subject, verb (conjugated, maybe negated), object if transitive, and often a place."""
        r = self.rng
        fr_s, en_s, person = self.subject()
        verb = r.choice(TRANSITIVE if r.random() < 0.4 else INTRANSITIVE)
        fr_v = verb.forms[person]
        negate = r.random() < 0.2
        third_sg = person == 2
        if negate:
            fr_vp = ["n'" if _starts_with_vowel(fr_v) else "ne", fr_v, "pas"]
            en_vp = ["does" if third_sg else "do", "not", verb.en]
        else:
            fr_vp = [fr_v]
            en_vp = [verb.en_3sg if third_sg else verb.en]
        if fr_s == ["je"] and _starts_with_vowel(fr_vp[0]):
            fr_s = ["j'"]
        if verb.obj:
            fr_o, en_o = self.obj(verb.obj)
            fr_vp += fr_o
            en_vp += ([verb.en_obj_prep] if verb.en_obj_prep else []) + en_o
        fr_p, en_p = self.place() if (not verb.obj and r.random() < 0.75) or r.random() < 0.3 else ([], [])
        return fr_s + fr_vp + fr_p, en_s + en_vp + en_p


def _join(words: list[str]) -> str:
    text = ""
    for w in words:
        text += w if not text or text.endswith("'") else " " + w
    return text[0].upper() + text[1:] + "."


def generate_pairs(n: int, seed: int = 0) -> list[Pair]:
    """`n` distinct (French, English) pairs, reproducible by `seed`; the seed sentence is always first."""
    if n < 1:
        raise KitError(f"Ask for at least one sentence pair (got n={n}).")
    rng = random.Random(seed)
    grammar = _Grammar(rng)
    pairs = {SEED_SENTENCE[0]: Pair(*SEED_SENTENCE)}
    attempts = 0
    while len(pairs) < n:
        attempts += 1
        if attempts > 20 * n + 1000:
            raise KitError(f"The grammar cannot produce {n} distinct pairs: ask for fewer.")
        fr, en = grammar.sentence()
        fr_s = _join(fr)
        pairs.setdefault(fr_s, Pair(fr_s, _join(en)))
    return list(pairs.values())


def french_word_forms() -> set[str]:
    """Every French word form the grammar can produce (for documentation and tests)."""
    forms = {"le", "la", "l'", "les", "un", "une", "des", "mon", "ma", "mes", "ne", "n'", "pas", "du", "de",
             "d'", "j'"}
    forms |= {p[0] for p in PRONOUNS} | {n[0] for n in NUMBERS} | {w for p in PREPOSITIONS for w in p.split()}
    for noun in ANIMATES + FOODS + THINGS + [p[0] for p in PLACES]:
        forms |= {noun.fr, noun.fr_pl}
    for a in ADJECTIVES:
        forms |= {a.m, a.f, a.m_pl, a.f_pl} | ({a.m_vowel} if a.m_vowel else set())
    for v in INTRANSITIVE + TRANSITIVE:
        forms |= set(v.forms)
    return forms
