"""Shared fixtures: real wiki servers on 127.0.0.1, temporary caches, a warmed cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.wiki_server import Faults, Stats, serve

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLD = FIXTURES / "gold" / "seeds.jsonl"
MINI = FIXTURES / "mini"
GLOSS = [sys.executable, "-m", "tui.cli"]


@dataclass
class Wiki:
    url: str
    stats: Stats
    faults: Faults
    server: object

    def reset(self) -> None:
        self.faults.update({"latency_ms": 0, "error_rate": 0.0, "ratelimit_rate": 0.0, "hang_rate": 0.0, "garbage_rate": 0.0})
        with self.stats.lock:
            self.stats.requests = self.stats.max_in_flight = self.stats.faults = 0


def start_wiki(pages: list[Path] | None = None, **faults) -> Wiki:
    """A wiki serving the given page files; by default all of them together, as the real one would."""
    from tests.stories import PAGE_FILES

    server, stats, f = serve(pages or PAGE_FILES, **faults)
    return Wiki(f"http://127.0.0.1:{server.server_address[1]}/w/api.php", stats, f, server)


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


@pytest.fixture(scope="session")
def warmed(tmp_path_factory, wiki) -> Path:
    """A cache with the samples warmed against the test wiki (copy it before changing it)."""
    path = tmp_path_factory.mktemp("warmed") / "cache"
    gloss("warm", str(SAMPLES), "--wiki-api", wiki.url, "--cache-dir", str(path), check=True)
    return path


@pytest.fixture
def warm_copy(warmed, tmp_path) -> Path:
    dest = tmp_path / "warm-cache"
    shutil.copytree(warmed, dest)
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
