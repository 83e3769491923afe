"""Where every mention is, and where a jump goes: pure data, no widgets.

Positions are ``(doc_index, mention_index)``; each entity keeps its mentions in
reading order across all sources, so "next mention of this entity" is a bisect.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from linker.model import Article, Entity, Placed
from linker.sentences import sentence_index, sentences

Pos = tuple[int, int]


class Corpus:
    def __init__(self, articles: list[Article], entities: list[Entity], placed_by_doc: dict[str, list[Placed]] | None = None) -> None:
        """`placed_by_doc`: each article's mentions in reading order, when the cache gave them so
        (a 10,000-article corpus holds about a million: tuples all the way, sorted in C)."""
        self.articles = articles
        self.entities = {e.id: e for e in entities}
        self.doc_index = {a.doc: i for i, a in enumerate(articles)}
        if placed_by_doc is not None:
            self.placed: list[list[Placed]] = [placed_by_doc.get(a.doc, []) for a in articles]
        else:
            self.placed = [[] for _ in articles]
            for e in entities:
                for m in e.mentions:
                    i = self.doc_index.get(m.doc)
                    if i is not None:
                        self.placed[i].append(Placed(m, e.id))
            for lst in self.placed:
                lst.sort()  # by the mention: (doc, start, end, ...), so by start within an article
        placed = self.placed
        self.starts = [[p.mention.start for p in lst] for lst in placed]
        by_entity: dict[str, list[Pos]] = {}
        for d, lst in enumerate(placed):
            for k, p in enumerate(lst):
                spots = by_entity.get(p.entity)
                if spots is None:
                    spots = by_entity[p.entity] = []
                spots.append((d, k))
        self.by_entity = by_entity
        self._per_source: dict[str, list[tuple[int, int]]] = {}
        self._sentences: dict[int, list[tuple[int, int]]] = {}
        self.order = sorted(self.entities.values(), key=lambda e: (-len(e.mentions), e.name.lower()))

    # -- within one article ------------------------------------------------------
    def mention(self, pos: Pos) -> Placed | None:
        d, k = pos
        if 0 <= d < len(self.placed) and 0 <= k < len(self.placed[d]):
            return self.placed[d][k]
        return None

    def step(self, pos: Pos | None, doc: int, forward: bool) -> Pos | None:
        """Next/previous mention of any entity in the article `doc` (wraps within it)."""
        lst = self.placed[doc]
        if not lst:
            return None
        if pos is None or pos[0] != doc:
            return (doc, 0 if forward else len(lst) - 1)
        k = (pos[1] + (1 if forward else -1)) % len(lst)
        return (doc, k)

    def offset_of(self, pos: Pos | None) -> tuple[int, int] | None:
        """Where a position is in the text (doc index, character offset): survives a relink."""
        placed = self.mention(pos) if pos else None
        return (pos[0], placed.mention.start) if placed else None

    def carry(self, spot: tuple[int, int] | None) -> Pos | None:
        """The position of the mention covering a spot of the text, in this corpus (None: no mention there now)."""
        if spot is None or not 0 <= spot[0] < len(self.placed):
            return None
        pos = self.at_offset(*spot)
        placed = self.mention(pos) if pos else None
        return pos if placed and placed.mention.start <= spot[1] < placed.mention.end else None

    def at_offset(self, doc: int, offset: int) -> Pos | None:
        """The mention covering or following a character offset."""
        k = bisect_right(self.starts[doc], offset) - 1
        if k >= 0 and self.placed[doc][k].mention.end > offset:
            return (doc, k)
        k += 1
        return (doc, k) if k < len(self.placed[doc]) else None

    # -- across sources ----------------------------------------------------------
    def jump(self, entity: str, pos: Pos | None, forward: bool) -> Pos | None:
        """Next/previous mention of an entity across all sources, wrapping at the ends."""
        spots = self.by_entity.get(entity, [])
        if not spots:
            return None
        if pos is None:
            return spots[0] if forward else spots[-1]
        if forward:
            i = bisect_right(spots, pos)
            return spots[i % len(spots)]
        i = bisect_left(spots, pos) - 1
        return spots[i % len(spots)]

    def where(self, entity: str, pos: Pos) -> str:
        """ "4/11 · source 3 of 5": this mention's rank and its source's rank among the entity's sources."""
        spots = self.by_entity.get(entity, [])
        n = bisect_left(spots, pos)
        if n == len(spots) or spots[n] != pos:
            return ""
        sources = self.per_source(entity)  # worked out once an entity: an archive's entity has 90,000 mentions
        rank = bisect_left(sources, (pos[0], 0))
        return f"{n + 1}/{len(spots)} · source {rank + 1} of {len(sources)}"

    def per_source(self, entity: str) -> list[tuple[int, int]]:
        """(doc_index, mention count) for each source that mentions the entity."""
        cached = self._per_source.get(entity)
        if cached is None:
            counts: dict[int, int] = {}
            for d, _ in self.by_entity.get(entity, []):
                counts[d] = counts.get(d, 0) + 1
            cached = self._per_source[entity] = sorted(counts.items())
        return cached

    def entity_count(self, doc: int) -> int:
        return len({p.entity for p in self.placed[doc]})

    def sentence(self, pos: Pos) -> tuple[int, int]:
        """Character span of the sentence holding a mention (the linker's own sentence split)."""
        d, k = pos
        m = self.placed[d][k].mention
        spans = self._sentences.get(d)
        if spans is None:
            spans = self._sentences[d] = sentences(self.articles[d].text) or [(0, len(self.articles[d].text))]
        a, b = spans[sentence_index(spans, m.start)]
        text = self.articles[d].text
        while a < m.start and text[a].isspace():
            a += 1
        return a, max(b, m.end)


@dataclass(frozen=True)
class Spot:
    """Where the reader was: a source, a mention in it (or none), the selected entity (or none)."""

    doc: int
    pos: Pos | None
    selected: str | None


class History:
    """The places `u` goes back to: bounded, one way in (push), one way out (pop)."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._spots: list[Spot] = []

    def push(self, spot: Spot) -> None:
        self._spots.append(spot)
        del self._spots[: -self.limit]

    def pop(self) -> Spot | None:
        return self._spots.pop() if self._spots else None

    def __len__(self) -> int:
        return len(self._spots)

    def __iter__(self):
        return iter(self._spots)

    def carry(self, old: Corpus, new: Corpus) -> None:
        """Re-resolve every spot after the entities changed: a position by its place in the text,
        the selection by the entity now there (or kept if that entity still exists)."""
        carried = []
        for s in self._spots:
            pos = new.carry(old.offset_of(s.pos))
            selected = new.mention(pos).entity if pos else (s.selected if s.selected in new.entities else None)
            carried.append(Spot(s.doc, pos, selected))
        self._spots = carried
