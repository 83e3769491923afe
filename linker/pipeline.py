"""The linker's steps, end to end: articles -> mentions -> clusters -> decisions -> entities.

* :func:`candidates` asks a :class:`Candidates` source (the wiki gateway, or
  anything with ``lookup`` and ``search``) for every cluster's candidate pages;
* :meth:`Linker.decide` scores them and picks one page or none per cluster,
  changing nothing;
* :func:`assemble` merges clusters decided for one page, applies the user's
  fixes to the entity the user saw, and gives every entity a stable id.
"""

from __future__ import annotations

import hashlib
import re
import sys
from bisect import bisect_right
from concurrent.futures import ThreadPoolExecutor
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from linker.link import STOPWORDS, Evidence, Model, Scored, Scorer, choose, default_model, page_label, words
from linker.model import FAILED, LABELS, LINKED, NIL, NOT_CACHED, Article, Candidate, Entity, Mention, Page, Status
from linker.names import base_title, content_tokens, fold, is_acronym, key, name_match, place_names, squash, straight, undotted
from linker.resolve import Cluster, cluster_corpus, propagate, vote_labels
from linker.sentences import sentence_index, sentences
from linker.wiki import FAILED as WIKI_FAILED
from linker.wiki import NOT_CACHED as WIKI_NOT_CACHED

MAX_CANDIDATES = 12
MAX_FORMS = 4


class Candidates(Protocol):
    """Where candidate pages come from: the wiki gateway in the app."""

    def lookup(self, titles) -> dict[str, Page | Status]: ...

    def search(self, query: str, limit: int = 8) -> list[str] | Status: ...


def _usable(rec: Page | Status | None) -> bool:
    return isinstance(rec, Page) and not rec.missing


def _status(rec) -> Status | None:
    if rec == WIKI_NOT_CACHED:
        return NOT_CACHED
    if rec == WIKI_FAILED:
        return FAILED
    return None


@dataclass
class Found:
    """One cluster's candidate pages: title -> (direct, listed, searched); and whether all could be had."""

    pages: dict[str, tuple[bool, bool, bool]] = field(default_factory=dict)
    status: Status = LINKED

    def add(self, title: str, direct: bool = False, listed: bool = False, searched: bool = False) -> None:
        d, li, s = self.pages.get(title, (False, False, False))
        self.pages[title] = (d or direct, li or listed, s or searched)


def places_of(c: Cluster) -> list[str]:
    """Place names a people's word (a NORP cluster of one-word names) may derive from."""
    if c.label != "NORP":
        return []
    return [g for f in sorted(c.forms) for g in place_names(f)][:12]


@dataclass
class Case:
    """One cluster on its way to a decision: what the text says of it and which pages it may be.
    Each step fills its own field; nothing is matched up by position in a list."""

    cluster: Cluster
    forms: list[str] = field(default_factory=list)  # the names asked of the wiki
    guesses: list[str] = field(default_factory=list)  # place pages a people's word may come from
    evidence: Evidence | None = None
    found: Found = field(default_factory=Found)


SEARCHES_AT_ONCE = 4


def candidates(source: Candidates, cases: list[Case]) -> dict[str, Page]:
    """Fill each case's candidates (titles, redirects, disambiguation entries, search); returns the page records."""
    titles: set[str] = set()
    for case in cases:
        forms = sorted(case.cluster.forms, key=lambda f: (-len(content_tokens(f)), f))[:MAX_FORMS]
        forms += [v for f in forms if (v := straight(undotted(f))) != f and v not in forms]
        case.forms = forms
        case.guesses = places_of(case.cluster)
        titles.update(forms)
        titles.update(f + " (disambiguation)" for f in forms[:2])
        titles.update(case.guesses)
    records = source.lookup(sorted(titles))
    # Every entry of every disambiguation page: their order means nothing.
    entries: set[str] = set()
    for rec in records.values():
        if _usable(rec) and rec.disambiguation:
            entries.update(rec.links)
    more = source.lookup(sorted(entries - set(records)))
    pages: dict[str, Page] = {}
    for rec in list(records.values()) + list(more.values()):
        if _usable(rec) and not rec.disambiguation:
            pages[rec.title] = rec
    for case in cases:
        forms, f = case.forms, case.found
        fullest = max(len(content_tokens(form)) for form in forms)
        for form in forms:
            # Only the fullest names count as reaching a page by title: a town called
            # "Moreau" does not make "Jane Moreau" that town.
            full = len(content_tokens(form)) == fullest
            for t in (form, form + " (disambiguation)"):
                rec = records.get(t)
                if _status(rec):
                    f.status = _status(rec)
                    continue
                if not _usable(rec):
                    continue
                if not rec.disambiguation:
                    if t == form:
                        f.add(rec.title, direct=full)
                    continue
                for link in rec.links:
                    target = more.get(link, records.get(link))
                    if _usable(target) and not target.disambiguation:
                        f.add(target.title, listed=True)
                    elif _status(target):
                        f.status = _status(target)
        # A people's word and the place its name comes from, where that place has a page.
        for t in case.guesses:
            rec = records.get(t)
            if _usable(rec) and not rec.disambiguation and page_label(rec) in ("GPE", "LOC"):
                f.add(rec.title, searched=True)
    # The wiki's search, for names that led nowhere by title.
    # Searches go out together (the source keeps its own limit on requests in flight), answers in order.
    searched: list[tuple[Case, list[str]]] = []
    unfound = [case for case in cases if not case.found.pages and case.found.status == LINKED]
    answered = []
    if unfound:
        with ThreadPoolExecutor(SEARCHES_AT_ONCE) as pool:
            answered = list(pool.map(lambda case: (case, source.search(case.cluster.name)), unfound))
    for case, result in answered:
        if isinstance(result, str):
            case.found.status = NOT_CACHED if result == WIKI_NOT_CACHED else FAILED
        else:
            searched.append((case, result))
    wanted = {t for _, result in searched for t in result if t not in pages}
    extra = source.lookup(sorted(wanted))
    for rec in extra.values():
        if _usable(rec) and not rec.disambiguation:
            pages[rec.title] = rec
    for case, result in searched:
        forms = list(case.cluster.forms)
        for t in result:
            rec = pages.get(t) or extra.get(t)
            # The search finds spellings and fuller names; a page whose title does not cover the name is no candidate.
            if _usable(rec) and rec.title in pages and name_match(forms, rec.title, rec.aliases)[0] >= 0.5:
                case.found.add(rec.title, searched=True)
    return pages


CAPITALISED = re.compile(r"(?<![\w’'.-])[A-Z][\w’'.]*(?:-[A-Z0-9][\w’'.]*)*(?:[ ](?:[A-Z][\w’'.]*(?:-[A-Z0-9][\w’'.]*)*))*")
SENTENCE_END_WORD = re.compile(r"(?<=[^\s.][^\s.][^\s.])\. (?=[A-Z])")  # "VII. Analysts", not "E.U. Council" or "J. Smith"
NUMBER_AFTER = re.compile(r" (\d{1,4}[A-Za-z]?)\b(?![-–:.,/]?\d)")  # "Kestrel 7", not "Kestrel 2-1" or "Kestrel 3,000"
BRACKETED = re.compile(r"\(([A-Z][A-Za-z0-9&.]{1,9})\)")
LOWER_WORD = re.compile(r"\b[a-z][a-z’'-]*\b")
CALENDAR = {
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
}


def runs(text: str):
    """(start, run) of every run of capitalised words; a run ends at a word that ends a sentence
    ("... Kestrel VII. Analysts said"): a full stop after a word that is no initial or dotted abbreviation."""
    for match in CAPITALISED.finditer(text):
        start = match.start()
        run = match.group()
        while True:
            cut = SENTENCE_END_WORD.search(run)
            if not cut:
                break
            yield start, run[: cut.start() + 1]
            skip = cut.end()
            start, run = start + skip, run[skip:]
        if run:
            yield start, run


MID_SENTENCE = re.compile(r"[a-z0-9,;] $")
JOINED_BY = re.compile(r"( (?:to|or|versus|vs\.?|v\.?) )")
COLLECTIVE = re.compile(r" (brothers|sisters|family|twins|siblings|clan|dynasty)\b")
LIST_ITEM = re.compile(r", ([A-Z][\w’'-]+(?: [A-Z][\w’'-]+){0,3})(?:,| and | or |, and )")


CONNECTORS = (" of ", " and ", " for ", " & ", " of the ", " on ", " de ", " du ")


def joined_runs(text: str, found: list[tuple[int, str]]):
    """Runs of capitalised words joined by a connector: "Bank of Ruritania", "Board of Trade and Industry"."""
    i = 0
    while i < len(found):
        start, run = found[i]
        end = start + len(run)
        j = i + 1
        while j < len(found) and text[end : found[j][0]] in CONNECTORS and not run.endswith("."):
            end = found[j][0] + len(found[j][1])
            yield start, text[start:end]
            j += 1
        i += 1


def recall(articles: list[Article], per_doc: dict[str, list[Mention]], source: Candidates) -> tuple[dict[str, list[Mention]], frozenset, frozenset]:
    """Names spaCy missed, cut or mislabelled, found against the wiki's exact titles.

    - A run of capitalised words no mention covers, or one that spaCy cut into
      shorter mentions ("Ruritania" + "Old Harbour Lighthouse"), becomes one
      mention when it is a page's exact title; so does a name with the number
      that follows it ("Kestrel 7"), which spaCy often leaves out.
    - An abbreviation in brackets right after a name ("Kestrel Labs (KL)") is a
      mention of that name, defined so for clustering (the returned (short, long)
      pairs), even when its letters are another language's initials; unless the
      abbreviation is itself a page about a place, people or a person ("(UK)").
    - A "person" after a lower-case "the" ("the Harbour") is no person: people's
      names take no article.  When the name is a page's exact title, that page's
      own type gives the label.
    - Capitalised runs joined by "of", "and", "for"... ("Board of Trade and
      Industry") are one mention when the whole is an exact title.
    - A mention spaCy ran across "to", "or" or "versus" ("Kestrel Labs to Ruritania
      Air") is two mentions unless the whole is an exact title.
    - A capitalised name between mentions in a list ("Kestrel, Osprey and Merlin")
      is a mention too, with their label, when the wiki has a page by that name.
    - A surname with "brothers", "family"... names no one person: unless the whole
      is a title, it is no mention.
    - A capitalised word in mid-sentence that the wiki knows only as a
      disambiguation page ("the Model K at Kestrel") is a name; which page, if any,
      is the linker's decision.

    Returns the mentions, the (short, long) pairs defined in the text, and the
    (doc, start, end) of mentions that were dropped (propagation must not bring them back).

    A capitalised word that the story also writes in lower case is an ordinary word
    at the start of a sentence, not a name; the page's own type gives the label.
    """
    common = set()
    for a in articles:
        common.update(LOWER_WORD.findall(a.text))
    spots: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    bracketed: list[tuple[Mention, Mention, bool]] = []  # (abbreviation, the name before it, initials match)
    no_person: list[Mention] = []
    conjoined: list[tuple[Mention, list[Mention]]] = []  # a mention and its parts
    listed: list[Mention] = []
    collective: list[tuple[Mention, str]] = []
    for a in articles:
        mentions = per_doc.get(a.doc, [])
        taken = sorted((m.start, m.end) for m in mentions)
        starts = [t[0] for t in taken]
        ends = {m.end: m for m in mentions}

        def free(s: int, e: int) -> bool:
            """No mention overlaps s..e, or only mentions strictly inside it."""
            i = bisect_right(starts, e)
            inside = [(ts, te) for ts, te in taken[max(0, i - 6) : i] if ts < e and s < te]
            return not inside or all(s <= ts and te <= e and (ts, te) != (s, e) for ts, te in inside)

        found_runs = list(runs(a.text))
        tried = found_runs + list(joined_runs(a.text, found_runs))
        # "The Kestrel Board" at a sentence's start: the name may be without its article.
        tried += [(s + 4, run[4:]) for s, run in tried if run.startswith("The ") and len(run) > 6]
        for s, run in tried:
            text = re.sub(r"[’']s$", "", run).rstrip(".’'")
            e = s + len(text)
            low = fold(text)
            if len(text) < 2 or low in CALENDAR or low in STOPWORDS or text.isdigit():
                continue
            number = NUMBER_AFTER.match(a.text, e)
            if number and free(s, number.end()):
                spots[f"{text} {number.group(1)}"].append((a.doc, s, number.end()))
            if low in common or not free(s, e):
                continue
            spots[text].append((a.doc, s, e))
        for m in BRACKETED.finditer(a.text):
            long = ends.get(m.start() - 1) or ends.get(m.start())
            short = m.group(1)
            if long is None or not free(m.start(1), m.end(1)):
                continue
            initials = is_acronym(short, long.text)
            if initials or (short.isupper() and long.label in ("ORG", "FAC", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART")):
                bracketed.append((Mention(a.doc, m.start(1), m.end(1), short, long.label), long, initials))
        for i, m in enumerate(mentions):
            if m.label == "PERSON" and a.text[max(0, m.start - 4) : m.start] == "the ":
                no_person.append(m)
            pieces = JOINED_BY.split(m.text)
            if len(pieces) > 1 and all(p[:1].isupper() for p in pieces[::2]):
                parts, pos = [], m.start
                for n, piece in enumerate(pieces):
                    if n % 2 == 0 and piece.strip():
                        parts.append(Mention(a.doc, pos, pos + len(piece), piece, m.label))
                    pos += len(piece)
                conjoined.append((m, parts))
            if m.label == "PERSON":
                group = COLLECTIVE.match(a.text, m.end)
                if group:
                    collective.append((m, f"{m.text} {group.group(1)}"))
            # "A, B and C": B between two mentions of one list.
            if i + 1 < len(mentions):
                nxt = mentions[i + 1]
                gap = a.text[m.end : nxt.start]
                item = LIST_ITEM.fullmatch(gap)
                if item:  # the list's structure says it is a name like its neighbours, whatever their labels
                    s, e = m.end + item.start(1), m.end + item.end(1)
                    listed.append(Mention(a.doc, s, e, item.group(1), m.label))
    asked = (
        set(spots)
        | {m.text for m in no_person}
        | {short.text for short, _, initials in bracketed if not initials}
        | {m.text for m, _ in conjoined}
        | {p.text for _, parts in conjoined for p in parts}
        | {m.text for m in listed}
        | {whole for _, whole in collective}
    )
    records = source.lookup(sorted(asked)) if asked else {}

    def exact(text: str) -> str | None:
        """The label of the page whose exact title `text` is (None: no such page, or its type is unclear)."""
        rec = records.get(text)
        if not _usable(rec) or rec.disambiguation or squash(base_title(rec.title)) != squash(text):
            return None
        label = page_label(rec)
        return label if label in LABELS else None

    added: dict[str, list[Mention]] = defaultdict(list)
    texts = {a.doc: a.text for a in articles}
    for text, places in spots.items():
        label = exact(text)
        if label is not None:
            for doc, s, e in places:
                added[doc].append(Mention(doc, s, e, text, label))
        elif _usable(records.get(text)) and records[text].disambiguation:
            # Capitalised mid-sentence and the wiki knows the name (several pages have it): a name.
            for doc, s, e in places:
                if MID_SENTENCE.search(texts[doc], max(0, s - 3), s):
                    added[doc].append(Mention(doc, s, e, text, "ORG"))
    defined = set()
    for short, long, initials in bracketed:
        if initials or exact(short) not in ("GPE", "LOC", "NORP", "PERSON"):
            added[short.doc].append(short)
            defined.add((short.text, long.text))
    relabel = {}
    for m in no_person:
        label = exact(m.text)
        if label is not None and label != "PERSON":
            relabel[(m.doc, m.start)] = label
    dropped = set()
    for m, parts in conjoined:
        if exact(m.text) is None:
            dropped.add((m.doc, m.start, m.end))
            for p in parts:
                added[p.doc].append(Mention(p.doc, p.start, p.end, p.text, exact(p.text) or p.label))
    for m in listed:
        if _usable(records.get(m.text)):
            added[m.doc].append(m)
    for m, whole in collective:
        rec = records.get(whole)
        if _usable(rec) and not rec.disambiguation:
            added[m.doc].append(Mention(m.doc, m.start, m.start + len(whole), whole, page_label(rec) or "ORG"))
        else:
            dropped.add((m.doc, m.start, m.end))
    out = {
        doc: [Mention(m.doc, m.start, m.end, m.text, relabel.get((m.doc, m.start), m.label)) for m in ms if (m.doc, m.start, m.end) not in dropped]
        for doc, ms in per_doc.items()
    }
    for doc, new in added.items():
        # The longest wins: a title with its number over the title alone, over the names spaCy cut it into.
        new.sort(key=lambda m: (m.start, -m.end))
        longest: list[Mention] = []
        for m in new:
            if not longest or m.start >= longest[-1].end:
                longest.append(m)
        starts = [m.start for m in longest]
        kept = []
        for m in out.get(doc, []):
            i = bisect_right(starts, m.start) - 1
            if not (i >= 0 and longest[i].start <= m.start and m.end <= longest[i].end):
                kept.append(m)
        out[doc] = sorted(kept + longest, key=lambda m: m.start)
    return out, frozenset(defined), frozenset(dropped)


@dataclass
class Decision:
    """What the linker decided for one cluster (nothing is changed by deciding)."""

    cluster: Cluster
    name: str
    label: str
    ranked: list[Scored]
    best: Scored | None
    confidence: float
    status: Status


CONTEXT_DOCS = 24  # at most this many articles give one entity its context words


def evidence(articles: dict[str, Article], cases: list[Case]) -> None:
    """Fill each case's evidence: forms, label, context words and same-sentence neighbours; linear in the mentions."""
    clusters = [case.cluster for case in cases]
    names = [c.name for c in clusters]
    spans = {doc: sentences(a.text) or [(0, len(a.text))] for doc, a in articles.items()}
    in_sentence: dict[tuple[str, int], set[int]] = defaultdict(set)
    placed: list[set[tuple[str, int]]] = []
    for i, c in enumerate(clusters):
        where = set()
        for m in c.mentions:
            s = sentence_index(spans[m.doc], m.start)
            in_sentence[(m.doc, s)].add(i)
            where.add((m.doc, s))
        placed.append(where)
    sentence_words: dict[tuple[str, int], list[str]] = {}
    doc_words: dict[str, list[str]] = {}
    doc_counts: dict[str, Counter] = {}
    for i, case in enumerate(cases):
        c = case.cluster
        said: list[str] = []  # every context word, counted at once at the end (in C, not word by word)
        neighbours: set[str] = set()
        # An entity named in a whole archive (a country named in 900 articles) takes its context words from
        # the articles that name it most (then by id): a bounded cost, and enough words to tell pages apart.
        per_doc = Counter(m.doc for m in c.mentions)
        docs = sorted(per_doc, key=lambda d: (-per_doc[d], d))[:CONTEXT_DOCS]
        chosen = set(docs)
        for where in placed[i]:
            neighbours.update(names[j] for j in in_sentence[where] if j != i)
            if where[0] not in chosen:
                continue
            if where not in sentence_words:
                a, b = spans[where[0]][where[1]]
                sentence_words[where] = words(articles[where[0]].text[a:b])
            said += sentence_words[where] * 2
        ctx = Counter(said)
        said = []
        for doc in docs:
            if doc not in doc_words:
                doc_words[doc] = list(map(sys.intern, words(articles[doc].text)))  # one string a word, not one a use
            if len(doc_words[doc]) <= 2000:
                said += doc_words[doc]
                continue
            # A long article's words are counted once, and its counts added (in the same order).
            if doc not in doc_counts:
                doc_counts[doc] = Counter(doc_words[doc])
            ctx.update(said)
            ctx.update(doc_counts[doc])
            said = []
        ctx.update(said)
        forms = list(c.forms)
        for form in forms:
            for w in words(form):
                ctx.pop(w, None)
        case.evidence = Evidence(forms, c.label, ctx, neighbours)


def anchors_of(cases: list[Case]) -> dict[str, str]:
    """Entities whose name reaches one page by title or redirect: the story's likely fixed points."""
    out: dict[str, str] = {}
    for case in cases:
        direct = [t for t, (d, _, _) in case.found.pages.items() if d]
        if len(direct) == 1:
            out.setdefault(direct[0], case.cluster.name)
    return out


class Linker:
    """Links clusters of mentions to wiki pages found through a :class:`Candidates` source."""

    def __init__(self, source: Candidates, overrides: dict[str, str | None] | None = None, model: Model | None = None) -> None:
        self.source = source
        self.overrides = overrides or {}
        self.model = model or default_model()

    def clusters(self, articles: list[Article], per_doc: dict[str, list[Mention]]) -> list[Cluster]:
        found, defined, dropped = recall(articles, propagate(articles, per_doc), self.source)
        per_doc = propagate(articles, found)
        mentions = vote_labels([m for ms in per_doc.values() for m in ms if (m.doc, m.start, m.end) not in dropped])
        regrouped: dict[str, list[Mention]] = defaultdict(list)
        for m in mentions:
            regrouped[m.doc].append(m)
        return cluster_corpus(regrouped, defined)

    def decide(self, articles: list[Article], per_doc: dict[str, list[Mention]]) -> tuple[list[Decision], dict[str, Page]]:
        """One decision per cluster, and the page records they refer to."""
        cases = [Case(c) for c in self.clusters(articles, per_doc)]
        evidence({a.doc: a for a in articles}, cases)
        pages = candidates(self.source, cases)
        scorer = Scorer(pages, anchors_of(cases), self.model)
        decisions = [
            settle(
                Decision(case.cluster, case.cluster.name, case.cluster.label, scorer.rank(case.evidence, case.found.pages), None, 0.0, case.found.status),
                pages,
                self.model.threshold,
            )
            for case in cases
        ]
        return decisions, pages

    def link(self, articles: list[Article], per_doc: dict[str, list[Mention]]) -> list[Entity]:
        decisions, pages = self.decide(articles, per_doc)
        return assemble(decisions, pages, self.overrides)


def settle(d: Decision, pages: dict[str, Page], threshold: float) -> Decision:
    """Pick the best candidate over the threshold (or none) for a decision whose candidates are ranked."""
    available = d.status in (LINKED, NIL)
    best, conf = choose(d.ranked, threshold)
    status = LINKED if best is not None else (NIL if available else d.status)
    label = d.cluster.label
    if best is not None and (best.features.get("exact") or best.features.get("name", 0.0) >= 1.0):
        # Strong name evidence (a name of the cluster is the page's title or one of its redirects,
        # an acronym defined in the text too): the page's own type overrules spaCy's label.
        label = corrected_label(label, pages[best.title])
    return Decision(d.cluster, d.name, label, d.ranked, best, conf, status)


def corrected_label(label: str, record: Page) -> str:
    own = page_label(record)
    if own is None or own == label or own not in LABELS:
        return label
    if label == "NORP" and own == "GPE":
        return label  # "Ruritanian" stays a demonym that links to the country
    return own


def entity_id(title: str | None, name: str, label: str) -> str:
    """A stable id: the same entity gets the same id in every run and after every relink."""
    basis = f"t|{title}" if title else f"n|{label}|{key(name)}"
    return "E" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:10]


def override_key(name: str, label: str) -> str:
    """The key of a fix made by an earlier gloss (by cluster name); still honoured."""
    return f"{label}|{key(name)}"


def assemble(decisions: list[Decision], pages: dict[str, Page], overrides: dict[str, str | None] | None = None) -> list[Entity]:
    """Entities from decisions: one per page (clusters decided for it merge), fixes applied, stable ids."""
    overrides = overrides or {}
    by_key: dict[str, Entity] = {}
    order = sorted(decisions, key=lambda d: (d.cluster.mentions[0].doc, d.cluster.mentions[0].start))
    for d in order:
        mentions = [m if m.label == d.label else Mention(m.doc, m.start, m.end, m.text, d.label) for m in d.cluster.mentions]
        ent = Entity(
            id="",
            name=d.name,
            label=d.label,
            mentions=mentions,
            confidence=d.confidence,
            candidates=[Candidate(s.title, s.score, s.description, s.features) for s in d.ranked[:MAX_CANDIDATES]],
            status=d.status,
        )
        legacy = overrides.get(override_key(d.name, d.label), "")
        if legacy != "":
            _pin(ent, legacy, pages)
        elif d.best is not None:
            ent.title = d.best.title
            ent.summary = pages[d.best.title].summary
        k = f"t|{ent.title}" if ent.title else f"c|{id(d)}"
        into = by_key.get(k)
        if into is None:
            by_key[k] = ent
            continue
        if len(ent.mentions) > len(into.mentions):
            into.name = ent.name  # the name most used for it
        into.mentions.extend(ent.mentions)
        into.confidence = max(into.confidence, ent.confidence)
        into.candidates = into.candidates or ent.candidates
    out = list(by_key.values())
    seen: Counter = Counter()
    for ent in out:
        ent.mentions.sort(key=lambda m: (m.doc, m.start))
        ent.label = Counter(m.label for m in ent.mentions).most_common(1)[0][0]
        base = entity_id(ent.title, ent.name, ent.label)
        seen[base] += 1
        ent.id = base if seen[base] == 1 else f"{base}-{seen[base]}"
        fix = overrides.get(f"entity:{ent.id}", "")
        if fix != "":
            _pin(ent, fix, pages)
        if ent.title is None and not ent.overridden:
            ent.confidence = 1.0 - ent.confidence if ent.status == NIL else 0.0
    out.sort(key=lambda e: (-len(e.mentions), e.name, e.id))
    return out


def _pin(ent: Entity, title: str | None, pages: dict[str, Page]) -> None:
    """Apply the user's fix: a page, or no article."""
    ent.overridden = True
    ent.confidence = 1.0
    if title:
        ent.title, ent.status = title, LINKED
        rec = pages.get(title)
        ent.summary = rec.summary if rec else None
    else:
        ent.title, ent.status, ent.summary = None, NIL, None


def annotate(
    articles: list[Article],
    source: Candidates,
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
    return Linker(source, overrides).link(articles, per_doc)
