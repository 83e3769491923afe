"""Shared fixtures: real wiki servers on 127.0.0.1, temporary caches, a warmed cache."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.wiki_server import Faults, Stats, serve, serve_proxy

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLD = FIXTURES / "gold" / "seeds.jsonl"
MINI = FIXTURES / "mini"
GLOSS = [sys.executable, "-m", "tui.cli"]


# What the test MediaWiki calls itself in page URLs, whatever port this session serves it on.
REAL_WIKI_SERVER = "http://wiki.gloss.test"


@dataclass
class Wiki:
    url: str
    stats: Stats
    faults: Faults
    server: object
    pages_at: str  # how the URLs of its pages begin

    def reset(self) -> None:
        self.faults.update({"latency_ms": 0, "error_rate": 0.0, "ratelimit_rate": 0.0, "hang_rate": 0.0, "garbage_rate": 0.0})
        with self.stats.lock:
            self.stats.requests = self.stats.max_in_flight = self.stats.faults = 0


_REAL: list = []
_STAND_IN_BECAUSE: list[str] = []


def the_real_wiki():
    """The session's real MediaWiki (Debian's 1.39, padded, every page file), started on first use.

    Without Debian's mediawiki and php-cli installed: a failure on CI, and None elsewhere (the
    tests then run on the imitation, and the summary at the end says so).
    """
    from tests import real_wiki as rw

    if _REAL:
        return _REAL[0]
    if not rw.available():
        why = (
            "Debian's mediawiki and php-cli are not installed "
            "(.ci/run installs them: apt-get install mediawiki php-cli php-sqlite3 php-intl php-mbstring php-xml)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        _STAND_IN_BECAUSE[:] = [why]
        return None
    served = rw.Served(rw.build(), server=REAL_WIKI_SERVER)
    atexit.register(served.stop)
    _REAL.append(served)
    return served


def start_wiki(pages: list[Path] | None = None, **faults) -> Wiki:
    """A wiki for a test: by default the real MediaWiki, behind a proxy of its own that injects the
    given faults.  Given page files, the imitation (tests/wiki_server.py) serves exactly those: for
    what the real one cannot do (page files made for one test, links in an order other than by title)."""
    from tests.stories import PAGE_FILES

    served = the_real_wiki() if pages is None else None
    if served is not None:
        server, stats, f = serve_proxy(served.url, **faults)
        pages_at = f"{REAL_WIKI_SERVER}/index.php/"
    else:
        server, stats, f = serve(pages or PAGE_FILES, **faults)
        pages_at = "https://en.wikipedia.org/wiki/"
    return Wiki(f"http://127.0.0.1:{server.server_address[1]}/w/api.php", stats, f, server, pages_at)


@pytest.fixture(scope="session")
def wiki():
    """The test wiki, shared by the session (tests that inject faults use `fresh_wiki`)."""
    w = start_wiki()
    yield w
    w.server.shutdown()


@pytest.fixture
def fresh_wiki():
    made: list[Wiki] = []

    def make(pages=None, **faults) -> Wiki:
        w = start_wiki(pages, **faults)
        made.append(w)
        return w

    yield make
    for w in made:
        w.server.shutdown()


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


def gloss(*args: str, check: bool = False) -> tuple[int, str, str]:
    """Run the gloss CLI in-process; returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    from tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    if check and code != 0:
        raise AssertionError(f"gloss {' '.join(args)} exited {code}: {err.getvalue()}")
    return code, out.getvalue(), err.getvalue()


def gloss_proc(*args: str, env: dict | None = None, timeout: float = 120, prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    """Run gloss as a separate process."""
    return subprocess.run((prefix or []) + GLOSS + list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


def gloss_popen(*args: str) -> subprocess.Popen:
    """Start gloss as a separate process, its output captured as text (for runs a test interrupts or overlaps)."""
    return subprocess.Popen(GLOSS + list(args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="session")
def warmed(tmp_path_factory, wiki) -> Path:
    """A cache with the samples warmed against the test wiki (copy it before changing it)."""
    path = tmp_path_factory.mktemp("warmed") / "cache"
    gloss("warm", str(SAMPLES), "--wiki-api", wiki.url, "--cache-dir", str(path), check=True)
    return path


def copy_cache(source: Path, dest: Path) -> None:
    """Copy a cache directory in another process.

    This process may hold the source open (an in-process reader). If it opened and closed the
    database's files itself, POSIX would drop every lock SQLite holds on them here, and the next
    writer elsewhere would damage the database (SQLite's "How To Corrupt", 2.2).
    """
    subprocess.run(["cp", "-a", str(source), str(dest)], check=True)


@pytest.fixture
def warm_copy(warmed, tmp_path) -> Path:
    dest = tmp_path / "warm-cache"
    copy_cache(warmed, dest)
    return dest


def gold_titles(gold: Path = GOLD) -> set[str]:
    """The distinct pages the gold links the samples to."""
    import json

    return {d["title"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip() and (d := json.loads(line))["title"]}


def enough_linked(n: int, gold: Path = GOLD) -> bool:
    """At least 95% as many linked entities as the gold has pages (a stated bar, not today's count)."""
    return n >= 0.95 * len(gold_titles(gold))


def warm_linked(out: str) -> int:
    """The "N linked" of a warm's closing line."""
    import re

    m = re.search(r"(\d+) linked", out)
    assert m, out
    return int(m.group(1))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On CI (CI=true) a skip is a failure: every tool the tests need is installed there (.ci/run)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped on CI, where nothing may be skipped: {report.longrepr}"


def pytest_terminal_summary(terminalreporter):
    if _STAND_IN_BECAUSE:
        terminalreporter.write_line(f"NOTE: these tests ran on the imitation wiki, not a real MediaWiki: {_STAND_IN_BECAUSE[0]}", yellow=True, bold=True)


WIKI_FIXTURES = {"wiki", "fresh_wiki", "warmed", "warm_copy", "real_wiki", "plain_wiki"}


def pytest_collection_modifyitems(items):
    """Tests that need no wiki first: `make test` builds the real MediaWiki in the background
    meanwhile (a fresh machine), and the rest wait for it only when they come to it."""
    items.sort(key=lambda item: bool(WIKI_FIXTURES & set(getattr(item, "fixturenames", ()))))


@pytest.fixture(autouse=True)
def _shared_cache_stays_whole(request):
    """The session's warmed cache is shared: a test that leaves it damaged fails itself, not the next ones."""
    yield
    if "warmed" not in request.fixturenames:
        return
    import sqlite3

    path = request.getfixturevalue("warmed") / "cache.db"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    try:
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        db.close()
    assert verdict == "ok", f"this test left the shared warmed cache damaged: {verdict}"
