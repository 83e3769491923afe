"""A local news web site for the tests of ``gloss add``: pages, feeds and faults.

Run ``python -m tests.news_site [--port N]``; the first line printed is its base URL.

Four outlets publish four stories (the samples, the second dev story, the football
story, and two articles of our own on a trade story that shares China, Beijing and
the US with the samples, in the same week) as real-looking pages: navigation, a cookie banner, share
buttons, related links, reader comments and scripts around the article text.  Beside
them: RSS 2.0 and Atom feeds mixing the stories (HTML content, relative links,
missing and malformed dates), broken HTML, Latin-1 and Windows-1252 pages declared
by header or by ``<meta>``, gzip, a 20 MB page, 404 / 500 / slow answers, a
redirect loop, a page robots.txt disallows, an image, and a page with no article.
``GET /_stats`` tells how many requests each path had and the most in flight per host.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.wiki_server import QuietServer

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "samples"

# Boilerplate lines: none of them may survive extraction.
BOILERPLATE = (
    "Subscribe to our newsletter",
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Share on Facebook",
    "Share on X",
    "Most read this week",
    "Comments are closed for this article",
    "Sign in to comment",
    "Advertisement",
    "All rights reserved",
)

OUTLETS = {
    "samples": ("The Daily Ledger", "Amira Haddad"),
    "dev2": ("Circuit Wire", "Tomas Brandt"),
    "football": ("Touchline Post", "Keira Obi"),
    "metals": ("Harbour Gazette", "Lena Varga"),  # shares China, Beijing and the US with the samples, in the same weeks
}


@dataclass
class Story:
    slug: str
    story: str
    title: str
    text: str
    date: str  # ISO date, or "" for none


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def _headline(path: Path) -> tuple[str, str]:
    """A file whose first line is its headline: (headline, the text below it)."""
    head, _, rest = path.read_text(encoding="utf-8").strip().partition("\n")
    return head.strip(), rest.strip()


def load_stories() -> list[Story]:
    """Every article of the three development stories, with a title and a date."""
    out: list[Story] = []
    meta = json.loads((SAMPLES / "sources.json").read_text(encoding="utf-8"))
    for n, path in enumerate(sorted(SAMPLES.glob("*.txt"))):
        out.append(Story(f"world/talks-{n}", "samples", meta[path.name]["title"], path.read_text(encoding="utf-8"), f"2023-06-{18 + n % 3:02d}"))
    for n, path in enumerate(sorted((FIXTURES / "dev2" / "articles").glob("*.txt"))):
        head, text = _headline(path)
        out.append(Story(f"tech/board-{n}", "dev2", head, text, f"2023-11-{18 + n:02d}"))
    for n, path in enumerate(sorted((FIXTURES / "football" / "articles").glob("*.txt"))):
        head, text = _headline(path)
        out.append(Story(f"sport/match-{n}", "football", head, text, f"2024-03-{10 + n:02d}"))
    for n, path in enumerate(sorted((FIXTURES / "news").glob("t*.txt"))):
        head, text = _headline(path)
        out.append(Story(f"business/metals-{n}", "metals", head, text, f"2023-06-{21 + n:02d}"))
    return out


def article_page(s: Story, charset: str = "utf-8", declare: str = "meta") -> str:
    """A news page around the story's text, the way outlets build them."""
    site, author = OUTLETS[s.story]
    e = html.escape
    body = "\n".join(f"<p>{e(p)}</p>" for p in _paragraphs(s.text))
    meta_charset = f'<meta charset="{charset}">' if declare == "meta" else ""
    date_meta = f'<meta property="article:published_time" content="{s.date}T08:00:00Z">' if s.date else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head>{meta_charset}
<title>{e(s.title)} | {e(site)}</title>
<meta property="og:title" content="{e(s.title)}">
<meta property="og:site_name" content="{e(site)}">
<meta name="author" content="{e(author)}">
{date_meta}
<script>window.dataLayer = window.dataLayer || []; function track(){{ dataLayer.push(arguments); }}</script>
<style>.banner {{ position: fixed; }}</style>
</head><body>
<div class="cookie-banner" id="cookies"><p>{BOILERPLATE[1]}. <a href="/privacy">Privacy policy</a></p><button>{BOILERPLATE[2]}</button></div>
<header><nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/tech">Technology</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li></ul></nav>
<div class="newsletter"><a href="/subscribe">{BOILERPLATE[0]}</a></div></header>
<main><article>
<h1>{e(s.title)}</h1>
<div class="byline">By <span class="author">{e(author)}</span> · <time datetime="{s.date}">{s.date}</time></div>
<div class="share"><a href="#">{BOILERPLATE[3]}</a> <a href="#">{BOILERPLATE[4]}</a></div>
<div class="article-body">
{body}
</div>
<aside class="ad"><p>{BOILERPLATE[8]}</p></aside>
</article>
<section class="related"><h2>{BOILERPLATE[5]}</h2><ul>
<li><a href="/world/markets-rally">Markets rally as investors weigh the outlook for rates</a></li>
<li><a href="/sport/transfer-window">Five things we learned from the transfer window</a></li>
<li><a href="/tech/gadgets">The gadgets worth buying this winter</a></li></ul></section>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p class="comment-author">reader_1987</p><p>Great piece, but what about the economy? Nobody ever talks about the economy.</p></div>
<div class="comment"><p class="comment-author">skeptic42</p><p>I stopped reading after the second paragraph.</p></div>
<p>{BOILERPLATE[6]}. <a href="/login">{BOILERPLATE[7]}</a></p></section>
</main>
<footer><p>© 2024 {e(site)}. {BOILERPLATE[9]}.</p><a href="/about">About us</a> <a href="/contact">Contact</a></footer>
<script src="/static/app.js"></script>
<script>track("pageview", "{e(s.slug)}");</script>
</body></html>
"""


def rss(stories: list[Story], base: str, full: bool) -> str:
    """RSS 2.0: relative links, one missing and one malformed date; HTML content when `full`."""
    items = []
    for n, s in enumerate(stories):
        if n == 1:
            date = ""
        elif n == 2:
            date = "<pubDate>sometime last week</pubDate>"
        else:
            date = f"<pubDate>{time.strftime('%a, %d %b %Y 08:00:00 +0000', time.strptime(s.date, '%Y-%m-%d'))}</pubDate>"
        content = ""
        if full:
            content = "<content:encoded><![CDATA[" + "".join(f"<p>{html.escape(p)}</p>" for p in _paragraphs(s.text)) + "]]></content:encoded>"
        items.append(
            f"<item><title>{html.escape(s.title)}</title><link>/{s.slug}.html</link><guid>{base}/{s.slug}.html</guid>{date}"
            f"<description>{html.escape(_paragraphs(s.text)[0][:120])}…</description>{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        f' xml:base="{base}/"><channel><title>Mixed news</title><link>{base}/</link><description>Everything</description>' + "".join(items) + "</channel></rss>"
    )


def atom(stories: list[Story], base: str) -> str:
    entries = []
    for n, s in enumerate(stories):
        updated = f"<updated>{s.date}T08:00:00Z</updated>" if n != 0 else ""
        entries.append(
            f'<entry><title>{html.escape(s.title)}</title><link rel="alternate" href="{s.slug}.html"/><id>tag:news,{s.slug}</id>{updated}'
            f'<summary type="html">{html.escape("<p>" + html.escape(_paragraphs(s.text)[0][:100]) + "…</p>")}</summary></entry>'
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/"><title>Atom news</title><id>tag:news</id>'
        + "".join(entries)
        + "</feed>"
    )


class Site:
    def __init__(self, slow_seconds: float = 30.0, page_delay: float = 0.0) -> None:
        self.page_delay = page_delay  # every article page takes this long, like a real site
        self.stories = load_stories()
        self.by_slug = {s.slug: s for s in self.stories}
        self.slow_seconds = slow_seconds
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.user_agents: set[str] = set()
        self.gzipped = 0  # answers sent gzip-compressed (the client asked for it)
        self.base = ""

    def answer(self, path: str, accept_gzip: bool) -> tuple[int, dict, bytes]:
        html_type = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path.startswith("/private/"):
            return 200, {"Content-Type": html_type}, article_page(self.stories[0]).encode()
        if path == "/feed.rss":
            return 200, {"Content-Type": "application/rss+xml"}, rss(self.mixed(), self.base, full=False).encode()
        if path == "/full.rss":
            return 200, {"Content-Type": "application/rss+xml"}, rss(self.mixed(), self.base, full=True).encode()
        if path == "/feed.atom":
            return 200, {"Content-Type": "application/atom+xml"}, atom(self.mixed(), self.base).encode()
        if path == "/missing.html":
            return 404, {"Content-Type": html_type}, b"<html><body><h1>Not found</h1></body></html>"
        if path == "/error.html":
            return 500, {"Content-Type": html_type}, b"<html><body>Internal error</body></html>"
        if path == "/slow.html":
            time.sleep(self.slow_seconds)
            return 200, {"Content-Type": html_type}, article_page(self.stories[0]).encode()
        if path.startswith("/loop"):
            n = int(path[5:] or 0)
            return 302, {"Location": f"/loop{(n + 1) % 3}"}, b""
        if path == "/moved.html":
            return 301, {"Location": f"/{self.stories[1].slug}.html"}, b""
        if path == "/huge.html":
            filler = "<p>" + "Filler words for a very long page. " * 40 + "</p>\n"
            return 200, {"Content-Type": html_type}, (article_page(self.stories[0]).replace("</main>", filler * 14_000 + "</main>")).encode()
        if path == "/picture.png":
            return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
        if path == "/empty.html":
            return 200, {"Content-Type": html_type}, b"<html><head><title>Nothing</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
        if path == "/broken.html":
            page = article_page(self.stories[2])
            page = page.replace("</p>", "", 6).replace("</div>", "", 3).replace("</article>", "").replace("</body></html>", "")
            return 200, {"Content-Type": "text/html"}, page.encode()
        if path == "/latin1.html":  # charset in the HTTP header only (a football story: accented names)
            s = next(s for s in self.stories if s.story == "football")
            return 200, {"Content-Type": "text/html; charset=ISO-8859-1"}, article_page(s, declare="none").encode("latin-1", "xmlcharrefreplace")
        if path == "/cp1252.html":  # charset in <meta> only (curly quotes are bytes 0x91-0x94 there)
            s = self.stories[3]
            return 200, {"Content-Type": "text/html"}, article_page(s, charset="windows-1252").encode("cp1252", "xmlcharrefreplace")
        if path.endswith(".html") and path[1:-5] in self.by_slug:
            time.sleep(self.page_delay)
            body = article_page(self.by_slug[path[1:-5]]).encode()
            if accept_gzip:
                with self.lock:
                    self.gzipped += 1
                return 200, {"Content-Type": html_type, "Content-Encoding": "gzip"}, gzip.compress(body)
            return 200, {"Content-Type": html_type}, body
        return 404, {"Content-Type": html_type}, b"<html><body>Not found</body></html>"

    def mixed(self) -> list[Story]:
        """The three stories interleaved, as one feed mixes them."""
        groups = [[s for s in self.stories if s.story == k] for k in OUTLETS]
        out: list[Story] = []
        for i in range(max(len(g) for g in groups)):
            out.extend(g[i] for g in groups if i < len(g))
        return out


def make_handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path == "/_stats":
                with site.lock:
                    body = json.dumps({"hits": site.hits, "max_in_flight": site.max_in_flight, "user_agents": sorted(site.user_agents)}).encode()
                self._send(200, {"Content-Type": "application/json"}, body)
                return
            with site.lock:
                site.hits[path] = site.hits.get(path, 0) + 1
                site.in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site.in_flight)
                site.user_agents.add(self.headers.get("User-Agent", ""))
            try:
                status, headers, body = site.answer(path, "gzip" in self.headers.get("Accept-Encoding", ""))
                self._send(status, headers, body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with site.lock:
                    site.in_flight -= 1

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(port: int = 0, slow_seconds: float = 30.0, page_delay: float = 0.0) -> tuple[QuietServer, Site]:
    site = Site(slow_seconds, page_delay)
    server = QuietServer(("127.0.0.1", port), make_handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, site


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    server, site = serve(args.port)
    print(site.base, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
