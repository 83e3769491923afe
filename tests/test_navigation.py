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
    records = {
        "Ruritania": {"title": "Ruritania", "extract": "Ruritania is a country in Europe.", "description": "Country in Europe",
                      "categories": ["Countries in Europe"], "aliases": []},
        "Ruritania (novel)": {"title": "Ruritania (novel)", "extract": "Ruritania is a novel about a prisoner.",
                              "description": "1894 novel", "categories": ["1894 novels"], "aliases": []},
    }
    from collections import Counter

    ev = Evidence(["Ruritania"], "GPE", Counter({"country": 2, "europe": 1, "spoke": 1}), set())
    scorer = Scorer(records, {})  # the shipped weights
    ranked = scorer.rank(ev, {"Ruritania": (True, False, False), "Ruritania (novel)": (False, True, False)})
    assert ranked[0].title == "Ruritania" and ranked[0].score > ranked[1].score
    assert set(ranked[0].features) >= {"exact", "type", "context"}
