"""Stories: stored articles grouped by the entities they share and their dates.

This is single-pass clustering as in topic detection and tracking: articles are
taken in date order, each is a vector of the names spaCy found in it (weighted by
how rare the name is in the whole archive, tf-idf), and it joins the story whose
centroid it is most similar to (cosine), if that is similar enough and the story
was still running near the article's date; otherwise it starts a story.  Only
stories sharing a name of a person, organisation or other non-place with the
article are compared (an inverted index; places are shared by too many stories),
so the work grows with the archive, not with its square.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from linker.model import Mention, no_collection

LABELS = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW")
# Places and nationalities are where a story happens, and many stories happen in one place:
# they count a quarter.  Who and what (people, organisations, events, laws...) make a story.
SETTING = ("GPE", "NORP", "LOC")
SETTING_WEIGHT = 0.25
SIMILAR = 0.15  # cosine to a story's centroid needed to join it
WINDOW_DAYS = 14  # an article joins a story whose latest article is at most this much older or newer
_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)


@dataclass
class Item:
    """What grouping needs of one article: its names (see :func:`names_of`), or its mentions to find them in."""

    id: str
    title: str
    site: str
    date: str  # ISO date or ""
    mentions: list[Mention] = field(default_factory=list)
    names: list | None = None  # names_of(mentions), when known already (a library keeps them)


def names_of(mentions: list[Mention]) -> list:
    """The names grouping counts in one article, as plain JSON: [key, times, is a place, {form as written: times}]."""
    out: dict[str, list] = {}
    for m in mentions:
        if m.label in LABELS:
            k = name_key(m.text, m.label)
            if len(k) > 1:
                entry = out.setdefault(k, [k, 0, False, {}])
                entry[1] += 1
                entry[2] = entry[2] or m.label in SETTING
                entry[3][m.text] = entry[3].get(m.text, 0) + 1
    return list(out.values())


@dataclass
class Story:
    id: str
    items: list[Item]
    entities: list[str]  # the most telling names, as written
    title: str
    vector: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def dates(self) -> tuple[str, str]:
        ds = sorted(i.date for i in self.items if i.date)
        return (ds[0], ds[-1]) if ds else ("", "")

    @property
    def sites(self) -> list[str]:
        return sorted({i.site for i in self.items if i.site})

    def to_json(self) -> dict:
        first, last = self.dates
        return {
            "id": self.id,
            "title": self.title,
            "articles": [{"id": i.id, "title": i.title, "site": i.site, "date": i.date} for i in self.items],
            "sites": self.sites,
            "first": first,
            "last": last,
            "entities": self.entities,
        }


def name_key(text: str, label: str) -> str:
    """The form two articles share for one name: case, articles and possessives aside;
    a person's surname (the form a second reference uses)."""
    t = _ARTICLE.sub("", " ".join(text.replace("’", "'").split()))
    t = re.sub(r"'s?$", "", t).strip(" .,'\"")
    if label == "PERSON" and " " in t:
        t = t.rsplit(" ", 1)[1]
    return t.casefold()


def _day(iso: str) -> int | None:
    try:
        return date.fromisoformat(iso[:10]).toordinal()
    except ValueError:
        return None


def telling_names(members: list[Item], counts: dict[str, Counter], shown: dict[str, Counter], limit: int = 6) -> list[str]:
    """The names most of the story's articles share (then the most mentioned), as most often written;
    a name that is part of one already listed ("Lindqvist" beside "Ada Lindqvist") is not repeated."""
    in_articles: Counter = Counter()
    mentions: Counter = Counter()
    for it in members:
        in_articles.update(counts[it.id].keys())
        mentions.update(counts[it.id])
    out: list[str] = []
    words: set[str] = set()
    for k in sorted(in_articles, key=lambda k: (-in_articles[k], -mentions[k], k)):
        form = shown[k].most_common(1)[0][0]
        toks = set(form.casefold().split())
        if toks <= words:
            continue
        out.append(form)
        words |= toks
        if len(out) == limit:
            break
    return out


@no_collection()  # its dicts of counts and weights are acyclic: the collector would only rescan the archive
def group(items: list[Item]) -> list[Story]:
    """Group articles into stories; stories come out newest first."""
    counts: dict[str, Counter] = {}
    setting: set[str] = set()
    shown: dict[str, Counter] = defaultdict(Counter)
    df: Counter = Counter()
    for it in items:
        c = Counter()
        for k, times, place, forms in it.names if it.names is not None else names_of(it.mentions):
            c[k] += times
            if place:
                setting.add(k)
            shown[k].update(forms)
        counts[it.id] = c
        df.update(c.keys())
    n = len(items)
    idf = {k: (math.log((n + 1) / (d + 1)) + 1.0) * (SETTING_WEIGHT if k in setting else 1.0) for k, d in df.items()}

    def vector(it: Item) -> dict[str, float]:
        v = {k: (1.0 + math.log(tf)) * idf[k] for k, tf in counts[it.id].items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {k: x / norm for k, x in v.items()}

    order = sorted(items, key=lambda it: (it.date or "9999", it.id))
    clusters: list[dict] = []  # {"items", "sum", "norm2", "last"}
    # name -> the clusters that have it (insertion-ordered); a cluster whose latest article is out
    # of the window is dropped from a list when met, since articles come in date order.
    index: dict[str, dict[int, None]] = defaultdict(dict)
    for it in order:
        v = vector(it)
        day = _day(it.date)
        best, best_sim = None, SIMILAR
        seen: set[int] = set()
        # Candidates come through the names that say who and what (places are shared by too many
        # stories to narrow anything down); an article with no such name looks through its places.
        specific = [k for k in v if k not in setting] or list(v)
        for k in specific:
            stale = []
            for ci in index[k]:
                if ci in seen:
                    continue
                seen.add(ci)
                c = clusters[ci]
                if day is not None and c["last"] is not None and abs(day - c["last"]) > WINDOW_DAYS:
                    stale.append(ci)
                    continue
                dot = sum(x * c["sum"].get(key, 0.0) for key, x in v.items())
                sim = dot / math.sqrt(c["norm2"]) if c["norm2"] else 0.0
                if sim >= best_sim:
                    best, best_sim = ci, sim
            for ci in stale:
                del index[k][ci]
        if best is None:
            clusters.append({"items": [], "sum": {}, "norm2": 0.0, "last": None})
            best = len(clusters) - 1
        c = clusters[best]
        c["items"].append(it)
        for k, x in v.items():
            old = c["sum"].get(k, 0.0)
            c["sum"][k] = old + x
            c["norm2"] += (old + x) ** 2 - old**2
            index[k][best] = None
        if day is not None:
            c["last"] = day if c["last"] is None else max(c["last"], day)
    stories = []
    for c in clusters:
        members = c["items"]
        names = telling_names(members, counts, shown)
        norm = math.sqrt(c["norm2"]) or 1.0
        central = max(members, key=lambda it: (sum(x * c["sum"].get(k, 0.0) for k, x in vector(it).items()) / norm, it.id))
        first = min(members, key=lambda it: (it.date or "9999", it.id))
        sid = hashlib.sha256(first.id.encode()).hexdigest()[:6]
        stories.append(Story(sid, sorted(members, key=lambda it: (it.date or "9999", it.id)), names, central.title, c["sum"]))
    stories.sort(key=lambda s: (s.dates[1], len(s.items)), reverse=True)
    return stories
