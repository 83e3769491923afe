"""The cache: JSON only, bundles, offline, freshness, failures, sharing between processes."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cache.bundle import export, import_bundle, read_bundle
from cache.store import Store
from tests.conftest import ROOT, SAMPLES, copy_cache, enough_linked, gloss, gloss_popen, gloss_proc, gold_titles, warm_linked


def snapshot(path: Path) -> dict:
    store = Store(path)
    try:
        return {(k, key): (v, t) for k, key, v, t in store.entries()}
    finally:
        store.close()


def linked_with_summaries(out: str) -> tuple[int, int]:
    ents = json.loads(out)["entities"]
    linked = [e for e in ents if e["title"]]
    return len(linked), sum(1 for e in linked if e["summary"] and e["summary"]["extract"])


class Payload:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_values_are_json_on_disk(wiki, warmed):
    db = sqlite3.connect(warmed / "cache.db")
    modes = {m for (m,) in db.execute("SELECT DISTINCT mode FROM Cache")}
    db.close()
    assert modes <= {1, 2}  # raw and binary: what JSONDisk writes; never the serialised-object mode


def test_crafted_payload_in_bundle_and_cache_runs_nothing(tmp_path, warm_copy):
    import pickle

    marker = tmp_path / "pwned"
    before = snapshot(warm_copy)
    evil = tmp_path / "evil.gloss"
    evil.write_bytes(gzip.compress(pickle.dumps(Payload(str(marker)))))
    code, _, err = gloss("cache", "import", str(evil), "--cache-dir", str(warm_copy))
    assert code == 1 and "not valid JSON" in err and "unchanged" in err
    raw = tmp_path / "raw.gloss"
    raw.write_bytes(pickle.dumps(Payload(str(marker))))
    assert gloss("cache", "import", str(raw), "--cache-dir", str(warm_copy))[0] == 1
    # A row whose value is a serialised object, planted in the cache database itself, is refused too.
    store = Store(warm_copy)
    store.set("page", "en.wikipedia.org|en|Evil", {"title": "Evil", "missing": True})
    store.close()
    db = sqlite3.connect(warm_copy / "cache.db")
    db.execute("UPDATE Cache SET mode = 4, value = ? WHERE rowid = (SELECT MAX(rowid) FROM Cache)", (pickle.dumps(Payload(str(marker))),))
    db.commit()
    db.close()
    store = Store(warm_copy)
    assert store.get("page", "en.wikipedia.org|en|Evil") is None
    assert len(list(store.entries())) == len(before)
    store.close()
    assert not marker.exists()
    after = snapshot(warm_copy)
    assert {k: v for k, v in after.items() if k[1] != "en.wikipedia.org|en|Evil"} == before


def test_bundle_round_trip_then_offline_without_network(wiki, warmed, tmp_path):
    bundle = tmp_path / "b.gloss"
    code, out, _ = gloss("cache", "export", str(bundle), "--cache-dir", str(warmed))
    assert code == 0 and bundle.stat().st_size > 1000
    second = tmp_path / "second"
    assert gloss("cache", "import", str(bundle), "--cache-dir", str(second))[0] == 0
    code, out, err = gloss("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", wiki.url, "--cache-dir", str(second))
    linked, with_summary = linked_with_summaries(out)
    assert linked >= 40 and with_summary == linked


def test_partial_bundle_has_what_the_articles_need(wiki, warmed, tmp_path):
    one = SAMPLES / "003_2a14725d733e4992.txt"
    bundle = tmp_path / "part.gloss"
    assert gloss("cache", "export", str(bundle), str(one), "--wiki-api", wiki.url, "--cache-dir", str(warmed))[0] == 0
    full = tmp_path / "full.gloss"
    gloss("cache", "export", str(full), "--cache-dir", str(warmed))
    assert 0 < len(read_bundle(bundle)) < len(read_bundle(full))
    other = tmp_path / "other"
    gloss("cache", "import", str(bundle), "--cache-dir", str(other))
    code, out, _ = gloss("entities", str(one), "--offline", "--json", "--wiki-api", wiki.url, "--cache-dir", str(other))
    linked, with_summary = linked_with_summaries(out)
    assert linked > 10 and with_summary == linked


def test_partial_export_for_another_wiki_refuses_naming_the_wiki(wiki, warmed, tmp_path):
    """Articles linked with a local wiki, exported without naming it: a message, never a near-empty bundle."""
    bundle = tmp_path / "part.gloss"
    code, out, err = gloss("cache", "export", str(bundle), str(SAMPLES), "--cache-dir", str(warmed))
    assert code == 1 and not bundle.exists()
    assert "--wiki-api http://127.0.0.1:" in err and "not cached" in err and "nothing written" in err


def _rewrite(bundle: Path, out: Path, change) -> Path:
    doc = json.loads(gzip.decompress(bundle.read_bytes()))
    change(doc)
    out.write_bytes(gzip.compress(json.dumps(doc).encode()))
    return out


def test_bad_bundles_are_refused_and_leave_the_cache_alone(wiki, warmed, warm_copy, tmp_path):
    good = tmp_path / "good.gloss"
    gloss("cache", "export", str(good), "--cache-dir", str(warmed))
    data = good.read_bytes()
    bad = {
        "truncated": data[: len(data) // 2],
        "garbage": os.urandom(3000),
        "empty": b"",
    }
    for name, blob in bad.items():
        (tmp_path / name).write_bytes(blob)

    def tamper(doc):
        doc["entries"][0][2] = "tampered"

    def newer(doc):
        doc["version"] = 99

    def wrong_types(doc):
        from cache.bundle import _digest

        doc["entries"][0][3] = "yesterday"
        doc["sha256"] = _digest(doc["entries"])

    def foreign(doc):
        doc["format"] = "something-else"

    files = [tmp_path / n for n in bad] + [
        _rewrite(good, tmp_path / "tamper.gloss", tamper),
        _rewrite(good, tmp_path / "newer.gloss", newer),
        _rewrite(good, tmp_path / "types.gloss", wrong_types),
        _rewrite(good, tmp_path / "foreign.gloss", foreign),
        tmp_path / "missing.gloss",
    ]
    before = snapshot(warm_copy)
    messages = []
    for f in files:
        code, out, err = gloss("cache", "import", str(f), "--cache-dir", str(warm_copy))
        assert code == 1, f
        assert "unchanged" in err and "Traceback" not in err
        messages.append(err)
    assert any("checksum" in m for m in messages)
    assert any("newer gloss" in m for m in messages)
    assert any("wrong shape" in m for m in messages)
    assert snapshot(warm_copy) == before


def test_import_merges_newer_entries(tmp_path):
    a, b = Store(tmp_path / "a"), Store(tmp_path / "b")
    a.set("alias", "k1", "old", when=100.0)
    a.set("alias", "k2", "mine", when=300.0)
    b.set("alias", "k1", "new", when=200.0)
    b.set("alias", "k2", "theirs", when=250.0)
    export(b, tmp_path / "b.gloss")
    r = import_bundle(a, tmp_path / "b.gloss")
    assert (a.get("alias", "k1")[0], a.get("alias", "k2")[0]) == ("new", "mine")
    assert r["updated"] == 1 and r["kept"] == 1


def test_second_warm_makes_no_requests(fresh_wiki, tmp_path):
    w = fresh_wiki()
    cache = str(tmp_path / "c")
    code, out, _ = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache)
    assert code == 0 and enough_linked(warm_linked(out))
    first = w.stats.as_dict()["requests"]
    code, out, _ = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache)
    assert code == 0 and "requests 0" in out and w.stats.as_dict()["requests"] == first


def test_failures_are_not_cached_as_missing_and_a_later_warm_fills_gaps(fresh_wiki, tmp_path):
    w = fresh_wiki(error_rate=0.5, garbage_rate=0.2, seed=11)
    cache = str(tmp_path / "c")
    started = time.monotonic()
    code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache, "--timeout", "2")
    assert time.monotonic() - started < 90
    assert code == 1 and "failures" in out
    store = Store(cache)
    missing = [k for kind, k, v, _ in store.entries() if kind == "page" and v.get("missing")]
    store.close()
    # Only titles the wiki really lacks are cached as missing: never a page of the gold.
    real = set(gold_titles())
    assert not [k for k in missing if k.rsplit("|", 1)[-1] in real]
    w.reset()
    code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache)
    assert code == 0, err
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", w.url, "--cache-dir", cache)
    linked, summarised = linked_with_summaries(out)
    assert linked == summarised and enough_linked(linked)


def test_a_page_the_wiki_fails_on_is_never_shown_as_no_article(fresh_wiki, tmp_path):
    """Every request about one page answers 500, the rest are fine: the warm names it as not linked now, it reads as
    still to fetch (never "no article"), and the next warm mends it."""
    w = fresh_wiki(fail_matching="Diaoyutai")
    cache = str(tmp_path / "c")
    code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache, "--timeout", "2")
    assert code == 1 and "could not be linked now" in err and "Diaoyutai" in err
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", w.url, "--cache-dir", cache)
    status = {e["name"]: e["status"] for e in json.loads(out)["entities"]}
    assert status["Diaoyutai State Guesthouse"] == "not_cached"  # the failure was not kept: offline, it is still to fetch
    code, text, _ = gloss("entities", str(SAMPLES), "--offline", "--wiki-api", w.url, "--cache-dir", cache)
    line = next(line for line in text.splitlines() if "Diaoyutai State Guesthouse" in line)
    assert "(not cached yet: run gloss warm)" in line and "(no article)" not in line
    w.faults.update({"fail_matching": ""})
    code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", cache)
    assert code == 0, err
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", w.url, "--cache-dir", cache)
    mended = {e["name"]: e for e in json.loads(out)["entities"]}
    assert mended["Diaoyutai State Guesthouse"]["title"] == "Diaoyutai State Guesthouse"
    # Nothing the failure touched was kept as "no article": the names that are no article now were no article then.
    assert {n for n, e in mended.items() if e["status"] == "nil"} >= {n for n, s in status.items() if s == "nil"}


def test_missing_titles_are_cached_as_missing(fresh_wiki, tmp_path):
    w = fresh_wiki()
    from linker.wiki import WikiGateway

    store = Store(tmp_path / "c")
    gw = WikiGateway(w.url, store=store)
    assert gw.lookup(["Bonnie Glaser"])["Bonnie Glaser"].missing is True
    gw2 = WikiGateway(w.url, store=store, offline=True)
    assert gw2.lookup(["Bonnie Glaser"])["Bonnie Glaser"].missing is True


def test_offline_never_opens_a_socket(wiki, warmed, monkeypatch, tmp_path):
    attempts = []

    def guard(self, *args, **kwargs):
        attempts.append(args)
        raise OSError("network use in offline mode")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket.socket, "connect_ex", guard)
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", wiki.url, "--cache-dir", str(warmed))
    assert code == 0 and enough_linked(linked_with_summaries(out)[0])
    # A cold cache offline: misses say "not cached yet", never "no article".
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--wiki-api", wiki.url, "--cache-dir", str(tmp_path / "empty"))
    assert "not cached yet" in out and "(no article)" not in out
    assert attempts == []


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare")
def test_offline_under_unshare_and_strace(wiki, warmed, tmp_path):
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    r = gloss_proc("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", wiki.url, "--cache-dir", str(warmed), prefix=["unshare", "-n"])
    assert r.returncode == 0, r.stderr
    linked, summarised = linked_with_summaries(r.stdout)
    assert linked == summarised and enough_linked(linked)
    # Without --offline and without a network: one clear notice, the cache still serves.
    r = gloss_proc("entities", str(SAMPLES), "--cache-dir", str(tmp_path / "cold"), prefix=["unshare", "-n"], timeout=60)
    assert r.returncode == 0 and r.stderr.count("cannot reach") == 1 and "Traceback" not in r.stderr
    if not shutil.which("strace"):
        pytest.skip("strace is missing: the connect() proof did not run (.ci/run installs it; on CI this fails)")
    log = tmp_path / "strace.txt"
    r = gloss_proc(
        "entities",
        str(SAMPLES),
        "--offline",
        "--wiki-api",
        wiki.url,
        "--cache-dir",
        str(warmed),
        prefix=["strace", "-f", "-e", "trace=connect", "-o", str(log)],
    )
    assert r.returncode == 0
    trace = log.read_text()
    assert "connect(" in trace or "+++ exited" in trace  # strace did trace the run
    assert "AF_INET" not in trace


def test_stale_entries_are_refreshed_by_an_online_warm(fresh_wiki, warm_copy):
    w = fresh_wiki()
    store = Store(warm_copy)
    for kind, key, value, _ in list(store.entries()):
        if kind in ("page", "alias", "search"):
            store.set(kind, key, value, when=time.time() - 60 * 86400)
    store.close()
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--wiki-api", w.url, "--cache-dir", str(warm_copy))
    assert code == 0 and "Wang Yi" in out
    code, out, _ = gloss("warm", str(SAMPLES), "--wiki-api", w.url, "--cache-dir", str(warm_copy), "--max-age", "30")
    assert code == 0 and w.stats.as_dict()["requests"] > 5


def test_stats_and_clear(warm_copy):
    code, out, _ = gloss("cache", "stats", "--cache-dir", str(warm_copy))
    assert code == 0 and "page" in out and "annotation" in out and "oldest" in out
    before = gloss("cache", "stats", "--cache-dir", str(warm_copy))[1]
    # No terminal to ask: nothing is cleared (link fixes are in there too) without --yes.
    r = gloss_proc("cache", "clear", "--cache-dir", str(warm_copy))
    assert r.returncode == 2 and "--yes" in r.stderr
    assert gloss("cache", "stats", "--cache-dir", str(warm_copy))[1] == before
    code, out, _ = gloss("cache", "clear", "--yes", "--cache-dir", str(warm_copy))
    assert code == 0
    assert "0 entries" in gloss("cache", "stats", "--cache-dir", str(warm_copy))[1]


def test_corrupt_cache_directory_gets_a_clear_message(tmp_path):
    bad = tmp_path / "bad"
    assert gloss_proc("cache", "stats", "--cache-dir", str(bad)).returncode == 0  # a gloss cache, marked as such
    (bad / "cache.db").write_bytes(b"this is not a database" * 100)
    (bad / "notes.txt").write_text("mine")
    r = gloss_proc("entities", str(SAMPLES), "--offline", "--cache-dir", str(bad))
    assert r.returncode == 2 and "gloss cache clear" in r.stderr and "Traceback" not in r.stderr
    r = gloss_proc("cache", "clear", "--yes", "--cache-dir", str(bad))
    assert r.returncode == 0 and "removed the damaged cache" in r.stdout
    assert gloss_proc("cache", "stats", "--cache-dir", str(bad)).returncode == 0
    assert (bad / "notes.txt").read_text() == "mine"


def test_clear_never_deletes_what_is_not_glosss(tmp_path):
    """A folder that is not a gloss cache keeps every file, whatever their names."""
    mine = tmp_path / "mine"
    (mine / "ab").mkdir(parents=True)
    (mine / "ab" / "photo.jpg").write_bytes(b"\xff\xd8")
    (mine / "cache.db").write_bytes(b"someone else's database" * 10)
    (mine / "cache.db-notes").write_text("keep")
    r = gloss_proc("cache", "clear", "--yes", "--cache-dir", str(mine))
    assert r.returncode == 1 and "not marked as a gloss cache" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in mine.rglob("*")) == ["ab", "cache.db", "cache.db-notes", "photo.jpg"]


def test_garbage_inside_the_database_is_cleared(tmp_path):
    """A cache.db whose pages are damaged after its header: clear still works."""
    d = tmp_path / "c"
    assert gloss("cache", "stats", "--cache-dir", str(d))[0] == 0
    from cache.store import Store

    st = Store(d)
    for n in range(2000):
        st.set("page", f"x|en|T{n}", {"title": f"T{n}", "extract": "y" * 200})
    st.close()
    db = d / "cache.db"
    raw = bytearray(db.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 20000] = b"\x07garbage" * 2500
    db.write_bytes(bytes(raw))
    r = gloss_proc("cache", "stats", "--cache-dir", str(d))
    # Where the garbage landed decides whether the whole still reads; if not, the message names the fix.
    assert "Traceback" not in r.stderr and (r.returncode == 0 or "gloss cache clear" in r.stderr), r.stderr
    r = gloss_proc("cache", "clear", "--yes", "--cache-dir", str(d))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    r = gloss_proc("cache", "stats", "--cache-dir", str(d))
    assert r.returncode == 0 and "0 entries" in r.stdout


READER = """
import sys, time
from cache.store import Store
from cache.library import Library
from linker.articles import load_articles
arts, _ = load_articles([sys.argv[2]])
end = time.time() + float(sys.argv[3])
n = 0
while time.time() < end:
    lib = Library(Store(sys.argv[1]), offline=True)
    out = lib.entities(arts)
    assert len(out.entities) > 10
    n += 1
print(n)
"""


def test_four_readers_and_a_warm_share_one_cache(wiki, warmed, tmp_path):
    cache = tmp_path / "shared"
    copy_cache(warmed, cache)
    extra = tmp_path / "more"
    extra.mkdir()
    for p in SAMPLES.glob("*.txt"):  # new articles for the warm to add while others read
        (extra / ("copy-" + p.name)).write_text(p.read_text(encoding="utf-8") + "\nAn extra line.\n", encoding="utf-8")
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(cache), str(SAMPLES), "6"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    warm = gloss_popen("warm", str(extra), "--wiki-api", wiki.url, "--cache-dir", str(cache))
    outs = [p.communicate(timeout=120) for p in readers]
    wout, werr = warm.communicate(timeout=120)
    assert warm.returncode == 0, werr
    for p, (out, err) in zip(readers, outs):
        assert p.returncode == 0, err
        assert int(out.strip()) >= 1
    code, out, _ = gloss("entities", str(extra), "--offline", "--json", "--wiki-api", wiki.url, "--cache-dir", str(cache))
    assert linked_with_summaries(out)[1] >= 40


def test_damaged_rows_read_as_misses_and_a_warm_mends_them(tmp_path, warm_copy, wiki):
    """Rows whose bytes were damaged (bad zlib, wrong types): no traceback, read as 'not cached', refilled by warm."""
    import sqlite3

    db = sqlite3.connect(warm_copy / "cache.db")
    rows = db.execute("SELECT rowid FROM Cache ORDER BY rowid").fetchall()
    for (rowid,) in rows[::3]:
        db.execute("UPDATE Cache SET value = ? WHERE rowid = ?", (b"\x78\x9c not zlib at all", rowid))
    for (rowid,) in rows[1::7]:
        db.execute("UPDATE Cache SET value = ?, mode = 1 WHERE rowid = ?", (b"[1, 2, 3]", rowid))
    db.commit()
    db.close()
    code, out, err = gloss("entities", str(SAMPLES), "--json", "--offline", "--wiki-api", wiki.url, "--cache-dir", str(warm_copy))
    assert code == 0 and "Traceback" not in err, err
    code, out, err = gloss("warm", str(SAMPLES), "--wiki-api", wiki.url, "--cache-dir", str(warm_copy))
    assert code == 0, err
    assert enough_linked(warm_linked(out))


def test_the_demo_bundle_answers_only_for_its_own_wiki(tmp_path):
    """`make run` imports the demo summaries; they can never pose as Wikipedia's (or any wiki's) pages."""
    cache = str(tmp_path / "c")
    code, _, err = gloss("cache", "import", str(SAMPLES / "demo-bundle.gloss"), "--cache-dir", cache)
    assert code == 0, err
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--json", "--wiki-api", "http://demo.gloss.invalid/w/api.php", "--cache-dir", cache)
    demo = json.loads(out)["entities"]
    assert enough_linked(sum(1 for e in demo if e["title"] and e["summary"]))
    code, out, _ = gloss("entities", str(SAMPLES), "--offline", "--json", "--cache-dir", cache)  # Wikipedia, the default
    assert not any(e["summary"] for e in json.loads(out)["entities"])
