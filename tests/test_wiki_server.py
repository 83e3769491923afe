"""The stand-in wiki answers like the MediaWiki Action API, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import ROOT, start_wiki


@pytest.fixture(scope="module")
def wiki():
    """The imitation itself (these tests are about it), serving every page file."""
    from tests.stories import PAGE_FILES

    w = start_wiki(list(PAGE_FILES))
    yield w
    w.server.shutdown()


def get(url: str, **params) -> tuple[int, dict | str, dict]:
    full = url + "?" + urllib.parse.urlencode({"format": "json", **params})
    try:
        with urllib.request.urlopen(full, timeout=10) as r:
            body = r.read().decode()
            return r.status, json.loads(body), dict(r.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def test_titles_follow_redirects_normalise_and_mark_missing(wiki):
    status, data, _ = get(
        wiki.url,
        action="query",
        titles="antony_Blinken|Biden|No such page here",
        redirects=1,
        prop="info|extracts|pageprops|categories",
        inprop="url",
        exintro=1,
        explaintext=1,
    )
    assert status == 200
    q = data["query"]
    assert {"from": "antony_Blinken", "to": "Antony Blinken"} in q["normalized"]
    assert {"from": "Biden", "to": "Joe Biden"} in q["redirects"]
    pages = q["pages"]
    titles = {p["title"]: (pid, p) for pid, p in pages.items()}
    assert titles["Joe Biden"][1]["fullurl"] == "https://en.wikipedia.org/wiki/Joe_Biden"
    assert "Biden" in titles["Joe Biden"][1]["extract"] and "president" in titles["Joe Biden"][1]["extract"]
    assert titles["Joe Biden"][1]["pageprops"]["wikibase-shortdesc"]
    assert any(c["title"] == "Category:Living people" for c in titles["Joe Biden"][1]["categories"])
    missing_id, missing = titles["No such page here"]
    assert int(missing_id) < 0 and "missing" in missing


def test_disambiguation_links_and_sentences(wiki):
    _, data, _ = get(wiki.url, action="query", titles="Washington", prop="pageprops|links", pllimit="max")
    page = next(iter(data["query"]["pages"].values()))
    assert "disambiguation" in page["pageprops"]
    assert {link["title"] for link in page["links"]} == {"Washington, D.C.", "Washington (state)", "George Washington"}
    _, data, _ = get(wiki.url, action="query", titles="China", prop="extracts", exsentences=1, explaintext=1)
    extract = next(iter(data["query"]["pages"].values()))["extract"]
    assert extract.endswith(".") and extract.count(". ") == 0


def test_search_ranks_exact_then_shared_words_then_summaries(wiki):
    _, data, _ = get(wiki.url, action="query", list="search", srsearch="Hass", srlimit=10)
    titles = [r["title"] for r in data["query"]["search"]]
    assert titles[0] == "Hass"
    assert "Hass avocado" in titles and "Hans Hass" in titles
    _, data, _ = get(wiki.url, action="query", list="search", srsearch="seven-string zither", srlimit=5, srwhat="text")
    assert [r["title"] for r in data["query"]["search"]] == ["Guqin"]


def test_fault_injection(fresh_wiki):
    w = fresh_wiki(ratelimit_rate=1.0, retry_after=7)
    status, _, headers = get(w.url, action="query", titles="China")
    assert status == 429 and headers["Retry-After"] == "7"
    w.faults.update({"ratelimit_rate": 0.0, "error_rate": 1.0})
    assert get(w.url, action="query", titles="China")[0] == 500
    w.faults.update({"error_rate": 0.0, "garbage_rate": 1.0})
    with urllib.request.urlopen(w.url + "?action=query&titles=China&format=json", timeout=5) as r:
        body = r.read()
    try:
        json.loads(body)
        raise AssertionError("garbage answer parsed as JSON")
    except ValueError:
        pass
    assert w.stats.as_dict()["faults"] == 3


def test_command_line_prints_its_url_first():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.wiki_server", "--pages", "tests/fixtures/wiki/pages.json", "--latency-ms", "5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/w/api.php")
        status, data, _ = get(url, action="query", meta="siteinfo")
        assert data["query"]["general"]["servername"] == "en.wikipedia.org"
    finally:
        proc.terminate()
        proc.wait(5)
