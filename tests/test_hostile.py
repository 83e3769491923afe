"""Hostile input, round 2: a dripping or bombing wiki, escapes in data, odd files and caches."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from linker.wiki import FAILED, MemoryStore, WikiGateway
from tests.conftest import GLOSS, ROOT, SAMPLES, gloss_proc, start_wiki


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


def test_options_are_checked_before_anything_runs(tmp_path):
    for args, word in (
        (["--timeout", "nan"], "timeout"), (["--timeout", "-1"], "timeout"), (["--timeout", "inf"], "timeout"),
        (["--max-age", "nan"], "age"), (["--max-age", "-3"], "age"),
        (["--wiki-api", "ftp://example.org/api.php"], "wiki API URL"), (["--wiki-api", "http://exa mple.org/api.php"], "wiki API URL"),
        (["--wiki-api", "http://example.org:99999x/api.php"], "wiki API URL"), (["--wiki-api", "http://\x1b]0;x\x07/api.php"], "wiki API URL"),
    ):
        r = gloss_proc("entities", str(SAMPLES), "--offline", "--cache-dir", str(tmp_path / "c"), *args)
        assert r.returncode == 2 and word in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert "\x1b" not in r.stderr and "\x07" not in r.stderr


def test_the_reader_without_a_terminal_refuses_at_once(tmp_path):
    r = subprocess.run(GLOSS + [str(SAMPLES), "--offline", "--cache-dir", str(tmp_path / "c")], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert r.returncode == 2 and "needs a terminal" in r.stderr and "gloss entities" in r.stderr
    assert "\x1b" not in r.stdout


def test_a_fifo_is_refused_not_waited_for(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "real.txt").write_text("Ada Lindqvist visited Ruritania on Monday.\n")
    os.mkfifo(folder / "x.txt")
    started = time.monotonic()
    for target in (folder, folder / "x.txt"):
        r = gloss_proc("entities", str(target), "--offline", "--cache-dir", str(tmp_path / "c"), timeout=60)
        assert "not a regular file" in r.stderr and "no such file" not in r.stderr, r.stderr
    assert time.monotonic() - started < 60


def test_escapes_in_file_names_and_titles_never_reach_the_terminal(tmp_path, warmed, wiki):
    """A file name with ESC and BEL, and an odd bytes name: printed as visible symbols."""
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "\x1b]0;pwned\x07.txt").write_bytes(b"")  # empty: reported by name
    (folder.joinpath(os.fsdecode(b"caf\xe9.txt"))).write_bytes(b"")  # a name that is not UTF-8
    (folder / "ok.txt").write_text("Wang Yi met Antony Blinken in Beijing.\n")
    r = subprocess.run(GLOSS + ["entities", str(folder), "--offline", "--wiki-api", wiki.url, "--cache-dir", str(warmed)],
                       capture_output=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    for stream in (r.stdout, r.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream
    assert "␛]0;pwned␇.txt".encode() in r.stderr and b"Traceback" not in r.stderr
