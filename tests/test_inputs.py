"""Hostile input: bad files, odd text, wiki faults. Clear reasons, no crash, nothing lost."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linker.articles import MAX_BYTES, decode, load_articles
from linker.model import Article
from linker.ner import mentions_from_doc
from linker.pipeline import Linker
from linker.wiki import MemoryStore, WikiGateway, normalize_title
from tests.conftest import ROOT, SAMPLES, enough_linked, gloss, gloss_popen, start_wiki, warm_linked
from tui.article_view import wrap
from tui.text import visible


def test_bad_files_get_a_reason_and_the_others_still_open(tmp_path, monkeypatch):
    good = tmp_path / "good.txt"
    good.write_text("Angela Merkel visited Paris.", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\t\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "latin1.txt").write_bytes("Café owners in Zürich met François Hollande.".encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes("\ufeffOlaf Scholz spoke in Berlin.".encode("utf-16-le").replace(b"\xff\xfe\xff\xfe", b"\xff\xfe"))
    (tmp_path / "huge.txt").write_bytes(b"word " * (MAX_BYTES // 5 + 10))
    (tmp_path / "longline.md").write_text("Berlin " * 50_000, encoding="utf-8")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "locked.txt").write_text("secret", encoding="utf-8")
    original = os.open

    def guarded_open(path, flags, *args, **kwargs):  # tests run as root, who may read anything
        if os.fspath(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied")
        return original(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)
    articles, problems = load_articles([tmp_path])
    opened = {a.doc for a in articles}
    assert {"good.txt", "latin1.txt", "utf16.txt", "longline.md"} <= opened
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert reasons["empty.txt"] == "empty file" and reasons["blank.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "too large" in reasons["huge.txt"]
    assert "permission denied" in reasons["locked.txt"]
    assert "Latin-1" in reasons["latin1.txt"]
    assert next(a for a in articles if a.doc == "latin1.txt").text.startswith("Café")
    assert next(a for a in articles if a.doc == "utf16.txt").text == "Olaf Scholz spoke in Berlin."
    assert all("\n" not in str(p) for p in problems)


def test_a_folder_with_thousands_of_files(tmp_path):
    for i in range(3000):
        (tmp_path / f"{i:05}.txt").write_text(f"Story {i} about Berlin.", encoding="utf-8")
    started = time.monotonic()
    articles, problems = load_articles([tmp_path])
    assert len(articles) == 3000 and not problems
    assert time.monotonic() - started < 10


def test_cli_reports_bad_paths_in_one_line_each(tmp_path, wiki):
    (tmp_path / "empty.txt").write_bytes(b"")
    code, out, err = gloss("entities", str(tmp_path), str(tmp_path / "nope.txt"), "--offline", "--cache-dir", str(tmp_path / "c"))
    assert code == 2 and "empty file" in err and "no such file" in err and "no readable articles" in err


hostile_text = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(["\x1b[31m", "\x1b]8;;http://x\x07", "[bold]", "[/]", "[link=http://evil]", "\x00", "\r", "\u202e", "Mr ", "the ", "’s", "-", " "]),
        st.sampled_from(["Angela Merkel", "Paris", "Mr Blinken", "China", "US-China", "Beijing’s Diaoyutai State Guesthouse"]),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_any_text_loads_annotates_and_renders_as_data(text):
    from linker.ner import load_model

    data = text.encode("utf-8", "surrogatepass")
    decoded, _ = decode(data)
    if decoded is None or not decoded.strip():
        return
    article = Article(doc="x.txt", text=decoded.replace("\r\n", "\n").replace("\r", "\n"), title="x")
    nlp = load_model()
    mentions = mentions_from_doc(article, nlp(article.text))
    for m in mentions:
        assert article.text[m.start : m.end] == m.text
    # Offline, with a page for every name in the store: the scorer runs on hostile names and contexts too.
    gateway = WikiGateway(store=MemoryStore(), offline=True)
    for m in mentions:
        title = normalize_title(m.text)
        if title and "|" not in title:
            gateway.store.set(
                "page",
                gateway.key(title),
                {
                    "title": title,
                    "missing": False,
                    "description": "",
                    "extract": f"{title} is a name.",
                    "url": "",
                    "length": 20,
                    "disambiguation": False,
                    "categories": [],
                    "links": [],
                    "aliases": [],
                },
            )
    entities = Linker(gateway).link([article], {"x.txt": mentions})
    assert all(e.status in ("nil", "not_cached", "linked") for e in entities)
    for e in entities:
        assert 0.0 <= e.confidence <= 1.0
        if e.title is not None:
            assert e.status == "linked" and e.summary is not None
    shown = visible(article.text)
    assert len(shown) == len(article.text)
    assert not any(ord(c) < 32 and c != "\n" for c in shown) and "\x1b" not in shown
    from rich.cells import cell_len

    for a, b in wrap(shown, 40):  # what the view does: one rule for measuring and drawing
        assert 0 <= a <= b <= len(article.text)
        assert cell_len(shown[a:b].rstrip()) <= 40, repr(shown[a:b])


def test_wiki_faults_end_in_bounded_time_and_later_warm_fills_gaps(tmp_path, fresh_wiki):
    """Hangs, 429 storms with Retry-After, 5xx and garbage, then a healthy wiki."""
    w = fresh_wiki(hang_rate=0.05, hang_seconds=30, ratelimit_rate=0.3, retry_after=1, error_rate=0.15, garbage_rate=0.1, seed=5)
    cache = str(tmp_path / "c")
    try:
        started = time.monotonic()
        code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache, "--timeout", "2")
        took = time.monotonic() - started
        faults = w.stats.as_dict()["faults"]
        assert took < 120 and faults > 5
        assert "warmed 5 articles" in out and "Traceback" not in err
        w.faults.update({"hang_rate": 0, "ratelimit_rate": 0, "error_rate": 0, "garbage_rate": 0})
        code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache)
        assert code == 0, err
        code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", w.url, "--cache-dir", cache)
        ents = json.loads(out)["entities"]
        linked = [e for e in ents if e["title"]]
        assert all(e["summary"] for e in linked) and enough_linked(len(linked))
    finally:
        w.server.shutdown()


def test_odd_pages_huge_extracts_and_self_linking_disambiguation(tmp_path):
    pages = {
        "site": "en.wikipedia.org",
        "pages": [
            {
                "title": "Zoë Ångström-Ñúñez",
                "pageid": 9000,
                "description": "Fictional scientist (born 1970)",
                "summary": "Zoë Ångström-Ñúñez is a scientist. " + "x" * 5_000_000,
                "categories": ["Living people", "1970 births"],
                "redirects_from": ["Zoe Angstrom"],
                "disambiguation": False,
                "links": [],
            },
            {
                "title": "Loop",
                "pageid": 9001,
                "description": "Topics referred to by the same term",
                "summary": "Loop may refer to:",
                "categories": ["Disambiguation pages"],
                "redirects_from": [],
                "disambiguation": True,
                "links": ["Loop", "Loop (disambiguation)"],
            },
            {
                "title": "Loop (disambiguation)",
                "pageid": 9002,
                "description": "",
                "summary": "",
                "categories": ["Disambiguation pages"],
                "redirects_from": [],
                "disambiguation": True,
                "links": ["Loop"],
            },
        ],
    }
    f = tmp_path / "odd.json"
    f.write_text(json.dumps(pages), encoding="utf-8")
    doc = tmp_path / "odd.txt"
    doc.write_text("Zoë Ångström-Ñúñez spoke about Loop in Stockholm. Ångström-Ñúñez smiled.", encoding="utf-8")
    w = start_wiki([f])
    try:
        code, out, err = gloss("entities", str(doc), "--wiki-api", w.url, "--cache-dir", str(tmp_path / "c"), "--json")
    finally:
        w.server.shutdown()
    assert code == 0, err
    ents = json.loads(out)["entities"]
    zoe = [e for e in ents if e["title"] == "Zoë Ångström-Ñúñez"]
    assert zoe and len(zoe[0]["summary"]["extract"]) <= 20_000
    # A disambiguation page listing itself offers no page: "Loop" is no article, and nothing links to a list page.
    loop = [e for e in ents if any(m["text"] == "Loop" for m in e["mentions"])]
    assert loop and all(e["title"] is None and e["status"] == "nil" for e in loop)
    assert not any(e["title"] in ("Loop", "Loop (disambiguation)") for e in ents)


def test_interrupted_warm_leaves_a_consistent_cache(tmp_path, fresh_wiki):
    w = fresh_wiki(latency_ms=1500)
    cache = tmp_path / "c"
    try:
        proc = gloss_popen("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", str(cache))
        end = time.monotonic() + 60
        while w.stats.as_dict()["requests"] < 2 and time.monotonic() < end:  # annotated, now fetching
            time.sleep(0.1)
        time.sleep(1.0)
        assert proc.poll() is None, "the warm ended before the signal: nothing was interrupted"
        proc.send_signal(2)
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err
        assert proc.returncode == 130 and "interrupted" in err, (proc.returncode, err)  # the signal landed
        code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", str(cache))
        assert code == 0, err
        assert enough_linked(warm_linked(out))
    finally:
        w.server.shutdown()


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/bin/mount"), reason="needs root to mount a tiny tmpfs")
def test_full_disk_gives_a_clear_message_and_keeps_the_cache(tmp_path, warmed):
    from cache.bundle import export
    from cache.store import Store

    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount tmpfs here")
    try:
        bundle = tmp_path / "b.gloss"
        gloss("cache", "export", str(bundle), "--cache-dir", str(warmed))
        gloss("cache", "import", str(bundle), "--cache-dir", str(mnt / "cache"), check=True)
        before = sum(1 for _ in Store(mnt / "cache").entries())
        # Fill the disk, then try to add more.
        with open(mnt / "filler", "wb", buffering=0) as f:  # unbuffered: closing has nothing left to write
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        big = Store(tmp_path / "big")
        for i in range(5000):
            big.set("alias", f"en.wikipedia.org|en|Name {i}", f"Title {i} " + "x" * 200)
        big.close()
        export(Store(tmp_path / "big"), tmp_path / "big.gloss")
        code, out, err = gloss("cache", "import", str(tmp_path / "big.gloss"), "--cache-dir", str(mnt / "cache"))
        assert code != 0 and "Traceback" not in err and ("full" in err or "No space" in err), err
        # The full disk left the cache as it was: it opens and reads what it held.
        code, out, err = gloss("cache", "stats", "--cache-dir", str(mnt / "cache"))
        assert code == 0, err
        assert int(out.split(": ", 1)[1].split(" entries")[0]) >= before
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/bin/mount"), reason="needs root for a read-only bind mount")
def test_a_read_only_cache_is_read(tmp_path, warm_copy, wiki):
    """A team's shared cache the user may not write (here a read-only mount, which stops root too)."""
    from cache.store import Store

    Store(warm_copy).close()  # closed cleanly: no WAL files beside it, which SQLite cannot make on read-only media
    assert not (warm_copy / "cache.db-shm").exists()
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "--bind", str(warm_copy), str(ro)], capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        code, out, err = gloss("entities", str(SAMPLES), "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", str(ro))
        assert code == 0, err
        linked = [e for e in json.loads(out)["entities"] if e["title"]]
        assert enough_linked(len(linked)) and all(e["summary"] for e in linked)
        assert "read-only" in err  # said once: what is learnt now is not kept
        code, out, err = gloss("cache", "stats", "--cache-dir", str(ro))
        assert code == 0 and "entries" in out
        code, out, err = gloss("cache", "clear", "--yes", "--cache-dir", str(ro))
        assert code != 0 and "read-only" in err and "Traceback" not in err
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)


def test_interrupted_import_leaves_a_readable_cache_and_can_be_redone(tmp_path):
    from cache.bundle import export
    from cache.store import Store

    big = Store(tmp_path / "big")
    for i in range(20000):
        big.set("alias", f"en.wikipedia.org|en|Name {i}", f"Title {i}")
    big.close()
    bundle = tmp_path / "big.gloss"
    export(Store(tmp_path / "big"), bundle)
    target = tmp_path / "target"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "cache", "import", str(bundle), "--cache-dir", str(target)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Signal once the import is writing (rows are arriving), however fast this machine is.
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            db = sqlite3.connect(f"file:{target / 'cache.db'}?mode=ro", uri=True, timeout=1)
            rows = db.execute("SELECT COUNT(*) FROM Cache").fetchone()[0]
            db.close()
        except sqlite3.Error:
            rows = 0
        if rows > 100:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import ended before the signal: nothing was interrupted"
    proc.send_signal(2)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and proc.returncode == 130, (proc.returncode, err)
    store = Store(target)
    entries = list(store.entries())
    assert all(v.startswith("Title ") for _, _, v, _ in entries)
    store.close()
    code, out, err = gloss("cache", "import", str(bundle), "--cache-dir", str(target))
    assert code == 0 and len(list(Store(target).entries())) == 20000
