"""A clause in both languages: subject, verb, object or complement, tense, negation and question form.

Tenses: "p" present, "pc" passé composé (English simple past), "i" imparfait (simple past), "prox" futur proche
(aller + infinitive -> going to). Questions: "int" intonation (Tu aimes ... ?), "esk" est-ce que, "inv"
inversion (Aimes-tu ... ?), or a wh-question of pyRealB ("whe" où, "whn" quand, "why", "how", "wad" que).
English always asks with do-support or inversion of be/can ("Do you like ...?", "Are you ...?").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pyrealb as rb

from helpers.train.lexicon import Entry
from helpers.train.realize import (POSSESSOR_GENDER, Noun, Subject, bare_particle, french_spacing, particle,
                                   realize, verb)

_EN_TENSE = {"p": "p", "pc": "ps", "i": "ps", "prox": "p"}
_VOWELS = tuple("aeiouyhéèêàâîôû")


@dataclass(frozen=True)
class Clause:
    """One clause; `comp(lang)` returns extra constituents after the verb (attribute, PP, infinitive...)."""

    subject: Subject
    verb: Entry
    obj: Noun | None = None
    comp: Callable[[str], list[Any]] = field(default=lambda lang: [])
    tense: str = "p"
    neg: bool = False
    question: str = ""
    en_prog: bool = False  # English progressive (il pleut -> it is raining)
    en_mod: str = ""  # English modality of pyRealB: "poss" (can), "obli" (must)

    def _vp(self, lang: str) -> Any:
        tense = self.tense if lang == "fr" else _EN_TENSE[self.tense]
        rest: list[Any] = []
        if self.obj is not None:
            o = self.obj.build(lang)
            part = particle(self.verb) if lang == "en" else ""
            rest.append(rb.PP(rb.P(part), o) if part else o)
        elif lang == "en" and bare_particle(self.verb) and self.verb.cls != "cop":
            rest.append(rb.Q(bare_particle(self.verb)))
        rest += self.comp(lang)
        if self.tense == "prox":
            inner = verb(lang, self.verb, "b" if lang == "fr" else "b-to")
            return rb.VP(rb.V("aller" if lang == "fr" else "go").t("p"), rb.VP(inner, *rest))
        return rb.VP(verb(lang, self.verb, tense), *rest)

    def build(self, lang: str, question: str | None = None) -> Any:
        s_ = self.subject
        known = s_.noun is None and s_.pe == 3 and not s_.plural
        token = POSSESSOR_GENDER.set(s_.gender if known else None)
        try:
            s = rb.S(s_.build(lang), self._vp(lang))
        finally:
            POSSESSOR_GENDER.reset(token)
        typ: dict[str, Any] = {}
        if self.neg:
            typ["neg"] = True
        if lang == "en" and (self.tense == "prox" or self.en_prog):
            typ["prog"] = True
        if lang == "en" and self.en_mod:
            typ["mod"] = self.en_mod
        q = self.question if question is None else question
        if q and q not in ("int", "esk"):
            typ["int"] = "yon" if q == "inv" else q
        if self.verb.cls == "refl" and lang == "fr":
            typ["refl"] = True
        return s.typ(typ) if typ else s

    def french(self) -> str:
        if self.question in ("int", "esk"):
            decl = realize("fr", lambda lang: self.build(lang, question=""))[:-1].rstrip()
            if self.question == "int":
                return decl + " ?"
            first = decl if self.subject.name else decl[0].lower() + decl[1:]
            return ("Est-ce qu'" if first.startswith(_VOWELS) else "Est-ce que ") + first + " ?"
        return french_spacing(realize("fr", self.build))

    def english(self) -> str:
        if self.question and self.verb.en == "have" and self.tense != "prox":
            return self._have_question()
        return realize("en", lambda lang: self.build(lang, question=_EN_QUESTION.get(self.question, self.question)))

    def _have_question(self) -> str:
        """"Do you have a car?": pyRealB asks "Have you a car?", which is British and dated."""
        s = self.subject
        aux = "Did" if self.tense in ("pc", "i") else ("Does" if s.third_singular else "Do")
        neg = " not" if self.neg else ""
        decl = realize("en", lambda lang: rb.S(s.build(lang), rb.VP(rb.V("have").t("b"), *(
            [self.obj.build(lang)] if self.obj else []), *self.comp(lang))))[:-1]
        if not (s.name or decl.startswith("I ")):
            decl = decl[0].lower() + decl[1:]
        return f"{aux} {decl.replace(' have', neg + ' have', 1)}?"


_EN_QUESTION = {"int": "yon", "esk": "yon", "inv": "yon"}
