"""The one data model of gloss: articles, mentions, entities, summaries.

Everything here is a plain dataclass that turns into JSON and back, so the
cache, the bundles, the CLI's ``--json`` and the reader all share it.
"""

from __future__ import annotations

import gc
import hashlib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import NamedTuple

LABELS = ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW")


@contextmanager
def no_collection():
    """No garbage collection while a million acyclic tuples are made (it would rescan them all, again and again)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass(frozen=True)
class Summary:
    """What the side panel shows for a Wikipedia page."""

    title: str
    description: str
    extract: str
    url: str

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Summary:
        return cls(
            title=str(data["title"]),
            description=str(data.get("description") or ""),
            extract=str(data.get("extract") or ""),
            url=str(data.get("url") or ""),
        )


def _strings(value) -> list[str]:
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


@dataclass
class Page:
    """What the linker knows of one wiki page, as the cache keeps it (``missing``: no such page)."""

    title: str
    missing: bool = False
    pageid: int | None = None
    description: str = ""
    extract: str = ""
    url: str = ""
    length: int = 0  # the page's size in bytes on the wiki (a prior: longer pages are the better-known things)
    disambiguation: bool = False
    categories: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # a disambiguation page's entries
    aliases: list[str] = field(default_factory=list)
    age: float = 0.0  # seconds since it was fetched (known when read from the cache; not kept)

    @property
    def usable(self) -> bool:
        return not self.missing

    @property
    def summary(self) -> Summary:
        return Summary(self.title, self.description, self.extract, self.url)

    def to_json(self) -> dict:
        data = asdict(self)
        del data["age"]
        return data

    @classmethod
    def from_json(cls, data: dict, age: float = 0.0) -> Page:
        """A record from the cache or a bundle; wrong types become empty values, a title is required."""
        if not isinstance(data, dict) or not isinstance(data.get("title"), str):
            raise TypeError("a page record needs a title")
        length, pageid = data.get("length"), data.get("pageid")
        return cls(
            title=data["title"],
            missing=data.get("missing") is True,
            pageid=pageid if isinstance(pageid, int) and not isinstance(pageid, bool) else None,
            description=str(data.get("description") or ""),
            extract=str(data.get("extract") or ""),
            url=str(data.get("url") or ""),
            length=length if isinstance(length, int) and not isinstance(length, bool) else 0,
            disambiguation=data.get("disambiguation") is True,
            categories=_strings(data.get("categories")),
            links=_strings(data.get("links")),
            aliases=_strings(data.get("aliases")),
            age=age,
        )


@dataclass
class Article:
    """One source: a text file, its title and outlet."""

    doc: str
    text: str
    title: str
    outlet: str = ""
    path: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict:
        return {"doc": self.doc, "title": self.title, "outlet": self.outlet}


class Mention(NamedTuple):
    """A span of an article's text naming an entity; offsets are characters (a tuple: an archive holds millions)."""

    doc: str
    start: int
    end: int
    text: str
    label: str

    def to_json(self) -> dict:
        return {"doc": self.doc, "start": self.start, "end": self.end, "text": self.text, "label": self.label}

    @classmethod
    def from_json(cls, data: dict) -> Mention:
        return cls(str(data["doc"]), int(data["start"]), int(data["end"]), str(data["text"]), str(data["label"]))


@dataclass
class Candidate:
    """A Wikipedia page the linker considered for an entity, with its score."""

    title: str
    score: float
    description: str = ""
    features: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"title": self.title, "score": round(self.score, 4), "description": self.description, "features": self.features}

    @classmethod
    def from_json(cls, data: dict) -> Candidate:
        feats = data.get("features") if isinstance(data.get("features"), dict) else {}
        return cls(
            str(data["title"]),
            float(data["score"]),
            str(data.get("description") or ""),
            {str(k): float(v) for k, v in feats.items() if isinstance(v, (int, float))},
        )


class Status(StrEnum):
    """What became of an entity's link (its value is what JSON output and the cache carry)."""

    LINKED = "linked"  # linked to a page
    NIL = "nil"  # the wiki has no article for it
    NOT_CACHED = "not_cached"  # offline, and the cache does not know yet
    FAILED = "failed"  # the wiki could not be asked now


LINKED, NIL, NOT_CACHED, FAILED = Status.LINKED, Status.NIL, Status.NOT_CACHED, Status.FAILED


@dataclass
class Entity:
    """One real-world thing, with every mention of it across the sources."""

    id: str
    name: str
    label: str
    mentions: list[Mention] = field(default_factory=list)
    title: str | None = None
    confidence: float = 0.0
    candidates: list[Candidate] = field(default_factory=list)
    summary: Summary | None = None
    status: Status = NIL
    overridden: bool = False

    @property
    def docs(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.mentions:
            seen.setdefault(m.doc, None)
        return list(seen)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "title": self.title,
            "confidence": round(self.confidence, 4),
            "status": self.status.value,
            "overridden": self.overridden,
            "summary": self.summary.to_json() if self.summary else None,
            "candidates": [c.to_json() for c in self.candidates],
            "mentions": [m.to_json() for m in self.mentions],
        }

    @classmethod
    def from_json(cls, data: dict) -> Entity:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            label=str(data["label"]),
            mentions=[Mention.from_json(m) for m in _list(data.get("mentions"))],
            title=data["title"] if isinstance(data.get("title"), str) else None,
            confidence=float(data.get("confidence", 0.0)),
            candidates=[Candidate.from_json(c) for c in _list(data.get("candidates"))],
            summary=Summary.from_json(data["summary"]) if data.get("summary") else None,
            status=Status(data["status"]) if data.get("status") in Status._value2member_map_ else NIL,
            overridden=bool(data.get("overridden", False)),
        )


def _list(value) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError("a list was expected")
    return value


def corpus_to_json(entities: list[Entity]) -> dict:
    """Linked entities as stored: each entity without its mentions, and each article's mentions as one flat
    list of (start, end, entity index, label index), in reading order. Compact to keep and quick to read:
    a 10,000-article archive holds about a million mentions."""
    labels: dict[str, int] = {}
    placed: dict[str, list[tuple[int, int, int, int]]] = {}
    out = []
    for k, e in enumerate(entities):
        data = e.to_json()
        del data["mentions"]
        out.append(data)
        for m in e.mentions:
            placed.setdefault(m.doc, []).append((m.start, m.end, k, labels.setdefault(m.label, len(labels))))
    flat = {doc: [x for spot in sorted(spots) for x in spot] for doc, spots in placed.items()}
    return {"entities": out, "labels": list(labels), "placed": flat}


class Placed(NamedTuple):
    """A mention where it is drawn, and the id of its entity."""

    mention: Mention
    entity: str


def corpus_from_json(data: dict, texts: dict[str, str], placed: dict[str, list[Placed]] | None = None) -> list[Entity] | None:
    """The entities of a stored corpus, their mentions read off the articles' texts; None when the entry
    does not fit these texts (a damaged or foreign entry is relinked, never drawn). Given `placed`, it
    also fills in each article's mentions in reading order, with their entity's id (the reader's view)."""
    new = tuple.__new__  # a million mentions: NamedTuples made without their Python-level __new__
    try:
        entities = [Entity.from_json(e) for e in data["entities"]]
        ids = [e.id for e in entities]
        labels = [str(x) for x in _list(data["labels"])]
        for doc, flat in data["placed"].items():
            text = texts.get(doc)
            if text is None or not isinstance(flat, list) or len(flat) % 4:
                return None
            n = len(text)
            row: list[Placed] = []
            it = iter(flat)
            for start, end, k, label in zip(it, it, it, it):
                if not 0 <= start < end <= n or k < 0 or label < 0:
                    return None
                m = new(Mention, (doc, start, end, text[start:end], labels[label]))
                entities[k].mentions.append(m)
                row.append(new(Placed, (m, ids[k])))
            if placed is not None:
                placed[doc] = row
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError, IndexError):
        return None
    return entities
