"""The linker on the samples, on shuffled disambiguation lists, and on articles of our own."""

from __future__ import annotations

import json
import re

import pytest

from linker.names import demonym_of, is_short_form, person_compatible
from linker.ner import clean_span, is_role, split_span
from linker.link import FEATURES
from tests.conftest import MINI, SAMPLES, gloss, start_wiki
from tests.stories import HELD_OUT, OWN, STORIES, shuffled_page_files


def evaluate(url: str, cache: str, gold=STORIES["samples"].gold, docs=SAMPLES) -> dict:
    code, out, err = gloss("eval", "--gold", str(gold), str(docs), "--wiki-api", url, "--cache-dir", cache, "--json", "--errors")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("story", ["samples", "dev2"])
def test_bars_on_each_development_story(tmp_path, story, seed):
    """All page files served together, every disambiguation list shuffled: the issue's bars."""
    w = start_wiki(shuffled_page_files(tmp_path, seed))
    try:
        s = STORIES[story]
        r = evaluate(w.url, str(tmp_path / "c"), s.gold, s.docs)
    finally:
        w.server.shutdown()
    wrong = r["errors"]
    assert r["f1"] >= 0.95, wrong
    assert r["nil_accuracy"] == 1.0, wrong
    assert r["hard_accuracy"] >= (0.95 if story == "samples" else 0.90), wrong
    assert r["b3_f1"] >= 0.97
    # Batched: far fewer requests than mentions.
    assert 0 < r["requests"] <= 0.3 * r["gold_mentions"]


def test_leave_one_story_out(tmp_path):
    """Fitted on one development story, the scorer links the other with F1 >= 0.90, both ways."""
    from linker.fit import fit
    from tests.stories import DEVELOPMENT, examples, run_story
    from tests.stories import evaluate as story_eval

    w = start_wiki(shuffled_page_files(tmp_path, 5))
    try:
        runs = {n: run_story(STORIES[n], w.url, tmp_path / n) for n in DEVELOPMENT}
    finally:
        w.server.shutdown()
    for held in DEVELOPMENT:
        model = fit([ex for n in DEVELOPMENT if n != held for ex in examples(runs[n])])
        assert story_eval(runs[held], model)["f1"] >= 0.90, held


def test_a_story_in_a_third_domain_never_fitted_on(tmp_path):
    """Football, our own story: fitted on the two development stories only, it links at the hidden stories' aim."""
    from linker.fit import fit
    from tests.stories import DEVELOPMENT, examples, run_story
    from tests.stories import evaluate as story_eval

    w = start_wiki(shuffled_page_files(tmp_path, 3))
    try:
        runs = {n: run_story({**STORIES, **OWN}[n], w.url, tmp_path / n) for n in (*DEVELOPMENT, "football")}
    finally:
        w.server.shutdown()
    model = fit([ex for n in DEVELOPMENT for ex in examples(runs[n])])
    r = story_eval(runs["football"], model)
    assert r["f1"] >= 0.92 and r["nil_accuracy"] == 1.0, r["errors"]


def linked_titles(story, tmp_path, seed: int):
    """gold surface text -> the set of titles gloss gave its gold mentions ("(span missed)" when no mention matched)."""
    w = start_wiki(shuffled_page_files(tmp_path, seed))
    try:
        code, out, _ = gloss("entities", str(story.docs), "--wiki-api", w.url, "--cache-dir", str(tmp_path / "c"), "--json")
    finally:
        w.server.shutdown()
    assert code == 0
    linked = {}
    for e in json.loads(out)["entities"]:
        for m in e["mentions"]:
            linked[(m["doc"], m["start"], m["end"])] = e["title"]
    gold = [json.loads(line) for line in story.gold.read_text(encoding="utf-8").splitlines()]

    def titles(text: str) -> set:
        return {linked.get((g["doc"], g["start"], g["end"]), "(span missed)") for g in gold if g["text"] == text}

    return titles


@pytest.mark.parametrize("name", ["space", "music"])
def test_held_out_stories_in_other_domains(tmp_path, name):
    """Spaceflight and popular music, our own stories, never fitted on by anything (the shipped
    weights included): they are scored as the hidden stories are."""
    from tests.stories import evaluate as story_eval
    from tests.stories import run_story
    from linker.link import default_model

    w = start_wiki(shuffled_page_files(tmp_path, 6))
    try:
        run = run_story(HELD_OUT[name], w.url, tmp_path / name)
    finally:
        w.server.shutdown()
    r = story_eval(run, default_model())
    assert r["f1"] >= 0.95 and r["nil_accuracy"] == 1.0 and r["hard_accuracy"] >= 0.9, r["errors"]


def test_mechanisms_on_the_space_story(tmp_path):
    titles = linked_titles(HELD_OUT["space"], tmp_path, 3)
    # A name with its number ("Falcon 9"), which spaCy cut off, is the numbered thing's page.
    assert titles("Falcon 9") == {"Falcon 9"} and titles("Ariane 6") == {"Ariane 6"}
    # A run of capitalised words ends with its sentence ("... Artemis III. Analysts ...").
    assert titles("Artemis III") == {"Artemis III"}
    # "the Moon" is no person, whatever spaCy says: the page's own type decides.
    assert titles("Moon") == {"Moon"}
    # Abbreviations in brackets after a name are that name, initials or not.
    assert titles("CSA") == {"Canadian Space Agency"} and titles("DLR") == {"German Aerospace Center"}
    assert titles("JAXA") == {"Japan Aerospace Exploration Agency"}
    # A spacecraft named after a constellation; a centre named after a person; surnames shared by several people.
    assert titles("Orion") == {"Orion (spacecraft)"} and titles("Kennedy Space Center") == {"Kennedy Space Center"}
    assert titles("Wiseman") == {"Reid Wiseman"} and titles("Hansen") == {"Jeremy Hansen"} and titles("Musk") == {"Elon Musk"}
    assert titles("Lisa Marchetti") == {None} and titles("Tomasz Rudnik") == {None}


def test_mechanisms_on_the_music_story(tmp_path):
    titles = linked_titles(HELD_OUT["music"], tmp_path, 8)
    # A span spaCy ran across "to" is two names ("signed Oasis to Creation Records").
    assert titles("Oasis") == {"Oasis (band)"} and titles("Creation Records") == {"Creation Records"}
    # A name joined by "and", at a sentence's start after "The".
    assert titles("Competition and Markets Authority") == {"Competition and Markets Authority"}
    assert titles("CMA") == {"Competition and Markets Authority"}
    # A name in a list of names spaCy tagged around it ("Blur, Pulp and Suede").
    assert titles("Pulp") == {"Pulp (band)"} and titles("Suede") == {"Suede (band)"}
    # A surname with "brothers" names no one person: not linked (no mention at all, or no article).
    assert titles("Gallagher") <= {None, "(span missed)"}
    # Short forms of people, a venue by its sponsor's name, a name that is also a common word.
    assert titles("Noel") == {"Noel Gallagher"} and titles("Liam") == {"Liam Gallagher"} and titles("McGee") == {"Alan McGee"}
    assert titles("Principality Stadium") == {"Millennium Stadium"} and titles("Blur") == {"Blur (band)"}
    assert titles("Sophie Turnbull") == {None} and titles("Martin Reyes") == {None}


def test_mechanisms_on_the_football_story(tmp_path):
    """Each general mechanism on names the development stories never had."""
    titles = linked_titles(OWN["football"], tmp_path, 4)

    # A longer name is never cut down to the shorter title inside it.
    assert titles("Inter Milan") == {"Inter Milan"}
    assert titles("Milan Malpensa Airport") == {"Milan Malpensa Airport"}
    assert titles("Liverpool John Lennon Airport") == {"Liverpool John Lennon Airport"}
    assert titles("North Macedonia") == {"North Macedonia"}
    # A club named after its city, and the city itself, each where the words say so.
    assert titles("AC Milan") == {"AC Milan"}
    assert "Liverpool F.C." in titles("Liverpool") and titles("Milan") == {"Milan"}
    # Short forms: a club's short name, surnames, a first name used alone, an acronym defined in the text.
    assert titles("Inter") == {"Inter Milan"}
    assert titles("Inzaghi") == {"Simone Inzaghi"} and titles("Van Dijk") == {"Virgil van Dijk"}
    assert titles("Lautaro") == {"Lautaro Martínez"}
    assert titles("PFA") == {"Professional Footballers' Association"}
    # Curly apostrophes are straight ones in names; a possessive is no part of a name.
    assert titles("Professional Footballers’ Association") == {"Professional Footballers' Association"}
    assert titles("Pep Guardiola") == {"Pep Guardiola"} and titles("Guardiola") == {"Pep Guardiola"}
    # Peoples' words link to their places, with or without a page of their own.
    assert titles("Turkish") == {"Turkey"} and titles("Egyptian") == {"Egypt"} and titles("Dutch") == {"Netherlands"}
    # Spans: no score inside a name, no name across a line break.
    assert titles("Lautaro Martínez") == {"Lautaro Martínez"}
    assert all(title != "(span missed)" for title in titles("Liverpool"))
    # No article, no guess.
    assert titles("Marco Bellandi") == {None}


@pytest.mark.parametrize("seed", [0, 7])
def test_our_own_articles_and_wiki(tmp_path, seed):
    """Other names, same mechanisms: short forms, demonyms, look-alikes, NIL."""
    w = start_wiki(shuffled_page_files(tmp_path, seed))
    try:
        r = evaluate(w.url, str(tmp_path / "c"), MINI / "gold.jsonl", MINI)
        code, out, _ = gloss("entities", str(MINI), "--wiki-api", w.url, "--cache-dir", str(tmp_path / "c"), "--json")
    finally:
        w.server.shutdown()
    assert r["f1"] >= 0.95, r["errors"]
    ents = json.loads(out)["entities"]
    by_text = {}
    for e in ents:
        for m in e["mentions"]:
            by_text.setdefault(m["text"], set()).add(e["title"])
    assert by_text["Scholz"] == {"Olaf Scholz"}  # short form, even where spaCy says GPE
    assert by_text["Macron"] == {"Emmanuel Macron"}  # not the diacritic nor his wife
    assert by_text["French"] == {"France"}  # demonym -> country
    assert by_text["Élysée"] == {"Élysée Palace"}  # disambiguated by context
    # Each entity lists its candidates with the feature values that scored them.
    macron = next(e for e in ents if e["title"] == "Emmanuel Macron")
    assert macron["candidates"] and set(macron["candidates"][0]["features"]) == set(FEATURES)


@pytest.mark.xfail(strict=True, reason="known miss: a bare surname with two namesakes on the list and no context is linked")
def test_bare_surname_without_evidence_is_no_article(tmp_path):
    w = start_wiki(shuffled_page_files(tmp_path, 0))
    try:
        code, out, _ = gloss("entities", str(MINI), "--wiki-api", w.url, "--cache-dir", str(tmp_path / "c"), "--json")
    finally:
        w.server.shutdown()
    ents = json.loads(out)["entities"]
    verhoeven = [e for e in ents if any(m["text"] == "Verhoeven" for m in e["mentions"])]
    assert verhoeven and all(e["title"] is None for e in verhoeven)


def test_entities_json_shape(wiki, warmed):
    code, out, _ = gloss("entities", str(SAMPLES), "--wiki-api", wiki.url, "--cache-dir", str(warmed), "--json")
    data = json.loads(out)
    assert {a["doc"] for a in data["articles"]} == {p.name for p in SAMPLES.glob("*.txt")}
    texts = {p.name: p.read_text(encoding="utf-8") for p in SAMPLES.glob("*.txt")}
    wang = next(e for e in data["entities"] if e["title"] == "Wang Yi")
    assert set(wang) >= {"id", "name", "label", "title", "confidence", "summary", "mentions"}
    assert set(wang["summary"]) == {"title", "description", "extract", "url"}
    assert {m["text"] for m in wang["mentions"]} == {"Wang Yi", "Wang"}
    assert len({m["doc"] for m in wang["mentions"]}) == 4
    for e in data["entities"]:
        for m in e["mentions"]:
            assert texts[m["doc"]][m["start"] : m["end"]] == m["text"]
    hass = [e for e in data["entities"] if any(m["text"] == "Hass" for m in e["mentions"])]
    assert hass and all(e["title"] is None and e["summary"] is None for e in hass)


def test_span_cleaning():
    t = "Talks with the United States and Joe Biden’s aides; Mr Blinken met President Xi."
    s = t.index("the United")
    assert t[slice(*clean_span(t, s, s + len("the United States"))[:2])] == "United States"
    s = t.index("Joe")
    assert t[slice(*clean_span(t, s, s + len("Joe Biden’s"))[:2])] == "Joe Biden"
    s = t.index("Mr Blinken")
    a, b, label = clean_span(t, s, s + len("Mr Blinken"), "GPE")
    assert t[a:b] == "Blinken" and label == "PERSON"
    s = t.index("President")
    assert t[slice(*clean_span(t, s, s + len("President Xi"), "PERSON")[:2])] == "Xi"
    u = "at Beijing’s Diaoyutai State Guesthouse, with the Secretary of State"
    s = u.index("Beijing")
    parts = [u[a:b] for a, b in split_span(u, s, u.index(","))]
    assert parts == ["Beijing", "Diaoyutai State Guesthouse"]
    s = u.rindex("State")
    assert is_role(u, s, s + 5)


def test_name_matching():
    assert is_short_form("Blinken", "Antony J. Blinken")
    assert is_short_form("Anthony Blinken", "Antony Blinken")
    assert is_short_form("APEC", "Asia-Pacific Economic Cooperation")
    assert is_short_form("State House", "Diaoyutai State Guesthouse")
    assert not is_short_form("Qin Kai", "Qin Gang")
    assert person_compatible("Antony J. Blinken", "Antony Blinken")
    assert not person_compatible("Ryan Hass", "Robert Hass")
    assert not person_compatible("Donald Blinken", "Antony Blinken")
    assert demonym_of("Chinese", "China", [])
    assert not demonym_of("Chinese", "Beijing", ["Beijing, China"])


def test_polite_to_the_wiki(fresh_wiki, tmp_path):
    """At most four requests in flight, a gloss User-Agent, and retries that honour 429s."""
    w = fresh_wiki(latency_ms=60, ratelimit_rate=0.15, retry_after=1, seed=3)
    code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", str(tmp_path / "c"))
    stats = w.stats.as_dict()
    assert code == 0, err
    assert stats["max_in_flight"] <= 4
    assert stats["faults"] > 0 and "retries 0" not in out
    assert all(ua.startswith("gloss/") for ua in stats["user_agents"])
    # The closing line says how long the wiki kept the warm waiting: every request took 60 ms, at most 4 at once.
    found = re.search(r"requests (\d+) \(.*, ([\d.]+)s waiting\);.*; ([\d.]+)s$", out.strip())
    requests, waiting, total = int(found[1]), float(found[2]), float(found[3])
    assert requests * 0.06 / 4 <= waiting <= total, out


def test_annotation_in_two_processes_is_identical(monkeypatch):
    """gloss warm --jobs N: the same mentions as one process, long articles cut in the same pieces."""
    from linker import ner
    from linker.articles import load_articles

    articles, _ = load_articles([SAMPLES])
    texts = [a.text for a in articles]
    articles[0].text = "\n\n".join(texts * 4)  # longer than one piece
    assert len(ner.chunks(articles[0].text)) > 1
    one = list(ner.annotate_texts(articles, jobs=1))
    monkeypatch.setattr(ner, "PARALLEL_FROM_CHARS", 0)
    two = list(ner.annotate_texts(articles, jobs=2))
    assert one == two and all(one)
    # Pieces do not lose names: the first article's mentions repeat with its text.
    assert len(one[0]) >= 4 * sum(len(ms) for ms in one[1:]) * 0.95
