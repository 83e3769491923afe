"""Hostile input, round 2: a dripping or bombing wiki, escapes in data, odd files and caches."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from linker.wiki import FAILED, MemoryStore, WikiGateway
from tests.conftest import ROOT, SAMPLES, start_wiki


def test_a_wiki_that_drips_is_cut_off_and_a_slow_search_is_remembered():
    """The timeout bounds the whole answer, not each read; a search that timed out is not asked again soon."""
    w = start_wiki(drip_rate=1.0)
    try:
        gw = WikiGateway(w.url, MemoryStore(), timeout=2.0)
        started = time.monotonic()
        assert gw.search("Ruritania") == FAILED
        assert time.monotonic() - started < 6 and w.stats.requests == 1  # one try, cut off after ~2 s
        assert gw.search("Ruritania") == FAILED and w.stats.requests == 1  # remembered: no second try
        gw.close()
    finally:
        w.server.shutdown()


def test_a_gzip_bomb_is_refused_while_it_streams(tmp_path):
    """200 kB that unpack to 200 MB: refused at the answer cap, the process stays small."""
    w = start_wiki(bomb_rate=1.0)
    probe = (
        "import resource, sys\n"
        "from linker.wiki import MemoryStore, WikiGateway\n"
        f"gw = WikiGateway({w.url!r}, MemoryStore(), timeout=20.0, retries=0)\n"
        "print(gw.search('Ruritania'))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    try:
        r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    finally:
        w.server.shutdown()
    assert r.returncode == 0, r.stderr
    status, peak_mb = r.stdout.split()
    assert status == FAILED and int(peak_mb) <= 120, r.stdout
