"""The linker's steps, end to end: articles -> mentions -> clusters -> linked entities."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable

from linker.link import Evidence, Scorer, choose, words
from linker.model import (
    FAILED,
    LINKED,
    NIL,
    NOT_CACHED,
    Article,
    Candidate,
    Entity,
    Mention,
    Summary,
)
from linker.names import content_tokens, key
from linker.resolve import Cluster, cluster_corpus, propagate, vote_labels
from linker.wiki import FAILED as WIKI_FAILED
from linker.wiki import NOT_CACHED as WIKI_NOT_CACHED
from linker.wiki import WikiGateway

SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[”\"’']?|\n|$)")
MAX_CANDIDATES = 12


def sentences(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans (character offsets)."""
    return [(m.start(), m.end()) for m in SENTENCE.finditer(text) if m.group().strip()]


def sentence_index(spans: list[tuple[int, int]], pos: int) -> int:
    lo, hi = 0, len(spans) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if spans[mid][0] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


def summary_of(record: dict) -> Summary:
    return Summary(record["title"], record.get("description", ""), record.get("extract", ""), record.get("url", ""))


def _usable(rec) -> bool:
    return isinstance(rec, dict) and not rec.get("missing")


class Linker:
    """Links clusters of mentions to wiki pages through a :class:`WikiGateway`."""

    def __init__(self, gateway: WikiGateway, overrides: dict[str, str | None] | None = None) -> None:
        self.gateway = gateway
        self.overrides = overrides or {}

    # -- context -------------------------------------------------------------------
    def _evidence(self, articles: dict[str, Article], clusters: list[Cluster]) -> list[Evidence]:
        spans = {doc: sentences(a.text) for doc, a in articles.items()}
        # Which clusters appear in each sentence, for neighbours.
        in_sentence: dict[tuple[str, int], set[int]] = defaultdict(set)
        placed: list[list[tuple[str, int]]] = []
        for i, c in enumerate(clusters):
            where = []
            for m in c.mentions:
                s = sentence_index(spans[m.doc], m.start) if spans[m.doc] else 0
                in_sentence[(m.doc, s)].add(i)
                where.append((m.doc, s))
            placed.append(where)
        doc_words = {doc: Counter(words(a.text)) for doc, a in articles.items()}
        evidence = []
        for i, c in enumerate(clusters):
            ctx: Counter = Counter()
            neighbours: set[str] = set()
            for doc, s in set(placed[i]):
                a, b = spans[doc][s] if spans[doc] else (0, len(articles[doc].text))
                ctx.update(words(articles[doc].text[a:b]) * 2)
                for j in in_sentence[(doc, s)]:
                    if j != i:
                        neighbours.add(clusters[j].name)
            for doc in {m.doc for m in c.mentions}:
                ctx.update(doc_words[doc])
            for form in c.forms:
                for w in words(form):
                    ctx.pop(w, None)
            evidence.append(Evidence(list(c.forms), c.label, ctx, neighbours))
        return evidence

    # -- candidates ----------------------------------------------------------------
    def _candidates(self, clusters: list[Cluster]) -> tuple[dict[str, dict], list[dict[str, tuple[bool, bool]]], list[str]]:
        """Page records and, per cluster, candidate title -> (direct, listed); plus unresolved statuses."""
        gw = self.gateway
        asked: dict[int, list[str]] = {}
        titles: set[str] = set()
        for i, c in enumerate(clusters):
            forms = sorted(c.forms, key=lambda f: -len(content_tokens(f)))[:4]
            asked[i] = forms
            titles.update(forms)
            titles.update(f + " (disambiguation)" for f in forms[:2])
        records = gw.lookup(sorted(titles))
        # Expand disambiguation pages into their entries.
        entries: set[str] = set()
        for rec in records.values():
            if _usable(rec) and rec.get("disambiguation"):
                entries.update(rec.get("links", [])[:60])
        more = gw.lookup(sorted(entries - set(records)))
        pages: dict[str, dict] = {}
        for rec in list(records.values()) + list(more.values()):
            if _usable(rec) and not rec.get("disambiguation"):
                pages[rec["title"]] = rec
        found: list[dict[str, tuple[bool, bool]]] = []
        status: list[str] = []
        needs_search: list[int] = []
        for i, c in enumerate(clusters):
            cands: dict[str, tuple[bool, bool]] = {}
            st = LINKED
            for j, form in enumerate(asked[i]):
                for t in (form, form + " (disambiguation)"):
                    rec = records.get(t)
                    if rec in (WIKI_NOT_CACHED, WIKI_FAILED):
                        st = NOT_CACHED if rec == WIKI_NOT_CACHED else FAILED
                        continue
                    if not _usable(rec):
                        continue
                    if rec.get("disambiguation"):
                        for link in rec.get("links", [])[:60]:
                            target = more.get(link, records.get(link))
                            if _usable(target) and not target.get("disambiguation"):
                                d, _ = cands.get(target["title"], (False, False))
                                cands[target["title"]] = (d, True)
                            elif target in (WIKI_NOT_CACHED, WIKI_FAILED):
                                st = NOT_CACHED if target == WIKI_NOT_CACHED else FAILED
                    elif t == form:
                        cands[rec["title"]] = (True, cands.get(rec["title"], (False, False))[1])
            found.append(cands)
            status.append(st)
            if not cands and st == LINKED:
                needs_search.append(i)
        # Search for names that led nowhere by title.
        searched: dict[int, list[str]] = {}
        wanted: set[str] = set()
        for i in needs_search:
            result = gw.search(clusters[i].name)
            if isinstance(result, str):
                status[i] = NOT_CACHED if result == WIKI_NOT_CACHED else FAILED
                continue
            searched[i] = result
            wanted.update(t for t in result if t not in pages)
        extra = gw.lookup(sorted(wanted))
        for rec in extra.values():
            if _usable(rec) and not rec.get("disambiguation"):
                pages[rec["title"]] = rec
        for i, result in searched.items():
            for t in result:
                rec = extra.get(t) if t not in pages else pages[t]
                if _usable(rec) and rec["title"] in pages:
                    found[i].setdefault(rec["title"], (False, False))
        return pages, found, status

    # -- linking -------------------------------------------------------------------
    def link(self, articles: list[Article], per_doc: dict[str, list[Mention]]) -> list[Entity]:
        by_doc = {a.doc: a for a in articles}
        per_doc = propagate(articles, per_doc)
        mentions = vote_labels([m for ms in per_doc.values() for m in ms])
        regrouped: dict[str, list[Mention]] = defaultdict(list)
        for m in mentions:
            regrouped[m.doc].append(m)
        clusters = cluster_corpus(regrouped)
        evidence = self._evidence(by_doc, clusters)
        pages, found, status = self._candidates(clusters)
        scorer = Scorer(pages)
        linked: dict[str, float] = {}
        decisions: list[tuple] = []
        for rnd in range(2):
            decisions = []
            for ev, cands in zip(evidence, found):
                scored = [s for t, (direct, listed) in cands.items() if (s := scorer.score(ev, t, direct, listed, linked))]
                best, conf = choose(scored)
                decisions.append((best, conf, sorted(scored, key=lambda s: -s.score)[:MAX_CANDIDATES]))
            linked = {}
            for best, conf, _ in decisions:
                if best is not None and conf >= 0.7:
                    linked[best.title] = max(linked.get(best.title, 0.0), conf)
        entities = self._entities(clusters, decisions, status, pages)
        return entities

    def _entities(self, clusters, decisions, status, pages) -> list[Entity]:
        by_title: dict[str, Entity] = {}
        out: list[Entity] = []
        for c, (best, conf, scored), st in zip(clusters, decisions, status):
            candidates = [Candidate(s.title, s.score, s.description) for s in scored]
            ent = Entity(id="", name=c.name, label=c.label, mentions=list(c.mentions), confidence=conf, candidates=candidates)
            override = self.overrides.get(override_key(c.name, c.label), "")
            if override != "":
                ent.overridden = True
                if override and override in pages:
                    ent.title, ent.status, ent.confidence = override, LINKED, 1.0
                    ent.summary = summary_of(pages[override])
                elif override:
                    ent.title, ent.status, ent.confidence = override, LINKED, 1.0
                else:
                    ent.status, ent.confidence = NIL, 1.0
            elif best is not None:
                ent.title, ent.status = best.title, LINKED
                ent.summary = summary_of(pages[best.title])
            else:
                ent.status = NIL if st == LINKED else st
            if ent.title and ent.title in by_title:
                into = by_title[ent.title]
                if len(ent.mentions) > len(into.mentions):
                    into.name = ent.name  # the name most used for it
                into.mentions.extend(ent.mentions)
                into.confidence = max(into.confidence, ent.confidence)
                into.candidates = into.candidates or ent.candidates
                continue
            if ent.title:
                by_title[ent.title] = ent
            out.append(ent)
        for ent in out:
            ent.mentions.sort(key=lambda m: (m.doc, m.start))
            ent.label = Counter(m.label for m in ent.mentions).most_common(1)[0][0]
            if ent.title is None:
                ent.confidence = ent.confidence if ent.status == NIL else 0.0
        out.sort(key=lambda e: (-len(e.mentions), e.name))
        for n, ent in enumerate(out, 1):
            ent.id = f"E{n}"
        return out


def override_key(name: str, label: str) -> str:
    return f"{label}|{key(name)}"


def annotate(
    articles: list[Article],
    gateway: WikiGateway,
    model: str,
    mentions_for: Callable[[list[Article]], dict[str, list[Mention]]] | None = None,
    overrides: dict[str, str | None] | None = None,
) -> list[Entity]:
    """NER (through `mentions_for`, e.g. a cache) and linking for a set of articles."""
    if mentions_for is None:
        from linker.ner import annotate_texts

        per_doc = {a.doc: ms for a, ms in zip(articles, annotate_texts(articles, model))}
    else:
        per_doc = mentions_for(articles)
    return Linker(gateway, overrides).link(articles, per_doc)
