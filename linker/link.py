"""Choosing a Wikipedia page for each cluster, or none.

Candidates: each surface form's own page (redirects followed), the entries of
disambiguation pages for it (``X`` and ``X (disambiguation)``), and the wiki's
search when those give nothing that fits.  Each candidate is scored on the
evidence a careful reader would use:

* name: do the entity's forms match the page title or a redirect to it;
* type: does the entity's label fit what the categories and description say it is;
* context: the words around its mentions against the page's summary;
* coherence: the other entities of the story in that summary, and pages they link to;
* prior: a form that leads straight to the page (title or redirect).

The order of entries on a disambiguation page is never used.  Below
:data:`THRESHOLD` the entity is NIL ("no article").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from linker.names import (
    content_tokens,
    demonym_of,
    name_score,
    person_compatible,
    tokens,
)

THRESHOLD = 0.5
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
STOPWORDS = set(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only
    or other our out over own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom why will with would
    you your said says say one two also which whose many much may might must new last first year years time since
    s known part made make well including include includes like""".split()
)

TYPE_WORDS = {
    "PERSON": ("births", "deaths", "living people", "people from", "politicians", "diplomats", "born",
               "writers", "actors", "businesspeople", "alumni", "laureates", "poets", "economists"),
    "GPE": ("countries", "country", "cities", "city", "states of", "u.s. state", "provinces", "province", "capital",
            "municipalities", "county", "oblasts", "towns", "federal district", "states and territories", "republics",
            "federal subject", "monarchies", "member states"),
    "LOC": ("continents", "continent", "seas", "sea", "straits", "strait", "rivers", "river", "islands", "island",
            "mountains", "regions", "region", "landmass", "bodies of water", "geography", "ocean", "hemisphere"),
    "FAC": ("buildings", "structures", "building", "squares", "square", "hotels", "guest houses", "guesthouse",
            "headquarters", "airports", "bridges", "gates", "gate", "palaces", "complex", "stadiums"),
    "ORG": ("organizations", "organisation", "organization", "companies", "company", "ministries", "departments",
            "department", "agencies", "agency", "think tanks", "think tank", "universities", "university",
            "newspapers", "newspaper", "channels", "channel", "television", "media", "forum", "intergovernmental",
            "councils", "council", "bands", "band", "musical groups", "parties", "institution", "committee",
            "conglomerate", "publications"),
    "EVENT": ("conferences", "conference", "summits", "summit", "events", "incidents", "incident", "wars", "invasion",
              "protests", "pandemic", "bombings", "attacks", "meeting of", "massacre"),
    "NORP": ("ethnic groups", "people associated", "citizens", "nationals", "ethnic group"),
    "LANGUAGE": ("languages", "language"),
}

COMPAT = {
    "PERSON": {"PERSON": 1.0},
    "NORP": {"GPE": 1.0, "NORP": 0.6, "LOC": 0.4, "LANGUAGE": 0.3, "ORG": 0.1},
    "GPE": {"GPE": 1.0, "LOC": 0.7, "FAC": 0.3, "ORG": 0.3, "NORP": 0.2, "EVENT": 0.1},
    "LOC": {"LOC": 1.0, "GPE": 0.8, "FAC": 0.5, "ORG": 0.2, "EVENT": 0.2},
    "FAC": {"FAC": 1.0, "LOC": 0.6, "GPE": 0.5, "ORG": 0.5},
    "ORG": {"ORG": 1.0, "FAC": 0.85, "EVENT": 0.5, "GPE": 0.4, "LOC": 0.3},
    "EVENT": {"EVENT": 1.0, "ORG": 0.6, "FAC": 0.3, "LOC": 0.2},
    "PRODUCT": {"OTHER": 0.8, "ORG": 0.5},
    "WORK_OF_ART": {"OTHER": 0.8, "EVENT": 0.3},
    "LAW": {"OTHER": 0.8, "EVENT": 0.3, "ORG": 0.3},
}
WEIGHTS = {"name": 0.35, "type": 0.2, "context": 0.22, "coherence": 0.15, "prior": 0.08}


def words(text: str) -> list[str]:
    return [w.lower().rstrip("'’") for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def page_types(record: dict) -> dict[str, float]:
    """What a page is about, from its categories and short description."""
    cats = " | ".join(record.get("categories", [])).lower()
    desc = (record.get("description") or "").lower()
    scores: Counter = Counter()
    for typ, cues in TYPE_WORDS.items():
        for cue in cues:
            if cue in cats:
                scores[typ] += 1
            if re.search(r"\b" + re.escape(cue) + r"\b", desc):
                scores[typ] += 2
    if re.search(r"\((born )?\d{3,4}\s*[–-]\s*\d{3,4}\)|\(born \d{4}\)|\(c\. ", desc):
        scores["PERSON"] += 3
    total = sum(scores.values())
    if not total:
        return {"OTHER": 1.0}
    return {t: s / total for t, s in scores.items()}


def type_fit(label: str, record: dict) -> float:
    types = page_types(record)
    table = COMPAT.get(label, {})
    fit = sum(share * table.get(t, 0.15 if label != "PERSON" else 0.0) for t, share in types.items())
    best = max((table.get(t, 0.0) for t, share in types.items() if share >= 0.3), default=0.0)
    return max(fit, best * 0.9)


@dataclass
class Evidence:
    """Everything the scorer knows about one cluster."""

    forms: list[str]
    label: str
    context: Counter
    neighbours: set[str] = field(default_factory=set)


@dataclass
class Scored:
    title: str
    score: float
    features: dict[str, float]
    description: str = ""


def page_words(record: dict) -> Counter:
    text = " ".join([record.get("description", ""), record.get("extract", "")[:1500], " ".join(record.get("categories", []))])
    return Counter(words(text))


class Scorer:
    def __init__(self, records: dict[str, dict]) -> None:
        # IDF over the candidate pages seen in this run.
        self.records = records
        df: Counter = Counter()
        self.bags: dict[str, Counter] = {}
        for title, rec in records.items():
            bag = page_words(rec)
            self.bags[title] = bag
            df.update(set(bag))
        n = max(len(records), 1)
        self.idf = {w: math.log(1 + n / c) for w, c in df.items()}

    def context(self, ev: Evidence, title: str) -> float:
        bag = self.bags.get(title) or Counter()
        if not bag or not ev.context:
            return 0.0
        shared = set(bag) & set(ev.context)
        num = sum(self.idf.get(w, 1.0) * (1 + math.log(ev.context[w])) for w in shared)
        den = math.sqrt(sum(self.idf.get(w, 1.0) for w in bag))
        raw = num / den if den else 0.0
        return raw / (raw + 4.0)

    def coherence(self, ev: Evidence, title: str, linked: dict[str, float]) -> float:
        rec = self.records.get(title, {})
        text = " ".join([rec.get("description", ""), rec.get("extract", "")[:1500], " ".join(rec.get("categories", []))])
        text_tokens = set(tokens(text))
        hits = 0
        for name in ev.neighbours:
            nt = content_tokens(name)
            if nt and all(t in text_tokens for t in nt):
                hits += 1
        score = min(1.0, hits / 4)
        if title in linked:
            score = max(score, min(1.0, linked[title]))
        return score

    def score(self, ev: Evidence, title: str, direct: bool, listed: bool, linked: dict[str, float]) -> Scored | None:
        rec = self.records[title]
        aliases = rec.get("aliases", [])
        if ev.label == "PERSON":
            full = [f for f in ev.forms if len(content_tokens(f)) > 1] or ev.forms
            if not any(person_compatible(f, title) or any(person_compatible(f, a) for a in aliases) for f in full):
                if not direct:
                    return None
        name = name_score(ev.forms, title, aliases)
        if direct:
            name = max(name, 0.9)
        if listed:
            name = max(name, 0.7)
        if ev.label == "NORP" and demonym_of(ev.forms[0], title, aliases):
            name = max(name, 0.9)
        feats = {
            "name": name,
            "type": type_fit(ev.label, rec),
            "context": self.context(ev, title),
            "coherence": self.coherence(ev, title, linked),
            "prior": (0.7 if direct else 0.0) + min(0.3, 0.1 * math.log1p(len(aliases))),
        }
        total = sum(WEIGHTS[k] * v for k, v in feats.items())
        feats = {k: round(v, 3) for k, v in feats.items()}
        if feats["type"] < 0.2:
            total *= 0.5
        if ev.label == "PERSON" and not direct and all(len(content_tokens(f)) == 1 for f in ev.forms):
            # A bare surname that only a disambiguation list or a search ties to a page is a
            # guess unless the context is decisive: ask for more before linking.
            total *= 0.85
        return Scored(title, total, feats, rec.get("description", ""))


def choose(scored: list[Scored]) -> tuple[Scored | None, float]:
    """The best candidate and a confidence; None when nothing clears the threshold."""
    if not scored:
        return None, 0.0
    ranked = sorted(scored, key=lambda s: (-s.score, s.title))
    best = ranked[0]
    margin = best.score - (ranked[1].score if len(ranked) > 1 else 0.0)
    confidence = max(0.0, min(1.0, best.score + 0.5 * margin))
    if best.features["name"] < 0.5 or confidence < THRESHOLD:
        return None, confidence
    return best, confidence

