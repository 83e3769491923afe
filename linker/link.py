"""Choosing a wiki page for each cluster of mentions, or none.

Each candidate page gets a small vector of features, each in 0..1, computed
from what any MediaWiki offers (title, redirects, extract, categories,
description, page length, disambiguation lists, search) and from the articles:

* ``exact``: a surface form reaches the page by its title or a redirect;
* ``name`` / ``name_partial``: how well the forms match the title when the title
  covers a form (short forms, misspellings) / when it names only part of one
  (weighed by the type fit: "X Ventures" is not the town X);
* ``name_overlap``: the title and a form only share some words;
* ``no_name``: nothing in the title answers to the name (a search hit, a loose list entry);
* ``demonym``: a people's word ("Ruritanian") and its country's page;
* ``surname_only``: a person named by one word only, and not by the page's title;
* ``listed`` / ``searched``: the page came from a disambiguation list / the search;
* ``type``: how well spaCy's label fits what the categories and description say;
* ``person_clash``: the label says person, the page is a person, the names disagree;
* ``context`` / ``context_rel`` / ``context_margin``: the articles' words against
  the page's words, relative to the cluster's best candidate, and how far ahead of
  the best other candidate;
* ``coherence``: the story's other entities named in the page's text;
* ``length_rel``: the page's length against the longest candidate's (a prior);
* ``only`` / ``rivals``: the only candidate there is / how many others answer to the name.

A logistic model turns the features into a probability; its weights and the
NIL threshold are fitted on the development stories (``make fit``, see
:mod:`linker.fit`) and read from ``weights.json`` beside this file.  The order
of a disambiguation page's entries is never used.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from linker.model import Page
from linker.names import content_tokens, demonym_of, name_match, person_compatible, tokens

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
FEATURES = (
    "exact",
    "exact_misfit",
    "name",
    "name_partial",
    "name_overlap",
    "no_name",
    "demonym",
    "surname_only",
    "listed",
    "searched",
    "type",
    "person_clash",
    "context",
    "context_rel",
    "context_margin",
    "coherence",
    "coherence_margin",
    "length_rel",
    "only",
    "rivals",
)

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

# English words by which categories and short descriptions say what a page is about.
TYPE_WORDS = {
    "PERSON": (
        "births",
        "deaths",
        "living people",
        "people from",
        "politicians",
        "diplomats",
        "born",
        "writers",
        "actors",
        "businesspeople",
        "alumni",
        "laureates",
        "poets",
        "economists",
        "executives",
        "entrepreneurs",
        "scientists",
        "engineers",
        "journalists",
        "players",
        "directors",
        "singers",
        "investors",
        "astronauts",
        "athletes",
        "footballers",
        "coaches",
        "astronomers",
        "physicians",
        "aviators",
        "musicians",
        "artists",
        "philosophers",
        "judges",
        "lawyers",
        "generals",
        "monarchs",
        "presidents of",
        "prime ministers",
        "mayors of",
        "senators",
        "members of parliament",
        "activists",
        "historians",
        "composers",
        "painters",
        "architects",
        "chefs",
        "clergy",
        "bishops",
        "cardinals",
        "researchers",
        "inventors",
        "cricketers",
        "tennis players",
        "swimmers",
        "cyclists",
        "rappers",
        "comedians",
    ),
    "GPE": (
        "countries",
        "country",
        "cities",
        "city",
        "states of",
        "u.s. state",
        "provinces",
        "province",
        "capital",
        "municipalities",
        "county",
        "oblasts",
        "towns",
        "town",
        "federal district",
        "states and territories",
        "republics",
        "federal subject",
        "monarchies",
        "member states",
        "populated places",
        "state of",
    ),
    "LOC": (
        "continents",
        "continent",
        "seas",
        "sea",
        "straits",
        "strait",
        "rivers",
        "river",
        "islands",
        "island",
        "mountains",
        "regions",
        "region",
        "landmass",
        "bodies of water",
        "geography",
        "ocean",
        "hemisphere",
        "neighborhoods",
        "neighbourhoods",
        "neighborhood",
        "district",
        "natural satellites",
        "natural satellite",
        "planets",
        "planet",
        "constellations",
        "constellation",
        "galaxies",
        "lakes",
        "lake",
        "valleys",
        "deserts",
        "forests",
        "national parks",
        "headlands",
        "capes",
        "bays",
        "peninsulas",
        "volcanoes",
        "glaciers",
        "basins",
    ),
    "FAC": (
        "buildings",
        "structures",
        "building",
        "squares",
        "square",
        "hotels",
        "guest houses",
        "guesthouse",
        "headquarters",
        "airports",
        "airport",
        "bridges",
        "gates",
        "gate",
        "palaces",
        "complex",
        "stadiums",
        "stadium",
        "streets",
        "street",
        "campus",
        "launch complexes",
        "launch pad",
        "spaceports",
        "facilities",
        "museums",
        "museum",
        "railway stations",
        "stations",
        "space stations",
        "ports",
        "dams",
        "towers",
        "tower",
        "venues",
        "arenas",
        "arena",
        "prisons",
        "hospitals",
        "hospital",
        "castles",
        "cathedrals",
        "monuments",
        "tunnels",
        "canals",
        "power stations",
        "mines",
    ),
    "ORG": (
        "organizations",
        "organisation",
        "organization",
        "companies",
        "company",
        "ministries",
        "departments",
        "department",
        "agencies",
        "agency",
        "think tanks",
        "think tank",
        "universities",
        "university",
        "newspapers",
        "newspaper",
        "channels",
        "channel",
        "television",
        "media",
        "forum",
        "intergovernmental",
        "councils",
        "council",
        "bands",
        "band",
        "musical groups",
        "parties",
        "institution",
        "committee",
        "conglomerate",
        "publications",
        "firms",
        "firm",
        "clubs",
        "club",
        "teams",
        "team",
        "exchanges",
        "exchange",
        "websites",
        "website",
        "corporation",
        "manufacturer",
        "laboratory",
        "laboratories",
        "startup",
        "start-up",
        "research centers",
        "research institutes",
        "armed forces",
        "navy",
        "army",
        "air force",
        "military",
        "police",
        "courts",
        "court",
        "airlines",
        "airline",
        "banks",
        "bank",
        "charities",
        "trade unions",
        "federations",
        "federation",
        "associations",
        "association",
        "leagues",
        "league",
        "schools",
        "school",
        "colleges",
        "trade association",
        "joint venture",
        "operator",
        "provider",
        "providers",
    ),
    "EVENT": (
        "conferences",
        "conference",
        "summits",
        "summit",
        "events",
        "incidents",
        "incident",
        "wars",
        "invasion",
        "protests",
        "pandemic",
        "bombings",
        "attacks",
        "meeting of",
        "massacre",
        "tournaments",
        "elections",
        "championships",
        "games",
        "missions",
        "mission",
        "expeditions",
        "festivals",
        "festival",
        "disasters",
        "earthquakes",
        "hurricanes",
        "storms",
        "scandals",
        "trials",
        "races",
        "marathons",
        "strikes",
        "ceremonies",
        "crises",
        "uprisings",
        "revolutions",
        "battles",
        "battle",
        "flights",
        "spaceflights",
        "launches",
    ),
    "NORP": ("ethnic groups", "people associated", "citizens", "nationals", "ethnic group"),
    "LANGUAGE": ("languages", "language"),
    "PRODUCT": (
        "software",
        "products",
        "product",
        "vehicles",
        "models",
        "chatbots",
        "chatbot",
        "language model",
        "language models",
        "services",
        "service",
        "applications",
        "app",
        "browsers",
        "search engines",
        "search engine",
        "video games",
        "platform",
        "computing platforms",
        "car",
        "spacecraft",
        "launch vehicles",
        "launch vehicle",
        "rockets",
        "rocket",
        "aircraft",
        "satellites",
        "satellite",
        "weapons",
        "missiles",
        "ships",
        "locomotives",
        "drugs",
        "medications",
        "vaccines",
        "smartphones",
        "consoles",
        "operating systems",
        "cars",
        "automobiles",
        "trucks",
        "capsules",
        "capsule",
        "constellation of satellites",
        "internet constellation",
    ),
    "WORK_OF_ART": (
        "films",
        "film",
        "television series",
        "tv series",
        "novels",
        "novel",
        "albums",
        "album",
        "songs",
        "song",
        "books",
        "book",
        "paintings",
        "plays",
        "drama series",
        "documentary",
    ),
    "LAW": ("law", "laws", "acts", "act of", "regulation", "regulations", "legislation", "treaties", "treaty", "directive"),
}

# How well a page of one type can stand for a mention with spaCy's label.
COMPAT = {
    "PERSON": {"PERSON": 1.0},
    "NORP": {"GPE": 1.0, "NORP": 0.6, "LOC": 0.4, "LANGUAGE": 0.3, "ORG": 0.1},
    "GPE": {"GPE": 1.0, "LOC": 0.7, "FAC": 0.3, "ORG": 0.3, "NORP": 0.2, "EVENT": 0.1},
    "LOC": {"LOC": 1.0, "GPE": 0.8, "FAC": 0.5, "ORG": 0.2, "EVENT": 0.2},
    "FAC": {"FAC": 1.0, "LOC": 0.6, "GPE": 0.5, "ORG": 0.5},
    "ORG": {"ORG": 1.0, "FAC": 0.85, "EVENT": 0.5, "GPE": 0.4, "LOC": 0.3, "PRODUCT": 0.5},
    "EVENT": {"EVENT": 1.0, "ORG": 0.6, "FAC": 0.3, "LOC": 0.2},
    "PRODUCT": {"PRODUCT": 1.0, "OTHER": 0.6, "ORG": 0.5, "WORK_OF_ART": 0.4},
    "WORK_OF_ART": {"WORK_OF_ART": 1.0, "OTHER": 0.6, "PRODUCT": 0.4, "EVENT": 0.3},
    "LAW": {"LAW": 1.0, "OTHER": 0.6, "EVENT": 0.3, "ORG": 0.3},
}


def words(text: str) -> list[str]:
    return [w.lower().rstrip("'’") for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def page_types(record: Page) -> dict[str, float]:
    """What a page is about, as shares of types, from its categories and short description
    (worked out once per page: the result is shared, not to be changed)."""
    return _page_types(tuple(record.categories), record.description or "")


@lru_cache(maxsize=None)
def _whole_word(cue: str) -> re.Pattern:
    return re.compile(r"\b" + re.escape(cue) + r"\b")


@lru_cache(maxsize=1 << 16)
def _page_types(categories: tuple[str, ...], description: str) -> dict[str, float]:
    cats = " | ".join(categories).lower()
    desc = description.lower()
    scores: Counter = Counter()
    for text, weight, found in ((cats, 1, lambda cue, text: cue in text), (desc, 2, lambda cue, text: _whole_word(cue).search(text))):
        hits = [(typ, cue) for typ, cues in TYPE_WORDS.items() for cue in cues if found(cue, text)]
        # The longest cue speaks: "natural satellites" is not also "satellites".
        for typ, cue in hits:
            if not any(cue != other and cue in other for _, other in hits):
                scores[typ] += weight
    if re.search(r"\((born )?\d{3,4}\s*[–-]\s*\d{3,4}\)|\(born \d{4}\)|\(c\. ", desc):
        scores["PERSON"] += 3
    total = sum(scores.values())
    if not total:
        return {"OTHER": 1.0}
    return {t: s / total for t, s in scores.items()}


def page_label(record: Page) -> str | None:
    """The NER label a page's own type stands for, when one type clearly dominates."""
    ranked = sorted(page_types(record).items(), key=lambda kv: -kv[1])
    best, share = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return best if share >= 0.4 and share > runner_up and best not in ("OTHER", "LANGUAGE") else None


def type_fit(label: str, record: Page) -> float:
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


@dataclass(frozen=True)
class Model:
    """A fitted logistic model over :data:`FEATURES`, and the NIL threshold."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    meta: dict = field(default_factory=dict, hash=False, compare=False)

    def probability(self, feats: dict[str, float]) -> float:
        z = self.intercept + sum(w * feats.get(f, 0.0) for w, f in zip(self.coef, FEATURES))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "coef": [round(c, 6) for c in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 6),
            **self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        names = data["features"]
        by_name = dict(zip(names, data["coef"]))
        coef = tuple(float(by_name.get(f, 0.0)) for f in FEATURES)
        meta = {k: v for k, v in data.items() if k not in ("features", "coef", "intercept", "threshold")}
        return cls(coef, float(data["intercept"]), float(data["threshold"]), meta)


@lru_cache(maxsize=1)
def default_model() -> Model:
    return Model.from_json(json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")))


def page_text(record: Page) -> str:
    return " ".join([record.description, record.extract[:1500], " ".join(record.categories)])


class Scorer:
    """Features and probabilities for the candidates of one story."""

    def __init__(self, records: dict[str, Page], anchors: dict[str, str] | None = None, model: Model | None = None) -> None:
        self.records = records
        self.model = model or default_model()
        # IDF over the candidate pages seen in this run.
        df: Counter = Counter()
        self.bags: dict[str, Counter] = {}
        self.text_tokens: dict[str, set[str]] = {}
        for title, rec in records.items():
            text = page_text(rec)
            bag = Counter(words(text))
            self.bags[title] = bag
            self.text_tokens[title] = set(tokens(text + " " + title))  # the title names things too ("Ruritania Cup")
            df.update(set(bag))
        n = max(len(records), 1)
        self.idf = {w: math.log(1 + n / c) for w, c in df.items()}
        # Unambiguous entities of the story (title -> a name used for it): evidence for the others.
        self.anchors = anchors or {}
        self._anchor_tokens = {t: (content_tokens(t.split(" (")[0]), content_tokens(name)) for t, name in self.anchors.items()}

    def context(self, ev: Evidence, title: str) -> float:
        bag = self.bags.get(title) or Counter()
        if not bag or not ev.context:
            return 0.0
        shared = set(bag) & set(ev.context)
        num = sum(self.idf.get(w, 1.0) * (1 + math.log(ev.context[w])) for w in shared)
        den = math.sqrt(sum(self.idf.get(w, 1.0) for w in bag))
        raw = num / den if den else 0.0
        return raw / (raw + 4.0)

    def coherence(self, ev: Evidence, title: str) -> float:
        """How many of the story's other entities the page names (log-scaled, 0..1)."""
        text_tokens = self.text_tokens.get(title, set())
        hits = 0
        seen: set[tuple[str, ...]] = set()
        own = {tuple(content_tokens(f)) for f in ev.forms}
        names = [tuple(content_tokens(n)) for n in ev.neighbours]
        for anchor, (by_title, by_name) in self._anchor_tokens.items():
            if anchor != title:
                names.extend((tuple(by_title), tuple(by_name)))
        for nt in names:
            if not nt or nt in seen or nt in own:
                continue
            seen.add(nt)
            if all(t in text_tokens for t in nt):
                hits += 1
        return min(1.0, math.log1p(hits) / math.log(11))

    def features(self, ev: Evidence, title: str, direct: bool, listed: bool, searched: bool) -> dict[str, float]:
        rec = self.records[title]
        aliases = rec.aliases
        name, partial, overlap = name_match(ev.forms, title, aliases)
        types = page_types(rec)
        place = types.get("GPE", 0.0) + types.get("LOC", 0.0) >= 0.5
        single = all(len(content_tokens(f)) == 1 for f in ev.forms)
        demonym = 0.0
        if ev.label == "NORP" and place:
            # The place's names: title, redirects, and the capitalised words of the page's opening.
            opening = re.findall(r"\b[A-Z][a-z]{3,}\b", rec.extract[:200])
            demonym = 1.0 if any(demonym_of(f, title, aliases + opening) for f in ev.forms) else 0.0
            # A place on the people's word's own disambiguation page is the place of that people.
            demonym = max(demonym, 1.0 if listed and single else 0.0)
        clash = 0.0
        if ev.label == "PERSON" and types.get("PERSON", 0.0) >= 0.5:
            full = [f for f in ev.forms if len(content_tokens(f)) > 1] or ev.forms
            if not any(person_compatible(f, title) or any(person_compatible(f, a) for a in aliases) for f in full):
                clash = 1.0
        fit = type_fit(ev.label, rec)
        return {
            "exact": 1.0 if direct else 0.0,
            # An exact title of another type than the mention's (a club called by its city's name):
            # how much the title still counts is fitted apart.
            "exact_misfit": (1.0 - fit) if direct else 0.0,
            "name": name,
            "name_partial": partial * fit,  # a shorter name of something else is no evidence
            "name_overlap": overlap,
            "no_name": 1.0 if max(name, partial) < 0.5 and not direct and not demonym else 0.0,
            "demonym": demonym,
            "surname_only": 1.0 if ev.label == "PERSON" and single and not direct else 0.0,
            "listed": 1.0 if listed else 0.0,
            "searched": 1.0 if searched and not direct and not listed else 0.0,
            "type": fit,
            "person_clash": clash,
            "context": self.context(ev, title),
            "coherence": self.coherence(ev, title),
        }

    def rank(self, ev: Evidence, cands: dict[str, tuple[bool, bool, bool]]) -> list[Scored]:
        """Every candidate with its features and probability, best first (ties by title)."""
        rows = {t: self.features(ev, t, *how) for t, how in cands.items() if t in self.records}
        if not rows:
            return []
        named = sum(1 for f in rows.values() if f["name"] >= 0.7)
        contexts = sorted((f["context"] for f in rows.values()), reverse=True)
        coherences = sorted((f["coherence"] for f in rows.values()), reverse=True)
        lengths = {t: math.log1p(page_length(self.records[t])) for t in rows}
        top_length = max(lengths.values()) or 1.0
        out = []
        for t, f in rows.items():
            f["context_rel"] = f["context"] / contexts[0] if contexts[0] else 0.0
            rival = contexts[1] if f["context"] == contexts[0] and len(contexts) > 1 else contexts[0]
            f["context_margin"] = max(0.0, f["context"] - rival) if len(contexts) > 1 else f["context"]
            # How far this page names more of the story's other entities than its best rival does.
            rival = coherences[1] if f["coherence"] == coherences[0] and len(coherences) > 1 else coherences[0]
            f["coherence_margin"] = max(0.0, f["coherence"] - rival) if len(coherences) > 1 else 0.0
            f["length_rel"] = lengths[t] / top_length
            f["only"] = 1.0 if len(rows) == 1 else 0.0
            f["rivals"] = min(1.0, math.log1p(named - (f["name"] >= 0.7)) / math.log(11))
            f = {k: round(v, 4) for k, v in f.items()}
            out.append(Scored(t, self.model.probability(f), f, self.records[t].description))
        out.sort(key=lambda s: (-s.score, s.title))
        return out


def page_length(record: Page) -> int:
    return record.length if record.length > 0 else len(record.extract)


def choose(ranked: list[Scored], threshold: float) -> tuple[Scored | None, float]:
    """The best candidate and its probability; None when it is under the threshold."""
    if not ranked:
        return None, 0.0
    best = ranked[0]
    if best.score < threshold:
        return None, best.score
    return best, best.score
