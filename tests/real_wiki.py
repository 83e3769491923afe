"""A real MediaWiki (Debian's ``mediawiki`` 1.39, SQLite, TextExtracts) built from page files.

``python -m tests.real_wiki build [--plain] [--no-pad]`` builds an instance from
every page file of the tests (``pages.json`` format) and prints its folder;
``python -m tests.real_wiki serve [--plain] [--no-pad] [--port N]`` builds it if
needed and serves it with PHP's built-in server (4 workers) on 127.0.0.1,
printing the API URL first.  Built instances are kept in the user's cache
folder under a hash of everything they are built from, so a test run builds
each kind once.

* Pages become wikitext: the summary is the lead (after ``{{#shortdesc:...}}``),
  then ``[[Category:...]]``; disambiguation pages list their entries as
  ``* [[links]]`` under ``__DISAMBIG__``; ``redirects_from`` become ``#REDIRECT``
  pages.  The two magic words come from our small extension
  ``tests/mediawiki/GlossWikiFeatures`` (as Disambiguator and Wikipedia's short
  descriptions provide them).
* ``--plain`` builds a private wiki without that extension: no disambiguation
  property, no short descriptions.
* Padding (the default) gives pages realistic sizes after the lead, which stays
  as it is: hundreds to a couple of thousand outgoing links (places the most),
  extra redirects, and hidden maintenance categories.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
MEDIAWIKI = Path("/usr/share/mediawiki")
EXTENSION = HERE / "mediawiki" / "GlossWikiFeatures"
HIDDEN = (
    "Articles with short description",
    "Short description is different from Wikidata",
    "All articles with unsourced statements",
    "Use dmy dates from November 2023",
    "Webarchive template wayback links",
    "Pages using infobox with unknown parameters",
)


class RealWikiUnavailable(RuntimeError):
    """Debian's mediawiki and php-cli are not installed (.ci/run installs them)."""


def available() -> bool:
    return (MEDIAWIKI / "maintenance" / "install.php").exists() and shutil.which("php") is not None


def page_files() -> list[Path]:
    from tests.stories import PAGE_FILES

    return list(PAGE_FILES)


def _size_class(page: dict) -> tuple[int, int]:
    """(outgoing links, extra redirects) for a page of this kind: countries and cities have the most.

    Its own rules, not the linker's: the test wiki must not change when the linker does."""
    text = (" | ".join(page.get("categories", [])) + " | " + (page.get("description") or "")).lower()
    if re.search(r"\b(countries|member states|capitals|cities|states of|country in|city in|capital of|u\.s\. state)\b", text):
        return 1500, 25
    if re.search(r"\b(living people|deaths|born \d{4})\b|\(\d{4}[–-]\d{4}\)", text):
        return 150, 3
    if re.search(r"\b(companies|company|organi[sz]ations|agenc(y|ies)|clubs|parties|rivers|regions|continents|universities)\b", text):
        return 400, 8
    return 100, 2


def wikitext(page: dict, plain: bool, pad: bool) -> str:
    lines = []
    if page.get("description") and not plain:
        lines.append("{{#shortdesc:" + page["description"].replace("}}", "") + "}}")
    lines.append(page.get("summary", ""))
    if page.get("disambiguation"):
        lines.append("")
        lines.extend(f"* [[{link}]]" for link in page.get("links", []))
        if not plain:
            lines.append("\n__DISAMBIG__")
    elif pad:
        n_links, _ = _size_class(page)
        lines.append("\n== See also ==")
        lines.extend(f"* [[{page['title']} related topic {i}]]" for i in range(n_links))
    lines.append("")
    lines.extend(f"[[Category:{c}]]" for c in page.get("categories", []))
    if pad and not page.get("disambiguation"):
        lines.extend(f"[[Category:{c}]]" for c in HIDDEN)
    return "\n".join(lines)


def dump(files: list[Path], plain: bool, pad: bool) -> str:
    """A MediaWiki XML export of every page, redirect and hidden category page."""
    out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">']
    seen: set[str] = set()

    def add(title: str, text: str) -> None:
        if title in seen:
            return
        seen.add(title)
        ns = 14 if title.startswith("Category:") else 0
        out.append(
            f"<page><title>{escape(title)}</title><ns>{ns}</ns><revision><timestamp>2023-11-01T00:00:00Z</timestamp>"
            "<contributor><username>Gloss</username><id>1</id></contributor><model>wikitext</model>"
            f'<format>text/x-wiki</format><text xml:space="preserve">{escape(text)}</text></revision></page>'
        )

    pages = [p for f in files for p in json.loads(Path(f).read_text(encoding="utf-8"))["pages"]]
    for page in pages:
        add(page["title"], wikitext(page, plain, pad))
    for page in pages:
        redirects = list(page.get("redirects_from", []))
        if pad and not page.get("disambiguation"):
            redirects += [f"{page['title']} (alternative name {i})" for i in range(_size_class(page)[1])]
        for alias in redirects:
            add(alias, f"#REDIRECT [[{page['title']}]]")
    if pad:
        for c in HIDDEN:
            add(f"Category:{c}", "Maintenance category.\n__HIDDENCAT__")
    out.append("</mediawiki>")
    return "\n".join(out)


def fingerprint(files: list[Path], plain: bool, pad: bool) -> str:
    h = hashlib.sha256()
    for f in [*files, *sorted(EXTENSION.iterdir())]:
        h.update(f.name.encode() + b"\0" + Path(f).read_bytes())
    # The code that turns page files into an instance (not the rest of this file: serving it).
    for part in (_size_class, wikitext, dump, _build):
        h.update(inspect.getsource(part).encode())
    h.update(f"plain={plain} pad={pad}".encode())
    return h.hexdigest()[:16]


def instances_dir() -> Path:
    import platformdirs

    return Path(os.environ.get("GLOSS_TEST_WIKI_DIR") or platformdirs.user_cache_dir("gloss-test-mediawiki", appauthor=False))


def _php(args: list[str], config: Path | None, cwd: Path) -> None:
    env = {**os.environ, **({"MW_CONFIG_FILE": str(config)} if config else {})}
    started = time.monotonic()
    done = subprocess.run(["php", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    if os.environ.get("GLOSS_WIKI_TIMING"):
        print(f"{Path(args[0]).name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"php {' '.join(args[:2])} failed: {(done.stdout + done.stderr)[-2000:]}")


def build(files: list[Path] | None = None, plain: bool = False, pad: bool = True) -> Path:
    """The folder of a built instance (built now unless a finished one is there)."""
    if not available():
        raise RealWikiUnavailable("Debian's mediawiki and php-cli are not installed (.ci/run installs them)")
    files = files or page_files()
    folder = instances_dir() / f"{'plain' if plain else 'wikipedia-like'}-{'padded' if pad else 'lean'}-{fingerprint(files, plain, pad)}"
    if (folder / "complete").exists():
        return folder
    import fcntl

    folder.parent.mkdir(parents=True, exist_ok=True)
    # One builder at a time (`make test` starts one in the background while the other tests run):
    # whoever comes second waits, then finds the instance finished.
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "complete").exists():
            return folder
        built = _build(folder, files, plain, pad)
    _prune(built)
    return built


def _prune(keep: Path, spare: int = 1) -> None:
    """Instances of the same kind built from older page files or code go, but for the newest
    `spare` of them (another checkout may still be serving one)."""
    kind = keep.name.rsplit("-", 1)[0]
    older = sorted(
        (p for p in keep.parent.glob(f"{kind}-*") if p.is_dir() and p != keep and (p / "complete").exists() and "." not in p.name),
        key=lambda p: (p / "complete").stat().st_mtime,
        reverse=True,
    )
    for old in older[spare:]:
        shutil.rmtree(old, ignore_errors=True)
        old.with_name(old.name + ".lock").unlink(missing_ok=True)


def _build(folder: Path, files: list[Path], plain: bool, pad: bool) -> Path:
    work = folder.with_name(folder.name + f".building-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    (work / "data").mkdir(parents=True)
    _php(
        [
            str(MEDIAWIKI / "maintenance" / "install.php"),
            "--dbtype=sqlite",
            f"--dbpath={work / 'data'}",
            "--dbname=wiki",
            "--server=http://127.0.0.1",
            "--scriptpath=",
            "--pass=gloss-test-wiki-2026",
            f"--confpath={work}",
            "--lang=en",
            "Gloss Test Wiki",
            "Admin",
        ],
        None,
        work,
    )
    settings = work / "LocalSettings.php"
    # The data folder relative to the settings, so the finished instance can be renamed into place.
    text = settings.read_text().replace(f'"{work / "data"}"', "__DIR__ . '/data'")
    extra = [
        "",
        "# gloss test wiki",
        "wfLoadExtension( 'TextExtracts' );",
        # The name the wiki gives itself in page URLs: a fixed one when the server is asked for it
        # (the tests, so that a URL does not change with the port), else the host it was reached at.
        "$wgServer = getenv( 'GLOSS_TEST_WIKI_SERVER' ) ?: ( PHP_SAPI === 'cli' ? 'http://127.0.0.1' : WebRequest::detectServer() );",
        "$wgCanonicalServer = $wgServer;",
        "$wgShowExceptionDetails = true;",
        "$wgEnableUploads = false;",
        "$wgJobRunRate = 0;",
        "$wgMainCacheType = CACHE_NONE;",
    ]
    if not plain:
        extra.append(f"wfLoadExtension( 'GlossWikiFeatures', '{EXTENSION / 'extension.json'}' );")
    settings.write_text(text + "\n".join(extra) + "\n")
    xml = work / "pages.xml"
    xml.write_text(dump(files, plain, pad), encoding="utf-8")
    maint = MEDIAWIKI / "maintenance"
    # Import without the per-page updates, then make the link tables, page properties and the
    # search index once each: the same database as a plain import (every table compared), in
    # half the time, since a plain import parses each page and refreshLinks parses it again.
    _php([str(maint / "importDump.php"), "--quiet", "--no-updates", str(xml)], settings, work)
    _php([str(maint / "refreshLinks.php"), "--quiet"], settings, work)
    _php([str(maint / "rebuildtextindex.php"), "--quiet"], settings, work)
    _php([str(maint / "initSiteStats.php"), "--update"], settings, work)
    _php([str(maint / "runJobs.php"), "--quiet"], settings, work)
    xml.unlink()
    (work / "complete").write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
    shutil.rmtree(folder, ignore_errors=True)
    work.rename(folder)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A running instance: ``url`` is its API endpoint; ``stop()`` ends the server."""

    def __init__(self, folder: Path, port: int | None = None, workers: int = 4, server: str = "") -> None:
        """``server``: the scheme and host the wiki names itself by in page URLs (default: as reached)."""
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/api.php"
        env = {**os.environ, "MW_CONFIG_FILE": str(folder / "LocalSettings.php"), "PHP_CLI_SERVER_WORKERS": str(workers)}
        if server:
            env["GLOSS_TEST_WIKI_SERVER"] = server
        self.proc = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(MEDIAWIKI)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its worker processes with it, so that stop() ends them all
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "?action=query&meta=siteinfo&format=json", timeout=5) as r:
                    if json.loads(r.read()).get("query"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"the test MediaWiki at {folder} did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        """End the server and its workers (PHP's workers outlive their parent otherwise)."""
        import contextlib
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of the group is still there
        self.proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.real_wiki", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["build", "serve"])
    parser.add_argument("--plain", action="store_true", help="a private wiki: no disambiguation property, no short descriptions")
    parser.add_argument("--no-pad", action="store_true", help="pages as they are, without realistic padding")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.monotonic()
    folder = build(plain=args.plain, pad=not args.no_pad)
    if args.action == "build":
        print(f"{folder} ({time.monotonic() - started:.0f} s)")
        return 0
    import signal

    served = Served(folder, args.port or None)
    print(served.url, flush=True)
    # Ctrl-C or a plain `kill`: the PHP server and its workers (a session of their own) end too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    try:
        served.proc.wait()
    finally:
        served.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
