"""Fixed expressions of a beginner's course, combined at random: greetings and polite phrases, names, age,
avoir faim/soif..., il y a, c'est, weather, the time, prices, imperatives and the daily routine (se lever...)."""
from __future__ import annotations

from typing import Any

import pyrealb as rb

from helpers.train.clauses import Clause
from helpers.train.realize import Noun, bare_particle, french_spacing, particle, realize, words
from helpers.train.draw import CITIES, NAMES_F, NAMES_M, Draw, object_classes, place_complement

_VOCATIVES = [("monsieur", "sir"), ("madame", "madam"), ("maman", "Mum"), ("papa", "Dad"), ("les enfants", "children"),
              ("mon ami", "my friend"), ("tout le monde", "everyone")]
_FOLLOW_UPS = [("comment allez-vous ?", "how are you?"), ("comment vas-tu ?", "how are you?"),
               ("comment ça va ?", "how are you?"), ("ça va ?", "how are you?"), ("merci beaucoup.", "thank you very much."),
               ("bienvenue !", "welcome!"), ("à demain !", "see you tomorrow!")]
_STATES = [("faim", "hungry"), ("soif", "thirsty"), ("froid", "cold"), ("chaud", "hot"), ("peur", "scared"),
           ("sommeil", "sleepy"), ("raison", "right"), ("tort", "wrong")]
_WEATHER = {  # present, imparfait, futur proche (French; English)
    "beau": (("Il fait beau", "The weather is nice"), ("Il faisait beau", "The weather was nice"),
             ("Il va faire beau", "The weather is going to be nice")),
    "mauvais": (("Il fait mauvais", "The weather is bad"), ("Il faisait mauvais", "The weather was bad"),
                ("Il va faire mauvais", "The weather is going to be bad")),
    "chaud": (("Il fait chaud", "It is hot"), ("Il faisait chaud", "It was hot"), ("Il va faire chaud", "It is going to be hot")),
    "froid": (("Il fait froid", "It is cold"), ("Il faisait froid", "It was cold"),
              ("Il va faire froid", "It is going to be cold")),
    "doux": (("Il fait doux", "It is mild"), ("Il faisait doux", "It was mild"), ("Il va faire doux", "It is going to be mild")),
    "pluie": (("Il pleut", "It is raining"), ("Il pleuvait", "It was raining"), ("Il va pleuvoir", "It is going to rain")),
    "neige": (("Il neige", "It is snowing"), ("Il neigeait", "It was snowing"), ("Il va neiger", "It is going to snow")),
    "vent": (("Il y a du vent", "It is windy"), ("Il y avait du vent", "It was windy"),
             ("Il va y avoir du vent", "It is going to be windy")),
    "soleil": (("Il y a du soleil", "It is sunny"), ("Il y avait du soleil", "It was sunny"),
               ("Il va y avoir du soleil", "It is going to be sunny")),
}
_WEATHER_WHEN = ([("aujourd'hui", "today"), ("ce matin", "this morning"), ("à Paris", "in Paris"), ("", "")],
                 [("hier", "yesterday"), ("ce matin", "this morning"), ("", "")],
                 [("demain", "tomorrow"), ("ce soir", "this evening"), ("cet après-midi", "this afternoon"), ("", "")])
_NUMBERS = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze"]
_EN_NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
               "twelve"]


def greeting(d: Draw) -> tuple[str, str]:
    """Bonjour ! / Bonjour, Marie ! / Merci beaucoup, madame. / Au revoir, comment allez-vous ?"""
    r = d.rng
    e = r.choice(d.lex.of("Phrase"))  # few and all common: each as often as the others
    fr, en = e.fr[0].upper() + e.fr[1:], e.en[0].upper() + e.en[1:]
    x = r.random()
    if x < 0.45:
        fr_v, en_v = (r.choice(NAMES_F + NAMES_M),) * 2 if r.random() < 0.6 else r.choice(_VOCATIVES)
        fr, en = f"{fr}, {fr_v}", f"{en}, {en_v}"
    elif x < 0.6 and e.cls == "greeting":
        fr_f, en_f = r.choice(_FOLLOW_UPS)
        return f"{fr}, {fr_f}", f"{en}, {en_f}"
    end = r.choice(("!", "!", ".")) if e.cls != "answer" else r.choice((".", "!"))
    return f"{fr} {end}" if end == "!" else fr + end, en + end


def names(d: Draw) -> tuple[str, str]:
    """Je m'appelle Marie. -> My name is Marie. / Comment tu t'appelles ? -> What is your name?"""
    r = d.rng
    g = r.choice("mf")
    name = r.choice(NAMES_F if g == "f" else NAMES_M)
    x = r.random()
    if x < 0.25:
        return decorated(d, *r.choice([
            ("Comment tu t'appelles ?", "What is your name?"), ("Comment t'appelles-tu ?", "What is your name?"),
            ("Comment vous appelez-vous ?", "What is your name?"),
            ("Comment il s'appelle ?", "What is his name?"), ("Comment elle s'appelle ?", "What is her name?")]))
    pe = r.choice((1, 1, 3, 3, 2))
    fr_pro = {1: "Je m'appelle", 2: "Tu t'appelles", 3: "Il s'appelle" if g == "m" else "Elle s'appelle"}[pe]
    en_pro = {1: "My name is", 2: "Your name is", 3: "His name is" if g == "m" else "Her name is"}[pe]
    if x < 0.4:
        city = r.choice(CITIES)
        return f"{fr_pro} {name} et j'habite à {city}.", f"{en_pro} {name} and I live in {city}."
    return f"{fr_pro} {name}.", f"{en_pro} {name}."


def age(d: Draw) -> tuple[str, str]:
    """J'ai vingt ans. -> I am twenty years old. / Quel âge as-tu ? -> How old are you?"""
    r = d.rng
    if r.random() < 0.15:
        return r.choice([("Quel âge as-tu ?", "How old are you?"), ("Quel âge avez-vous ?", "How old are you?"),
                         ("Quel âge a-t-il ?", "How old is he?"), ("Quel âge a-t-elle ?", "How old is she?")])
    n = r.choice(list(range(2, 13)) + [15, 16, 18, 20, 20, 30, 40, 50, 60, 70, 80])
    s = d.subject()
    c = Clause(s, d.lex.find("V", "avoir"), obj=Noun(d.lex.find("N", "an"), "none", True, n), tense="p", neg=d.neg(0.1))
    fr = c.french()
    en = realize("en", lambda lang: rb.S(s.build(lang), rb.VP(rb.V("be"), rb.Q(_years(n)))).typ(
        {"neg": c.neg}))
    return fr, en


def _years(n: int) -> str:
    return realize("en", lambda lang: rb.NP(rb.NO(n).nat(True), rb.N("year").n("p"))).rstrip(".") + " old"


def state(d: Draw) -> tuple[str, str]:
    """J'ai faim. -> I am hungry. / Tu as soif ? -> Are you thirsty? / Elle n'a pas froid."""
    r = d.rng
    fr_n, en_a = r.choice(_STATES)
    s, neg, q = d.subject(), d.neg(0.25), d.question(0.3)
    fr = Clause(s, d.lex.find("V", "avoir"), comp=lambda lang: [rb.Q(fr_n)], tense=r.choice(("p", "p", "p", "i")), neg=neg,
                question=q)
    en = Clause(s, d.lex.find("V", "être"), comp=lambda lang: [rb.Q(en_a)], tense=fr.tense, neg=neg, question=q)
    return fr.french(), en.english()


def there_is(d: Draw) -> tuple[str, str]:
    """Il y a un livre sur la table. / Il n'y a pas de pain. / Est-ce qu'il y a une pharmacie près de la gare ?"""
    r = d.rng
    neg = d.neg(0.3)
    n = d.noun(("thing", "food", "animal", "person", "place", "furniture"), det="neg" if neg else "indef",
               adj_cls=("any", "color"))
    if n.plural and not neg and r.random() < 0.5:
        n = Noun(n.entry, "none", True, r.choice((2, 3, 4, 5, 10, 12)), n.adj, gender=n.gender)
    place = place_complement(d) if r.random() < 0.6 else None
    np_fr, np_en = words("fr", n.build), words("en", n.build)
    if place:
        np_fr += " " + words("fr", lambda lang: rb.PP(*place(lang)))  # près + de la gare: every part
        np_en += " " + words("en", lambda lang: rb.PP(*place(lang)))
    be = "are" if n.plural else "is"
    if neg:
        en_np = np_en.split(" ", 1)[1] if np_en.split()[0] in ("a", "an", "any") else np_en
        return f"Il n'y a pas {np_fr}.", \
            f"There {be} no {en_np}."
    q = d.question(0.25)
    if q == "esk":
        return f"Est-ce qu'il y a {np_fr} ?", f"{be.capitalize()} there {np_en}?"
    if q:
        return f"Il y a {np_fr} ?", f"{be.capitalize()} there {np_en}?"
    return f"Il y a {np_fr}.", f"There {be} {np_en}."


def it_is(d: Draw) -> tuple[str, str]:
    """C'est mon ami. -> It is my friend. / C'est délicieux. -> It is delicious. / Ce n'est pas grave."""
    r = d.rng
    neg = d.neg(0.2)
    if r.random() < 0.1:  # C'est lundi. / Aujourd'hui, c'est mardi. -> Today is Tuesday.
        day = r.choice(d.lex.of("N", "day"))
        return (f"C'est {day.fr}.", f"It is {day.en}.") if r.random() < 0.5 else \
            (f"Aujourd'hui, c'est {day.fr}.", f"Today is {day.en}.")
    is_adj = r.random() < 0.4
    if is_adj:
        a = d.pick(d.lex.of("A", "abstract", "food", "thing", "any"))
        fr_x, en_x = a.fr, a.en
        fr_x = words("fr", lambda lang: rb.A(a.fr))
    else:
        n = d.noun(("person", "family", "thing", "animal", "place", "food", "clothes"),
                   det=r.choice(("indef", "poss", "def")), adj_cls=("any", "color"), plural=False)
        fr_x, en_x = words("fr", n.build), words("en", n.build)
    end = r.choice((".", ".", "!"))
    this = "It" if is_adj else "This"  # C'est délicieux. -> It is delicious. / C'est mon ami. -> This is my friend.
    if neg:
        return french_spacing(f"Ce n'est pas {fr_x}{end}"), f"{this} is not {en_x}{end}"
    if r.random() < 0.2:
        return f"Est-ce que c'est {fr_x} ?", f"Is {this.lower()} {en_x}?"
    return french_spacing(f"C'est {fr_x}{end}"), f"{this} is {en_x}{end}"


def decorated(d: Draw, fr: str, en: str) -> tuple[str, str]:
    """A fixed phrase as people say it: alone, after "Excusez-moi," or with a name (Qui est-ce, Marie ?)."""
    r, x = d.rng, d.rng.random()
    if x < 0.25:
        en_rest = en if en.startswith("I ") else en[0].lower() + en[1:]
        return f"Excusez-moi, {fr[0].lower()}{fr[1:]}", f"Excuse me, {en_rest}"
    if x < 0.5:
        name = r.choice(NAMES_F + NAMES_M)
        return french_spacing(f"{fr[:-1].rstrip()}, {name}{fr[-1]}"), f"{en[:-1]}, {name}{en[-1]}"
    return fr, en


def questions(d: Draw) -> tuple[str, str]:
    """Où est la gare ? -> Where is the station? / Qui est-ce ? / Comment allez-vous ? / Qu'est-ce que c'est ?"""
    r = d.rng
    if r.random() < 0.5:
        return decorated(d, *r.choice(_FIXED_QUESTIONS))
    n = d.noun(("place", "thing", "person", "family", "animal", "vehicle", "clothes"), det=r.choice(("def", "poss")))
    fr_n, en_n = words("fr", n.build), words("en", n.build)
    return (f"Où sont {fr_n} ?", f"Where are {en_n}?") if n.plural else (f"Où est {fr_n} ?", f"Where is {en_n}?")


_FIXED_QUESTIONS = [("Comment allez-vous ?", "How are you?"), ("Comment vas-tu ?", "How are you?"),
                    ("Comment ça va ?", "How are you?"), ("Ça va ?", "How are you?"), ("Qui est-ce ?", "Who is it?"),
                    ("Qu'est-ce que c'est ?", "What is it?"), ("C'est combien ?", "How much is it?"),
                    ("Combien ça coûte ?", "How much does it cost?"), ("Ça va bien, merci.", "I am fine, thank you."),
                    ("Ça va, et toi ?", "I am fine, and you?"), ("Très bien, merci.", "Very well, thank you."),
                    ("Qu'est-ce que tu fais ?", "What are you doing?"), ("Qu'est-ce qu'il y a ?", "What is the matter?"),
                    ("Tu es où ?", "Where are you?"), ("Vous êtes d'où ?", "Where are you from?"),
                    ("Tu viens d'où ?", "Where do you come from?"), ("Quel jour sommes-nous ?", "What day is it?"),
                    ("Quelle est la date aujourd'hui ?", "What is the date today?")]


def weather(d: Draw) -> tuple[str, str]:
    """Il fait beau aujourd'hui. / Il pleut. / Il va neiger demain. / Quel temps fait-il ?"""
    r = d.rng
    if r.random() < 0.12:
        return decorated(d, *r.choice([("Quel temps fait-il ?", "What is the weather like?"),
                                       ("Quel temps fait-il aujourd'hui ?", "What is the weather like today?")]))
    forms = _WEATHER[r.choice(list(_WEATHER))]
    i = r.choice((0, 0, 1, 2))
    (fr, en), (fr_w, en_w) = forms[i], r.choice(_WEATHER_WHEN[i])
    if fr_w and r.random() < 0.5:
        return f"{fr_w[0].upper()}{fr_w[1:]}, {fr[0].lower()}{fr[1:]}.", f"{en_w[0].upper()}{en_w[1:]}, " \
            f"{en[0].lower() if not en.startswith('I ') else en[0]}{en[1:]}."
    return (f"{fr} {fr_w}." if fr_w else f"{fr}."), (f"{en} {en_w}." if en_w else f"{en}.")


def clock(d: Draw) -> tuple[str, str]:
    """Il est trois heures. -> It is three o'clock. / Il est midi. / Quelle heure est-il ?"""
    r = d.rng
    x = r.random()
    if x < 0.1:
        return decorated(d, "Quelle heure est-il ?", "What time is it?")
    if x < 0.25:
        fr, en = r.choice([("midi", "noon"), ("minuit", "midnight")])
        fr, en = r.choice([(fr, en), (f"presque {fr}", f"almost {en}"), (f"déjà {fr}", f"already {en}")])
        return decorated(d, f"Il est {fr}.", f"It is {en}.")
    h = r.randrange(1, 12)
    fr_h = "une heure" if h == 1 else f"{_NUMBERS[h]} heures"
    half = r.random() < 0.3
    return (f"Il est {fr_h} et demie.", f"It is half past {_EN_NUMBERS[h]}.") if half else \
        (f"Il est {fr_h}.", f"It is {_EN_NUMBERS[h]} o'clock.")


def routine(d: Draw) -> tuple[str, str]:
    """Je me lève à sept heures. -> I get up at seven o'clock. / Nous nous couchons tard."""
    r = d.rng
    v = d.pick(d.lex.verbs("refl"))
    h = r.randrange(1, 12)
    at = r.choice([(f"à {'une heure' if h == 1 else _NUMBERS[h] + ' heures'}", f"at {_EN_NUMBERS[h]} o'clock"),
                   ("tôt", "early"), ("tard", "late"), ("", ""), ("", "")])
    c = Clause(d.subject(), v, comp=lambda lang: [rb.Q(at[0] if lang == "fr" else at[1])] if at[0] else [],
               tense=r.choice(("p", "p", "p", "pc")), neg=d.neg(0.1))
    return c.french(), c.english()


def imperative(d: Draw) -> tuple[str, str]:
    """Ferme la porte, s'il te plaît. / Viens ici ! / Écoutez bien. / Mange ta soupe !"""
    r = d.rng
    v = d.pick(d.lex.verbs("t") + d.lex.verbs("i"))
    plural = r.random() < 0.4
    obj = d.noun(object_classes(v.objects()), det="def" if plural else r.choice(("def", "poss")), plural=False) \
        if v.objects() and r.random() < 0.7 else None  # Attendez ! -> Wait!
    if obj is not None and obj.det == "poss":
        obj = Noun(obj.entry, "poss", obj.plural, obj.count, obj.adj, poss=2, gender=obj.gender)
    extra = r.choice([("", ""), ("ici", "here"), ("bien", "carefully"), ("vite", "quickly"), ("maintenant", "now")])

    def build(lang: str) -> Any:
        head = rb.V(v.fr if lang == "fr" else v.en.split()[0]).t("ip").pe(2).n("p" if plural else "s")
        rest = []
        if obj is not None:
            rest += [rb.Q(particle(v))] if lang == "en" and particle(v) else []
            rest.append(obj.build(lang))
        elif lang == "en" and bare_particle(v):
            rest.append(rb.Q(bare_particle(v)))
        if extra[0] and obj is None:
            rest.append(rb.Q(extra[0] if lang == "fr" else extra[1]))
        return rb.S(rb.VP(head, *rest))
    fr, en = realize("fr", build)[:-1], realize("en", build)[:-1]
    please = r.random() < 0.3
    if please:
        return f"{fr}, {'s’il vous plaît' if plural else 's’il te plaît'}.".replace("’", "'"), f"{en}, please."
    end = r.choice(("!", "."))
    return (f"{fr} !" if end == "!" else fr + "."), en + end


def price(d: Draw) -> tuple[str, str]:
    """Le pain coûte deux euros. / Combien coûte le gâteau ? -> How much does the cake cost?"""
    r = d.rng
    n = d.noun(("food", "drink", "thing", "clothes"), det="def", plural=False)
    fr_n, en_n = words("fr", n.build), words("en", n.build)
    if r.random() < 0.3:
        return f"Combien coûte {fr_n} ?", f"How much does {en_n} cost?"
    k = r.choice(range(2, 13))
    fr_n, en_n = fr_n[0].upper() + fr_n[1:], en_n[0].upper() + en_n[1:]
    return f"{fr_n} coûte {_NUMBERS[k]} euros.", f"{en_n} costs {_EN_NUMBERS[k]} euros."


def would_like(d: Draw) -> tuple[str, str]:
    """Je voudrais un café, s'il vous plaît. -> I would like a coffee, please."""
    r = d.rng
    n = d.noun(("food", "drink", "thing", "clothes"), det=r.choice(("indef", "indef", "none")), plural=None)
    if n.det == "none":
        n = Noun(n.entry, "none", True, r.choice((2, 3, 4)), gender=n.gender) if n.plural else \
            Noun(n.entry, "indef", False, gender=n.gender)
    fr_n, en_n = words("fr", n.build), words("en", n.build)
    if r.random() < 0.12:  # L'addition, s'il vous plaît. -> The bill, please.
        the = Noun(n.entry, "def", n.plural, gender=n.gender)
        fr_n, en_n = words("fr", the.build), words("en", the.build)
        return f"{fr_n[0].upper()}{fr_n[1:]}, s'il vous plaît.", f"{en_n[0].upper()}{en_n[1:]}, please."
    subj = r.choice([("Je voudrais", "I would like"), ("Nous voudrions", "We would like"), ("Je veux", "I want"),
                     ("Il veut", "He wants"), ("Elle veut", "She wants"), ("Nous voulons", "We want")])
    please = r.random() < 0.5
    return (f"{subj[0]} {fr_n}, s'il vous plaît.", f"{subj[1]} {en_n}, please.") if please else \
        (f"{subj[0]} {fr_n}.", f"{subj[1]} {en_n}.")

