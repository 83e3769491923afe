"""Real news in: web pages, feeds and links from a local news site, grouped into stories."""

from __future__ import annotations

import json
import shutil
from difflib import SequenceMatcher

import pytest

from tests.conftest import gloss
from tests.news_site import BOILERPLATE, Story, serve


@pytest.fixture(scope="module")
def site():
    server, s = serve(slow_seconds=6.0)
    yield s
    server.shutdown()


def kept(want: str, got: str) -> tuple[float, float]:
    """(share of the article's characters found in the extraction, share of the extraction that is article)."""
    want, got = " ".join(want.split()), " ".join(got.split())
    same = sum(b.size for b in SequenceMatcher(None, want, got, autojunk=False).get_matching_blocks())
    return same / len(want), same / max(1, len(got))


def stored(cache) -> list[dict]:
    from cache.archive import Archive
    from cache.store import Store

    store = Store(cache)
    try:
        return Archive(store).records()
    finally:
        store.close()


def story_of(site, record: dict) -> Story:
    """The site's article a stored one is (by its title, else by its text)."""
    same = [s for s in site.stories if s.title == record["title"]]
    return same[0] if len(same) == 1 else max(site.stories, key=lambda s: kept(s.text, record["text"])[0])


def test_wrapped_pages_give_the_article_text_and_its_metadata(site):
    from linker.web import Fetcher, decode_html, extract

    fetcher = Fetcher(timeout=10)
    worst = 1.0
    for s in site.stories:
        page = fetcher.get(f"{site.base}/{s.slug}.html")
        got = extract(decode_html(page.body, page.charset), page.url)
        recall, precision = kept(s.text, got.text)
        worst = min(worst, recall, precision)
        assert recall >= 0.98 and precision >= 0.98, (s.slug, recall, precision)
        lines = got.text.splitlines()
        assert not [line for line in lines if any(b.lower() in line.lower() for b in BOILERPLATE)], s.slug
        assert got.title == s.title and got.date == s.date and got.site and got.author
    print(f"\nextraction: worst share of characters kept {worst:.4f} over {len(site.stories)} wrapped articles")


@pytest.mark.parametrize("path, story", [("latin1.html", "football"), ("cp1252.html", "samples"), ("broken.html", "samples")])
def test_declared_charsets_and_broken_html(site, path, story):
    """Latin-1 declared only in the HTTP header, Windows-1252 only in <meta>; unclosed tags."""
    from linker.web import Fetcher, decode_html, extract

    page = Fetcher().get(f"{site.base}/{path}")
    got = extract(decode_html(page.body, page.charset), page.url)
    best = max((s for s in site.stories if s.story == story), key=lambda s: kept(s.text, got.text)[0])
    recall, precision = kept(best.text, got.text)
    assert recall >= 0.98 and precision >= 0.98, (path, recall, precision)
    assert "\ufffd" not in got.text and "Ã" not in got.text  # no mojibake


def test_a_mixed_feed_becomes_whole_unmixed_stories(site, tmp_path):
    cache = tmp_path / "cache"
    code, out, err = gloss("add", f"{site.base}/feed.rss", "--cache-dir", str(cache))
    assert code == 0, err
    records = stored(cache)
    assert len(records) == len(site.stories)
    code, out, _ = gloss("stories", "--json", "--cache-dir", str(cache))
    stories = json.loads(out)
    truth = {r["id"]: story_of(site, r).story for r in records}
    groups = [{truth[a["id"]] for a in s["articles"]} for s in stories]
    assert all(len(g) == 1 for g in groups), groups  # unmixed
    assert sorted(next(iter(g)) for g in groups) == sorted({s.story for s in site.stories})  # whole: one story each
    for s in stories:
        assert s["title"] and s["sites"] and s["first"] and s["entities"]
    # The feed's missing and malformed dates were filled from the pages.
    assert all(r["date"] for r in records)
    code, text, _ = gloss("stories", "--cache-dir", str(cache))
    assert all(s["id"] in text for s in stories) and "articles" in text


def test_the_kept_story_index_groups_as_the_stored_articles_do_and_mends_itself(site, tmp_path):
    """What grouping needs of each stored article is kept in one entry: grouping from it gives the
    stories that grouping the stored texts' names gives; a damaged row, a missing article (stored by
    another process meanwhile) or a lost entry is read again, never trusted."""
    from cache.archive import Archive, record_article
    from cache.library import Library
    from cache.store import Store
    from linker.stories import Item, group

    cache = tmp_path / "cache"
    gloss("add", f"{site.base}/feed.rss", "--cache-dir", str(cache), check=True)
    store = Store(cache)
    lib = Library(store, offline=True)
    records = Archive(store).records()
    per_doc, _ = lib.mentions([record_article(r) for r in records])
    direct = [s.to_json() for s in group([Item(r["id"], r["title"], r["site"], r["date"], per_doc[r["id"]]) for r in records])]
    stories, read = lib.stories()
    assert [s.to_json() for s in stories] == direct and read == {}  # `gloss add` kept the index: no record is read
    key = next(k.split(":", 1)[1] for k in store._keys() if k.startswith("article:story-index|"))
    index = store.get("article", key)[0]
    ids = list(index)
    index[ids[0]] = "garbage"
    index[ids[1]][3] = [["name", "many", False, {}]]
    del index[ids[2]]
    store.set("article", key, index)
    stories, read = lib.stories()
    assert [s.to_json() for s in stories] == direct and sorted(read) == sorted(ids[:3])
    store.delete("article", key)
    assert [s.to_json() for s in lib.stories()[0]] == direct
    store.close()


def test_the_same_article_by_another_way_is_kept_once(site, tmp_path):
    """By feed, by Atom, by a feed with full content, by a tracking link, by redirect: one copy each."""
    cache = tmp_path / "cache"
    gloss("add", f"{site.base}/feed.rss", "--cache-dir", str(cache))
    n = len(stored(cache))
    before = dict(site.hits)
    code, out, err = gloss(
        "add",
        f"{site.base}/feed.atom",
        f"{site.base}/full.rss",
        f"{site.base}/{site.stories[0].slug}.html?utm_source=feed#top",
        f"{site.base}/moved.html",
        "--cache-dir",
        str(cache),
    )
    assert code == 0, err
    assert "added 0 articles" in out
    assert len(stored(cache)) == n
    # Pages already stored by their link are not fetched again.
    assert site.hits.get(f"/{site.stories[0].slug}.html", 0) == before.get(f"/{site.stories[0].slug}.html", 0)


def test_a_full_content_feed_needs_no_page_fetches(site, tmp_path):
    cache = tmp_path / "cache"
    before = sum(n for p, n in site.hits.items() if p.startswith(("/world/", "/tech/", "/sport/")))
    code, out, err = gloss("add", f"{site.base}/full.rss", "--cache-dir", str(cache))
    assert code == 0, err
    after = sum(n for p, n in site.hits.items() if p.startswith(("/world/", "/tech/", "/sport/")))
    assert after == before
    records = stored(cache)
    assert len(records) == len(site.stories)
    for r in records:
        assert kept(story_of(site, r).text, r["text"])[0] >= 0.98


def test_every_failure_is_one_line_and_the_others_carry_on(site, tmp_path):
    cache = tmp_path / "cache"
    bad = {
        "missing.html": "HTTP 404",
        "error.html": "HTTP 500",
        "slow.html": "timed out",
        "loop0": "redirect loop",
        "huge.html": "too large",
        "private/page.html": "robots.txt",
        "picture.png": "not a web page",
        "empty.html": "no article text",
    }
    good = f"{site.base}/{site.stories[5].slug}.html"
    code, out, err = gloss("add", *(f"{site.base}/{p}" for p in bad), good, "--timeout", "2", "--cache-dir", str(cache))
    assert code == 1
    lines = err.strip().splitlines()
    for path, reason in bad.items():
        mine = [line for line in lines if f"/{path}:" in line]
        assert len(mine) == 1 and reason in mine[0], (path, mine)
    assert "Traceback" not in err
    records = stored(cache)
    assert [r["url"] for r in records] == [good]  # nothing half-fetched is stored


def test_fetching_is_polite(tmp_path):
    server, site = serve(page_delay=0.2)  # its own site (no request of another test in flight), pages as slow as a real one
    try:
        gloss("add", f"{site.base}/feed.rss", "--cache-dir", str(tmp_path / "cache"), check=True)
    finally:
        server.shutdown()
    assert site.user_agents and all(ua.startswith("gloss/") for ua in site.user_agents)
    assert 1 < site.max_in_flight <= 2  # in parallel, but never more than two at a time on one site
    assert site.hits["/robots.txt"] == 1  # read once per site
    assert site.gzipped == len(site.stories)  # every page came compressed, and was read (stored whole)


def test_offline_add_refuses_and_stores_nothing(site, tmp_path):
    cache = tmp_path / "cache"
    code, out, err = gloss("add", f"{site.base}/feed.rss", "--offline", "--cache-dir", str(cache))
    assert code == 2 and "--offline" in err and "nothing added" in err
    assert not (cache / "cache.db").exists() or stored(cache) == []


def test_saved_pages_open_directly_and_add(site, tmp_path):
    from linker.articles import load_articles
    from linker.web import Fetcher

    s = site.stories[6]
    saved = tmp_path / "saved page.html"
    saved.write_bytes(Fetcher().get(f"{site.base}/{s.slug}.html").body)
    articles, problems = load_articles([tmp_path])
    assert not problems and len(articles) == 1
    assert articles[0].title == s.title and kept(s.text, articles[0].text)[0] >= 0.98
    cache = tmp_path / "cache"
    code, out, err = gloss("add", str(saved), "--cache-dir", str(cache))
    assert code == 0, err
    (blank := tmp_path / "blank.html").write_text("<html><body><nav>Home</nav></body></html>")
    code, out, err = gloss("add", str(blank), str(tmp_path / "nowhere.html"), "--cache-dir", str(cache))
    assert code == 1 and "blank.html: no article text" in err and "nowhere.html: no such file" in err


def test_a_story_travels_in_a_bundle_and_reads_offline(site, wiki, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    gloss("add", f"{site.base}/feed.rss", "--cache-dir", str(here), check=True)
    stories = json.loads(gloss("stories", "--json", "--cache-dir", str(here))[1])
    story = next(s for s in stories if len(s["articles"]) == 5 and "Blinken" in " ".join(s["entities"]))
    gloss("warm", f"story:{story['id']}", "--wiki-api", wiki.url, "--cache-dir", str(here), check=True)
    bundle = tmp_path / "story.gloss"
    code, out, err = gloss("cache", "export", str(bundle), f"story:{story['id']}", "--wiki-api", wiki.url, "--cache-dir", str(here))
    assert code == 0, err
    shutil.rmtree(here)  # the other machine has only the bundle
    gloss("cache", "import", str(bundle), "--cache-dir", str(there), check=True)
    again = json.loads(gloss("stories", "--json", "--cache-dir", str(there), "--offline")[1])
    assert [s["id"] for s in again] == [story["id"]] and len(again[0]["articles"]) == 5
    code, out, err = gloss("entities", f"story:{story['id']}", "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", str(there))
    assert code == 0, err
    data = json.loads(out)
    assert len(data["articles"]) == 5
    linked = [e for e in data["entities"] if e["title"]]
    assert len(linked) >= 20 and all(e["summary"] and e["summary"]["extract"] for e in linked)
    assert not [e for e in data["entities"] if e["status"] in ("not_cached", "failed")]


def test_unknown_story_ids_say_what_to_do(tmp_path):
    code, out, err = gloss("entities", "story:abc", "--cache-dir", str(tmp_path / "c"))
    assert code == 2 and "gloss add" in err
    code, out, err = gloss("stories", "--cache-dir", str(tmp_path / "c"))
    assert code == 0 and "no stories yet" in out


async def test_the_reader_starts_from_the_stories(site, tmp_path):
    from cache.library import Library
    from cache.store import Store
    from tests.conftest import GLOSS  # noqa: F401 - same interpreter
    from tui.app import GlossApp
    from tui.cli import build_parser, stored_stories
    from tui.screens.main import MainScreen
    from tui.screens.stories import StoriesScreen

    cache = tmp_path / "cache"
    gloss("add", f"{site.base}/feed.rss", "--cache-dir", str(cache), check=True)
    args = build_parser(None).parse_args(["--cache-dir", str(cache), "--offline"])
    store = Store(cache)
    stories = stored_stories(args, store)
    app = GlossApp([], Library(store, offline=True), [], stories)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StoriesScreen)
        text = "\n".join(app.screen.query_one("#stories").render_line(y).text for y in range(2 * len(stories)))
        assert all(s.title[:30] in text for s in stories)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert [a.doc for a in app.articles] == [i.id for i in stories[1].items]
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, StoriesScreen)
    store.close()


def _links_by_story(cache: str, wiki) -> dict[str, list]:
    """Every story's mentions with the page each is linked to, read offline."""
    out = {}
    for s in json.loads(gloss("stories", "--json", "--offline", "--cache-dir", cache)[1]):
        data = json.loads(gloss("entities", f"story:{s['id']}", "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", cache)[1])
        out[s["id"]] = sorted((m["doc"], m["start"], m["end"], e["title"] or "") for e in data["entities"] for m in e["mentions"])
    return out


def test_adding_an_article_relinks_only_its_story_and_matches_a_full_relink(site, wiki, tmp_path):
    pages = [f"{site.base}/{s.slug}.html" for s in site.stories]
    one, full = str(tmp_path / "one-by-one"), str(tmp_path / "all-at-once")
    gloss("add", *pages[:-3], "--cache-dir", one, check=True)
    code, out, err = gloss("warm", "--wiki-api", wiki.url, "--cache-dir", one)
    assert code == 0, err
    stories = int(out.split("warmed ")[1].split(" stories")[0])
    assert f"({stories} linked now, 0 unchanged)" in out
    for page in pages[-3:]:
        gloss("add", page, "--cache-dir", one, check=True)
        code, out, err = gloss("warm", "--wiki-api", wiki.url, "--cache-dir", one)
        assert code == 0 and "(1 linked now," in out, out + err  # only the story the new article joined
    code, out, _ = gloss("warm", "--wiki-api", wiki.url, "--cache-dir", one)
    assert "(0 linked now," in out and "requests 0" in out  # nothing new: nothing to do
    gloss("add", *pages, "--cache-dir", full, check=True)
    gloss("warm", "--wiki-api", wiki.url, "--cache-dir", full, check=True)
    assert _links_by_story(one, wiki) == _links_by_story(full, wiki) != {}


def test_a_long_story_is_linked_in_parts_and_adding_to_it_matches_a_full_relink(site, wiki, tmp_path, monkeypatch):
    """A story longer than a part (here two articles) is linked in parts chosen by its articles' texts, so an
    article added to it is linked with its part, not the whole story; the links are those of warming every
    article at once, and opening the story shows every part's links (read from the cache, offline)."""
    import cache.library
    from cache.library import Library, linking_parts
    from cache.store import Store

    monkeypatch.setattr(cache.library, "PART_ARTICLES", 2)
    pages = [f"{site.base}/{s.slug}.html" for s in site.stories]
    one, full = str(tmp_path / "one-by-one"), str(tmp_path / "all-at-once")
    gloss("add", *pages[:-3], "--cache-dir", one, check=True)
    gloss("warm", "--wiki-api", wiki.url, "--cache-dir", one, check=True)
    for page in pages[-3:]:
        gloss("add", page, "--cache-dir", one, check=True)
        code, out, err = gloss("warm", "--wiki-api", wiki.url, "--cache-dir", one)
        assert code == 0 and "(1 linked now," in out, out + err
    gloss("add", *pages, "--cache-dir", full, check=True)
    gloss("warm", "--wiki-api", wiki.url, "--cache-dir", full, check=True)
    links = _links_by_story(full, wiki)
    assert _links_by_story(one, wiki) == links != {}
    # The parts are real: the longest story has several, each linked on its own, and together they are the story.
    stories = json.loads(gloss("stories", "--json", "--offline", "--cache-dir", full)[1])
    longest = max(stories, key=lambda s: len(s["articles"]))
    lib = Library(Store(full), api_url=wiki.url, offline=True)
    articles = load_articles_of(lib, longest)
    parts = linking_parts(articles)
    assert len(parts) >= 2 and sorted(a.doc for p in parts for a in p) == sorted(a.doc for a in articles)
    alone = sorted((m.doc, m.start, m.end, e.title or "") for p in parts for e in lib.entities(p).entities for m in e.mentions)
    lib.store.close()
    assert alone == links[longest["id"]]
    assert {d for d, *_ in alone} == {a.doc for a in articles}


def load_articles_of(lib, story: dict) -> list:
    """A stored story's articles, as the reader opens them."""
    from cache.archive import Archive, record_article

    archive = Archive(lib.store)
    return [record_article(archive.get(a["id"])) for a in story["articles"]]


def test_an_article_added_to_a_long_story_changes_one_part_of_it():
    """Parts are chosen by each article's text (whitespace aside), so an added article leaves every other
    part as it was, until the story passes a power of two times the part's size and each part splits."""
    from cache.library import linking_parts
    from linker.model import Article

    story = [Article(doc=f"a{i}", text=f"Article {i} of a long story.", title="") for i in range(600)]
    before = [sorted(a.doc for a in p) for p in linking_parts(story, 256)]
    assert len(before) == 4 and max(map(len, before)) <= 256 * 1.25
    new = Article(doc="new", text="One more   article\nof the story.", title="")
    after = [sorted(a.doc for a in p) for p in linking_parts(story + [new], 256)]
    changed = [p for p in after if p not in before]
    assert len(after) == 4 and len(changed) == 1 and "new" in changed[0]
    assert [a.doc for p in linking_parts([new], 256) for a in p] == ["new"]
    # The same text with other spacing falls in the same part.
    respaced = Article(doc="new", text="One more article of the story.", title="")
    assert [sorted(a.doc for a in p) for p in linking_parts(story + [respaced], 256)] == after
    # Past 4 x 256 articles every part splits in two.
    more = story + [Article(doc=f"b{i}", text=f"Another article {i}.", title="") for i in range(500)]
    assert len(linking_parts(more, 256)) == 8


async def test_a_file_opened_beside_the_library_is_linked_with_its_story_as_a_full_relink_would(site, wiki, tmp_path):
    """A saved page that is not in the library: `gloss warm PAGE`, `gloss entities PAGE` and the reader link it
    together with the library's articles of the story it would join, and it gets the links that adding it
    and relinking everything gives it."""
    from cache.library import Library
    from cache.store import Store
    from linker.articles import load_articles
    from linker.web import Fetcher
    from tui.app import GlossApp

    pages = [f"{site.base}/{s.slug}.html" for s in site.stories]
    saved = tmp_path / "saved.html"
    saved.write_bytes(Fetcher().get(pages[0]).body)
    beside, full, alone = str(tmp_path / "beside"), str(tmp_path / "full"), str(tmp_path / "alone")
    gloss("add", *pages[1:], "--cache-dir", beside, check=True)
    gloss("warm", "--wiki-api", wiki.url, "--cache-dir", beside, check=True)
    code, out, err = gloss("warm", str(saved), "--wiki-api", wiki.url, "--cache-dir", beside)
    assert code == 0 and "linked together with the" in out, out + err
    data = json.loads(gloss("entities", str(saved), "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", beside)[1])
    joint = sorted((m["start"], m["end"], e["title"] or "") for e in data["entities"] for m in e["mentions"])
    assert {m["doc"] for e in data["entities"] for m in e["mentions"]} == {"saved.html"}  # only its own mentions
    # Its story's other articles made a difference: alone, some of its names link elsewhere.
    gloss("warm", str(saved), "--wiki-api", wiki.url, "--cache-dir", alone, check=True)
    data = json.loads(gloss("entities", str(saved), "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", alone)[1])
    assert joint != sorted((m["start"], m["end"], e["title"] or "") for e in data["entities"] for m in e["mentions"])
    # The same article added to the library, and everything relinked story by story.
    gloss("add", *pages[1:], str(saved), "--cache-dir", full, check=True)
    gloss("warm", "--wiki-api", wiki.url, "--cache-dir", full, check=True)
    ident = next(
        s
        for s in json.loads(gloss("stories", "--json", "--offline", "--cache-dir", full)[1])
        if any(a["title"] == site.stories[0].title for a in s["articles"])
    )
    doc = next(a["id"] for a in ident["articles"] if a["title"] == site.stories[0].title)
    data = json.loads(gloss("entities", f"story:{ident['id']}", "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", full)[1])
    relinked = sorted((m["start"], m["end"], e["title"] or "") for e in data["entities"] for m in e["mentions"] if m["doc"] == doc)
    assert joint == relinked and len(joint) > 10
    # The reader, offline, shows those links.
    articles, _ = load_articles([saved])
    store = Store(beside)
    app = GlossApp(articles, Library(store, api_url=wiki.url, offline=True), [str(saved)])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = sorted((m.start, m.end, e.title or "") for e in app.screen.corpus.entities.values() for m in e.mentions)
    store.close()
    assert shown == joint
