"""News from the web: polite fetching, the main text of a page, and feeds.

:class:`Fetcher` gets one URL the way a good citizen does: a User-Agent naming
gloss, robots.txt honoured (RFC 9309: an unreachable robots.txt means "not now"),
a timeout for the whole answer, a size cap, at most a few redirects (a loop is
named), gzip, and at most a few requests in flight per host.  Every failure is a
:class:`FetchError` whose message is one line.

:func:`extract` turns a page into an :class:`Extracted` article with trafilatura
(title, site name, author and date with it); :func:`read_feed` reads RSS or Atom
with feedparser.  The page's declared charset is respected (HTTP header first, then
``<meta>``), as browsers do.
"""

from __future__ import annotations

import codecs
import re
import threading
import time
import warnings
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from linker.http import TooLarge, TooSlow, plain_headers, read_bounded
from linker.wiki import USER_AGENT

if TYPE_CHECKING:  # urllib.robotparser imports urllib.request and http.client: 10 ms a reader's start needs not
    from urllib.robotparser import RobotFileParser

MAX_PAGE_BYTES = 10 << 20  # a news page is well under 1 MB; a bigger one is not an article
MAX_ROBOTS_BYTES = 512 << 10  # RFC 9309 asks crawlers to read at least 500 KiB
MAX_REDIRECTS = 5
PER_HOST = 2
TIMEOUT = 15.0
REDIRECTS = (301, 302, 303, 307, 308)
MIN_WORDS = 25  # fewer words than this is a teaser or a stub, not an article
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml", "application/feed+json")


class FetchError(Exception):
    """A source that cannot be used; the message is one line that says why."""


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    content_type: str
    charset: str  # as the HTTP header declares it, or ""
    body: bytes


@dataclass
class Extracted:
    """One article: its main text and what the page says about it."""

    url: str
    title: str
    text: str
    site: str = ""
    author: str = ""
    date: str = ""  # ISO 8601 date, or ""
    source: str = ""  # the feed or file it came through

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("url", "title", "text", "site", "author", "date", "source")}


@dataclass
class FeedEntry:
    link: str
    title: str
    date: str
    content: str  # HTML of the entry's full content, or "" when the feed only teases


@dataclass
class Feed:
    title: str
    entries: list[FeedEntry] = field(default_factory=list)


def canonical_url(url: str) -> str:
    """The URL an article is known by: no fragment, no tracking parameters, lower-case host."""
    parts = urlsplit(url.strip())
    query = "&".join(q for q in parts.query.split("&") if q and not q.lower().startswith(("utm_", "fbclid=", "gclid=")))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


class Fetcher:
    """Polite HTTP GETs; safe to share between threads."""

    def __init__(self, timeout: float = TIMEOUT, max_bytes: int = MAX_PAGE_BYTES, per_host: int = PER_HOST, user_agent: str = USER_AGENT) -> None:
        import httpx

        self.timeout = timeout
        self.max_bytes = max_bytes
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            headers={
                "User-Agent": user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept": "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
            },
        )
        self.user_agent = user_agent
        self.per_host = per_host
        self.lock = threading.Lock()
        self.gates: dict[str, threading.BoundedSemaphore] = defaultdict(lambda: threading.BoundedSemaphore(per_host))
        self.robots: dict[str, RobotFileParser | str] = {}  # a site's rules, or why they could not be read
        self.robots_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, check_robots: bool = True, cap: int | None = None) -> Page:
        """GET `url`, following at most MAX_REDIRECTS redirects; raises FetchError."""
        seen: set[str] = set()
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(f"not an http(s) URL: {url}")
            if url in seen:
                raise FetchError("redirect loop")
            seen.add(url)
            if check_robots and not self.allowed(url):
                raise FetchError("robots.txt of the site disallows fetching it")
            status, reason, headers, body = self._once(url, cap or self.max_bytes)
            if status in REDIRECTS:
                location = headers.get("location", "")
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location")
                url = urljoin(url, location)
                continue
            if status >= 400:
                raise FetchError(f"HTTP {status} {reason}".strip())
            ctype, _, params = headers.get("content-type", "").partition(";")
            charset = ""
            m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", params, re.I)
            if m:
                charset = m.group(1)
            return Page(url, ctype.strip().lower(), charset, body)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _once(self, url: str, cap: int) -> tuple[int, str, dict, bytes]:
        import httpx

        host = _host(url)
        with self.lock:
            gate = self.gates[host]
            self.requests += 1
        deadline = time.monotonic() + self.timeout
        with gate:
            try:
                with self.client.stream("GET", url) as r:
                    if r.status_code in REDIRECTS or r.status_code >= 400:
                        body = b""
                    else:
                        body = read_bounded(r, cap, deadline)
                    headers = {k.lower(): v for k, v in plain_headers(r).items()}
                    return r.status_code, r.reason_phrase, headers, body
            except TooLarge:
                raise FetchError(f"too large (over {cap / 1e6:.0f} MB, the limit)") from None
            except (TooSlow, httpx.TimeoutException):
                raise FetchError(f"timed out after {self.timeout:g} s") from None
            except zlib.error:
                raise FetchError("damaged compressed answer") from None
            except httpx.ConnectError as err:
                raise FetchError(f"cannot connect ({_first_line(err)})") from None
            except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, ValueError) as err:
                raise FetchError(f"HTTP failed ({_first_line(err)})") from None

    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets gloss fetch `url` (read once per site)."""
        host = _host(url)
        with self.robots_locks[host]:
            if host not in self.robots:
                self.robots[host] = self._read_robots(host)
        rules = self.robots[host]
        if isinstance(rules, str):
            raise FetchError(rules)
        return rules.can_fetch(self.user_agent, url)

    def _read_robots(self, host: str) -> RobotFileParser | str:
        from urllib.robotparser import RobotFileParser

        rules = RobotFileParser()
        try:
            page = self.get(f"{host}/robots.txt", check_robots=False, cap=MAX_ROBOTS_BYTES)
        except FetchError as err:
            message = str(err)
            if message.startswith(("HTTP 4", "too large")):  # no robots.txt (or an absurd one): nothing is disallowed
                rules.parse([])
                return rules
            if message.startswith("HTTP 5"):  # RFC 9309: robots.txt unreachable means disallow everything for now
                return f"the site's robots.txt is unavailable ({message}), so nothing may be fetched now; try again later"
            return message  # the site itself cannot be reached
        rules.parse(page.body.decode("utf-8", "replace").splitlines())
        return rules


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else type(err).__name__


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def _codec(name: str) -> str | None:
    try:
        codec = codecs.lookup(name.strip()).name
    except (LookupError, ValueError):
        return None
    # As browsers do: a page labelled Latin-1 or ASCII is read as Windows-1252.
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def decode_html(body: bytes, declared: str = "") -> str:
    """A page's text in the charset it declares: BOM, then HTTP header, then <meta>, then UTF-8."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, "replace")
    names = [declared] if declared else []
    m = _META_CHARSET.search(body[:4096])
    if m:
        names.append(m.group(1).decode("ascii", "replace"))
    for name in names:
        codec = _codec(name)
        if codec:
            return body.decode(codec, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


def looks_like_feed(content_type: str, body: bytes) -> bool:
    if content_type in FEED_TYPES[:3]:
        return True
    head = body[:2048].lstrip().lower()
    if content_type in HTML_TYPES or head.startswith((b"<!doctype html", b"<html")):
        return False
    return bool(re.search(rb"<(rss|feed|rdf:rdf)[\s>]", head))


def extract(html_text: str, url: str = "", source: str = "") -> Extracted:
    """The article in a page (trafilatura): main text and metadata; raises FetchError."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html_text, url=url or None, with_metadata=True, include_comments=False, include_tables=False)
    except Exception as err:  # noqa: BLE001 - a parser failing on a page is that page's problem
        raise FetchError(f"cannot extract the article ({_first_line(err)})") from None
    if doc is None:
        raise FetchError("no article text found on the page")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    if len(text.split()) < MIN_WORDS:
        raise FetchError("no article text found on the page")
    text = "\n\n".join(" ".join(p.split()) for p in text.splitlines() if p.strip())
    found_url = url or str(data.get("url") or "")
    return Extracted(
        url=found_url,
        title=" ".join(str(data.get("title") or "").split()) or text.split("\n", 1)[0][:80],
        text=text,
        site=str(data.get("sitename") or (urlsplit(found_url).hostname or "" if found_url else "")),
        author=str(data.get("author") or ""),
        date=str(data.get("date") or "")[:10],
        source=source,
    )


def _iso_date(struct) -> str:
    if not struct:
        return ""
    try:
        return time.strftime("%Y-%m-%d", struct)
    except (TypeError, ValueError):
        return ""


def read_feed(body: bytes, url: str) -> Feed:
    """The entries of an RSS or Atom feed, links made absolute; raises FetchError."""
    import feedparser

    headers = {"content-location": url} if url.startswith(("http://", "https://")) else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # feedparser's published/updated fallback
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
        return _feed(parsed, url)


def _feed(parsed, url: str) -> Feed:
    if not parsed.entries:
        raise FetchError("not a feed, or a feed with no entries" + (f" ({_first_line(parsed.bozo_exception)})" if parsed.get("bozo") else ""))
    feed = Feed(title=" ".join(str(parsed.feed.get("title", "")).split()))
    for e in parsed.entries:
        link = str(e.get("link") or "")
        if link and url.startswith(("http://", "https://")):
            link = urljoin(url, link)
        content = ""
        for c in e.get("content") or []:
            if "html" in str(c.get("type", "")) and len(str(c.get("value", ""))) > len(content):
                content = str(c.get("value"))
        feed.entries.append(
            FeedEntry(
                link=link,
                title=" ".join(str(e.get("title", "")).split()),
                date=_iso_date(e.get("published_parsed") or e.get("updated_parsed")),
                content=content,
            )
        )
    return feed


_TEASER_END = re.compile(r"(…|\.\.\.|\[…\]|\[\.\.\.\]|read more|continue reading)\W*$", re.I)


def complete_content(entry: FeedEntry) -> str | None:
    """The entry's own text when the feed carries the whole article, else None (fetch the page)."""
    if not entry.content:
        return None
    text = re.sub(r"<[^>]+>", " ", entry.content)
    text = " ".join(text.split())
    if len(text.split()) < MIN_WORDS * 4 or _TEASER_END.search(text):
        return None
    return entry.content
