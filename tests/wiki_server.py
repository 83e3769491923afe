"""A local stand-in for the MediaWiki Action API, served from JSON page files.

Run ``python -m tests.wiki_server --pages FILE [--pages FILE2 ...] [--port N]``.
The first line printed is the API URL (``http://127.0.0.1:PORT/w/api.php``).

It answers ``GET /w/api.php`` in Wikipedia's formatversion=1 shape for what the
Wikipedia-API client and gloss's linker send: ``action=query`` with ``titles``,
``redirects``, ``prop=info|extracts|categories|links|pageprops|redirects|description``
and ``list=search``.  Fault injection (``--latency-ms``, ``--error-rate``,
``--ratelimit-rate``, ``--hang-rate``, ``--garbage-rate``) makes it misbehave
like a busy wiki; ``POST /_faults`` changes the faults of a running server and
``GET /_stats`` reports how many requests it answered and the most in flight.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

DEFAULT_PAGES = Path(__file__).parent / "fixtures" / "wiki" / "pages.json"
WORD = re.compile(r"\w+", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(])")


def normalize_title(raw: str) -> str:
    """MediaWiki title normalisation: underscores to spaces, trimmed, first letter upper."""
    title = " ".join(raw.replace("_", " ").split())
    return title[:1].upper() + title[1:] if title else title


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


class QuietServer(ThreadingHTTPServer):
    """A threaded server that does not print a traceback when a client hangs up.

    The clients under test hang up on purpose (a size cap, a deadline); the
    default handler prints those to ``sys.stderr``, which an in-process CLI run
    captures as if gloss had printed them.
    """

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Wiki:
    """The page store: titles, redirects and page ids from one or more JSON files."""

    def __init__(self, files: list[Path]) -> None:
        self.pages: dict[str, dict] = {}
        self.redirects: dict[str, str] = {}
        self.site = "en.wikipedia.org"
        for path in files:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            self.site = data.get("site", self.site)
            for page in data["pages"]:
                self.pages[page["title"]] = page
                for alias in page.get("redirects_from", []):
                    self.redirects[alias] = page["title"]
        # Incoming redirects to a page, for prop=redirects.
        self.redirects_to: dict[str, list[str]] = {}
        for alias, target in self.redirects.items():
            self.redirects_to.setdefault(target, []).append(alias)

    def url(self, title: str) -> str:
        return f"https://{self.site}/wiki/" + title.replace(" ", "_")

    def search(self, query: str, what: str | None, limit: int) -> list[dict]:
        """Exact title/redirect matches, then titles sharing words, then summaries."""
        q = normalize_title(query)
        qwords = set(words(query))
        ranked: list[tuple[int, float, str]] = []
        exact = self.redirects.get(q, q)
        for title, page in self.pages.items():
            if title == exact or title.lower() == q.lower():
                ranked.append((0, 0.0, title))
                continue
            alias_words = [set(words(a)) for a in page.get("redirects_from", [])]
            title_words = set(words(title))
            shared = max([len(qwords & title_words)] + [len(qwords & a) for a in alias_words])
            if shared and what != "text":
                ranked.append((1, -shared / max(len(title_words), 1), title))
                continue
            if what == "title" or what == "nearmatch":
                continue
            body = set(words(page.get("summary", "")))
            hits = len(qwords & body)
            if qwords and hits == len(qwords):
                ranked.append((2, -hits, title))
        if what == "nearmatch":
            ranked = [r for r in ranked if r[0] == 0]
        ranked.sort()
        return [self.pages[t] for _, _, t in ranked[:limit]], len(ranked)


class Faults:
    def __init__(self, **kw) -> None:
        self.latency_ms = 0
        self.error_rate = 0.0
        self.ratelimit_rate = 0.0
        self.retry_after = 1
        self.hang_rate = 0.0
        self.hang_seconds = 30.0
        self.garbage_rate = 0.0
        self.drip_rate = 0.0  # a 200 whose body comes one byte a second
        self.bomb_rate = 0.0  # a 200 whose gzip body unpacks to 200 MB
        self.wrong_rate = 0.0  # a 200 of valid JSON with the wrong types
        self.fail_matching = ""  # a 500 for every request that asks about this text (one page failing, the rest fine)
        self.update(kw)
        self.rng = random.Random(kw.get("seed", 0))
        self.lock = threading.Lock()

    def update(self, values: dict) -> None:
        for key, value in values.items():
            if key != "seed" and hasattr(self, key) and value is not None:
                setattr(self, key, type(getattr(self, key))(value))

    def draw(self) -> str | None:
        with self.lock:
            r = self.rng.random()
        for name, share in (
            ("hang", self.hang_rate),
            ("error", self.error_rate),
            ("ratelimit", self.ratelimit_rate),
            ("garbage", self.garbage_rate),
            ("drip", self.drip_rate),
            ("bomb", self.bomb_rate),
            ("wrong", self.wrong_rate),
        ):
            if r < share:
                return name
            r -= share
        return None


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults = 0
        self.user_agents: set[str] = set()
        self.queries: list[str] = []

    def enter(self, agent: str, query: str = "") -> None:
        with self.lock:
            self.requests += 1
            if len(self.queries) < 10000:
                self.queries.append(query)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.user_agents.add(agent)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def as_dict(self) -> dict:
        with self.lock:
            return {
                "requests": self.requests,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "faults": self.faults,
                "user_agents": sorted(self.user_agents),
            }


def first_sentences(text: str, n: int) -> str:
    parts = SENTENCE_END.split(text)
    return " ".join(parts[:n])


def answer_query(wiki: Wiki, params: dict[str, str]) -> dict:
    """Build the formatversion=1 answer to an ``action=query`` request."""
    result: dict = {"batchcomplete": ""}
    query: dict = {}
    props = set(filter(None, params.get("prop", "").split("|")))
    if params.get("list") == "search":
        limit = int(params.get("srlimit", "10") or 10)
        found, total = wiki.search(params.get("srsearch", ""), params.get("srwhat"), limit)
        query["searchinfo"] = {"totalhits": total}
        query["search"] = [
            {
                "ns": 0,
                "title": p["title"],
                "pageid": p["pageid"],
                "size": len(p.get("summary", "")),
                "wordcount": len(p.get("summary", "").split()),
                "snippet": p.get("summary", "")[:120],
                "timestamp": "2026-01-01T00:00:00Z",
            }
            for p in found
        ]
    if params.get("meta") == "siteinfo":
        query["general"] = {"servername": wiki.site, "server": "https://" + wiki.site, "lang": "en", "sitename": "Wikipedia"}
    raw_titles = [t for t in params.get("titles", "").split("|") if t.strip()]
    if raw_titles:
        normalized, redirects, pages = [], [], {}
        missing_id = -1
        for raw in raw_titles:
            title = normalize_title(raw)
            if title != raw:
                normalized.append({"from": raw, "to": title})
            if params.get("redirects") and title in wiki.redirects:
                target = wiki.redirects[title]
                redirects.append({"from": title, "to": target})
                title = target
            page = wiki.pages.get(title)
            if page is None:
                pages[str(missing_id)] = {"ns": 0, "title": title, "missing": ""}
                missing_id -= 1
                continue
            pages[str(page["pageid"])] = render_page(wiki, page, props, params)
        if normalized:
            query["normalized"] = normalized
        if redirects:
            query["redirects"] = redirects
        query["pages"] = pages
    result["query"] = query
    return result


def render_page(wiki: Wiki, page: dict, props: set[str], params: dict[str, str]) -> dict:
    out: dict = {"pageid": page["pageid"], "ns": 0, "title": page["title"]}
    if "info" in props:
        out.update(
            contentmodel="wikitext",
            pagelanguage="en",
            touched="2026-01-01T00:00:00Z",
            lastrevid=page["pageid"] * 10,
            length=len(page.get("summary", "")),
        )
        if "url" in params.get("inprop", ""):
            out["fullurl"] = out["canonicalurl"] = wiki.url(page["title"])
            out["editurl"] = out["fullurl"] + "?action=edit"
    if "extracts" in props:
        text = page.get("summary", "")
        if params.get("exsentences"):
            text = first_sentences(text, int(params["exsentences"]))
        out["extract"] = text
    if "description" in props and page.get("description"):
        out["description"] = page["description"]
        out["descriptionsource"] = "local"
    if "pageprops" in props:
        pp = {}
        if page.get("description"):
            pp["wikibase-shortdesc"] = page["description"]
        if page.get("disambiguation"):
            pp["disambiguation"] = ""
        if pp:
            out["pageprops"] = pp
    if "categories" in props and page.get("categories"):
        out["categories"] = [{"ns": 14, "title": "Category:" + c} for c in page["categories"]]
    if "links" in props and page.get("links"):
        out["links"] = [{"ns": 0, "title": t} for t in page["links"]]
    if "redirects" in props and wiki.redirects_to.get(page["title"]):
        out["redirects"] = [{"ns": 0, "title": t} for t in wiki.redirects_to[page["title"]]]
    return out


def make_handler(wiki: Wiki | None, faults: Faults, stats: Stats, upstream: str | None = None):
    """Answers from `wiki`, or, as a fault-injecting proxy, from the real MediaWiki API at `upstream`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def send_json(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/_faults":
                self.send_json(404, b'{"error": "not found"}')
                return
            length = int(self.headers.get("Content-Length", "0"))
            faults.update(json.loads(self.rfile.read(length) or b"{}"))
            self.send_json(200, b'{"ok": true}')

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/_stats":
                self.send_json(200, json.dumps(stats.as_dict()).encode())
                return
            if url.path != "/w/api.php":
                self.send_json(404, b'{"error": "not found"}')
                return
            stats.enter(self.headers.get("User-Agent", ""), url.query)
            try:
                self.answer(url.query)
            finally:
                stats.leave()

        def answer(self, qs: str) -> None:
            params = {k: v[-1] for k, v in parse_qs(qs, keep_blank_values=True).items()}
            if faults.latency_ms:
                time.sleep(faults.latency_ms / 1000)
            fault = faults.draw()
            if faults.fail_matching and faults.fail_matching.lower() in unquote_plus(qs).lower():
                fault = "error"
            if fault:
                with stats.lock:
                    stats.faults += 1
            if fault == "hang":
                time.sleep(faults.hang_seconds)
                self.close_connection = True
                return
            if fault == "error":
                self.send_json(500, b"<html>Internal error</html>")
                return
            if fault == "ratelimit":
                self.send_json(429, b'{"error": "ratelimited"}', {"Retry-After": str(faults.retry_after)})
                return
            if fault == "garbage":
                self.send_json(200, b'{"batchcomplete": "", "query": {"pages": ')
                return
            if fault == "drip":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(120):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(1.0)
                except OSError:
                    pass
                self.close_connection = True
                return
            if fault == "wrong":
                with faults.lock:
                    body = WRONG_TYPES[faults.rng.randrange(len(WRONG_TYPES))]
                self.send_json(200, json.dumps(body).encode())
                return
            if fault == "bomb":
                self.send_json(200, gzip_bomb(), {"Content-Encoding": "gzip"})
                return
            if upstream is not None:
                self.forward(qs)
                return
            if params.get("action") != "query":
                body = {"error": {"code": "badvalue", "info": "Unrecognized value for parameter action"}}
                self.send_json(200, json.dumps(body).encode())
                return
            self.send_json(200, json.dumps(answer_query(wiki, params)).encode())

        def forward(self, qs: str) -> None:
            """The real wiki's own answer, status and body as they came (no fault drawn)."""
            import urllib.error
            import urllib.request

            request = urllib.request.Request(f"{upstream}?{qs}", headers={"User-Agent": self.headers.get("User-Agent", "")})
            try:
                with urllib.request.urlopen(request, timeout=120) as r:
                    status, body = r.status, r.read()
            except urllib.error.HTTPError as err:
                status, body = err.code, err.read()
            self.send_json(status, body)

    return Handler


# Valid JSON, wrong shapes: what a broken proxy or a different API might answer.
WRONG_TYPES = [
    [],
    {"query": []},
    {"query": {"pages": "none"}},
    {"query": {"pages": {"1": {"title": 5, "categories": "x", "extract": {"a": 1}, "pageprops": [1], "length": "long"}}}},
    {"query": {"search": {"title": "x"}}},
    {"query": {"pages": {}}, "continue": "more"},
    {"batchcomplete": True, "query": {"normalized": "x", "redirects": [1, 2], "pages": {"-1": None}}},
]


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """About 200 kB that unpack to 200 MB of spaces."""
    return gzip.compress(b" " * (200 << 20), compresslevel=9)


def serve_proxy(upstream: str, port: int = 0, **fault_options) -> tuple[QuietServer, Stats, Faults]:
    """A fault-injecting proxy in front of a real MediaWiki API (`upstream`: its api.php URL),
    answering at /w/api.php; the faults are the same as the stand-in's."""
    faults = Faults(**fault_options)
    stats = Stats()
    server = QuietServer(("127.0.0.1", port), make_handler(None, faults, stats, upstream))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, stats, faults


def serve(pages: list[Path], port: int = 0, **fault_options) -> tuple[QuietServer, Stats, Faults]:
    """Start the server in a background thread; return it with its stats and faults."""
    wiki = Wiki(pages)
    faults = Faults(**fault_options)
    stats = Stats()
    server = QuietServer(("127.0.0.1", port), make_handler(wiki, faults, stats))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, stats, faults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", action="append", type=Path, help="page file (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="port (default: chosen by the OS)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added delay per request")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of 500 answers")
    parser.add_argument("--ratelimit-rate", type=float, default=0.0, help="share of 429 answers")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429")
    parser.add_argument("--hang-rate", type=float, default=0.0, help="share of requests that hang")
    parser.add_argument("--hang-seconds", type=float, default=30.0, help="how long a hang lasts")
    parser.add_argument("--garbage-rate", type=float, default=0.0, help="share of invalid JSON answers")
    parser.add_argument("--seed", type=int, default=0, help="seed for the fault draws")
    args = parser.parse_args(argv)
    server, _, _ = serve(
        args.pages or [DEFAULT_PAGES],
        args.port,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        ratelimit_rate=args.ratelimit_rate,
        retry_after=args.retry_after,
        hang_rate=args.hang_rate,
        hang_seconds=args.hang_seconds,
        garbage_rate=args.garbage_rate,
        seed=args.seed,
    )
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}/w/api.php", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
