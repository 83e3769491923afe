"""The pure cores, without HTTP or widgets: Corpus navigation, the scorer, clustering."""

from __future__ import annotations

from linker.link import Evidence, Scorer
from linker.model import Article, Entity, Mention
from linker.resolve import cluster_corpus
from tui.navigation import Corpus

A = Article("a.txt", "Ada Lindqvist met Bo Kern. Lindqvist left Ruritania.", "A")
B = Article("b.txt", "In Ruritania, Kern and Lindqvist spoke.", "B")


def m(article: Article, text: str, label: str, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = article.text.index(text, start + 1)
    return Mention(article.doc, start, start + len(text), text, label)


def corpus() -> Corpus:
    ada = Entity("E1", "Ada Lindqvist", "PERSON", [m(A, "Ada Lindqvist", "PERSON"), m(A, "Lindqvist", "PERSON", 1), m(B, "Lindqvist", "PERSON")])
    bo = Entity("E2", "Bo Kern", "PERSON", [m(A, "Bo Kern", "PERSON"), m(B, "Kern", "PERSON")])
    ru = Entity("E3", "Ruritania", "GPE", [m(A, "Ruritania", "GPE"), m(B, "Ruritania", "GPE")])
    return Corpus([A, B], [ada, bo, ru])


def test_next_mention_of_an_entity_walks_all_sources_and_wraps():
    c = corpus()
    spots = c.by_entity["E1"]
    assert [c.mention(p).mention.doc for p in spots] == ["a.txt", "a.txt", "b.txt"]
    assert c.where("E1", spots[2]) == "3/3 · source 2 of 2"


def test_positions_carry_over_a_relink_by_their_place_in_the_text():
    c = corpus()
    pos = c.by_entity["E2"][1]  # "Kern" in b.txt
    spot = c.offset_of(pos)
    # Relinked: Kern now belongs to a merged entity and b.txt has one mention fewer before it.
    merged = Entity("E9", "Kern", "PERSON", [m(A, "Bo Kern", "PERSON"), m(B, "Kern", "PERSON")])
    ada = Entity("E1", "Ada Lindqvist", "PERSON", [m(A, "Ada Lindqvist", "PERSON")])
    c2 = Corpus([A, B], [ada, merged])
    pos2 = c2.carry(spot)
    assert c2.mention(pos2).entity == "E9" and c2.mention(pos2).mention.text == "Kern"
    assert c2.carry(c.offset_of(c.by_entity["E3"][1])) is None  # no mention there any more


def test_clusters_join_a_surname_to_its_full_name_in_one_article():
    per_doc = {"a.txt": [m(A, "Ada Lindqvist", "PERSON"), m(A, "Lindqvist", "PERSON", 1), m(A, "Ruritania", "GPE")]}
    clusters = cluster_corpus(per_doc)
    forms = sorted(sorted(c.forms) for c in clusters)
    assert ["Ada Lindqvist", "Lindqvist"] in forms and ["Ruritania"] in forms


def test_the_scorer_prefers_the_page_the_name_and_context_fit():
    from collections import Counter

    from linker.model import Page

    records = {
        "Ruritania": Page("Ruritania", extract="Ruritania is a country in Europe.", description="Country in Europe", categories=["Countries in Europe"]),
        "Ruritania (novel)": Page("Ruritania (novel)", extract="Ruritania is a novel about a prisoner.", description="1894 novel", categories=["1894 novels"]),
    }
    ev = Evidence(["Ruritania"], "GPE", Counter({"country": 2, "europe": 1, "spoke": 1}), set())
    scorer = Scorer(records, {})  # the shipped weights
    ranked = scorer.rank(ev, {"Ruritania": (True, False, False), "Ruritania (novel)": (False, True, False)})
    assert ranked[0].title == "Ruritania" and ranked[0].score > ranked[1].score
    assert set(ranked[0].features) >= {"exact", "type", "context"}


def test_history_is_bounded_and_pops_what_was_pushed_last():
    from tui.navigation import History, Spot

    h = History(limit=3)
    assert h.pop() is None
    for n in range(5):
        h.push(Spot(n, None, None))
    assert len(h) == 3
    assert [h.pop().doc for _ in range(3)] == [4, 3, 2] and h.pop() is None


def test_history_follows_a_relink():
    """After a fix the places to go back to point at the same words, and at the entity now there."""
    from tui.navigation import History, Spot

    c = corpus()
    h = History()
    h.push(Spot(1, c.by_entity["E2"][1], "E2"))  # "Kern" in b.txt
    h.push(Spot(1, c.by_entity["E3"][1], "E3"))  # "Ruritania" in b.txt: gone after the relink
    merged = Entity("E9", "Kern", "PERSON", [m(A, "Bo Kern", "PERSON"), m(B, "Kern", "PERSON")])
    c2 = Corpus([A, B], [merged])
    h.carry(c, c2)
    gone, kern = h.pop(), h.pop()
    assert gone.pos is None and gone.selected is None
    assert c2.mention(kern.pos).mention.text == "Kern" and kern.selected == "E9"


def test_recall_mechanisms_on_invented_names():
    """Each recall mechanism alone, against a tiny wiki (no HTTP): numbers, brackets, lists, 'the', 'to', families."""
    from linker.model import Page
    from linker.pipeline import recall, runs

    pages = {
        "Kestrel 7": {"title": "Kestrel 7", "description": "Rocket built by Kestrel Labs", "categories": ["Rockets"]},
        "Kestrel Labs": {"title": "Kestrel Labs", "description": "Ruritanian company", "categories": ["Companies of Ruritania"]},
        "Harbour": {"title": "Harbour", "description": "Natural satellite of Ruritania", "categories": ["Natural satellites"]},
        "Osprey": {"title": "Osprey", "disambiguation": True, "description": "", "categories": ["Disambiguation pages"]},
        "Merlin": {"title": "Merlin", "disambiguation": True, "description": "", "categories": ["Disambiguation pages"]},
    }

    class Wiki:
        def lookup(self, titles):
            return {t: Page.from_json(pages.get(t, {"title": t, "missing": True})) for t in titles}

    text = (
        "Kestrel Labs (KL) flew the Kestrel 7 past the Harbour. Bands such as Rook, Osprey and Finch played. "
        "She signed Rook to Kestrel Labs. The Moreau brothers watched. Teams in Merlin cheered."
    )
    art = Article("k.txt", text, "K")

    def at(word, nth=0):
        s = -1
        for _ in range(nth + 1):
            s = text.index(word, s + 1)
        return s

    spacy = [
        Mention("k.txt", at("Kestrel Labs"), at("Kestrel Labs") + 12, "Kestrel Labs", "ORG"),
        Mention("k.txt", at("Kestrel 7"), at("Kestrel 7") + 7, "Kestrel", "ORG"),
        Mention("k.txt", at("Harbour"), at("Harbour") + 7, "Harbour", "PERSON"),
        Mention("k.txt", at("Rook"), at("Rook") + 4, "Rook", "ORG"),
        Mention("k.txt", at("Finch"), at("Finch") + 5, "Finch", "ORG"),
        Mention("k.txt", at("Rook", 1), at("Kestrel Labs", 1) + 12, "Rook to Kestrel Labs", "WORK_OF_ART"),
        Mention("k.txt", at("Moreau"), at("Moreau") + 6, "Moreau", "PERSON"),
    ]
    out, defined, dropped = recall([art], {"k.txt": spacy}, Wiki())
    got = {(x.text, x.label) for x in out["k.txt"]}
    assert ("KL", "ORG") in got and ("KL", "Kestrel Labs") in defined  # an abbreviation in brackets
    assert ("Kestrel 7", "PRODUCT") in got and ("Kestrel", "ORG") not in got  # the number belongs to the name
    assert ("Harbour", "LOC") in got  # "the Harbour" is no person
    assert ("Osprey", "ORG") in got  # between two names of a list
    assert ("Rook", "WORK_OF_ART") in got and ("Kestrel Labs", "ORG") in got  # split at "to"
    assert not any(x.text == "Moreau" for x in out["k.txt"])  # "the Moreau brothers" is no one person
    assert ("Merlin", "ORG") in got  # mid-sentence, known to the wiki as a disambiguation page
    assert [r for _, r in runs("Flew on Kestrel VII. Analysts said")] == ["Flew", "Kestrel VII.", "Analysts"]


def _mentions(names: list[tuple[str, str]]) -> dict[str, list[Mention]]:
    """One article per name (so that only the corpus step can join them)."""
    return {f"d{i}": [Mention(f"d{i}", 0, len(text), text, label)] for i, (text, label) in enumerate(names)}


def test_clusters_across_articles_join_short_forms_misspellings_and_acronyms():
    names = [
        ("Jane K. Moreau", "PERSON"),
        ("Jayne Moreau", "PERSON"),  # a misspelling of the given name
        ("Moreau", "PERSON"),
        ("Nordic Ocean Council", "ORG"),
        ("NOC", "ORG"),
        ("Old Harbour Lighthouse", "FAC"),
        ("Harbour Lighthouse", "FAC"),
        ("Ruritania", "GPE"),
    ]
    forms = sorted(sorted(c.forms) for c in cluster_corpus(_mentions(names)))
    assert forms == [
        ["Harbour Lighthouse", "Old Harbour Lighthouse"],
        ["Jane K. Moreau", "Jayne Moreau", "Moreau"],
        ["NOC", "Nordic Ocean Council"],
        ["Ruritania"],
    ]


def test_clustering_an_archive_compares_only_names_that_could_be_one(monkeypatch):
    """Thousands of different people: each name is checked against a few others, not against all."""
    import random

    import linker.resolve as resolve

    rng = random.Random(4)

    def word() -> str:
        return "".join(rng.choice("bcdfghjklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4))).capitalize()

    names = [(f"{word()} {word()}", "PERSON") for _ in range(3000)]
    calls = []
    real = resolve.shortens
    monkeypatch.setattr(resolve, "shortens", lambda *a, **k: calls.append(1) or real(*a, **k))
    clusters = cluster_corpus(_mentions(names))
    assert len(clusters) >= 2900  # different people stay apart
    assert len(calls) <= 20 * len(names), len(calls)  # all pairs would be about 4.5 million


def test_page_records_and_link_status_are_typed_and_survive_damage():
    from linker.model import NIL, Page, Status

    page = Page.from_json({"title": "Ruritania", "categories": ["Countries", 5], "length": "long", "disambiguation": "yes", "links": None})
    assert page.categories == ["Countries"] and page.length == 0 and page.disambiguation is False and page.links == []
    assert Page.from_json(page.to_json()) == page and "age" not in page.to_json()
    ent = Entity.from_json({"id": "E1", "name": "Ruritania", "label": "GPE", "status": "linked"})
    assert ent.status is Status.LINKED and ent.to_json()["status"] == "linked"
    assert Entity.from_json({"id": "E1", "name": "R", "label": "GPE", "status": "bogus"}).status is NIL


def test_every_entry_of_a_long_disambiguation_list_is_a_candidate():
    """A list of 90 entries in any order: the page the text means is among the candidates wherever it sits."""
    import random

    from linker.model import Page
    from linker.pipeline import Case, candidates
    from linker.resolve import Cluster

    entries = [f"Ruritania ({kind})" for kind in (f"ship {i}" for i in range(89))] + ["Ruritania (country)"]
    for seed in range(3):
        random.Random(seed).shuffle(entries)
        pages = {"Ruritania": Page("Ruritania", disambiguation=True, links=list(entries))}
        pages.update({t: Page(t, description="A ship" if "ship" in t else "Country in Europe") for t in entries})

        class Wiki:
            def lookup(self, titles):
                return {t: pages.get(t, Page(t, missing=True)) for t in titles}

            def search(self, query, limit=8):
                return []

        case = Case(Cluster([Mention("d", 0, 9, "Ruritania", "GPE")]))
        candidates(Wiki(), [case])
        assert "Ruritania (country)" in case.found.pages and len(case.found.pages) == 90


def test_a_name_that_is_the_pages_title_or_redirect_gives_the_page_its_own_type():
    """spaCy called a forum a place; one of its names is the page's title and another a redirect: the entity is an ORG.
    A name that only starts the title is not enough: the label stays."""
    from collections import Counter

    from linker.model import Page
    from linker.pipeline import Decision, settle
    from linker.resolve import Cluster

    text = "The Ruritanian Maritime Union Group met. The Ruritanian Maritime Union (RMU) spoke. RMU left."
    art = Article("f.txt", text, "F")
    forms = [("Ruritanian Maritime Union Group", 0), ("Ruritanian Maritime Union", 0), ("RMU", 0), ("RMU", 1)]
    cluster = Cluster([m(art, t, "LOC", n) for t, n in forms])
    forum = Page(
        "Ruritanian Maritime Union",
        extract="The Ruritanian Maritime Union is a forum of port states.",
        description="Intergovernmental forum",
        categories=["Intergovernmental organizations"],
        aliases=["RMU"],
    )
    scorer = Scorer({forum.title: forum}, {})
    for names, want in ((list(cluster.forms), "ORG"), (["Ruritanian Maritime Union Group", "Ruritanian"], "LOC")):
        ev = Evidence(names, "LOC", Counter({"forum": 1, "port": 1}), set())
        ranked = scorer.rank(ev, {forum.title: (False, False, False)})
        decided = settle(Decision(cluster, cluster.name, cluster.label, ranked, None, 0.0, "linked"), {forum.title: forum}, 0.0)
        assert decided.best is not None and decided.label == want, (names, decided.label)


def test_a_stored_corpus_reads_back_whole_and_a_damaged_one_is_refused():
    """Entities without their mentions, and each article's mentions as flat numbers: the same entities
    come back, and the reader's per-article view in reading order; an entry that does not fit is None."""
    import copy

    from linker.model import corpus_from_json, corpus_to_json

    c = corpus()
    entities = list(c.entities.values())
    texts = {A.doc: A.text, B.doc: B.text}
    stored = corpus_to_json(entities)
    assert "mentions" not in stored["entities"][0]
    placed: dict = {}
    back = corpus_from_json(copy.deepcopy(stored), texts, placed)
    assert [(e.id, sorted(e.mentions)) for e in back] == [(e.id, sorted(e.mentions)) for e in entities]
    again = Corpus([A, B], back, placed)
    assert again.placed == c.placed and again.by_entity == c.by_entity
    damaged = []
    for doc, change in (
        (A.doc, lambda f: f.__setitem__(0, "7")),  # a string for a number
        (A.doc, lambda f: f.__setitem__(1, 10_000)),  # past the end of the text
        (A.doc, lambda f: f.__setitem__(2, 99)),  # no such entity
        (A.doc, lambda f: f.__setitem__(3, -1)),  # no such label
        (A.doc, lambda f: f.pop()),  # not whole
        (A.doc, lambda f: f.__setitem__(0, 1.5)),
    ):
        bad = copy.deepcopy(stored)
        change(bad["placed"][doc])
        damaged.append(bad)
    other = copy.deepcopy(stored)
    other["placed"]["gone.txt"] = [0, 1, 0, 0]  # an article that is not among these
    damaged += [other, {"entities": "x", "labels": [], "placed": {}}, {"entities": [], "labels": [], "placed": []}, {}]
    for bad in damaged:
        assert corpus_from_json(bad, texts) is None, bad
